/**
 * MOUNT on VM clouds with the store's own FUSE tool, as SkyPilot's mounting_utils does: which
 * tool, how it is installed, the exact mount command (run against a stand-in binary that records
 * its argv and environment), and that credentials travel only in the environment.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  BLOBFUSE2_VERSION,
  GCSFUSE_VERSION,
  GOOFYS_URL,
  nativeInstallScript,
  nativeMountEnv,
  nativeMountScript,
  nativeMountTool,
  type NativeMountTool,
} from '../../../engine/storage/node/nativeMounts';

test('tool per store on VM clouds for MOUNT; rclone for MOUNT_CACHED, COPY, local, SSH and Kubernetes', () => {
  assert.equal(nativeMountTool('s3', 'MOUNT', 'aws'), 'goofys');
  assert.equal(nativeMountTool('r2', 'MOUNT', 'aws'), 'goofys');
  assert.equal(nativeMountTool('gcs', 'MOUNT', 'gcp'), 'gcsfuse');
  assert.equal(nativeMountTool('azure', 'MOUNT', 'azure'), 'blobfuse2');
  assert.equal(nativeMountTool('s3', 'MOUNT', 'gcp'), 'goofys', 'the store decides, not the cloud');
  for (const [mode, cloud] of [
    ['MOUNT_CACHED', 'aws'],
    ['COPY', 'aws'],
    ['MOUNT', 'local'],
    ['MOUNT', 'ssh'],
    ['MOUNT', 'kubernetes'],
  ] as const)
    assert.equal(nativeMountTool('s3', mode, cloud), undefined, `${mode} on ${cloud}`);
});

test('install scripts: SkyPilot’s releases, only when missing, valid bash', () => {
  const goofys = nativeInstallScript('goofys');
  assert.ok(goofys.includes(GOOFYS_URL));
  assert.match(goofys, /command -v goofys >\/dev\/null 2>&1 && exit 0/);
  assert.match(goofys, /aarch64\|arm64\) exit 0/, 'no goofys on arm64 (rclone mounts there)');
  const gcsfuse = nativeInstallScript('gcsfuse');
  assert.ok(gcsfuse.includes(`releases/download/v${GCSFUSE_VERSION}/gcsfuse_${GCSFUSE_VERSION}_\${SUFFIX}.deb`));
  assert.match(gcsfuse, /dpkg --install/);
  const blobfuse2 = nativeInstallScript('blobfuse2');
  assert.ok(blobfuse2.includes(`blobfuse2-${BLOBFUSE2_VERSION}/blobfuse2-${BLOBFUSE2_VERSION}-Debian-11.0.x86_64.deb`));
  assert.match(blobfuse2, /apt-get install -y -qq fuse3 libfuse3-3/);
  for (const s of [goofys, gcsfuse, blobfuse2]) {
    assert.match(s, /sudo -n/);
    assert.equal(spawnSync('bash', ['-n', '-c', s]).status, 0, 'valid bash');
  }
});

test('an installed tool is not downloaded again', () => {
  const bin = fs.mkdtempSync(path.join(os.tmpdir(), 'skydeck-native-'));
  try {
    // Only the tool and what the script asks the system: no curl, so a download attempt would fail.
    for (const cmd of ['id', 'uname']) fs.symlinkSync(spawnSync('bash', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).stdout.trim(), path.join(bin, cmd));
    for (const tool of ['goofys', 'gcsfuse', 'blobfuse2'] as NativeMountTool[]) {
      fs.writeFileSync(path.join(bin, tool), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
      const r = spawnSync('/bin/bash', ['-c', nativeInstallScript(tool)], { env: { PATH: bin, HOME: bin }, encoding: 'utf8' });
      assert.equal(r.status, 0, `${tool}: ${r.stderr}`);
    }
  } finally {
    fs.rmSync(bin, { recursive: true, force: true });
  }
});

test('credentials become the tool’s own environment variables', () => {
  const s3 = {
    type: 's3' as const,
    settings: { access_key_id: 'AKID', secret_access_key: 'SECRET', session_token: 'TOKEN', region: 'us-west-2', endpoint: 'http://e' },
  };
  assert.deepEqual(nativeMountEnv('goofys', s3), {
    AWS_ACCESS_KEY_ID: 'AKID',
    AWS_SECRET_ACCESS_KEY: 'SECRET',
    AWS_SESSION_TOKEN: 'TOKEN',
    AWS_REGION: 'us-west-2',
  });
  assert.deepEqual(nativeMountEnv('blobfuse2', { type: 'azureblob', settings: { account: 'acct', key: 'KEY' } }), {
    AZURE_STORAGE_ACCOUNT: 'acct',
    AZURE_STORAGE_ACCESS_KEY: 'KEY',
    AZURE_STORAGE_AUTH_TYPE: 'Key',
  });
  assert.deepEqual(nativeMountEnv('blobfuse2', { type: 'azureblob', settings: { sas_url: 'https://acct.blob.core.windows.net/c?sv=1&sig=S' } }), {
    AZURE_STORAGE_ACCOUNT: 'acct',
    AZURE_STORAGE_SAS_TOKEN: 'sv=1&sig=S',
    AZURE_STORAGE_AUTH_TYPE: 'SAS',
  });
  assert.deepEqual(nativeMountEnv('gcsfuse', { type: 'google cloud storage', settings: { bucket_policy_only: 'true' } }), {}, 'the VM’s service account');
});

/** Runs a mount script with a stand-in tool that records its argv and environment; returns them. */
function runMount(tool: NativeMountTool, prefix: string, env: Record<string, string>): { argv: string[]; env: string; script: string } {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'skydeck-native-'));
  try {
    const bin = path.join(home, 'bin');
    fs.mkdirSync(bin);
    fs.writeFileSync(path.join(bin, tool), `#!/bin/sh\nfor a in "$@"; do echo "$a"; done > ${home}/argv\nenv > ${home}/env\n`, { mode: 0o755 });
    const script = nativeMountScript(tool, {
      dst: '~/data',
      mode: 'MOUNT',
      remotePath: prefix ? `bkt/${prefix}` : 'bkt',
      stateDir: '~/.skydeck_node/storage/abc',
      bucket: 'bkt',
      prefix,
      endpoint: tool === 'gcsfuse' ? undefined : 'http://127.0.0.1:9000',
    });
    const r = spawnSync('/bin/bash', ['-c', script], { env: { PATH: `${bin}:/usr/bin:/bin`, HOME: home, ...env }, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.ok(fs.statSync(path.join(home, 'data')).isDirectory(), 'mount point made');
    const argv = fs.readFileSync(path.join(home, 'argv'), 'utf8').trim().split('\n');
    return { argv: argv.map((a) => a.replace(home, '~')), env: fs.readFileSync(path.join(home, 'env'), 'utf8'), script };
  } finally {
    fs.rmSync(home, { recursive: true, force: true });
  }
}

test(
  'goofys: SkyPilot’s flags, bucket:prefix, the endpoint, credentials only in the environment',
  { skip: os.arch() !== 'x64' && 'goofys is x86_64 only' },
  () => {
    const r = runMount('goofys', 'ckpt', { AWS_ACCESS_KEY_ID: 'AKID', AWS_SECRET_ACCESS_KEY: 'SECRET' });
    assert.deepEqual(r.argv, [
      '-o',
      'allow_other',
      '--stat-cache-ttl',
      '5s',
      '--type-cache-ttl',
      '5s',
      '--endpoint',
      'http://127.0.0.1:9000',
      '--log-file',
      '~/.skydeck_node/storage/abc/goofys.log',
      'bkt:ckpt',
      '~/data',
    ]);
    assert.match(r.env, /^AWS_SECRET_ACCESS_KEY=SECRET$/m);
    assert.doesNotMatch(r.script, /SECRET|AKID/);
    assert.match(r.script, /aarch64\|arm64\)\n[\s\S]*rclone mount skydeck:bkt\/ckpt /, 'arm64 falls back to rclone');
  },
);

test('gcsfuse: SkyPilot’s flags and --only-dir for a prefix', () => {
  const r = runMount('gcsfuse', 'sub', {});
  assert.deepEqual(r.argv, [
    '--log-file',
    '~/.skydeck_node/storage/abc/gcsfuse.log',
    '--debug_fuse_errors',
    '-o',
    'allow_other',
    '--implicit-dirs',
    '--stat-cache-capacity',
    '4096',
    '--stat-cache-ttl',
    '5s',
    '--type-cache-ttl',
    '5s',
    '--rename-dir-limit',
    '10000',
    '--only-dir',
    'sub',
    'bkt',
    '~/data',
  ]);
});

test('blobfuse2: mount with the container, a per-boot cache directory, allow_other', () => {
  const r = runMount('blobfuse2', '', { AZURE_STORAGE_ACCOUNT: 'acct', AZURE_STORAGE_ACCESS_KEY: 'KEY' });
  assert.deepEqual(r.argv.slice(0, 4), ['mount', '~/data', '--container-name', 'bkt']);
  assert.match(r.argv[4], /^--tmp-path$/);
  assert.match(r.argv[5], /^~\/\.skydeck_node\/storage\/abc\/blobfuse2-cache-\d+$/);
  assert.deepEqual(r.argv.slice(6), ['--no-symlinks', '-o', 'allow_other', '-o', 'default_permissions']);
  assert.match(r.env, /^AZURE_STORAGE_ACCESS_KEY=KEY$/m);
  assert.doesNotMatch(r.script, /KEY/);
});
