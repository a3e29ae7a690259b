import { test } from 'node:test';
import assert from 'node:assert/strict';
import { controllerAutostop, controllerTask, LB_PORT_RANGE } from '../../../engine/controllers/resources';
import { controllerClusterName, controllerKindOf } from '../../../engine/controllers/names';

test("SkyPilot's controller defaults: a 4+ CPU node with a 50 GB disk; both controllers stop after 10 idle minutes", () => {
  const t = controllerTask('jobs', {}, 'sky-jobs-controller-00000000');
  assert.deepEqual([t.resources.base.cpus, t.resources.base.diskSizeGb], [{ value: 4, orMore: true }, 50]);
  assert.deepEqual(controllerAutostop('jobs', {}), { idleMinutes: 10, down: false });
  assert.deepEqual(controllerAutostop('serve', {}), { idleMinutes: 10, down: false });
  assert.equal(controllerAutostop('jobs', { jobs: { controller: { autostop: false } } }), undefined);
  assert.deepEqual(controllerAutostop('jobs', { jobs: { controller: { autostop: { idle_minutes: 3, down: true } } } }), { idleMinutes: 3, down: true });
});

test('<kind>.controller.resources replaces the defaults key by key; the serve controller opens the load balancer ports', () => {
  const t = controllerTask('serve', { serve: { controller: { resources: { infra: 'aws/us-east-1', cpus: 2, ports: 8443 } } } }, 'x');
  assert.deepEqual(t.resources.base.infra, { cloud: 'aws', region: 'us-east-1' });
  assert.equal(t.resources.base.cpus?.value, 2);
  assert.deepEqual(t.resources.base.ports, ['8443', LB_PORT_RANGE]);
  assert.throws(
    () => controllerTask('jobs', { jobs: { controller: { resources: { cpus: 'lots' } } } }, 'x'),
    /jobs\.controller\.resources is not a valid resources block/,
  );
  assert.throws(() => controllerTask('jobs', { jobs: { controller: { resources: 'big' } } }, 'x'), /must be a mapping/);
});

test("controller clusters are named as SkyPilot's, per user, and recognised", () => {
  const n = controllerClusterName('jobs', 'alice');
  assert.match(n, /^sky-jobs-controller-[0-9a-f]{8}$/);
  assert.equal(n, controllerClusterName('jobs', 'alice'));
  assert.notEqual(n, controllerClusterName('jobs', 'bob'));
  assert.equal(controllerKindOf(controllerClusterName('serve', 'alice')), 'serve');
  assert.equal(controllerKindOf('my-cluster'), undefined);
});
