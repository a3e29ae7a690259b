/** What a pod of a task with MOUNT / MOUNT_CACHED storage asks for (podSpec.ts grantFuseAccess), and when a task needs it. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildPod, grantFuseAccess, type PodRequest } from '../../../engine/infra/kubernetes/podSpec';
import { fuseRefused } from '../../../engine/infra/kubernetes/errors';
import { requiresFuse } from '../../../engine/storage/spec';
import { parseTaskText } from '../../../engine/task/load';

const request = (podConfig?: PodRequest['podConfig']): PodRequest => ({
  name: 'c-head',
  namespace: 'ns',
  nameOnCloud: 'c',
  clusterName: 'c',
  rank: 0,
  shape: { cpus: 2, memoryGb: 4, accelerator: { name: 'T4', count: 1 } },
  image: 'img',
  gpuResourceKey: 'nvidia.com/gpu',
  gpuAffinity: [],
  ports: [],
  userLabels: {},
  sshPublicKey: 'ssh-ed25519 K',
  podConfig,
});

test('privileged: the container is privileged, nothing else changes', () => {
  const p = grantFuseAccess(buildPod(request()), 'privileged');
  const c = p.spec!.containers[0];
  assert.deepEqual(c.securityContext, { privileged: true });
  assert.deepEqual(c.resources?.limits, { 'nvidia.com/gpu': '1' });
  assert.equal(p.metadata?.annotations, undefined);
});

test("device plugin: SkyPilot's smarter-devices/fuse request and limit, CAP_SYS_ADMIN, AppArmor unconfined; GPUs and the user's capabilities kept", () => {
  const p = grantFuseAccess(
    buildPod(request({ spec: { containers: [{ securityContext: { capabilities: { add: ['NET_ADMIN'] } } }] }, metadata: { annotations: { a: 'b' } } })),
    'device-plugin',
  );
  const c = p.spec!.containers[0];
  assert.deepEqual(c.resources?.requests, { cpu: '2', memory: '4Gi', 'nvidia.com/gpu': '1', 'smarter-devices/fuse': '1' });
  assert.deepEqual(c.resources?.limits, { 'nvidia.com/gpu': '1', 'smarter-devices/fuse': '1' });
  assert.deepEqual(c.securityContext?.capabilities?.add, ['NET_ADMIN', 'SYS_ADMIN']);
  assert.equal(c.securityContext?.privileged, undefined);
  assert.deepEqual(p.metadata?.annotations, { 'container.apparmor.security.beta.kubernetes.io/skydeck': 'unconfined', a: 'b' });
});

test('pod_config that sets privileged: false explicitly is kept (the mount then fails on the pod, naming /dev/fuse)', () => {
  const p = grantFuseAccess(buildPod(request({ spec: { containers: [{ securityContext: { privileged: false } }] } })), 'privileged');
  assert.equal(p.spec!.containers[0].securityContext?.privileged, false);
});

test("requires_fuse: a storage object in mode MOUNT (the default) or MOUNT_CACHED; COPY and URI strings don't", () => {
  const task = (mounts: string) => parseTaskText(`file_mounts:\n${mounts}run: x\n`).taskFile!.tasks[0];
  assert.equal(requiresFuse(task('  /d: s3://b/x\n')), false);
  assert.equal(requiresFuse(task('  /d:\n    name: b\n    mode: COPY\n')), false);
  assert.equal(requiresFuse(task('  /d:\n    name: b\n')), true);
  assert.equal(requiresFuse(task('  /d:\n    name: b\n    mode: mount_cached\n')), true);
  assert.equal(requiresFuse(task('  /local: ./dir\n')), false);
});

test("a namespace's Pod Security refusal becomes a config error naming file_mounts; other 403s are not", () => {
  const forbidden = (message: string) => ({ code: 403, body: JSON.stringify({ kind: 'Status', message }) });
  const e = fuseRefused(
    forbidden(
      'pods "c-head" is forbidden: violates PodSecurity "baseline:latest": privileged (container "skydeck" must not set securityContext.privileged=true)',
    ),
    'ctx',
    'privileged',
  );
  assert.equal(e?.kind, 'config');
  assert.match(e!.message, /^file_mounts: MOUNT and MOUNT_CACHED storage need FUSE in the pods, and Kubernetes context 'ctx' refuses a privileged container/);
  assert.match(e!.hint ?? '', /pod-security\.kubernetes\.io\/enforce=privileged.*smarter-device-manager.*mode: COPY/);
  assert.equal(fuseRefused(forbidden('pods is forbidden: User "u" cannot create resource "pods"'), 'ctx', 'privileged'), undefined);
  assert.equal(fuseRefused({ code: 422, body: '{}' }, 'ctx', 'privileged'), undefined);
});
