/**
 * Buckets on `local` clusters against moto's S3: URIs copied onto every node, storage objects
 * created, uploaded (honouring .skyignore), mounted with writes landing in the bucket,
 * MOUNT_CACHED flushed by `down`, non-persistent buckets deleted only when SkyDeck made them,
 * and bad input refused before anything exists.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { clusters, findCluster } from '../../../engine/cluster';
import { getStore } from '../../../engine/storage/stores';
import { listStorage } from '../../../engine/storage/records';
import type { MotoServer } from '../../helpers/moto';
import { requirePrerequisite } from '../../helpers/prerequisites';
import { fastAgent, freshHome } from '../cluster/helpers';
import { s3Endpoint, storagePrerequisites, taskOf } from './helpers';

requirePrerequisite(storagePrerequisites());
const s3 = () => getStore('s3');
const bucket = (name: string, prefix = '') => ({ store: 's3' as const, bucket: name, prefix });

describe('storage on local clusters (moto S3, rclone, FUSE)', { concurrency: false }, () => {
  let env: ReturnType<typeof freshHome>;
  let moto: MotoServer;
  before(async () => {
    env = freshHome();
    fastAgent(400);
    moto = await s3Endpoint();
  });
  after(async () => {
    for (const name of ['st-uri', 'st-mount', 'st-cached', 'st-bad', 'st-tool']) await clusters.down(name).catch(() => undefined);
    await moto.stop();
    env.cleanup();
  });

  async function run(name: string, yaml: string): Promise<{ out: string; status?: string }> {
    let out = '';
    const r = await clusters.launch(taskOf(yaml), { clusterName: name, onOutput: (c) => (out += c) });
    return { out, status: r.jobStatus };
  }

  test('cloud URIs (a prefix and one object) are on every node before setup', async () => {
    await s3().createBucket(bucket('st-src'));
    const src = path.join(env.home, 'src');
    fs.mkdirSync(path.join(src, 'data', 'sub'), { recursive: true });
    fs.writeFileSync(path.join(src, 'data', 'a.txt'), 'alpha');
    fs.writeFileSync(path.join(src, 'data', 'sub', 'b.txt'), 'beta');
    fs.writeFileSync(path.join(src, 'single.txt'), 'one');
    await s3().upload(bucket('st-src'), src, ['data/a.txt', 'data/sub/b.txt', 'single.txt']);
    const { out, status } = await run(
      'st-uri',
      `num_nodes: 2
resources:
  infra: local
file_mounts:
  ~/data: s3://st-src/data
  ~/one.txt: s3://st-src/single.txt
setup: echo "setup sees $(cat ~/data/a.txt)"
run: echo "rank $SKYPILOT_NODE_RANK $(cat ~/data/a.txt ~/data/sub/b.txt ~/one.txt)"
`,
    );
    assert.equal(status, 'SUCCEEDED', out);
    assert.match(out, /setup sees alpha/);
    assert.match(out, /rank 0 alphabetaone/);
    assert.match(out, /rank 1 alphabetaone/);
  });

  test('a storage object: bucket created, local source uploaded minus .skyignore, MOUNT writes land in the bucket, deleted on down (persistent: false)', async () => {
    const src = path.join(env.home, 'ckpt-src');
    fs.mkdirSync(path.join(src, 'skip'), { recursive: true });
    fs.writeFileSync(path.join(src, 'keep.txt'), 'kept');
    fs.writeFileSync(path.join(src, 'skip', 'x.bin'), 'x');
    fs.writeFileSync(path.join(src, '.skyignore'), 'skip/\n');
    const { out, status } = await run(
      'st-mount',
      `num_nodes: 2
resources:
  infra: local
file_mounts:
  ~/ckpt:
    name: st-mount-bkt
    source: ${src}
    mode: MOUNT
    persistent: false
run: |
  echo "rank $SKYPILOT_NODE_RANK reads $(cat ~/ckpt/keep.txt)"
  echo "from $SKYPILOT_NODE_RANK" > ~/ckpt/out-$SKYPILOT_NODE_RANK.txt
`,
    );
    assert.equal(status, 'SUCCEEDED', out);
    assert.match(out, /rank 0 reads kept/);
    assert.match(out, /rank 1 reads kept/);
    const keys = (await s3().list(bucket('st-mount-bkt'))).sort();
    assert.deepEqual(keys, ['.skyignore', 'keep.txt', 'out-0.txt', 'out-1.txt']);
    const [rec] = (await listStorage()).filter((r) => r.name === 'st-mount-bkt');
    assert.deepEqual(
      [rec.store, rec.mode, rec.persistent, rec.createdBySkydeck, rec.status, rec.clusters],
      ['s3', 'MOUNT', false, true, 'READY', ['st-mount']],
    );
    assert.doesNotMatch(fs.readFileSync(path.join(env.home, 'state', 'storage.json'), 'utf8'), /testing-secret-key|testing-key-id/);
    await clusters.down('st-mount');
    assert.equal(await s3().bucketExists(bucket('st-mount-bkt')), false, 'persistent: false bucket SkyDeck created is deleted');
    assert.equal(
      (await listStorage()).some((r) => r.name === 'st-mount-bkt'),
      false,
    );
    assert.deepEqual(
      fs.readdirSync(path.join(env.home, 'mounts')).filter((e) => !e.endsWith('.owner')),
      [],
      'no mount left behind',
    );
  });

  test('MOUNT_CACHED: down waits until the written files are uploaded; a bucket SkyDeck did not create survives persistent: false', async () => {
    await s3().createBucket(bucket('st-users-own'));
    const { out, status } = await run(
      'st-cached',
      `resources:
  infra: local
file_mounts:
  ~/cache:
    name: st-users-own
    mode: MOUNT_CACHED
    persistent: false
run: head -c 300000 /dev/urandom > ~/cache/blob.bin && echo wrote
`,
    );
    assert.equal(status, 'SUCCEEDED', out);
    await clusters.down('st-cached');
    assert.deepEqual(await s3().list(bucket('st-users-own')), ['blob.bin'], 'the write-back reached the bucket before the node went');
    assert.equal(await s3().bucketExists(bucket('st-users-own')), true, 'not created by SkyDeck: never deleted');
  });

  test('a node without rclone: the launch fails naming the missing tool', async () => {
    // Every command of this machine but rclone (the local node's processes inherit this PATH).
    const bin = path.join(env.home, 'bin-without-rclone');
    fs.mkdirSync(bin);
    for (const dir of ['/usr/local/bin', '/usr/bin', '/usr/sbin']) {
      if (!fs.existsSync(dir)) continue;
      for (const f of fs.readdirSync(dir)) if (f !== 'rclone' && !fs.existsSync(path.join(bin, f))) fs.symlinkSync(path.join(dir, f), path.join(bin, f));
    }
    const savedPath = process.env.PATH;
    process.env.PATH = bin;
    try {
      await s3().createBucket(bucket('st-no-tool'));
      await assert.rejects(
        run('st-tool', 'resources:\n  infra: local\nfile_mounts:\n  ~/d: s3://st-no-tool\nrun: echo\n'),
        (e: Error) => e.name === 'MountToolMissingError' && /rclone is not installed on local node 0/.test(e.message),
      );
    } finally {
      process.env.PATH = savedPath;
      await clusters.down('st-tool').catch(() => undefined);
    }
  });

  test('bad input is refused before provisioning, naming the field; nothing is left behind', async () => {
    const cases: [string, RegExp][] = [
      ['  ~/d: s3://st-no-such-bucket/x\n', /file_mounts\.~\/d: bucket s3:\/\/st-no-such-bucket does not exist/],
      ['  ~/d: foo://b/x\n', /file_mounts\.~\/d: unknown scheme foo:\/\//],
      ['  ~/d:\n    name: Not_A_Bucket\n', /file_mounts\.~\/d\.name: .*Not_A_Bucket/],
      [`  ~/d:\n    name: st-never-made\n    source: ${path.join(env.home, 'nope')}\n`, /file_mounts\.~\/d\.source: local path .*nope does not exist/],
    ];
    for (const [mounts, message] of cases) {
      await assert.rejects(run('st-bad', `resources:\n  infra: local\nfile_mounts:\n${mounts}run: echo\n`), message);
      assert.equal(await findCluster('st-bad'), undefined, 'no cluster');
    }
    assert.equal(await s3().bucketExists(bucket('st-never-made')), false, 'no bucket');
    assert.equal(fs.existsSync(path.join(env.home, 'local')) && fs.readdirSync(path.join(env.home, 'local')).some((d) => d.startsWith('st-bad')), false);
  });
});
