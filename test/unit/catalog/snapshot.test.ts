import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Interner } from '../../../engine/catalog/csv';
import { buildSnapshot } from '../../../engine/catalog/snapshot/build';
import { parseVmsCsv } from '../../../engine/catalog/table';
import { REFERENCE_CATALOGS } from '../optimizer/helpers';

const CATALOGS = path.resolve(__dirname, '../../../catalogs');

interface Sources {
  files: Record<string, { rows: number; bytes: number; method: string; realData: boolean; dataDate: string | null; source: string; notes: string }>;
}

test('the committed snapshot is exactly what the builder writes, SOURCES.json included', (t) => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'skydeck-snap-'));
  t.after(() => fs.rmSync(out, { recursive: true, force: true }));
  buildSnapshot(REFERENCE_CATALOGS, out);
  const files = (dir: string): string[] =>
    fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(path.join(dir, e.name)).map((f) => `${e.name}/${f}`) : [e.name]));
  const built = files(out).sort();
  assert.deepEqual(
    files(CATALOGS)
      .filter((f) => f !== 'README.md')
      .sort(),
    built,
  );
  for (const f of built) assert.ok(fs.readFileSync(path.join(out, f)).equals(fs.readFileSync(path.join(CATALOGS, f))), `${f} differs: rebuild the snapshot`);
});

test('SOURCES.json describes every data file truthfully: rows, bytes, and every file real data', () => {
  const meta = JSON.parse(fs.readFileSync(path.join(CATALOGS, 'SOURCES.json'), 'utf8')) as Sources;
  assert.deepEqual(Object.keys(meta.files).sort(), [
    'aws/images.csv',
    'aws/vms.csv',
    'azure/images.csv',
    'azure/vms.csv',
    'common/accelerators.csv',
    'gcp/images.csv',
    'gcp/vms.csv',
  ]);
  for (const [rel, m] of Object.entries(meta.files)) {
    const text = fs.readFileSync(path.join(CATALOGS, rel), 'utf8');
    assert.equal(m.bytes, Buffer.byteLength(text), rel);
    assert.equal(m.rows, text.split('\n').filter((l) => l.length).length - 1, rel);
    assert.equal(m.realData, true, rel);
    assert.match(m.method, /^(subset-of-real-data|upstream-unchanged)$/, rel);
    assert.match(m.source, /commit [0-9a-f]{7,40}/, `${rel}: names the commit it was read at`);
  }
  const aws = meta.files['aws/vms.csv'];
  assert.match(aws.source, /skypilot-org\/skypilot-catalog/);
  // Every row is a row of the reference file, unchanged.
  const reference = new Set(fs.readFileSync(path.join(REFERENCE_CATALOGS, 'aws', 'vms.csv'), 'utf8').split('\n'));
  const lines = fs
    .readFileSync(path.join(CATALOGS, 'aws', 'vms.csv'), 'utf8')
    .split('\n')
    .filter((l) => l.length);
  for (const l of lines) assert.ok(reference.has(l), `not a reference row: ${l}`);
  // SkyPilot's AWS rows have zones and (mostly) spot prices: nothing left out.
  const t = parseVmsCsv('aws', fs.readFileSync(path.join(CATALOGS, 'aws', 'vms.csv')), new Interner());
  assert.equal(t.size, aws.rows);
  let zoned = 0;
  let spot = 0;
  for (let r = 0; r < t.size; r++) {
    if (t.zone[r] !== -1) zoned++;
    if (!Number.isNaN(t.spotPrice[r])) spot++;
  }
  assert.equal(zoned, t.size);
  assert.ok(spot > t.size * 0.9, `${spot} of ${t.size} rows have a spot price`);
  for (const f of ['aws/images.csv', 'gcp/images.csv', 'azure/images.csv']) {
    assert.ok(fs.readFileSync(path.join(CATALOGS, f)).equals(fs.readFileSync(path.join(REFERENCE_CATALOGS, f))), `${f} is SkyPilot's file unchanged`);
  }
  const readme = fs.readFileSync(path.join(CATALOGS, 'README.md'), 'utf8');
  assert.doesNotMatch(readme, /written from memory/);
  assert.match(readme, /00148f2af3672e2229b4f7bf8157d5a3f36e3c35/);
  assert.ok(!fs.existsSync(path.join(__dirname, '../../../engine/catalog/snapshot/awsListPrices.ts')), 'nothing typed from memory remains');
});
