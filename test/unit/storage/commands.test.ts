/** The node scripts: what they install, check and run, and that credentials only travel as rclone's environment. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  checkToolsScript,
  flushAndUnmountScript,
  installToolsScript,
  MISSING_TOOL_EXIT,
  mountScript,
  RCLONE_VERSION,
  rcloneEnv,
} from '../../../engine/storage/node/commands';

test('VM clouds: rclone at SkyPilot’s pinned version and fuse3, through apt or yum, only when missing', () => {
  const s = installToolsScript();
  assert.match(s, /^if command -v rclone .* then exit 0; fi$/m);
  assert.match(s, /apt-get install -y -qq fuse3/);
  assert.ok(s.includes(`https://downloads.rclone.org/v${RCLONE_VERSION}/rclone-v${RCLONE_VERSION}-linux-$ARCH.deb`));
  assert.ok(s.includes(`rclone-v${RCLONE_VERSION}-linux-$ARCH.rpm`));
  assert.match(s, /yum install -y -q fuse3/);
  assert.match(s, /sudo -n/);
  assert.match(s, /ln -s \/bin\/fusermount \/bin\/fusermount3/);
  assert.equal(spawnSync('bash', ['-n', '-c', s]).status, 0, 'valid bash');
});

test('local and SSH nodes: a missing tool is named (exit 93), found tools pass', () => {
  const missing = spawnSync('/bin/bash', ['-c', checkToolsScript(true)], { env: { PATH: '/nonexistent' }, encoding: 'utf8' });
  assert.equal(missing.status, MISSING_TOOL_EXIT);
  assert.match(missing.stderr, /missing-mount-tool: rclone/);
  assert.doesNotMatch(checkToolsScript(false), /fusermount/);
  assert.match(checkToolsScript(true), /\/dev\/fuse/);
});

test('credentials are only rclone environment variables, never part of a script', () => {
  const env = rcloneEnv({ type: 's3', settings: { access_key_id: 'AKIAEXAMPLE', secret_access_key: 'shh', endpoint: 'http://127.0.0.1:9' } });
  assert.deepEqual(env, {
    RCLONE_CONFIG_SKYDECK_TYPE: 's3',
    RCLONE_CONFIG_SKYDECK_ACCESS_KEY_ID: 'AKIAEXAMPLE',
    RCLONE_CONFIG_SKYDECK_SECRET_ACCESS_KEY: 'shh',
    RCLONE_CONFIG_SKYDECK_ENDPOINT: 'http://127.0.0.1:9',
  });
  for (const mode of ['COPY', 'MOUNT', 'MOUNT_CACHED'] as const) {
    const s = mountScript({ dst: '~/data dir', mode, remotePath: 'bkt/pre', stateDir: '~/.skydeck_node/storage/x' });
    assert.doesNotMatch(s, /shh|AKIA/);
    assert.equal(spawnSync('bash', ['-n', '-c', s]).status, 0, `${mode}: valid bash`);
    assert.ok(s.includes(`"$HOME"/'data dir'`), 'a ~ destination expands on the node, quoted');
  }
});

test('COPY copies a prefix or one object; MOUNT streams writes; MOUNT_CACHED writes back through the VFS cache', () => {
  assert.match(mountScript({ dst: '/data', mode: 'COPY', remotePath: 'b/p', stateDir: '/s' }), /rclone copy skydeck:b\/p \/data /);
  assert.match(
    mountScript({ dst: '/one.txt', mode: 'COPY', remotePath: 'b/f.txt', isFile: true, stateDir: '/s' }),
    /rclone copyto skydeck:b\/f\.txt \/one\.txt /,
  );
  const mount = mountScript({ dst: '/ckpt', mode: 'MOUNT', remotePath: 'b', stateDir: '/s' });
  assert.match(mount, /rclone mount skydeck:b \/ckpt --daemon .*--vfs-cache-mode off --async-read=false/);
  assert.match(mount, /mountpoint -q \/ckpt/);
  const cached = mountScript({ dst: '/ckpt', mode: 'MOUNT_CACHED', remotePath: 'b', stateDir: '/s' });
  assert.match(cached, /--vfs-cache-mode full --cache-dir \/s\/cache --vfs-write-back 1s/);
  // Local nodes: the mount lives outside the node directory, the destination links to it.
  const local = mountScript({ dst: '~/ckpt', mode: 'MOUNT', remotePath: 'b', mountDir: '/h/mounts/ab', stateDir: '/s' });
  assert.match(local, /rclone mount skydeck:b \/h\/mounts\/ab /);
  assert.match(local, /ln -sfn \/h\/mounts\/ab "\$HOME"\/ckpt/);
});

test('down waits for MOUNT_CACHED uploads (dirty cache entries) before unmounting, with a deadline', () => {
  const s = flushAndUnmountScript({ dst: '/ckpt', mode: 'MOUNT_CACHED', remotePath: 'b', stateDir: '/s' }, 30);
  assert.match(s, /grep -rlE '"Dirty": \?true' \/s\/cache\/vfsMeta/);
  assert.match(s, /uploads still pending after 30s/);
  assert.match(s, /fusermount3 -u \/ckpt/);
  assert.doesNotMatch(flushAndUnmountScript({ dst: '/ckpt', mode: 'MOUNT', remotePath: 'b', stateDir: '/s' }, 30), /Dirty/);
});
