// Each store's bucket naming rules, as the clouds enforce them and SkyPilot checks them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bucketNameProblem } from '../../../engine/storage/names';

const ok = (store: Parameters<typeof bucketNameProblem>[0], name: string) => assert.equal(bucketNameProblem(store, name), undefined, `${store} ${name}`);
const bad = (store: Parameters<typeof bucketNameProblem>[0], name: string, why: RegExp) => {
  const p = bucketNameProblem(store, name);
  assert.ok(p, `${store} ${JSON.stringify(name)} should be invalid`);
  assert.match(p, why);
};

test('S3 and R2: 3-63 lowercase letters, digits, dots, hyphens; no IP form, reserved prefixes or suffixes', () => {
  for (const store of ['s3', 'r2'] as const) {
    ok(store, 'my-bucket');
    ok(store, 'a.b-c1');
    ok(store, 'abc');
    ok(store, 'a'.repeat(63));
    bad(store, 'ab', /3 to 63/);
    bad(store, 'a'.repeat(64), /3 to 63/);
    bad(store, 'My-Bucket', /lowercase/);
    bad(store, 'my_bucket', /lowercase letters, digits, dots/);
    bad(store, '-bucket', /begin and end/);
    bad(store, 'bucket.', /begin and end/);
    bad(store, 'a..b', /adjacent dots/);
    bad(store, '192.168.5.4', /IP address/);
    bad(store, 'xn--bucket', /xn--/);
    bad(store, 'sthree-bucket', /sthree-/);
    bad(store, 'bucket-s3alias', /-s3alias/);
    bad(store, 'bucket--ol-s3', /--ol-s3/);
  }
  assert.match(bucketNameProblem('r2', 'AB') ?? '', /^R2 bucket name/);
});

test('GCS: underscores allowed, up to 222 characters with dots (63 per part), no goog prefix or google', () => {
  ok('gcs', 'my_bucket-1');
  ok('gcs', `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(30)}`);
  bad('gcs', 'a'.repeat(64), /at most 63/);
  bad('gcs', `${'a'.repeat(64)}.b`, /each dot-separated part/);
  bad('gcs', `${'a.'.repeat(112)}a`, /222/);
  bad('gcs', 'ab', /at least 3/);
  bad('gcs', 'Bucket', /lowercase/);
  bad('gcs', '_bucket', /begin and end/);
  bad('gcs', 'a..b', /adjacent dots/);
  bad('gcs', '10.0.0.1', /IP address/);
  bad('gcs', 'google-data', /goog/);
  bad('gcs', 'googdata', /"goog" prefix/);
  bad('gcs', 'my-g00gle-bucket', /google/);
});

test('Azure containers: 3-63 lowercase letters, digits and single hyphens, starting with a letter or digit', () => {
  ok('azure', 'my-container-1');
  ok('azure', '1abc');
  bad('azure', 'ab', /3 to 63/);
  bad('azure', 'a'.repeat(64), /3 to 63/);
  bad('azure', 'my.container', /only lowercase letters, digits and hyphens/);
  bad('azure', 'my_container', /only lowercase/);
  bad('azure', 'Container', /only lowercase/);
  bad('azure', '-abc', /start with/);
  bad('azure', 'abc-', /end with a hyphen/);
  bad('azure', 'a--b', /consecutive hyphens/);
});
