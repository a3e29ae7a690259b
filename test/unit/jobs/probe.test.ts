import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clusterProbe } from '../../../engine/jobs/probe';
import { submitJobs } from '../../../engine/jobs/api';
import type { ClusterRecord } from '../../../engine/cluster/types';
import type { ClusterHandle, NodeInfo, Provider } from '../../../engine/infra/provider';
import { createHarness } from './harness';
import { until } from '../../helpers/until';
import { fakeTask } from '../../helpers/fakes/task';

const node = (rank: number, state: NodeInfo['state'] = 'running'): NodeInfo => ({ id: `n${rank}`, rank, state, internalIp: `10.0.0.${rank}` });

function record(name: string, provider: string, numNodes = 1, status: ClusterRecord['status'] = 'UP'): ClusterRecord {
  const handle: ClusterHandle = { clusterName: name, nameOnCloud: name, provider, region: 'r', data: {} };
  return { name, status, numNodes, handle } as unknown as ClusterRecord;
}

test('the probe asks each provider once for all its clusters (queryMany), or per cluster where it cannot batch', async () => {
  const batches: string[][] = [];
  const singles: string[] = [];
  const infra: Record<string, NodeInfo[] | undefined> = {
    ok: [node(0), node(1)],
    gone: [],
    partial: [node(0)],
    stopped: [node(0), node(1, 'stopped')],
    unknown: undefined,
  };
  const batching = {
    queryMany: async (handles: ClusterHandle[]) => {
      batches.push(handles.map((h) => h.clusterName));
      return handles.map((h) => infra[h.clusterName]);
    },
  } as unknown as Provider;
  const single = {
    query: async (h: ClusterHandle) => {
      singles.push(h.clusterName);
      if (h.clusterName === 'broken') throw new Error('API down');
      return [node(0)];
    },
  } as unknown as Provider;
  const probe = clusterProbe(async (name) => (name === 'cloud' ? batching : single));
  const verdicts = await probe([
    record('ok', 'cloud', 2),
    record('gone', 'cloud', 2),
    record('partial', 'cloud', 2),
    record('stopped', 'cloud', 2),
    record('unknown', 'cloud', 2),
    record('fine', 'pool'),
    record('broken', 'pool'),
    record('init', 'cloud', 1, 'INIT'),
  ]);
  assert.deepEqual(batches, [['ok', 'gone', 'partial', 'stopped', 'unknown']], 'one call for every cloud cluster that is UP');
  assert.deepEqual(singles.sort(), ['broken', 'fine']);
  assert.deepEqual(verdicts.get('ok'), { ok: true });
  assert.match((verdicts.get('gone') as { reason: string }).reason, /gone/);
  assert.match((verdicts.get('partial') as { reason: string }).reason, /1 of 2 nodes are gone/);
  assert.match((verdicts.get('stopped') as { reason: string }).reason, /node 1 is stopped/);
  assert.match((verdicts.get('init') as { reason: string }).reason, /the cluster is INIT/);
  assert.deepEqual(verdicts.get('fine'), { ok: true });
  assert.equal(verdicts.has('unknown'), false, 'a cluster whose nodes could not be read is left to the inspection');
  assert.equal(verdicts.has('broken'), false);
});

test('a failed batch leaves every cluster of that provider unknown, not lost', async () => {
  const probe = clusterProbe(async () => ({ queryMany: async () => Promise.reject(new Error('throttled')) }) as unknown as Provider);
  const verdicts = await probe([record('a', 'cloud'), record('b', 'cloud')]);
  assert.equal(verdicts.size, 0);
});

test('a controller probes every monitored cluster in one call per poll, and a lost one recovers alone', async (t) => {
  const batches: string[][] = [];
  let lost: string | undefined;
  const probe = async (records: ClusterRecord[]) => {
    batches.push(records.map((r) => r.name));
    return new Map(records.map((r) => [r.name, r.name === lost ? { ok: false as const, reason: 'node 0 is terminated' } : { ok: true as const }]));
  };
  const h = createHarness(() => ({ lines: ['start'], exitCode: 0, untilStopped: true }), {}, 25, { probe });
  t.after(() => h.close());
  const ids = await submitJobs(
    Array.from({ length: 4 }, (_, i) => ({ taskFile: { tasks: [fakeTask({ name: `p${i}` })] }, options: {} })),
    h.ctx,
  );
  for (const id of ids) await h.waitFor((j) => j.status === 'RUNNING', id);
  const clusters = await Promise.all(ids.map(async (id) => (await h.job(id)).tasks[0].cluster));
  await until('a poll with every cluster', () => batches.some((b) => clusters.every((c) => b.includes(c))), { everyMs: 10 });
  assert.ok(
    batches.every((b) => new Set(b).size === b.length),
    'each cluster once per call',
  );
  lost = clusters[1];
  const recovering = await h.waitFor((j) => j.status === 'RECOVERING' || j.tasks[0].recoveries > 0, ids[1]);
  assert.ok(
    recovering.history.some((e) => e.status === 'RECOVERING' && /node 0 is terminated/.test(e.detail ?? '')),
    JSON.stringify(recovering.history),
  );
  lost = undefined;
  for (const id of [ids[0], ids[2], ids[3]]) assert.equal((await h.job(id)).tasks[0].recoveries, 0);
});
