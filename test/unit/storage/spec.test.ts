/** Reading bucket file mounts as SkyPilot does: URIs, storage objects, and the mistakes refused before provisioning. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTaskText } from '../../../engine/task/load';
import { planStorage } from '../../../engine/storage/spec';
import { formatBucketUri, parseBucketUri } from '../../../engine/storage/uri';

function taskOf(yaml: string) {
  const r = parseTaskText(yaml);
  assert.ok(r.taskFile, JSON.stringify(r.diagnostics));
  return r.taskFile.tasks[0];
}

test('bucket URIs of every supported store, and refused schemes by name', () => {
  assert.deepEqual(parseBucketUri('s3://b/a/b/'), { ok: true, ref: { store: 's3', bucket: 'b', prefix: 'a/b' } });
  assert.deepEqual(parseBucketUri('gs://b'), { ok: true, ref: { store: 'gcs', bucket: 'b', prefix: '' } });
  assert.deepEqual(parseBucketUri('r2://b/x'), { ok: true, ref: { store: 'r2', bucket: 'b', prefix: 'x' } });
  assert.deepEqual(parseBucketUri('https://acct.blob.core.windows.net/cont/p/q'), {
    ok: true,
    ref: { store: 'azure', account: 'acct', bucket: 'cont', prefix: 'p/q' },
  });
  const unknown = parseBucketUri('foo://b/x');
  assert.ok(!unknown.ok && /unknown scheme foo:\/\//.test(unknown.problem));
  const cos = parseBucketUri('cos://b/x');
  assert.ok(!cos.ok && /cos:\/\/ buckets are not implemented/.test(cos.problem));
  assert.equal(formatBucketUri({ store: 'gcs', bucket: 'b', prefix: 'p' }), 'gs://b/p');
});

test('a URI string is COPY; a storage object defaults to MOUNT, persistent, on the planned cloud’s store', () => {
  const t = taskOf(`
file_mounts:
  /data: s3://src/data
  /ckpt:
    name: my-ckpt
  /cached:
    name: my-cache
    store: gcs
    mode: MOUNT_CACHED
    persistent: false
  /from:
    source: s3://other/sub
run: x
`);
  const { mounts, problems } = planStorage(t, 'gcp');
  assert.deepEqual(problems, []);
  const by = Object.fromEntries(mounts.map((m) => [m.dst, m]));
  assert.equal(by['/data'].mode, 'COPY');
  assert.equal(by['/data'].mayCreate, false);
  assert.deepEqual([by['/ckpt'].mode, by['/ckpt'].persistent, by['/ckpt'].ref.store, by['/ckpt'].mayCreate], ['MOUNT', true, 'gcs', true]);
  assert.deepEqual([by['/cached'].mode, by['/cached'].persistent], ['MOUNT_CACHED', false]);
  assert.deepEqual([by['/from'].ref, by['/from'].mayCreate], [{ store: 's3', bucket: 'other', prefix: 'sub' }, false]);
  assert.equal(planStorage(t, undefined).mounts.find((m) => m.dst === '/ckpt')!.ref.store, 's3');
});

test('bad input is named by field: unknown scheme, no name nor source, bad bucket name, name beside a URI source', () => {
  const t = taskOf(`
file_mounts:
  /a: foo://b/x
  /b:
    mode: MOUNT
  /c:
    name: Bad_Name
  /d:
    name: x-y-z
    source: s3://src
  /e:
    name: okname
    store: ibm
run: x
`);
  const fields = Object.fromEntries(planStorage(t).problems.map((p) => [p.field, p.message]));
  assert.match(fields['file_mounts./a'], /unknown scheme foo/);
  assert.match(fields['file_mounts./b'], /needs a name .* or a source/);
  assert.match(fields['file_mounts./c.name'], /Bad_Name/);
  assert.match(fields['file_mounts./d.name'], /must not be set when source is a bucket URI/);
  assert.match(fields['file_mounts./e.store'], /ibm is not implemented/);
});
