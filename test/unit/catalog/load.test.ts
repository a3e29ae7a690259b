import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Catalog } from '../../../engine/catalog/catalog';
import { Interner } from '../../../engine/catalog/csv';
import { loadCatalogDir } from '../../../engine/catalog/sources';
import { parseVmsCsv } from '../../../engine/catalog/table';
import { naiveCsv, REFERENCE_CATALOGS } from '../optimizer/helpers';

// Loaded once for the file: 88k rows of real GCP and Azure data.
const cat = loadCatalogDir(REFERENCE_CATALOGS);
const gcpRows = naiveCsv(path.join(REFERENCE_CATALOGS, 'gcp', 'vms.csv'));
const azureRows = naiveCsv(path.join(REFERENCE_CATALOGS, 'azure', 'vms.csv'));
const FIXTURES = path.join(__dirname, 'fixtures');

test('loads every row of the reference catalogs with the documented shape', () => {
  const gcp = cat.clouds.get('gcp')!;
  const azure = cat.clouds.get('azure')!;
  assert.equal(gcp.table.size, 31285);
  assert.equal(azure.table.size, 56671);
  assert.equal(gcp.regions.size, 44);
  assert.equal(
    [...gcp.regions.values()].reduce((n, z) => n + z.length, 0),
    131,
  );
  assert.equal(gcp.types.size, 385);
  assert.equal(azure.regions.size, 58);
  assert.equal(azure.types.size, 1432);
  assert.equal(cat.knownAccelerators.size, 60);
  assert.deepEqual(cat.knownAccelerators.get('t4')?.clouds, ['AWS', 'Azure', 'GCP']);
});

test('every parsed cell agrees with a naive reading of the same file', () => {
  const gcp = cat.clouds.get('gcp')!.table;
  for (const i of [0, 1, 777, 15000, gcpRows.length - 1]) {
    const r = gcpRows[i];
    assert.equal(cat.str(gcp.instanceType[i]), r.InstanceType);
    assert.equal(cat.str(gcp.region[i]), r.Region);
    assert.equal(cat.str(gcp.zone[i]), r.AvailabilityZone);
    assert.equal(Number.isNaN(gcp.price[i]) ? '' : gcp.price[i], r.Price === '' ? '' : Number(r.Price));
    assert.equal(Number.isNaN(gcp.spotPrice[i]) ? '' : gcp.spotPrice[i], r.SpotPrice === '' ? '' : Number(r.SpotPrice));
  }
  const az = cat.clouds.get('azure')!.table;
  let checked = 0;
  for (let i = 0; i < azureRows.length; i += 997) {
    const r = azureRows[i];
    assert.equal(cat.str(az.instanceType[i]), r.InstanceType);
    assert.equal(cat.str(az.region[i]), r.Region, `row ${i}: the quoted "V1,V2" must not shift columns`);
    assert.equal(az.vcpus[i], Number(r.vCPUs));
    assert.equal(az.memoryGb[i], Number(r.MemoryGiB));
    checked++;
  }
  assert.ok(checked > 50);
});

test('empty prices stay unknown (NaN), never zero', () => {
  const az = cat.clouds.get('azure')!.table;
  let emptySpot = 0;
  for (let i = 0; i < az.size; i++) if (Number.isNaN(az.spotPrice[i])) emptySpot++;
  assert.equal(emptySpot, azureRows.filter((r) => r.SpotPrice === '').length);
  assert.equal(emptySpot, 2846);
});

test('GCP GPU and TPU rows have no instance type and are grouped as attachable accelerators', () => {
  const gcp = cat.clouds.get('gcp')!;
  const t4 = gcp.attachable.get('t4')!;
  assert.deepEqual(
    t4.map((g) => g.count),
    [1, 2, 4],
  );
  const expected = gcpRows.filter((r) => r.InstanceType === '' && r.AcceleratorName === 'T4' && r.AcceleratorCount === '1').length;
  assert.equal(t4[0].rows.length, expected);
  assert.equal(t4[0].gpuMemoryGb, 16);
  assert.ok(gcp.attachable.get('tpu-v5p-8'));
  // Host types carry their GPUs even though their rows leave AcceleratorName empty.
  assert.deepEqual(gcp.types.get('a2-highgpu-8g')?.accelerator, { name: 'A100', count: 8 });
  assert.equal(gcp.types.get('a2-highgpu-8g')?.acceleratorPricedApart, true);
  assert.equal(gcp.types.get('n1-standard-8')?.accelerator, undefined);
});

test('fractional accelerator counts are kept (Azure A10 slices)', () => {
  const azure = cat.clouds.get('azure')!;
  assert.equal(azure.types.get('Standard_NV6ads_A10_v5')?.accelerator?.count, 0.167);
  assert.equal(azure.types.get('Standard_NV18ads_A10_v5')?.accelerator?.count, 0.5);
});

test('AWS v8 layout: zone ids, quoted Python-literal GpuInfo, fractional g6f, empty spot', () => {
  const aws = new Catalog();
  aws.addCloud('aws', fs.readFileSync(path.join(FIXTURES, 'aws-v8', 'aws', 'vms.csv')), 'fixture');
  const cc = aws.clouds.get('aws')!;
  assert.deepEqual(cc.regions.get('us-east-1'), ['use1-az1', 'use1-az2', 'use1-az4']);
  const g5 = cc.types.get('g5.xlarge')!;
  assert.deepEqual(g5.accelerator, { name: 'A10G', count: 1 });
  assert.equal(g5.gpuMemoryGb, 24);
  assert.equal(g5.minSpot, 0.4012);
  const g6f = cc.types.get('g6f.2xlarge')!;
  assert.equal(g6f.accelerator?.count, 0.25);
  assert.ok(Number.isNaN(g6f.minSpot));
  assert.equal(cc.types.get('a1.large')?.arch, 'arm64');
  assert.equal(cc.types.get('p4de.24xlarge')?.accelerator?.name, 'A100-80GB');
});

test('CSV edge cases: BOM, CRLF, blank lines, escaped quotes, no trailing newline', () => {
  const strings = new Interner();
  const t = parseVmsCsv('gcp', fs.readFileSync(path.join(FIXTURES, 'edge-gcp.csv')), strings);
  assert.equal(t.size, 3);
  assert.equal(strings.get(t.instanceType[0]), 'n2-standard-8');
  assert.equal(t.price[0], 0.38);
  assert.equal(strings.get(t.instanceType[1]), 'weird "name"');
  assert.ok(Number.isNaN(t.price[1]));
  assert.equal(strings.get(t.accName[2]), 'T4');
  assert.equal(t.hasGpuInfo[2], 1);
  assert.equal(t.spotPrice[2], 0.07);
  assert.equal(strings.get(t.zone[2]), 'us-central1-a');
});

test('a broken catalog file is skipped with a warning, other clouds still load', () => {
  const dir = fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'skydeck-cat-'));
  try {
    fs.mkdirSync(path.join(dir, 'gcp'));
    fs.mkdirSync(path.join(dir, 'azure'));
    fs.writeFileSync(path.join(dir, 'gcp', 'vms.csv'), 'no,header,here\n1,2,3\n');
    fs.copyFileSync(path.join(FIXTURES, 'aws-v8', 'aws', 'vms.csv'), path.join(dir, 'azure', 'vms.csv'));
    const warnings: string[] = [];
    const onWarn = (w: Error) => warnings.push(w.message);
    process.on('warning', onWarn);
    const c = loadCatalogDir(dir);
    process.off('warning', onWarn);
    assert.equal(c.clouds.has('gcp'), false);
    assert.equal(c.clouds.has('azure'), true);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('binary index cache: a second load maps the same columns, and a changed source is parsed again', (t) => {
  const home = fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'skydeck-idx-'));
  const saved = { home: process.env.SKYDECK_HOME, idx: process.env.SKYDECK_CATALOG_INDEX_CACHE };
  process.env.SKYDECK_HOME = home;
  process.env.SKYDECK_CATALOG_INDEX_CACHE = '1';
  t.after(() => {
    for (const [k, v] of [
      ['SKYDECK_HOME', saved.home],
      ['SKYDECK_CATALOG_INDEX_CACHE', saved.idx],
    ] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    fs.rmSync(home, { recursive: true, force: true });
  });
  const dir = path.join(home, 'src');
  fs.mkdirSync(path.join(dir, 'gcp'), { recursive: true });
  fs.copyFileSync(path.join(REFERENCE_CATALOGS, 'gcp', 'vms.csv'), path.join(dir, 'gcp', 'vms.csv'));
  const first = loadCatalogDir(dir);
  const files = fs.readdirSync(path.join(home, 'catalogs', '.index'));
  assert.equal(files.length, 1);
  assert.match(files[0], /^gcp-[0-9a-f]{16}\.bin$/);
  const second = loadCatalogDir(dir);
  const a = first.clouds.get('gcp')!.table;
  const b = second.clouds.get('gcp')!.table;
  assert.equal(b.size, a.size);
  for (let i = 0; i < a.size; i += 7) {
    for (const c of ['instanceType', 'accName', 'region', 'zone', 'arch'] as const) assert.equal(second.str(b[c][i]), first.str(a[c][i]), `${c} row ${i}`);
    for (const c of ['accCount', 'vcpus', 'memoryGb', 'price', 'spotPrice', 'gpuMemoryGb'] as const) assert.ok(Object.is(b[c][i], a[c][i]), `${c} row ${i}`);
    assert.equal(b.hasGpuInfo[i], a.hasGpuInfo[i]);
  }
  assert.deepEqual([...second.clouds.get('gcp')!.regions.keys()], [...first.clouds.get('gcp')!.regions.keys()]);
  // Change the source: the stale copy is not used.
  fs.appendFileSync(path.join(dir, 'gcp', 'vms.csv'), 'zz-new-1,1.0,1.0,,,,us-central1,us-central1-a,0.01,0.001\n');
  const third = loadCatalogDir(dir);
  assert.ok(third.clouds.get('gcp')!.types.has('zz-new-1'));
  assert.equal(third.clouds.get('gcp')!.table.size, a.size + 1);
});
