// An any_of / ordered item's own fields (image_id, ports, disk, labels) reach the provider.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { launchRequest } from '../../../engine/cluster/provision';
import { parseTaskText } from '../../../engine/task/load';
import type { Candidate } from '../../../engine/optimizer/types';

const TASK = `
resources:
  disk_size: 100
  labels: {team: ml}
  any_of:
    - infra: aws
      image_id: ami-0123456789abcdef0
      ports: 8080
      disk_size: 500
      disk_tier: high
      labels: {item: first}
    - infra: gcp
run: echo hi
`;

const opts = { clusterName: 'c', nameOnCloud: 'c-1', enabledInfra: ['aws', 'gcp'], sshPublicKey: 'k' };

function candidate(cloud: string, resourcesIndex: number | undefined): Candidate {
  return {
    infra: `${cloud}/r1`,
    cloud,
    region: 'r1',
    instanceType: 't',
    accelerators: null,
    spot: false,
    nodes: 1,
    pricePerHour: 1,
    costPerHour: 1,
    resourcesIndex,
  };
}

test('the chosen any_of item keeps its own image_id, ports, disk and labels (merged over the shared ones)', () => {
  const task = parseTaskText(TASK).taskFile!.tasks[0];
  const first = launchRequest(task, candidate('aws', 0), opts);
  assert.equal(first.imageId, 'ami-0123456789abcdef0');
  assert.deepEqual(first.ports, ['8080']);
  assert.equal(first.diskSizeGb, 500);
  assert.equal(first.diskTier, 'high');
  assert.deepEqual(first.labels, { team: 'ml', item: 'first' });

  const second = launchRequest(task, candidate('gcp', 1), opts);
  assert.equal(second.imageId, undefined);
  assert.deepEqual(second.ports, []);
  assert.equal(second.diskSizeGb, 100);
  assert.deepEqual(second.labels, { team: 'ml' });
});

test('a single-resources task still uses its resources', () => {
  const task = parseTaskText('resources: {disk_size: 64, ports: [9000]}\nrun: x\n').taskFile!.tasks[0];
  const req = launchRequest(task, candidate('aws', undefined), opts);
  assert.equal(req.diskSizeGb, 64);
  assert.deepEqual(req.ports, ['9000']);
});
