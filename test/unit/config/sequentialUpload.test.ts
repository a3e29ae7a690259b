/**
 * `data.mount_cached.sequential_upload`: true gives MOUNT_CACHED mounts rclone's
 * `--transfers 1` (SkyPilot's mounting_utils), so written files are uploaded one at a time;
 * unset or false keeps parallel uploads. Checked on the script the node runs.
 */
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { setActiveConfig } from '../../../engine/config';
import { mountCachedTransfers } from '../../../engine/storage/mountCachedConfig';
import { mountScript } from '../../../engine/storage/node/commands';

afterEach(() => setActiveConfig(undefined));

const rcloneLine = (script: string) => script.split('\n').find((l) => l.includes(' mount '))!;

test('sequential_upload: true uploads one file at a time; unset or false keeps rclone parallel', () => {
  assert.equal(mountCachedTransfers(), undefined);
  setActiveConfig({ data: { mount_cached: { sequential_upload: false } } });
  assert.equal(mountCachedTransfers(), undefined);
  setActiveConfig({ data: { mount_cached: { sequential_upload: true } } });
  assert.equal(mountCachedTransfers(), 1);
  const sequential = rcloneLine(mountScript({ dst: '/ckpt', mode: 'MOUNT_CACHED', remotePath: 'b', stateDir: '/s', transfers: mountCachedTransfers() }));
  assert.match(sequential, /--vfs-cache-mode full .*--transfers 1 /);
  assert.doesNotMatch(sequential, /--transfers 8/);
  const parallel = rcloneLine(mountScript({ dst: '/ckpt', mode: 'MOUNT_CACHED', remotePath: 'b', stateDir: '/s' }));
  assert.match(parallel, /--transfers 8 /);
});
