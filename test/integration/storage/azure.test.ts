// The Azure Blob store against azurite (Microsoft's emulator), reached through
// AZURE_STORAGE_CONNECTION_STRING; rclone on a node reaches the same container with the
// store's remote settings.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { azuriteInstalled, AZURITE_BIN, startAzurite, type Azurite } from '../../helpers/azurite';
import { requirePrerequisite } from '../../helpers/prerequisites';
import { createAzureStore, createStore } from '../../../engine/storage/stores/azure';
import type { BucketRef } from '../../../engine/storage/stores/types';

const run = promisify(execFile);
const missing = requirePrerequisite(!azuriteInstalled() && `azurite (${AZURITE_BIN}; npm ci)`);
const noRclone = requirePrerequisite(!fs.existsSync('/usr/bin/rclone') && 'rclone (scripts/setup installs it)');

let azurite: Azurite;
let dir: string;
before(async () => {
  if (missing) return;
  azurite = await startAzurite();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skydeck-azure-'));
});
after(async () => {
  await azurite?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

function write(rel: string, data: Buffer | string): void {
  fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
  fs.writeFileSync(path.join(dir, rel), data);
}

test('create, exists, upload under a prefix, list, delete the container with its blobs', { skip: missing }, async () => {
  const store = createAzureStore({ AZURE_STORAGE_CONNECTION_STRING: azurite.connectionString });
  const ref: BucketRef = { store: 'azure', bucket: 'skydeck-data', prefix: 'ckpt', account: 'devstoreaccount1' };
  assert.equal(await store.bucketExists(ref), false);
  await store.createBucket(ref, 'eastus');
  assert.equal(await store.bucketExists(ref), true);

  const big = Buffer.alloc(10 * 1024 * 1024 + 7, 3);
  write('a.txt', 'hello');
  write('sub/b.txt', 'b');
  write('big.bin', big);
  assert.deepEqual(await store.upload(ref, dir, ['a.txt', path.join('sub', 'b.txt'), 'big.bin']), { files: 3, bytes: 5 + 1 + big.length });
  assert.deepEqual((await store.list(ref)).sort(), ['ckpt/a.txt', 'ckpt/big.bin', 'ckpt/sub/b.txt']);
  assert.deepEqual(await store.list({ ...ref, prefix: 'ckpt/sub' }), ['ckpt/sub/b.txt']);
  // A prefix names a single object or a directory, never a partial name.
  assert.deepEqual(await store.list({ ...ref, prefix: 'ckpt/a.txt' }), ['ckpt/a.txt']);
  assert.deepEqual(await store.list({ ...ref, prefix: 'ckpt/a' }), []);
  assert.equal((await store.list({ ...ref, prefix: '' })).length, 3);

  await store.deleteBucket(ref);
  assert.equal(await store.bucketExists(ref), false);
});

test('errors of the service reach the caller: an invalid container name, an existing container', { skip: missing }, async () => {
  const store = createAzureStore({ AZURE_STORAGE_CONNECTION_STRING: azurite.connectionString });
  await assert.rejects(store.createBucket({ store: 'azure', bucket: 'ab', prefix: '' }), /OutOfRangeInput|permissible limits/i);
  await store.createBucket({ store: 'azure', bucket: 'taken', prefix: '' });
  await assert.rejects(store.createBucket({ store: 'azure', bucket: 'taken', prefix: '' }), /ContainerAlreadyExists|already exists/i);
});

test('rclone reads what the store uploaded and writes back, through a container SAS for the emulator', { skip: missing || noRclone }, async () => {
  const store = createAzureStore({ AZURE_STORAGE_CONNECTION_STRING: azurite.connectionString });
  const ref: BucketRef = { store: 'azure', bucket: 'rclone-data', prefix: 'data' };
  await store.createBucket(ref);
  write('src/one.txt', 'one');
  await store.upload(ref, path.join(dir, 'src'), ['one.txt']);

  const remote = await store.rcloneRemote(ref);
  assert.equal(remote.type, 'azureblob');
  assert.deepEqual(Object.keys(remote.settings), ['sas_url']);
  assert.match(remote.settings.sas_url, new RegExp(`^${azurite.blobEndpoint}/rclone-data\\?.*sig=`));
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: dir, RCLONE_CONFIG_SKYAZ_TYPE: remote.type };
  for (const [k, v] of Object.entries(remote.settings)) env[`RCLONE_CONFIG_SKYAZ_${k.toUpperCase()}`] = v;
  const rclone = (...args: string[]) => run('rclone', ['--config', '/dev/null', ...args], { env });

  assert.equal((await rclone('lsf', '-R', '--files-only', 'skyaz:rclone-data/data')).stdout.trim(), 'one.txt');
  write('step.txt', '42');
  await rclone('copyto', path.join(dir, 'step.txt'), 'skyaz:rclone-data/data/ckpt/step.txt');
  assert.ok((await store.list(ref)).includes('data/ckpt/step.txt'));
});

test('the module exports createStore, the entry point the store registry requires', () => {
  assert.equal(createStore('azure').kind, 'azure');
});

test('on Azure itself with the account key: account and key, as SkyPilot configures rclone', async () => {
  const store = createAzureStore({ AZURE_STORAGE_ACCOUNT: 'myacct', AZURE_STORAGE_KEY: 'a2V5a2V5' });
  assert.deepEqual(await store.rcloneRemote({ store: 'azure', bucket: 'c1x', prefix: '' }), {
    type: 'azureblob',
    settings: { account: 'myacct', key: 'a2V5a2V5' },
  });
});
