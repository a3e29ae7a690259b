/** Managed-job and serve-up flows follow the controller's state, not a CLI transcript. */
import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { followManagedJob, followServiceUp, type FollowDeps } from '../../../extension/launch/follow';
import type { ManagedJobJson, ServiceJson } from '../../../engine/contract/cliJson';

/** Deps that answer each `--json` read with the next canned answer and record what was shown. */
function fake(stdout: string, answers: unknown[], cancelAfter = Infinity) {
  const seen = { runs: [] as string[][], reports: [] as string[], logs: [] as string[], reads: 0 };
  const deps: FollowDeps = {
    run: async (args) => {
      seen.runs.push(args);
      return { stdout };
    },
    json: async <T>() => {
      const a = answers[Math.min(seen.reads, answers.length - 1)];
      seen.reads++;
      return a as T;
    },
    openLog: async (kind, id) => {
      seen.logs.push(`${kind}/${id}`);
    },
    report: (m) => seen.reports.push(m),
    wait: async () => {},
    cancelled: () => seen.reads >= cancelAfter,
  };
  return { deps, seen };
}

const job = (status: string, extra: Partial<ManagedJobJson> = {}): ManagedJobJson[] => [
  {
    id: 7,
    name: 'train',
    status,
    recoveries: 0,
    cluster: 'train-7',
    resources: '1x',
    submittedAt: 0,
    totalDurationSeconds: 1,
    jobDurationSeconds: 0,
    controllerStarts: 1,
    ...extra,
  },
];

test('a managed job is followed to RUNNING with its log open, through its states', async () => {
  const { deps, seen } = fake('Managed job ID: 7\n', [[], job('PENDING'), job('STARTING'), job('RUNNING')]);
  const out = await followManagedJob(['jobs', 'launch', 't.yaml', '-y', '-d'], undefined, deps);
  assert.equal(out.kind, 'ready');
  assert.match(out.message, /Managed job 7 is RUNNING on train-7/);
  assert.deepEqual(seen.logs, ['managed-job/7']);
  assert.ok(seen.reports.some((r) => r.includes('STARTING')));
  assert.ok(!seen.reports.some((r) => /skydeck jobs logs/.test(r)), 'no CLI hints');
});

test('a managed job that fails says why', async () => {
  const { deps } = fake('Managed job ID: 7\n', [job('FAILED_SETUP', { failureReason: 'setup exited 3' })]);
  const out = await followManagedJob([], undefined, deps);
  assert.equal(out.kind, 'failed');
  assert.match(out.message, /FAILED_SETUP: setup exited 3/);
});

test('cancel stops watching, not the job', async () => {
  const { deps } = fake('Managed job ID: 7\n', [job('PENDING')], 3);
  const out = await followManagedJob([], undefined, deps);
  assert.equal(out.kind, 'stopped-watching');
});

test('a CLI that prints no job id is a failure with its output', async () => {
  const { deps } = fake('something else\n', []);
  const out = await followManagedJob([], undefined, deps);
  assert.equal(out.kind, 'failed');
  assert.match(out.message, /something else/);
});

const svc = (status: string, replicas: string[], extra: Partial<ServiceJson> = {}): ServiceJson[] => [
  {
    name: 'web',
    status,
    endpoint: 'http://127.0.0.1:30001',
    endpointError: null,
    version: 1,
    uptimeSeconds: 3,
    loadBalancingPolicy: null,
    autoscalingPolicy: null,
    targetReplicas: replicas.length,
    replicas: replicas.map((s, i) => ({
      id: i + 1,
      status: s,
      cluster: `web-${i + 1}`,
      version: 1,
      endpoint: null,
      launchedAt: null,
      infra: 'local',
      resources: null,
      spot: false,
      failureReason: s === 'FAILED' ? 'probe failed' : null,
    })),
    ...extra,
  } as ServiceJson,
];

test('a service is followed to READY with replica counts and its endpoint', async () => {
  const { deps, seen } = fake("Service 'web' is starting.\nEndpoint: http://127.0.0.1:30001\n", [
    svc('CONTROLLER_INIT', []),
    svc('REPLICA_INIT', ['PROVISIONING', 'STARTING']),
    svc('READY', ['READY', 'STARTING']),
  ]);
  const out = await followServiceUp(['serve', 'up'], undefined, deps);
  assert.equal(out.kind, 'ready');
  assert.match(out.message, /web is READY at http:\/\/127.0.0.1:30001/);
  assert.deepEqual(seen.logs, ['service/web']);
  assert.ok(seen.reports.some((r) => r.includes('0/2 replicas ready')));
});

test('a failed service names the replica failure', async () => {
  const { deps } = fake("Service 'web' is starting.\n", [svc('FAILED', ['FAILED'])]);
  const out = await followServiceUp([], undefined, deps);
  assert.equal(out.kind, 'failed');
  assert.match(out.message, /FAILED: probe failed/);
});
