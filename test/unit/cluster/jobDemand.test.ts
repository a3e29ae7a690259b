/**
 * What a job submitted to a cluster demands (its own accelerators, not the cluster's), what
 * the queue shows for it, and the capacity the cluster's nodes offer the agent.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatJobResources } from '../../../engine/cluster/format';
import { jobAccelerators, JOB_CPUS_PER_NODE, nodeCapacity } from '../../../engine/cluster/nodeOps';
import type { ClusterRecord } from '../../../engine/cluster/types';
import type { ResourcesSpec, Task } from '../../../engine/task/types';

function rec(accelerators?: { name: string; count: number }, cpus?: number): ClusterRecord {
  return {
    name: 'c',
    status: 'UP',
    handle: { clusterName: 'c', nameOnCloud: 'c-1', provider: 'aws', region: 'us-east-1', data: {} },
    resources: { cloud: 'aws', region: 'us-east-1', instanceType: 'p4d.24xlarge', accelerators, cpus, useSpot: false, diskSizeGb: 256, ports: [], pricePerHour: 10 },
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
  assert.deepEqual(jobAccelerators(eight, task({}, [{ accelerators: [{ name: 'H100', count: 2 }] }, { accelerators: [{ name: 'a100', count: 4 }] }])), { name: 'a100', count: 4 });
});

test("the queue's RESOURCES: the job's demand per node", () => {
  assert.equal(formatJobResources(1, { name: 'A100', count: 1 }, JOB_CPUS_PER_NODE), '1x[A100:1]');
  assert.equal(formatJobResources(2, undefined, JOB_CPUS_PER_NODE), '2x[CPU:0.5]');
});

test("each node's capacity for the agent: the cluster's GPUs and CPUs per node", () => {
  assert.deepEqual(nodeCapacity(rec({ name: 'A100', count: 8 }, 96)), { gpusPerNode: 8, cpusPerNode: 96 });
  assert.deepEqual(nodeCapacity(rec(undefined, undefined)), { gpusPerNode: 0, cpusPerNode: undefined });
});
