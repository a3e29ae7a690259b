/** The volume YAML reader, where volumes can live, the pod's volumes, and the task checks that need no infra. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseVolumeSize, parseVolumeYaml } from '../../../engine/volumes/spec';
import { checkVolumeInfra, volumeNameOnInfra } from '../../../engine/volumes/infra';
import { taskVolumeRefs } from '../../../engine/volumes/launch';
import { buildPod, podVolumes } from '../../../engine/infra/kubernetes/podSpec';
import { buildTask } from '../../../engine/task/build';
import { unsupportedFieldWarnings } from '../../../engine/task/unsupported';
import { corpusDir } from '../../helpers/shared';

test("SkyPilot's volume YAMLs from the corpus are read as written", () => {
  const dir = path.join(corpusDir(), 'not-tasks', 'llm');
  const files = [
    'train-eval-jobgroup/train-eval-ckpts-volume.yaml',
    'rl-code-execution-sandbox/rl-code-volume.yaml',
    'rl-post-training-jobgroup/rlhf-policy-volume.yaml',
  ];
  for (const f of files) {
    const spec = parseVolumeYaml(fs.readFileSync(path.join(dir, f), 'utf8'), f);
    assert.equal(spec.type, 'k8s-pvc');
    assert.deepEqual(spec.infra, { cloud: 'kubernetes', region: undefined });
    assert.equal(spec.config.accessMode, 'ReadWriteMany');
    assert.ok(spec.sizeGi! >= 10);
  }
});

test('sizes: Gi by default, Mi/Ti and SI suffixes; nonsense refused', () => {
  assert.equal(parseVolumeSize('10Gi'), 10);
  assert.equal(parseVolumeSize(100), 100);
  assert.equal(parseVolumeSize('1Ti'), 1024);
  assert.equal(parseVolumeSize('512Mi'), 0.5);
  assert.equal(parseVolumeSize('lots'), undefined);
  assert.equal(parseVolumeSize('0'), undefined);
});

test('every problem names the file, line and field', () => {
  const cases: [string, RegExp][] = [
    ['type: k8s-pvc\nsize: 1\n', /^v\.yaml:1: name: is required/],
    ['name: Bad_Name\ntype: k8s-pvc\nsize: 1\n', /^v\.yaml:1: name: 'Bad_Name' must be lowercase/],
    ['name: a\ntype: nfs\nsize: 1\n', /^v\.yaml:2: type: 'nfs' is not one of k8s-pvc, runpod-network-volume/],
    ['name: a\ntype: k8s-pvc\n', /^v\.yaml:1: size: is required unless use_existing/],
    ['name: a\ntype: k8s-pvc\nsize: 1\ninfra: nocloud\n', /^v\.yaml:4: infra: Invalid infra 'nocloud'/],
    ['name: a\ntype: k8s-pvc\nsize: 1\nconfig:\n  access_mode: ReadWriteAll\n', /^v\.yaml:5: config\.access_mode: 'ReadWriteAll' is not one of/],
    ['name: a\ntype: k8s-pvc\nsize: 1\nconfig:\n  volume_mode: Block\n', /^v\.yaml:5: config\.volume_mode: is not a k8s-pvc setting/],
    ['name: a\ntype: k8s-pvc\nsize: 1\nregion: x\n', /^v\.yaml:4: region: unknown field/],
  ];
  for (const [text, re] of cases)
    assert.throws(
      () => parseVolumeYaml(text, 'v.yaml'),
      (e: Error) => re.test(e.message),
      text,
    );
});

test('k8s-pvc lives on Kubernetes, SSH pools and local; elsewhere (and runpod) the infra or type is refused', () => {
  for (const cloud of ['kubernetes', 'ssh', 'local']) checkVolumeInfra({ name: 'v', type: 'k8s-pvc', infra: { cloud } });
  assert.throws(() => checkVolumeInfra({ name: 'v', type: 'k8s-pvc', infra: { cloud: 'aws' } }), /infra: a k8s-pvc volume cannot live on aws/);
  assert.throws(
    () => checkVolumeInfra({ name: 'v', type: 'runpod-network-volume', infra: { cloud: 'runpod' } }),
    /type: runpod-network-volume volumes need RunPod/,
  );
  assert.match(volumeNameOnInfra('ckpt', 'alice'), /^ckpt-[0-9a-f]{6}$/);
  assert.notEqual(volumeNameOnInfra('ckpt', 'alice'), volumeNameOnInfra('ckpt', 'bob'));
});

test("the task's volumes: names, {name, sub_path}; ephemeral volumes and VM clouds are errors before any plan", () => {
  const t = buildTask({ volumes: { '/a': 'va', '/b': { name: 'vb', sub_path: 'x/y' } }, run: 'true' });
  assert.deepEqual(taskVolumeRefs(t), [
    { mountPath: '/a', name: 'va' },
    { mountPath: '/b', name: 'vb', subPath: 'x/y' },
  ]);
  const eph = buildTask({ volumes: { '/tmp/cache': { size: '10Gi' } }, run: 'true' });
  assert.throws(() => taskVolumeRefs(eph), /volumes\.\/tmp\/cache: ephemeral volumes/);
  assert.equal(unsupportedFieldWarnings(eph, 'kubernetes').find((f) => f.field === 'volumes')?.severity, 'error');
  const onAws = unsupportedFieldWarnings(t, 'aws').find((f) => f.field === 'volumes');
  assert.equal(onAws?.severity, 'error');
  assert.match(onAws!.message, /cannot be mounted on aws/);
  for (const infra of [undefined, 'kubernetes', 'ssh', 'local'])
    assert.equal(
      unsupportedFieldWarnings(t, infra).find((f) => f.field === 'volumes'),
      undefined,
    );
});

test('pods mount each claim once as a volume, at every path asked (subPath kept)', () => {
  const v = podVolumes([
    { mountPath: '/ckpt', claimName: 'c-1' },
    { mountPath: '/logs', claimName: 'c-1', subPath: 'logs' },
    { mountPath: '/data', claimName: 'd-2', readOnly: true },
  ]);
  assert.deepEqual(v.volumes, [
    { name: 'skydeck-vol-0', persistentVolumeClaim: { claimName: 'c-1' } },
    { name: 'skydeck-vol-1', persistentVolumeClaim: { claimName: 'd-2' } },
  ]);
  assert.deepEqual(v.mounts[1], { name: 'skydeck-vol-0', mountPath: '/logs', subPath: 'logs' });
  assert.equal(v.mounts[2].readOnly, true);
  const pod = buildPod({
    name: 'p-head',
    namespace: 'default',
    nameOnCloud: 'p',
    clusterName: 'p',
    rank: 0,
    shape: { cpus: 1, memoryGb: 1 },
    image: 'img',
    gpuResourceKey: 'nvidia.com/gpu',
    gpuAffinity: [],
    ports: [],
    userLabels: {},
    sshPublicKey: 'k',
    volumes: [{ mountPath: '/ckpt', claimName: 'c-1' }],
  });
  assert.equal(pod.spec!.volumes![0].persistentVolumeClaim!.claimName, 'c-1');
  assert.equal(pod.spec!.containers[0].volumeMounts![0].mountPath, '/ckpt');
});
