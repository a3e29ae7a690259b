/**
 * Volumes on Kubernetes (the fake API server): `volumes apply` creates the PVC through the
 * provider with SkyPilot's config keys; a task naming the volume is pinned to its context and
 * its pods mount the claim; `use_existing` adopts a PVC; delete removes only what SkyDeck made.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { FakeKubernetes } from '../../helpers/fakes/kubernetes';
import { fastAgent, freshHome } from '../cluster/helpers';
import { clusters } from '../../../engine/cluster';
import { buildTask } from '../../../engine/task/build';
import { parseVolumeYaml } from '../../../engine/volumes/spec';
import { applyVolume, deleteVolume, listVolumes } from '../../../engine/volumes/manage';

const SAVED_ENV = { ...process.env };

describe('volumes on Kubernetes (fake API server)', { concurrency: false, timeout: 300_000 }, () => {
  let fake: FakeKubernetes;
  let env: ReturnType<typeof freshHome>;

  before(async () => {
    env = freshHome();
    fastAgent(400);
    fake = await FakeKubernetes.start({ nodes: [{ name: 'n1', cpu: '8', memory: '32Gi' }] });
    process.env.KUBECONFIG = fake.writeKubeconfig(path.join(env.home, 'kubeconfig'), [{ name: 'e2e' }]);
  });

  after(async () => {
    for (const name of ['kv1', 'kv2', 'kv3']) await clusters.down(name).catch(() => undefined);
    await fake?.close();
    env?.cleanup();
    process.env = SAVED_ENV;
  });

  test('apply creates the PVC; the task is pinned to its context and its pod mounts it; delete removes it', async () => {
    const rec = await applyVolume(
      parseVolumeYaml(
        'name: train-ckpts\ntype: k8s-pvc\nsize: 10Gi\ninfra: kubernetes\nlabels:\n  team: ml\nconfig:\n  access_mode: ReadWriteMany\n  storage_class_name: fast\n',
      ),
    );
    assert.equal(rec.infra, 'kubernetes/e2e');
    const [pvc] = fake.persistentVolumeClaims('default');
    assert.equal(pvc.metadata.name, rec.nameOnInfra);
    assert.deepEqual(pvc.spec.accessModes, ['ReadWriteMany']);
    assert.equal(pvc.spec.resources.requests.storage, '10Gi');
    assert.equal(pvc.spec.storageClassName, 'fast');
    assert.equal(pvc.metadata.labels.team, 'ml');

    let out = '';
    const r = await clusters.launch(
      buildTask({ volumes: { '/checkpoints': 'train-ckpts', '/logs': { name: 'train-ckpts', sub_path: 'logs' } }, run: 'echo ok' }),
      {
        clusterName: 'kv1',
        onOutput: (c) => (out += c),
      },
    );
    assert.equal(r.jobStatus, 'SUCCEEDED', out);
    assert.equal(r.cluster.resources.cloud, 'kubernetes');
    const [pod] = fake.pods('default');
    assert.deepEqual(pod.spec.volumes, [{ name: 'skydeck-vol-0', persistentVolumeClaim: { claimName: rec.nameOnInfra } }]);
    assert.deepEqual(pod.spec.containers[0].volumeMounts, [
      { name: 'skydeck-vol-0', mountPath: '/checkpoints' },
      { name: 'skydeck-vol-0', mountPath: '/logs', subPath: 'logs' },
    ]);
    assert.equal((await listVolumes())[0].status, 'IN_USE');
    await assert.rejects(deleteVolume('train-ckpts'), /in use by cluster\(s\) kv1/);
    await clusters.down('kv1');
    await deleteVolume('train-ckpts');
    assert.equal(fake.persistentVolumeClaims('default').length, 0);
  });

  test('use_existing adopts a PVC and delete leaves it; a missing one or a relative mount path is an error', async () => {
    await assert.rejects(applyVolume(parseVolumeYaml('name: theirs\ntype: k8s-pvc\ninfra: k8s/e2e\nuse_existing: true\n')), /use_existing: no PVC 'theirs'/);
    await applyVolume(parseVolumeYaml('name: theirs-src\ntype: k8s-pvc\ninfra: k8s/e2e\nsize: 1Gi\nuse_existing: false\n'));
    const made = fake.persistentVolumeClaims('default')[0].metadata.name as string;
    const adopted = await applyVolume(parseVolumeYaml(`name: ${made}\ntype: k8s-pvc\ninfra: k8s/e2e\nuse_existing: true\n`));
    assert.equal(adopted.nameOnInfra, made);
    assert.equal(adopted.sizeGi, 1);
    await assert.rejects(
      clusters.launch(buildTask({ volumes: { data: made }, run: 'true' }), { clusterName: 'kv2' }),
      /volumes\.data: a Kubernetes volume needs an absolute mount path/,
    );
    // A cluster launched without the claim cannot gain it: exec says so instead of running without the data.
    const plain = await clusters.launch(buildTask({ resources: { infra: 'k8s/e2e' }, run: 'true' }), { clusterName: 'kv3' });
    assert.equal(plain.jobStatus, 'SUCCEEDED');
    await assert.rejects(
      clusters.exec('kv3', buildTask({ volumes: { '/data': made }, run: 'ls /data' })),
      /volumes\.\/data: cluster 'kv3' was launched without volume/,
    );
    await clusters.down('kv3');
    await deleteVolume(made);
    assert.equal(fake.persistentVolumeClaims('default').length, 1, 'an adopted PVC is only forgotten');
    await deleteVolume('theirs-src');
    assert.equal(fake.persistentVolumeClaims('default').length, 0);
  });
});
