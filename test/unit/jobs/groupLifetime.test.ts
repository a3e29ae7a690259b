/**
 * Job groups, as SkyPilot runs them: a task that ends keeps its cluster until the group
 * ends (then all are torn down together, also after a controller restart or a cancel), and
 * the tasks' addresses are published on every node once every task has a cluster, again
 * after a task recovers on a new node. In-process, on the fake cluster engine.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cancelJobs, listJobs, submitJob } from '../../../engine/jobs/api';
import { GROUP_HOSTS_FILE, hostsIdentity, hostsOutcome, publishScript, runPrelude } from '../../../engine/jobs/groupNetwork';
import type { RunOnNodes } from '../../../engine/jobs/groupNodes';
import { needsController } from '../../../engine/jobs/types';
import type { TaskFile } from '../../../engine/task/types';
import type { ClusterRecord } from '../../../engine/cluster/types';
import { createHarness } from './harness';
import { fakeTask } from '../../helpers/fakes/task';

function group(names: string[], header: Partial<TaskFile> = {}): TaskFile {
  return { name: 'grp', execution: 'parallel', tasks: names.map((name) => fakeTask({ name, run: `echo ${name}` })), ...header };
}

test("a task that ends keeps its cluster while the group runs (queue: its own status, clusterKept); the group's end tears all down", async (t) => {
  const h = createHarness((task) => (task.name === 'fast' ? { lines: ['done'], exitCode: 0, lineMs: 20 } : { lines: [], exitCode: 0, untilStopped: true }));
  t.after(() => h.close());
  const id = await submitJob(group(['fast', 'slow']), {}, h.ctx);
  const mid = await h.waitFor((j) => j.tasks[0].status === 'SUCCEEDED', id);
  assert.equal(mid.status, 'RUNNING');
  assert.equal(mid.tasks[0].clusterKept, true);
  assert.ok(h.fake.clusters.has(`fast-${id}`), "the finished task's cluster is kept");
  const [row] = await listJobs({}, h.ctx);
  assert.deepEqual(
    row.tasks!.map((r) => [r.name, r.status, r.cluster, r.clusterKept]),
    [
      ['fast', 'SUCCEEDED', `fast-${id}`, true],
      ['slow', 'RUNNING', `slow-${id}`, undefined],
    ],
  );
  await h.fake.crash(`slow-${id}`, 2);
  const job = await h.waitFor((j) => !needsController(j), id);
  assert.deepEqual([job.status, ...job.tasks.map((x) => x.status)], ['FAILED', 'SUCCEEDED', 'FAILED']);
  assert.deepEqual(
    job.tasks.map((x) => x.clusterKept),
    [undefined, undefined],
  );
  assert.equal(h.fake.clusters.size, 0, 'both clusters torn down when the group ended');
});

test('a failed task keeps its cluster too; a cancel of the group then tears every cluster down', async (t) => {
  const h = createHarness(() => ({ lines: [], exitCode: 0, untilStopped: true }));
  t.after(() => h.close());
  const id = await submitJob(group(['a', 'b', 'c']), {}, h.ctx);
  await h.waitFor((j) => j.tasks.every((x) => x.status === 'RUNNING'), id);
  await h.fake.crash(`a-${id}`, 1);
  await h.waitFor((j) => j.tasks[0].status === 'FAILED' && j.tasks[0].clusterKept === true, id);
  assert.ok(h.fake.clusters.has(`a-${id}`));
  await cancelJobs([id], h.ctx);
  const job = await h.waitFor((j) => !needsController(j), id);
  assert.deepEqual(
    job.tasks.map((x) => x.status),
    ['FAILED', 'CANCELLED', 'CANCELLED'],
  );
  assert.equal(h.fake.clusters.size, 0);
});

test('a kept cluster outlives a controller restart and goes with the group', async (t) => {
  const h = createHarness((task) => (task.name === 'done' ? { lines: ['done'], exitCode: 0, lineMs: 20 } : { lines: [], exitCode: 0, untilStopped: true }));
  t.after(() => h.close());
  const id = await submitJob(group(['done', 'going']), {}, h.ctx);
  await h.waitFor((j) => j.tasks[0].clusterKept === true && j.tasks[1].status === 'RUNNING', id);
  h.kill(0);
  await listJobs({}, h.ctx);
  await h.waitFor((j) => j.controllerStarts === 2, id);
  assert.ok(h.fake.clusters.has(`done-${id}`));
  await h.fake.crash(`going-${id}`, 4);
  const job = await h.waitFor((j) => !needsController(j), id);
  assert.deepEqual([job.status, ...job.tasks.map((x) => x.status)], ['FAILED', 'SUCCEEDED', 'FAILED']);
  assert.equal(h.fake.clusters.size, 0);
});

/** A node runner that records what each cluster was told (the env file's exports). */
function recordingNodes(): { runOnNodes: RunOnNodes; told: Map<string, string[]> } {
  const told = new Map<string, string[]>();
  const runOnNodes: RunOnNodes = async (record: ClusterRecord, script: string) => {
    const exports = [...script.matchAll(/export (SKYPILOT_JOBGROUP_HOST_\w+)='?([0-9.]+)/g)].map((m) => `${m[1]}=${m[2]}`);
    told.set(record.name, [...(told.get(record.name) ?? []), exports.join(' ')]);
    return record.nodes.map(() => ({ exitCode: 0, stdout: 'HOSTS written\n', stderr: '' }));
  };
  return { runOnNodes, told };
}

test("every task's run waits behind the networking prelude; the addresses reach every node once all run, and again after a recovery", async (t) => {
  const runs: string[] = [];
  const nodes = recordingNodes();
  const h = createHarness(
    (task) => {
      runs.push(task.run ?? '');
      return { lines: [], exitCode: 0, untilStopped: true };
    },
    {},
    25,
    { runOnNodes: nodes.runOnNodes },
  );
  t.after(() => h.close());
  const id = await submitJob(group(['server', 'client-x']), {}, h.ctx);
  await h.waitFor((j) => j.tasks.every((x) => x.status === 'RUNNING'), id);
  assert.equal(runs.length, 2);
  for (const r of runs) assert.ok(r.startsWith(runPrelude()), r);
  const ip = (name: string) => h.fake.clusters.get(`${name}-${id}`)!.record.nodes[0].internalIp;
  const expected = () => `SKYPILOT_JOBGROUP_HOST_SERVER=${ip('server')} SKYPILOT_JOBGROUP_HOST_CLIENT_X=${ip('client-x')}`;
  const first = expected();
  await h.waitFor(() => nodes.told.get(`server-${id}`)?.includes(first) === true && nodes.told.get(`client-x-${id}`)?.includes(first) === true, id);
  await h.fake.preempt(`server-${id}`);
  await h.waitFor((j) => j.tasks[0].recoveries === 1 && j.tasks[0].status === 'RUNNING', id);
  const second = expected();
  assert.notEqual(second, first, 'the recovered task has a new address');
  await h.waitFor(() => nodes.told.get(`client-x-${id}`)?.at(-1) === second && nodes.told.get(`server-${id}`)?.at(-1) === second, id);
  await h.fake.crash(`server-${id}`, 0);
  await h.fake.crash(`client-x-${id}`, 0);
  await h.waitFor((j) => !needsController(j), id);
});

test('the node script (run here with a node HOME): the files, and a warning naming the field and the infra where /etc/hosts is not written', () => {
  const members = [
    { task: 'a', ips: ['10.0.0.1', '10.0.0.2'] },
    { task: 'b-c', ips: ['10.0.0.3'] },
  ];
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'skydeck-node-'));
  try {
    // etcHosts false: the script never touches /etc/hosts (this machine's).
    const run = (script: string) => spawnSync('bash', ['-c', script], { env: { PATH: process.env.PATH, HOME: home }, encoding: 'utf8' });
    const published = run(publishScript('g', members, { infra: 'local', etcHosts: false, warnInRun: true }));
    assert.equal(published.status, 0, published.stderr);
    assert.equal(hostsOutcome(published.stdout), "its nodes share the machine's /etc/hosts");
    assert.equal(fs.readFileSync(path.join(home, GROUP_HOSTS_FILE), 'utf8'), '10.0.0.1 a-0.g\n10.0.0.2 a-1.g\n10.0.0.3 b-c-0.g\n');
    const started = run(`${runPrelude()}\necho "A=$SKYPILOT_JOBGROUP_HOST_A BC=$SKYPILOT_JOBGROUP_HOST_B_C"`);
    assert.equal(started.stdout, 'A=10.0.0.1 BC=10.0.0.3\n');
    assert.match(
      started.stderr,
      /^\[SkyDeck\] Warning: execution: parallel: the job group's hostnames \(<task>-<rank>\.g\) are not in \/etc\/hosts on this node \(infra local\): its nodes share the machine's \/etc\/hosts; reach the other tasks at \$SKYPILOT_JOBGROUP_HOST_<TASK>/,
    );
    // A task pinned to local was warned at launch: its run is not told again.
    run(publishScript('g', members, { infra: 'local', etcHosts: false, warnInRun: false }));
    assert.equal(run(runPrelude()).stderr, '');
  } finally {
    fs.rmSync(home, { recursive: true, force: true });
  }
  assert.match(publishScript('g', members, { infra: 'aws/us-east-1', etcHosts: true, warnInRun: true }), /sudo -n true/);
  assert.equal(hostsOutcome('x\nHOSTS written\n'), undefined);
});

test("the node script's hosts file rewrite (on a stand-in file): the group's lines replaced in place, others kept; a node sharing the controller's file is left alone", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skydeck-hosts-'));
  try {
    const hosts = path.join(dir, 'hosts');
    fs.writeFileSync(hosts, '127.0.0.1 localhost\n');
    const inode = fs.statSync(hosts).ino;
    const run = (members: { task: string; ips: string[] }[], controllerHosts?: string) =>
      spawnSync(
        'bash',
        [
          '-c',
          publishScript('g', members, {
            infra: 'ssh/pool',
            etcHosts: true,
            warnInRun: true,
            hostsPath: hosts,
            ...(controllerHosts ? { controllerHosts } : {}),
          }),
        ],
        {
          env: { PATH: process.env.PATH, HOME: dir },
          encoding: 'utf8',
        },
      );
    // The same file as the controller's (as a fake pod or a test sshd on this machine would see it): untouched.
    const same = run([{ task: 'a', ips: ['10.0.0.1'] }], hostsIdentity(hosts));
    assert.equal(hostsOutcome(same.stdout), "it shares the controller machine's /etc/hosts");
    assert.equal(fs.readFileSync(hosts, 'utf8'), '127.0.0.1 localhost\n');
    const first = run([{ task: 'a', ips: ['10.0.0.1'] }], 'another-machine:1:2');
    const skipped = hostsOutcome(first.stdout);
    if (skipped !== undefined) {
      // Not root and no passwordless sudo here: said so, file untouched.
      assert.match(skipped, /is not root and has no passwordless sudo/);
      assert.equal(fs.readFileSync(hosts, 'utf8'), '127.0.0.1 localhost\n');
      return;
    }
    run([{ task: 'a', ips: ['10.0.0.9'] }], 'another-machine:1:2');
    assert.equal(fs.readFileSync(hosts, 'utf8'), '127.0.0.1 localhost\n10.0.0.9 a-0.g  # skydeck job group g\n');
    assert.equal(fs.statSync(hosts).ino, inode, 'rewritten in place (a bind-mounted /etc/hosts cannot be renamed over)');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
