/**
 * What a job submitted to a cluster demands (its own accelerators, not the cluster's), what
 * the queue shows for it, and the capacity the cluster's nodes offer the agent.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatJobResources } from '../../../engine/cluster/format';
import { jobAccelerators, JOB_CPUS_PER_NODE, nodeCapacity, submitJob } from '../../../engine/cluster/nodeOps';
import type { ClusterAccess } from '../../../engine/cluster/access';
import type { ClusterRecord } from '../../../engine/cluster/types';
import type { Provider } from '../../../engine/infra/provider';
import { JobDoesNotFitError } from '../../../engine/node/agentClient';
import type { ResourcesSpec, Task } from '../../../engine/task/types';
import { makeLocalCluster } from '../../helpers/localNodes';

function rec(accelerators?: { name: string; count: number }, cpus?: number): ClusterRecord {
  return {
    name: 'c',
    status: 'UP',
    handle: { clusterName: 'c', nameOnCloud: 'c-1', provider: 'aws', region: 'us-east-1', data: {} },
    resources: {
      cloud: 'aws',
      region: 'us-east-1',
      instanceType: 'p4d.24xlarge',
      accelerators,
      cpus,
      useSpot: false,
      diskSizeGb: 256,
      ports: [],
      pricePerHour: 10,
    },
    numNodes: 1,
    nodes: [],
    launchedAt: 0,
    accumulatedUpSeconds: 0,
  };
}

function task(base: ResourcesSpec = {}, candidates: ResourcesSpec[] = [], numNodes = 1): Task {
  return { numNodes, envs: {}, secrets: {}, fileMounts: {}, resources: { base, candidates, mode: candidates.length ? 'any_of' : 'single' }, raw: {} };
}

test('a job demands its own accelerators, not all of the cluster’s; none when it asks for none', () => {
  const eight = rec({ name: 'A100', count: 8 }, 96);
  assert.deepEqual(jobAccelerators(eight, task({ accelerators: [{ name: 'A100', count: 1 }] })), { name: 'A100', count: 1 });
  assert.equal(jobAccelerators(eight, task()), undefined);
  // A task accepting several: the one the cluster has.
  assert.deepEqual(jobAccelerators(eight, task({}, [{ accelerators: [{ name: 'H100', count: 2 }] }, { accelerators: [{ name: 'a100', count: 4 }] }])), {
    name: 'a100',
    count: 4,
  });
});

test("the queue's RESOURCES: the job's demand per node", () => {
  assert.equal(formatJobResources(1, { name: 'A100', count: 1 }, JOB_CPUS_PER_NODE), '1x[A100:1]');
  assert.equal(formatJobResources(2, undefined, JOB_CPUS_PER_NODE), '2x[CPU:0.5]');
});

test("each node's capacity for the agent: the cluster's GPUs and CPUs per node", () => {
  assert.deepEqual(nodeCapacity(rec({ name: 'A100', count: 8 }, 96)), { gpusPerNode: 8, cpusPerNode: 96 });
  assert.deepEqual(nodeCapacity(rec(undefined, undefined)), { gpusPerNode: 0, cpusPerNode: undefined });
});

test('submitJob on a real agent: the job carries its own demand; a node that was never told its GPUs is told once', { timeout: 120_000 }, async (t) => {
  const c = makeLocalCluster(1);
  t.after(c.cleanup);
  const node = c.nodes[0];
  const access = {
    provider: {} as Provider,
    nodes: [{ id: 'n0', rank: 0, state: 'running', internalIp: node.ip }],
    transports: [node.transport],
    head: node.transport,
    agent: c.agent,
    close: async () => undefined,
  } as ClusterAccess;
  const cluster = rec({ name: 'A100', count: 2 }, 8);
  // The agent has no capacity configured (0 GPUs): the first submit is refused, then configured and retried.
  const id = await submitJob(
    access,
    cluster,
    { ...task({ accelerators: [{ name: 'A100', count: 1 }] }), run: 'echo "cvd=$CUDA_VISIBLE_DEVICES"' },
    {},
    { withSetup: false },
  );
  let log = '';
  assert.equal(await c.agent.tail(id, { follow: true, onData: (s) => (log += s) }), 'SUCCEEDED');
  assert.match(log, /^cvd=0$/m);
  assert.equal((await c.agent.status(id))?.resources, '1x[A100:1]');
  // More than a node has: refused, even after telling the node what the cluster has.
  await assert.rejects(
    submitJob(access, cluster, { ...task({ accelerators: [{ name: 'A100', count: 4 }] }), run: 'echo never' }, {}, { withSetup: false }),
    JobDoesNotFitError,
  );
  assert.equal((await c.agent.queue()).length, 1);
});
