// The GCS store against the fake JSON API, reached through STORAGE_EMULATOR_HOST.
import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startFakeGcs, type FakeGcs } from '../../helpers/fakes/gcs';
import { createGcsStore, createStore, gcsEmulatorOrigin } from '../../../engine/storage/stores/gcs';
import type { BucketRef } from '../../../engine/storage/stores/types';

let fake: FakeGcs;
let dir: string;
const saved = process.env.STORAGE_EMULATOR_HOST;

before(async () => {
  fake = await startFakeGcs();
  process.env.STORAGE_EMULATOR_HOST = fake.url;
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skydeck-gcs-'));
});
after(async () => {
  if (saved === undefined) delete process.env.STORAGE_EMULATOR_HOST;
  else process.env.STORAGE_EMULATOR_HOST = saved;
  await fake.close();
  fs.rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => fake.reset());

const ref = (bucket: string, prefix = ''): BucketRef => ({ store: 'gcs', bucket, prefix });

function write(rel: string, data: Buffer | string): void {
  fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
  fs.writeFileSync(path.join(dir, rel), data);
}

test('create, exists, upload small and large files under a prefix, list, delete with its objects', async () => {
  const store = createGcsStore({ ...process.env, STORAGE_EMULATOR_HOST: fake.url });
  assert.equal(await store.bucketExists(ref('skydeck-data')), false);
  await store.createBucket(ref('skydeck-data'), 'us-central1');
  assert.equal(await store.bucketExists(ref('skydeck-data')), true);
  assert.equal(fake.buckets.get('skydeck-data')?.location, 'US-CENTRAL1');

  const big = Buffer.alloc(9 * 1024 * 1024 + 123, 7);
  write('a.txt', 'hello');
  write('sub/dir/b.bin', Buffer.from([0, 1, 2, 3]));
  write('big.bin', big);
  const result = await store.upload(ref('skydeck-data', 'ckpt/'), dir, ['a.txt', path.join('sub', 'dir', 'b.bin'), 'big.bin']);
  assert.deepEqual(result, { files: 3, bytes: 5 + 4 + big.length });

  const objects = fake.buckets.get('skydeck-data')?.objects;
  assert.equal(objects?.get('ckpt/a.txt')?.data.toString(), 'hello');
  assert.deepEqual([...(objects?.get('ckpt/sub/dir/b.bin')?.data ?? [])], [0, 1, 2, 3]);
  assert.ok(objects?.get('ckpt/big.bin')?.data.equals(big), 'the large file arrives whole');
  // Small files in one request each, the large one through a resumable session.
  assert.ok(fake.requests.includes('POST /upload/storage/v1/b/skydeck-data/o?uploadType=multipart'));
  assert.ok(fake.requests.includes('POST /upload/storage/v1/b/skydeck-data/o?uploadType=resumable'));

  assert.deepEqual((await store.list(ref('skydeck-data', 'ckpt'))).sort(), ['ckpt/a.txt', 'ckpt/big.bin', 'ckpt/sub/dir/b.bin']);
  assert.deepEqual(await store.list(ref('skydeck-data', 'ckpt/sub')), ['ckpt/sub/dir/b.bin']);
  // A prefix names a single object or a directory, never a partial name.
  assert.deepEqual(await store.list(ref('skydeck-data', 'ckpt/a.txt')), ['ckpt/a.txt']);
  assert.deepEqual(await store.list(ref('skydeck-data', 'ckpt/a')), []);
  assert.equal((await store.list(ref('skydeck-data'))).length, 3);

  await store.deleteBucket(ref('skydeck-data'));
  assert.equal(fake.buckets.has('skydeck-data'), false);
  assert.equal(await store.bucketExists(ref('skydeck-data')), false);
});

test('list pages through more than one page of objects', async () => {
  const store = createGcsStore();
  await store.createBucket(ref('many-objects'));
  const bucket = fake.buckets.get('many-objects');
  for (let i = 0; i < 2500; i++)
    bucket?.objects.set(`k/${String(i).padStart(5, '0')}`, {
      data: Buffer.alloc(0),
      contentType: 'text/plain',
      generation: i + 1,
      created: new Date().toISOString(),
    });
  const keys = await store.list(ref('many-objects'));
  assert.equal(keys.length, 2500);
  assert.equal(new Set(keys).size, 2500);
});

test('errors of the API reach the caller: an invalid name, an existing bucket, a missing bucket', async () => {
  const store = createGcsStore();
  await assert.rejects(store.createBucket(ref('goog-bucket')), /Invalid bucket name/);
  await store.createBucket(ref('taken-bucket'));
  await assert.rejects(store.createBucket(ref('taken-bucket')), /already own it/);
  write('x.txt', 'x');
  await assert.rejects(store.upload(ref('no-such-bucket'), dir, ['x.txt']), /bucket does not exist/);
  assert.equal(fake.buckets.has('goog-bucket'), false, 'nothing half-created');
});

test('rclone remote: the emulator endpoint, anonymously; the real service through ADC or a service-account key', async () => {
  const emulated = await createGcsStore({ STORAGE_EMULATOR_HOST: fake.url }).rcloneRemote(ref('b'));
  assert.deepEqual(emulated, {
    type: 'google cloud storage',
    settings: { endpoint: `${fake.url}/storage/v1/`, anonymous: 'true', bucket_policy_only: 'true' },
  });

  const key = path.join(dir, 'sa.json');
  fs.writeFileSync(key, JSON.stringify({ type: 'service_account', project_id: 'proj-1', client_email: 'x@proj-1.iam.gserviceaccount.com' }));
  const real = await createGcsStore({ GOOGLE_APPLICATION_CREDENTIALS: key, HOME: dir }).rcloneRemote(ref('b'));
  assert.deepEqual(real, { type: 'google cloud storage', settings: { bucket_policy_only: 'true', project_number: 'proj-1', service_account_file: key } });

  const adc = path.join(dir, 'adc.json');
  fs.writeFileSync(adc, JSON.stringify({ type: 'authorized_user', client_id: 'c', client_secret: 's', refresh_token: 'r' }));
  const user = await createGcsStore({ GOOGLE_APPLICATION_CREDENTIALS: adc, GOOGLE_CLOUD_PROJECT: 'proj-2', HOME: dir }).rcloneRemote(ref('b'));
  assert.deepEqual(
    user.settings,
    { bucket_policy_only: 'true', project_number: 'proj-2' },
    'a user login is found by rclone as ADC, never copied into settings',
  );
});

test('without an emulator and without credentials the store says what to do', async () => {
  const store = createGcsStore({ HOME: dir, CLOUDSDK_CONFIG: path.join(dir, 'none') });
  await assert.rejects(store.bucketExists(ref('b')), /GCS: No GCP credentials found.*gcloud auth application-default login/);
});

test('the module exports createStore, the entry point the store registry requires', () => {
  assert.equal(createStore('gcs').kind, 'gcs');
});

test('STORAGE_EMULATOR_HOST with or without a scheme', () => {
  assert.equal(gcsEmulatorOrigin({ STORAGE_EMULATOR_HOST: 'localhost:9023' }), 'http://localhost:9023');
  assert.equal(gcsEmulatorOrigin({ STORAGE_EMULATOR_HOST: 'http://127.0.0.1:4443/' }), 'http://127.0.0.1:4443');
  assert.equal(gcsEmulatorOrigin({}), undefined);
});
