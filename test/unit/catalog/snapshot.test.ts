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
  assert.deepEqual(files(CATALOGS).filter((f) => f !== 'README.md').sort(), built);
  for (const f of built) assert.ok(fs.readFileSync(path.join(out, f)).equals(fs.readFileSync(path.join(CATALOGS, f))), `${f} differs: rebuild the snapshot`);
});

test('SOURCES.json describes every data file truthfully: rows, bytes, and the AWS rows as unverified', () => {
  const meta = JSON.parse(fs.readFileSync(path.join(CATALOGS, 'SOURCES.json'), 'utf8')) as Sources;
  assert.deepEqual(Object.keys(meta.files).sort(), ['aws/vms.csv', 'azure/vms.csv', 'common/accelerators.csv', 'gcp/vms.csv']);
  for (const [rel, m] of Object.entries(meta.files)) {
    const text = fs.readFileSync(path.join(CATALOGS, rel), 'utf8');
    assert.equal(m.bytes, Buffer.byteLength(text), rel);
    assert.equal(m.rows, text.split('\n').filter((l) => l.length).length - 1, rel);
  }
  const aws = meta.files['aws/vms.csv'];
  assert.equal(aws.method, 'written-from-memory-unverified');
  assert.equal(aws.realData, false);
  assert.equal(aws.dataDate, null);
  assert.match(aws.notes, /skydeck catalog refresh --cloud aws/);
  // Unknown stays unknown: no AWS spot price or zone was made up.
  const t = parseVmsCsv('aws', fs.readFileSync(path.join(CATALOGS, 'aws', 'vms.csv')), new Interner());
  assert.equal(t.size, aws.rows);
  for (let r = 0; r < t.size; r++) {
    assert.ok(Number.isNaN(t.spotPrice[r]), `row ${r}: spot price`);
    assert.equal(t.zone[r], -1, `row ${r}: zone`);
  }
  const readme = fs.readFileSync(path.join(CATALOGS, 'README.md'), 'utf8');
  assert.match(readme, /written from memory, unverified/);
  assert.match(readme, /skydeck catalog refresh --cloud aws/);
});
