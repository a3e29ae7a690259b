// The fake GCS JSON API answers as the real one: chunked resumable uploads through the real SDK,
// and the requests the real API refuses.
import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { startFakeGcs, type FakeGcs } from '../../helpers/fakes/gcs';
import { crc32cBase64 } from '../../helpers/fakes/validation/gcs';

let fake: FakeGcs;
before(async () => {
  fake = await startFakeGcs();
});
after(() => fake.close());
beforeEach(() => fake.reset());

async function call(method: string, p: string, body?: string | Buffer, headers: Record<string, string> = {}) {
  const r = await fetch(`${fake.url}${p}`, { method, body, headers: { 'content-type': 'application/json', ...headers } });
  const text = await r.text();
  return { status: r.status, text, headers: r.headers };
}

test('CRC32C is the Castagnoli checksum the API reports (known vector)', () => {
  // RFC 3720 B.4: 32 bytes of zeros -> 0x8a9136aa.
  assert.equal(crc32cBase64(Buffer.alloc(32)), Buffer.from([0x8a, 0x91, 0x36, 0xaa]).toString('base64'));
});

test('a chunked resumable upload through the SDK: 308s with Range, then the whole object', async () => {
  const saved = process.env.STORAGE_EMULATOR_HOST;
  process.env.STORAGE_EMULATOR_HOST = fake.url;
  try {
    const { Storage } = require('@google-cloud/storage') as typeof import('@google-cloud/storage');
    const storage = new Storage({ projectId: 'p', apiEndpoint: fake.url });
    await storage.createBucket('chunked-bucket');
    const data = Buffer.alloc(3 * 256 * 1024 + 99);
    for (let i = 0; i < data.length; i++) data[i] = i % 251;
    await storage
      .bucket('chunked-bucket')
      .file('dir/obj.bin')
      .save(data, { resumable: true, chunkSize: 256 * 1024 });
    assert.ok(fake.buckets.get('chunked-bucket')?.objects.get('dir/obj.bin')?.data.equals(data));
    assert.ok(fake.requests.filter((r) => r.startsWith('PUT /upload/')).length >= 4, 'one PUT per chunk');
    const [back] = await storage.bucket('chunked-bucket').file('dir/obj.bin').download();
    assert.ok(back.equals(data), 'the download validates against x-goog-hash');
  } finally {
    if (saved === undefined) delete process.env.STORAGE_EMULATOR_HOST;
    else process.env.STORAGE_EMULATOR_HOST = saved;
  }
});

test('refused as the real API refuses: no project, a bad name, a non-empty delete, a wrong checksum, a chunk at the wrong offset', async () => {
  assert.equal((await call('POST', '/storage/v1/b', JSON.stringify({ name: 'ok-bucket' }))).status, 400);
  const bad = await call('POST', '/storage/v1/b?project=p', JSON.stringify({ name: 'Bad..Name' }));
  assert.equal(bad.status, 400);
  assert.match(bad.text, /Invalid bucket name/);
  assert.equal((await call('POST', '/b?project=p', JSON.stringify({ name: 'ok-bucket' }))).status, 200, 'the JSON API answers at the root too');
  assert.equal((await call('POST', '/b?project=p', JSON.stringify({ name: 'ok-bucket' }))).status, 409);

  const wrongMd5 = await call('POST', '/upload/storage/v1/b/ok-bucket/o?uploadType=media&name=a.txt', 'abc', {
    'content-type': 'text/plain',
    'x-goog-hash': `md5=${createHash('md5').update('xyz').digest('base64')}`,
  });
  assert.equal(wrongMd5.status, 400);
  assert.match(wrongMd5.text, /doesn't match calculated MD5/);
  assert.equal((await call('POST', '/upload/storage/v1/b/ok-bucket/o?uploadType=media&name=a.txt', 'abc', { 'content-type': 'text/plain' })).status, 200);
  const nonEmpty = await call('DELETE', '/storage/v1/b/ok-bucket');
  assert.equal(nonEmpty.status, 409);
  assert.match(nonEmpty.text, /not empty/);

  const start = await call('POST', '/upload/storage/v1/b/ok-bucket/o?uploadType=resumable', JSON.stringify({ name: 'r.bin' }), {
    'x-upload-content-length': '6',
  });
  const session = new URL(start.headers.get('location') ?? '');
  const put = (range: string, body: string) => call('PUT', `${session.pathname}${session.search}`, body, { 'content-range': range });
  const first = await put('bytes 0-2/6', 'abc');
  assert.equal(first.status, 308);
  assert.equal(first.headers.get('range'), 'bytes=0-2');
  const skipped = await put('bytes 4-5/6', 'ef');
  assert.equal(skipped.status, 308, 'a chunk past the stored bytes is not taken');
  assert.equal(skipped.headers.get('range'), 'bytes=0-2');
  const last = await put('bytes 3-5/6', 'def');
  assert.equal(last.status, 200);
  assert.equal(JSON.parse(last.text).size, '6');
  assert.equal(fake.buckets.get('ok-bucket')?.objects.get('r.bin')?.data.toString(), 'abcdef');
  assert.equal((await call('GET', '/storage/v1/b/ok-bucket/o/missing')).status, 404);
  assert.equal((await call('GET', '/storage/v1/b/ok-bucket/o/r.bin', undefined, { authorization: 'Basic x' })).status, 401);
});
