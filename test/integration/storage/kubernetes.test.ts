/**
 * MOUNT and MOUNT_CACHED storage on Kubernetes (the fake API server, whose pods are host
 * directories and processes) against moto's S3: the pods are created with FUSE access (a
 * privileged container, or the smarter-devices/fuse device with CAP_SYS_ADMIN where a node
 * offers it), rclone mounts the bucket inside the pod through the exec transport, writes land
 * in the bucket, `down` flushes MOUNT_CACHED writes before the pod goes, and no pod teardown
 * (SkyDeck's `down`, or a pod deleted from outside under a live mount) deletes an object.
 * A namespace whose Pod Security refuses that access fails the launch naming file_mounts.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { GetObjectCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { clusters, findCluster } from '../../../engine/cluster';
import { getStore } from '../../../engine/storage/stores';
import { FakeKubernetes } from '../../helpers/fakes/kubernetes';
import { mountsUnder } from '../../helpers/fakes/podDirs';
import type { MotoServer } from '../../helpers/moto';
import { requirePrerequisite } from '../../helpers/prerequisites';
import { fastAgent, freshHome } from '../cluster/helpers';
import { s3Endpoint, storagePrerequisites, taskOf } from './helpers';

requirePrerequisite(storagePrerequisites());
const SAVED_ENV = { ...process.env };
const s3 = () => getStore('s3');
const bucket = (name: string) => ({ store: 's3' as const, bucket: name, prefix: '' });

interface PodJson {
  metadata: { name: string; annotations?: Record<string, string> };
  spec: {
    nodeName?: string;
    containers: { securityContext?: { privileged?: boolean; capabilities?: { add?: string[] } }; resources?: { requests?: Record<string, string> } }[];
  };
}

describe('MOUNT / MOUNT_CACHED storage in Kubernetes pods (fake API server, moto S3, rclone, FUSE)', { concurrency: false, timeout: 600_000 }, () => {
  let env: ReturnType<typeof freshHome>;
  let moto: MotoServer;
  let fake: FakeKubernetes;
  let strict: FakeKubernetes;
  const clusterNames = ['k8s-mnt', 'k8s-cached', 'k8s-gone', 'k8s-strict'];

  before(async () => {
    env = freshHome();
    fastAgent(400);
    moto = await s3Endpoint();
    fake = await FakeKubernetes.start({ nodes: [{ name: 'n1', cpu: '8', memory: '32Gi' }] });
    strict = await FakeKubernetes.start({ nodes: [{ name: 's1' }], podSecurity: 'baseline' });
    const kubeconfig = fake.writeKubeconfig(path.join(env.home, 'kubeconfig'), [{ name: 'e2e' }, { name: 'strict', server: strict.url }]);
    process.env.KUBECONFIG = kubeconfig;
    fs.writeFileSync(path.join(env.home, 'config.yaml'), 'kubernetes:\n  allowed_contexts: all\n');
  });

  after(async () => {
    for (const name of clusterNames) await clusters.down(name).catch(() => undefined);
    await fake?.close();
    await strict?.close();
    assert.deepEqual([...(fake?.leftMounts ?? []), ...(strict?.leftMounts ?? [])], [], 'every pod mount was unmounted before its directory went');
    await moto?.stop();
    env?.cleanup();
    process.env = SAVED_ENV;
  });

  async function run(name: string, yaml: string): Promise<{ out: string; status?: string }> {
    let out = '';
    const r = await clusters.launch(taskOf(yaml), { clusterName: name, onOutput: (c) => (out += c) });
    return { out, status: r.jobStatus };
  }

  function podOf(cluster: string): PodJson {
    const pods = (fake.pods('default') as PodJson[]).filter((p) => p.metadata.name.startsWith(cluster));
    assert.equal(pods.length, 1, `one pod for ${cluster}: ${fake.pods('default').map((p) => (p as PodJson).metadata.name)}`);
    return pods[0];
  }

  async function objectText(bucketName: string, key: string): Promise<string> {
    const client = new S3Client({ endpoint: moto.url, region: 'us-east-1', forcePathStyle: true });
    try {
      const r = await client.send(new GetObjectCommand({ Bucket: bucketName, Key: key }));
      return await r.Body!.transformToString();
    } finally {
      client.destroy();
    }
  }

  test('MOUNT: the pod is privileged for FUSE; run writes through the mount inside the pod into the bucket; down keeps every object', async () => {
    const { out, status } = await run(
      'k8s-mnt',
      `resources:
  infra: k8s/e2e
file_mounts:
  ~/ckpt:
    name: k8s-mnt-bkt
    mode: MOUNT
run: |
  mkdir -p ~/ckpt/epoch1
  echo "weights from $HOSTNAME" > ~/ckpt/epoch1/model.txt
  echo "log line" > ~/ckpt/log.txt
  echo "listed: $(ls ~/ckpt | tr '\\n' ' ')"
`,
    );
    assert.equal(status, 'SUCCEEDED', out);
    assert.match(out, /listed: epoch1 log\.txt/);
    const pod = podOf('k8s-mnt');
    assert.equal(pod.spec.containers[0].securityContext?.privileged, true, 'a node without the FUSE device plugin: a privileged container');
    const podDir = fake.podDir('default', pod.metadata.name);
    assert.deepEqual(mountsUnder(podDir), [fs.realpathSync(path.join(podDir, 'ckpt'))], 'rclone mounted the bucket at the destination inside the pod');
    assert.deepEqual((await s3().list(bucket('k8s-mnt-bkt'))).sort(), ['epoch1/model.txt', 'log.txt']);
    assert.equal(await objectText('k8s-mnt-bkt', 'epoch1/model.txt'), `weights from ${pod.metadata.name}\n`);
    assert.doesNotMatch(fs.readFileSync(path.join(env.home, 'state', 'storage.json'), 'utf8'), /testing-secret-key|testing-key-id/);

    await clusters.down('k8s-mnt');
    assert.equal(fake.pods('default').length, 0);
    assert.equal(fs.existsSync(podDir), false, "the pod's directory is gone");
    assert.deepEqual(mountsUnder(fake.root), [], 'no mount left on the host');
    assert.deepEqual((await s3().list(bucket('k8s-mnt-bkt'))).sort(), ['epoch1/model.txt', 'log.txt'], 'the objects survive the teardown');
    assert.equal(await objectText('k8s-mnt-bkt', 'epoch1/model.txt'), `weights from ${pod.metadata.name}\n`);
  });

  test('MOUNT_CACHED on a node with the FUSE device plugin: the pod asks for smarter-devices/fuse and SYS_ADMIN; down returns once the write-back is in the bucket', async () => {
    // Only this node offers the device: the pod must land on it.
    fake.addNode({ name: 'n-fuse', cpu: '8', memory: '32Gi', extendedResources: { 'smarter-devices/fuse': '20' } });
    await s3().createBucket(bucket('k8s-cached-bkt'));
    const { out, status } = await run(
      'k8s-cached',
      `resources:
  infra: k8s/e2e
file_mounts:
  ~/cache:
    name: k8s-cached-bkt
    mode: MOUNT_CACHED
run: head -c 3000000 /dev/urandom > ~/cache/blob.bin && echo wrote
`,
    );
    assert.equal(status, 'SUCCEEDED', out);
    const pod = podOf('k8s-cached');
    const c = pod.spec.containers[0];
    assert.equal(pod.spec.nodeName, 'n-fuse');
    assert.equal(c.resources?.requests?.['smarter-devices/fuse'], '1');
    assert.deepEqual(c.securityContext?.capabilities?.add, ['SYS_ADMIN']);
    assert.equal(c.securityContext?.privileged, undefined, 'the device plugin gives /dev/fuse without privileges');
    assert.equal(pod.metadata.annotations?.['container.apparmor.security.beta.kubernetes.io/skydeck'], 'unconfined');
    const size = fs.statSync(path.join(fake.podDir('default', pod.metadata.name), 'cache', 'blob.bin')).size;

    await clusters.down('k8s-cached');
    assert.deepEqual(await s3().list(bucket('k8s-cached-bkt')), ['blob.bin'], 'the write-back reached the bucket before down returned');
    const client = new S3Client({ endpoint: moto.url, region: 'us-east-1', forcePathStyle: true });
    try {
      const head = await client.send(new HeadObjectCommand({ Bucket: 'k8s-cached-bkt', Key: 'blob.bin' }));
      assert.equal(head.ContentLength, size, 'the whole file, not a partial upload');
    } finally {
      client.destroy();
    }
    assert.deepEqual(mountsUnder(fake.root), []);
  });

  test('a pod deleted from outside under a live mount: the fake unmounts and never enters it; every object stays in the bucket', async () => {
    const { out, status } = await run(
      'k8s-gone',
      `resources:
  infra: k8s/e2e
file_mounts:
  ~/data:
    name: k8s-gone-bkt
    mode: MOUNT
run: |
  mkdir -p ~/data/deep/er
  for i in 1 2 3; do echo "obj $i" > ~/data/deep/er/f$i.txt; done
  echo top > ~/data/top.txt
`,
    );
    assert.equal(status, 'SUCCEEDED', out);
    const pod = podOf('k8s-gone');
    const podDir = fake.podDir('default', pod.metadata.name);
    const keys = ['deep/er/f1.txt', 'deep/er/f2.txt', 'deep/er/f3.txt', 'top.txt'];
    assert.deepEqual((await s3().list(bucket('k8s-gone-bkt'))).sort(), keys);
    assert.equal(mountsUnder(podDir).length, 1, 'the mount is live');

    // kubectl delete --force: no `skydeck down`, so nothing of SkyDeck unmounts first.
    // (A plain `rm -rf` of the pod directory here empties the bucket through the mount.)
    fake.removePod('default', pod.metadata.name);
    assert.deepEqual((await s3().list(bucket('k8s-gone-bkt'))).sort(), keys, 'the teardown deleted no object');
    assert.equal(await objectText('k8s-gone-bkt', 'deep/er/f2.txt'), 'obj 2\n');
    assert.equal(fs.existsSync(podDir), false, "the pod's directory is removed with the pod");
    assert.deepEqual(mountsUnder(fake.root), []);
    assert.deepEqual(fake.leftMounts, []);
    await clusters.down('k8s-gone');
    assert.equal(await findCluster('k8s-gone'), undefined);
  });

  test('a namespace enforcing baseline Pod Security: the launch fails naming file_mounts and what to change; no pod is left', async () => {
    await assert.rejects(
      run(
        'k8s-strict',
        `resources:
  infra: k8s/strict
file_mounts:
  ~/ckpt:
    name: k8s-strict-bkt
    mode: MOUNT
run: echo never
`,
      ),
      (e: Error) =>
        /file_mounts: MOUNT and MOUNT_CACHED storage need FUSE in the pods, and Kubernetes context 'strict' refuses a privileged container/.test(e.message) &&
        /violates PodSecurity "baseline:latest": privileged/.test(e.message),
    );
    assert.equal(strict.pods().length, 0);
    assert.equal(await findCluster('k8s-strict'), undefined);
  });
});
