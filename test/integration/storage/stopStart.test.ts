/**
 * `stop` and `start` of a cluster with bucket mounts (local infra, moto S3): stop waits until
 * MOUNT_CACHED writes are in the bucket and takes the FUSE mounts down, as `down` does and as
 * SkyPilot flushes before stopping; start brings the mounts back, reading what the bucket holds.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { clusters } from '../../../engine/cluster';
import { clusterMountsSync } from '../../../engine/storage/records';
import { getStore } from '../../../engine/storage/stores';
import type { MotoServer } from '../../helpers/moto';
import { requirePrerequisite } from '../../helpers/prerequisites';
import { fastAgent, freshHome } from '../cluster/helpers';
import { s3Endpoint, storagePrerequisites, taskOf } from './helpers';

requirePrerequisite(storagePrerequisites());
const ref = (key = '') => ({ store: 's3' as const, bucket: 'st-stop-bkt', prefix: key });

/** FUSE mounts of this machine (local nodes' mounts live in SKYDECK_HOME/mounts). */
function mountedUnder(dir: string): string[] {
  const r = spawnSync('findmnt', ['-rn', '-o', 'TARGET'], { encoding: 'utf8' });
  return r.stdout.split('\n').filter((t) => t.startsWith(dir));
}

describe('stop flushes and unmounts bucket mounts; start mounts them again', { concurrency: false }, () => {
  let env: ReturnType<typeof freshHome>;
  let moto: MotoServer;
  before(async () => {
    env = freshHome();
    fastAgent(400);
    moto = await s3Endpoint();
  });
  after(async () => {
    await clusters.down('st-stop').catch(() => undefined);
    await moto.stop();
    env.cleanup();
  });

  test('MOUNT_CACHED writes are in the bucket once stop returns; start reads the bucket through the mount again', async () => {
    let out = '';
    const r = await clusters.launch(
      taskOf(`resources:
  infra: local
file_mounts:
  ~/cache:
    name: st-stop-bkt
    mode: MOUNT_CACHED
run: head -c 400000 /dev/urandom > ~/cache/written.bin && echo wrote
`),
      { clusterName: 'st-stop', onOutput: (c) => (out += c) },
    );
    assert.equal(r.jobStatus, 'SUCCEEDED', out);
    assert.ok(mountedUnder(env.home).length > 0, 'mounted while UP');

    await clusters.stop('st-stop');
    const keys = await getStore('s3').list(ref());
    assert.deepEqual(keys, ['written.bin'], 'the write-back reached the bucket before the node stopped');
    assert.deepEqual(mountedUnder(env.home), [], 'no FUSE mount left by stop');
    assert.equal(clusterMountsSync('st-stop').length, 1, 'the mount is remembered for start');

    // Written while the cluster is stopped: visible through the mount once it is back.
    const scratch = `${env.home}/scratch`;
    spawnSync('bash', ['-c', `mkdir -p ${scratch} && echo while-stopped > ${scratch}/later.txt`]);
    await getStore('s3').upload(ref(), scratch, ['later.txt']);
    await clusters.start('st-stop');
    assert.ok(mountedUnder(env.home).length > 0, 'mounted again after start');
    let execOut = '';
    const e = await clusters.exec('st-stop', taskOf('run: cat ~/cache/later.txt && stat -c %s ~/cache/written.bin\n'), { onOutput: (c) => (execOut += c) });
    assert.equal(e.jobStatus, 'SUCCEEDED', execOut);
    assert.match(execOut, /while-stopped/);
    assert.match(execOut, /400000/);
  });
});
