// Storage in the editor: completion and hover for storage and volume fields, and diagnostics on
// bucket URIs without credentials, unsupported modes and invalid bucket names.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { TaskLanguageService, type TextDocumentLike } from '../../../server/service/languageService';
import { storageDiagnostics } from '../../../server/service/storageDiagnostics';
import { parseTaskText } from '../../../engine/task/load';
import type { Hover } from 'vscode-languageserver-types';

let version = 0;
function doc(textWithCursor: string): { d: TextDocumentLike; pos: { line: number; character: number } } {
  const at = textWithCursor.indexOf('|');
  const text = at >= 0 ? textWithCursor.slice(0, at) + textWithCursor.slice(at + 1) : textWithCursor;
  const before = text.slice(0, Math.max(0, at)).split('\n');
  return {
    d: { uri: 'file:///w/task.yaml', version: ++version, getText: () => text },
    pos: { line: before.length - 1, character: before[before.length - 1].length },
  };
}
const labels = (items: { label: string }[]) => items.map((i) => i.label);
/** The markdown of a hover (the service always answers MarkupContent). */
function markdown(h: Hover | undefined): string {
  const c = h?.contents;
  return c && typeof c === 'object' && 'kind' in c ? c.value : '';
}

// No credentials for any cloud in these tests, whatever the machine has.
let home: string;
const savedEnv = { ...process.env };
before(() => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'skydeck-storage-editor-'));
  for (const k of Object.keys(process.env)) if (/^(AWS_|GOOGLE_|AZURE_|CLOUDSDK_)/.test(k)) delete process.env[k];
  process.env.HOME = home;
});
after(() => {
  process.env = savedEnv;
  fs.rmSync(home, { recursive: true, force: true });
});

function diags(text: string, env: NodeJS.ProcessEnv = { HOME: home }) {
  const parse = parseTaskText(text, { fileName: '/w/task.yaml', buildTasks: false });
  return storageDiagnostics(parse.analysis.documents, parse.analysis.textMap, env).map((d) => ({
    line: d.range.start.line,
    code: d.code,
    message: String(d.message),
  }));
}

test('completion offers every storage object field, and every volumes field', () => {
  const s = new TaskLanguageService();
  const { d, pos } = doc('run: echo\nfile_mounts:\n  /data:\n    name: my-bucket\n    |\n');
  const got = labels(s.complete(d, pos));
  for (const k of ['source', 'store', 'mode', 'persistent', 'type', 'config']) assert.ok(got.includes(k), `${k} in ${got.join(', ')}`);
  assert.ok(!got.includes('name'), 'a key already written is not offered again');
  assert.ok(!got.some((l) => l.startsWith('_')), 'internal fields are not offered');

  const vol = doc('run: echo\nvolumes:\n  /mnt/data:\n    |\n');
  const vgot = labels(s.complete(vol.d, vol.pos));
  for (const k of ['name', 'sub_path', 'size', 'type', 'labels', 'config']) assert.ok(vgot.includes(k), `${k} in ${vgot.join(', ')}`);
});

test('completion of store and mode values, and of bucket URIs in file_mounts and source', () => {
  const s = new TaskLanguageService();
  const store = doc('run: echo\nfile_mounts:\n  /data:\n    store: |\n');
  assert.ok(['s3', 'gcs', 'azure', 'r2'].every((v) => labels(s.complete(store.d, store.pos)).includes(v)));
  const mode = doc('run: echo\nfile_mounts:\n  /data:\n    mode: |\n');
  assert.deepEqual(labels(s.complete(mode.d, mode.pos)).sort(), ['COPY', 'MOUNT', 'MOUNT_CACHED']);
  const mount = doc('run: echo\nfile_mounts:\n  /data: |\n');
  assert.deepEqual(labels(s.complete(mount.d, mount.pos)), ['s3://', 'gs://', 'r2://', 'https://ACCOUNT.blob.core.windows.net/']);
  const source = doc('run: echo\nfile_mounts:\n  /data:\n    source: g|\n');
  assert.deepEqual(labels(s.complete(source.d, source.pos)), ['gs://']);
});

test('hover: field docs on every storage key; a bucket URI, a store and a mode explained', () => {
  const s = new TaskLanguageService();
  for (const key of ['name', 'source', 'store', 'mode', 'persistent']) {
    const { d, pos } = doc(`run: echo\nfile_mounts:\n  /data:\n    ${key[0]}|${key.slice(1)}: x\n`);
    assert.ok(markdown(s.hover(d, pos)).includes('file_mounts.'), `hover on ${key}`);
  }
  const uri = doc('run: echo\nfile_mounts:\n  /data: gs://my-bu|cket/some/prefix\n');
  const uv = markdown(s.hover(uri.d, uri.pos));
  assert.match(uv, /Google Cloud Storage\*\* bucket `my-bucket`/);
  assert.match(uv, /Prefix: `some\/prefix`/);
  assert.match(uv, /No credentials: .*gcloud auth application-default login/);
  const listed = doc('run: echo\nfile_mounts:\n  /data:\n    source:\n      - r2://r2-b|ucket/x\n');
  assert.match(markdown(s.hover(listed.d, listed.pos)), /Cloudflare R2\*\* bucket `r2-bucket`/);
  const store = doc('run: echo\nfile_mounts:\n  /data:\n    store: az|ure\n');
  assert.match(
    markdown(s.hover(store.d, store.pos)),
    /Azure Blob Storage\*\*\n\nModes: MOUNT, COPY, MOUNT_CACHED\n\n⚠️ No credentials: No Azure credentials found:[^\n]*`az login`/,
  );
  for (const key of ['name', 'sub_path', 'size']) {
    const v = doc(`run: echo\nvolumes:\n  /mnt/data:\n    ${key[0]}|${key.slice(1)}: x\n`);
    assert.ok(markdown(s.hover(v.d, v.pos)).length > 0, `hover on volumes ${key}`);
  }
  const mode = doc('run: echo\nfile_mounts:\n  /data:\n    mode: MOUNT_CA|CHED\n');
  assert.match(markdown(s.hover(mode.d, mode.pos)), /rclone.*Stores: s3, gcs, azure, r2/s);
});

test('diagnostics: a bucket URI whose cloud has no credentials, once per store, with what skydeck check says', () => {
  const got = diags('run: echo\nfile_mounts:\n  /a: s3://bucket-one/x\n  /b: s3://bucket-two\n  /c:\n    source: gs://gcs-bucket\n');
  assert.deepEqual(
    got.map((g) => [g.line, g.code]),
    [
      [2, 'storage-no-credentials'],
      [5, 'storage-no-credentials'],
    ],
  );
  assert.match(got[0].message, /No credentials for s3 storage: No AWS credentials found:.*Run `aws configure`/);
  assert.deepEqual(diags('run: echo\nfile_mounts:\n  /a: s3://bucket-one/x\n', { HOME: home, AWS_ACCESS_KEY_ID: 'a', AWS_SECRET_ACCESS_KEY: 'b' }), []);
  const azure = diags('run: echo\nfile_mounts:\n  /a: https://acct.blob.core.windows.net/my-container/x\n', {
    HOME: home,
    AZURE_STORAGE_CONNECTION_STRING: 'AccountName=acct',
  });
  assert.deepEqual(azure, []);
});

test('diagnostics: a mode the store does not support, bucket names that break the store rules', () => {
  const env = { HOME: home, AWS_ACCESS_KEY_ID: 'a', AWS_SECRET_ACCESS_KEY: 'b' };
  const got = diags(
    'run: echo\nfile_mounts:\n  /a:\n    name: ibm-bucket\n    store: ibm\n    mode: MOUNT_CACHED\n  /b:\n    name: Bad_Bucket\n    store: s3\n  /c: s3://xn--bad\n  /d:\n    name: my_container\n    store: azure\n  /e:\n    name: ${BUCKET}\n    store: s3\n',
    env,
  );
  const byLine = got.map((g) => [g.line, g.code]);
  assert.deepEqual(byLine, [
    [5, 'storage-mode'],
    [7, 'storage-bucket-name'],
    [9, 'storage-bucket-name'],
    [11, 'storage-bucket-name'],
    [12, 'storage-no-credentials'],
  ]);
  assert.match(got[0].message, /mode MOUNT_CACHED is not supported by the ibm store \(supported: MOUNT, COPY\)/);
  assert.match(got[1].message, /S3 bucket name "Bad_Bucket"/);
  assert.match(got[3].message, /Azure container name "my_container"/);
});

test('the language service reports storage diagnostics with the task diagnostics', () => {
  const s = new TaskLanguageService();
  const { d } = doc('run: echo\nfile_mounts:\n  /data:\n    name: UPPER\n    store: gcs\n');
  const codes = s.diagnostics(d).map((x) => x.code);
  assert.ok(codes.includes('storage-bucket-name'), codes.join(', '));
});
