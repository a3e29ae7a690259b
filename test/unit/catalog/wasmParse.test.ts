import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Interner } from '../../../engine/catalog/csv';
import { parseVmsCsvFile, parseVmsCsvJs, type VmTable } from '../../../engine/catalog/table';
import { bufferSource, parseVmsCsvWasm, wasmParseEnabled } from '../../../engine/catalog/wasmParse';
import { REFERENCE_CATALOGS } from '../optimizer/helpers';
import { skipWithoutPrerequisite } from '../../helpers/prerequisites';

const FIXTURES = path.join(__dirname, 'fixtures');
const STRING_COLUMNS = ['instanceType', 'accName', 'region', 'zone', 'arch'] as const;
const NUMBER_COLUMNS = ['accCount', 'vcpus', 'memoryGb', 'price', 'spotPrice', 'gpuMemoryGb'] as const;

/** Asserts two tables hold the same rows (string columns compared as text: the interners differ). */
function assertSameTable(a: VmTable, sa: Interner, b: VmTable, sb: Interner, what: string): void {
  assert.equal(a.size, b.size, `${what}: rows`);
  for (let r = 0; r < a.size; r++) {
    for (const c of STRING_COLUMNS) assert.equal(sa.get(a[c][r]), sb.get(b[c][r]), `${what}: row ${r} ${c}`);
    for (const c of NUMBER_COLUMNS) {
      const x = a[c][r];
      const y = b[c][r];
      assert.ok(x === y || (Number.isNaN(x) && Number.isNaN(y)), `${what}: row ${r} ${c}: ${x} vs ${y}`);
    }
    assert.equal(a.hasGpuInfo[r], b.hasGpuInfo[r], `${what}: row ${r} hasGpuInfo`);
  }
}

function wasmTable(buf: Uint8Array, strings: Interner): VmTable | undefined {
  return parseVmsCsvWasm('gcp', bufferSource(buf), strings);
}

test('WebAssembly is available here, so the fast parser is the one under test', () => {
  assert.equal(wasmParseEnabled(), true);
});

test('the WebAssembly parser gives the JavaScript parser table on the reference catalogs (streamed from disk, records across chunks)', () => {
  for (const cloud of ['gcp', 'azure']) {
    const file = path.join(REFERENCE_CATALOGS, cloud, 'vms.csv');
    const sw = new Interner();
    const sj = new Interner();
    const w = parseVmsCsvFile(cloud, file, sw);
    const j = parseVmsCsvJs(cloud, fs.readFileSync(file), sj);
    assert.ok(w.size > 30000);
    // The file is many times the chunk: this also checks records split across reads.
    assert.ok(fs.statSync(file).size > 4 * (1 << 18));
    assertSameTable(w, sw, j, sj, cloud);
  }
});

test('same table on the bundled snapshot and the AWS fixture (quoted GpuInfo cells with commas)', () => {
  const files = ['aws', 'gcp', 'azure'].map((c) => path.join(__dirname, '../../../catalogs', c, 'vms.csv'));
  files.push(path.join(FIXTURES, 'aws-v8', 'aws', 'vms.csv'));
  for (const file of files) {
    const buf = fs.readFileSync(file);
    const sw = new Interner();
    const sj = new Interner();
    const w = wasmTable(buf, sw);
    assert.ok(w, `${file}: the WebAssembly parser took it`);
    assertSameTable(w, sw, parseVmsCsvJs('gcp', buf, sj), sj, file);
  }
});

test('edge cases: CRLF, BOM, blank lines, short rows, no trailing newline, exponents and nan, long numbers', () => {
  const text =
    '\ufeffInstanceType,vCPUs,MemoryGiB,AcceleratorName,AcceleratorCount,GpuInfo,Region,AvailabilityZone,Price,SpotPrice\r\n' +
    'n2-standard-8,8.0,32.0,,,,us-central1,us-central1-a,0.38,5e-05\r\n' +
    '\r\n' +
    'short-row,2\r\n' +
    "\"quoted, type\",1,1,,,\"{'Gpus': [{'MemoryInfo': {'SizeInMiB': 16384}}], 'x': 1}\",r1,r1-a,nan,0.1234567890123456789\n" +
    ',,,T4,0.5,,us-central1,us-central1-b,-1.25,';
  const buf = Buffer.from(text, 'utf8');
  const sw = new Interner();
  const sj = new Interner();
  const w = wasmTable(buf, sw);
  assert.ok(w);
  const j = parseVmsCsvJs('gcp', buf, sj);
  assertSameTable(w, sw, j, sj, 'edge');
  assert.equal(w.size, 4);
  assert.equal(w.spotPrice[0], 5e-5);
  assert.equal(sw.get(w.instanceType[1]), 'short-row');
  assert.equal(w.vcpus[1], 2);
  assert.ok(Number.isNaN(w.memoryGb[1]));
  assert.equal(sw.get(w.region[1]), '');
  assert.equal(sw.get(w.instanceType[2]), 'quoted, type');
  assert.equal(w.gpuMemoryGb[2], 16);
  assert.ok(Number.isNaN(w.price[2]));
  assert.equal(w.spotPrice[2], Number('0.1234567890123456789'));
  assert.equal(w.accCount[3], 0.5);
  assert.equal(w.price[3], -1.25);
  assert.ok(Number.isNaN(w.spotPrice[3]));
});

test('numbers are read exactly as Number() reads them', () => {
  const values = ['0.94803', '12.3', '0.1', '0.3', '1.7', '3.75', '123456.789012', '0.000123', '99999999999999.9', '7'];
  const text = `InstanceType,Region,Price\n${values.map((v, i) => `t${i},r,${v}`).join('\n')}\n`;
  const s = new Interner();
  const w = wasmTable(Buffer.from(text), s);
  assert.ok(w);
  values.forEach((v, i) => assert.equal(w.price[i], Number(v), v));
});

test('"" escapes in a quoted cell: the JavaScript parser takes over, with the same result', () => {
  const file = path.join(FIXTURES, 'edge-gcp.csv');
  const buf = fs.readFileSync(file);
  assert.equal(wasmTable(buf, new Interner()), undefined);
  const s = new Interner();
  const t = parseVmsCsvFile('gcp', file, s);
  assert.equal(s.get(t.instanceType[1]), 'weird "name"');
});

test('a missing header column is an error on both paths; an unterminated quote falls back and fails', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skydeck-wasm-'));
  try {
    const bad = path.join(dir, 'vms.csv');
    fs.writeFileSync(bad, 'no,header,here\n1,2,3\n');
    assert.throws(() => parseVmsCsvFile('gcp', bad, new Interner()), /missing InstanceType or Region/);
    fs.writeFileSync(bad, 'InstanceType,Region\n"open,r\n');
    assert.throws(() => parseVmsCsvFile('gcp', bad, new Interner()), /unterminated quoted field/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('the committed WebAssembly bytes are csvColumns.wat assembled (needs wat2wasm)', (t) => {
  const { execFileSync, spawnSync } = require('node:child_process') as typeof import('node:child_process');
  if (skipWithoutPrerequisite(t, spawnSync('wat2wasm', ['--version']).status !== 0 && 'wat2wasm (Debian package wabt, installed by scripts/setup/20-wabt.sh)'))
    return;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skydeck-wat-'));
  try {
    const out = path.join(dir, 'csv.wasm');
    execFileSync('wat2wasm', [path.join(__dirname, '../../../engine/catalog/wasm/csvColumns.wat'), '-o', out]);
    const { CSV_COLUMNS_WASM } = require('../../../engine/catalog/wasm/csvColumns.wasm') as { CSV_COLUMNS_WASM: string };
    assert.equal(CSV_COLUMNS_WASM, fs.readFileSync(out).toString('base64'), 'run: node engine/catalog/wasm/build.mjs');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('the index from the WebAssembly per-row summary equals the one summarized in JavaScript', () => {
  const { Catalog } = require('../../../engine/catalog/catalog') as typeof import('../../../engine/catalog/catalog');
  for (const cloud of ['gcp', 'azure'] as const) {
    const file = path.join(REFERENCE_CATALOGS, cloud, 'vms.csv');
    const a = new Catalog();
    const ta = parseVmsCsvFile(cloud, file, a.strings);
    assert.ok(ta.summary, 'the WebAssembly path summarized the rows');
    const b = new Catalog();
    const tb = parseVmsCsvFile(cloud, file, b.strings);
    delete tb.summary;
    const ca = a.addTable(cloud, ta, 'wasm');
    const cb = b.addTable(cloud, tb, 'js');
    const shape = (cc: typeof ca) => ({
      types: [...cc.types.values()].map((i) => ({ ...i, rows: [...i.rows] })),
      regions: [...cc.regions],
      attachable: [...cc.attachable].map(([k, gs]) => [k, gs.map((g) => ({ ...g, rows: [...g.rows] }))]),
      accelerators: [...cc.acceleratorNames].sort(),
      cpuTypes: cc.cpuTypes.map((i) => i.name),
    });
    assert.deepEqual(shape(ca), shape(cb), cloud);
  }
});

test('no memory for a WebAssembly instance (low ulimit -v): the JavaScript parser loads the file instead', (t) => {
  const { spawnSync } = require('node:child_process') as typeof import('node:child_process');
  const { buildSync } = require('esbuild') as typeof import('esbuild');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skydeck-ulimit-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  // Bundled and run by plain node: tsx itself needs WebAssembly, which the limit forbids.
  const entry = path.join(dir, 'entry.ts');
  fs.writeFileSync(
    entry,
    [
      `import { parseVmsCsvFile } from ${JSON.stringify(path.resolve(__dirname, '../../../engine/catalog/table'))};`,
      `import { Interner } from ${JSON.stringify(path.resolve(__dirname, '../../../engine/catalog/csv'))};`,
      `const t = parseVmsCsvFile('gcp', ${JSON.stringify(path.join(REFERENCE_CATALOGS, 'gcp', 'vms.csv'))}, new Interner());`,
      'console.log(JSON.stringify({ rows: t.size, wasm: !!t.summary }));',
    ].join('\n'),
  );
  const out = path.join(dir, 'entry.js');
  buildSync({ entryPoints: [entry], bundle: true, platform: 'node', format: 'cjs', outfile: out, logLevel: 'error' });
  const run = (limit: string) =>
    spawnSync('bash', ['-c', `${limit}exec "$0" "$1"`, process.execPath, out], { encoding: 'utf8', env: { ...process.env, SKYDECK_TEST: '1' } });
  const free = run('');
  assert.equal(free.status, 0, free.stderr);
  assert.deepEqual(JSON.parse(free.stdout), { rows: 31285, wasm: true });
  // 3 GB of address space: enough for Node, not for a WebAssembly memory's reservation.
  const limited = run('ulimit -v 3000000 && ');
  assert.equal(limited.status, 0, limited.stderr);
  assert.deepEqual(JSON.parse(limited.stdout), { rows: 31285, wasm: false });
});

test('randomized files, read through tiny chunks: the WebAssembly and JavaScript parsers agree', () => {
  // A fixed-seed generator (mulberry32): the same 150 files on every run.
  let seed = 0x5eed;
  const rand = () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
  const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)];
  const cell = (col: string): string => {
    if (rand() < 0.15) return '';
    if (['vCPUs', 'MemoryGiB', 'Price', 'SpotPrice', 'AcceleratorCount'].includes(col)) {
      return pick(['8', '8.0', '0.5', '-1.25', '1e-05', '3.75', 'nan', '12.3456789012', '0.1234567890123456789', '1.', '.5', '7x']);
    }
    if (col === 'GpuInfo') return pick(["\"{'Gpus': [{'MemoryInfo': {'SizeInMiB': 16384}}], 'Count': 1}\"", "{'SizeInMiB': 40960}", 'x']);
    const base = pick(['n2-standard-8', 'a2-highgpu-1g', 'us-central1', 'us-central1-a', 'T4', 'A100', 'Standard_D8s_v5', 'eastus', 'x86_64', 'ünïcode-ü']);
    return rand() < 0.1 ? `"${base}, quoted"` : base;
  };
  const columns = [
    'InstanceType',
    'AcceleratorName',
    'AcceleratorCount',
    'vCPUs',
    'MemoryGiB',
    'GpuInfo',
    'Price',
    'SpotPrice',
    'Region',
    'AvailabilityZone',
    'Arch',
  ];
  let compared = 0;
  for (let f = 0; f < 150; f++) {
    const cols = [...columns].sort(() => rand() - 0.5).filter((c) => c === 'InstanceType' || c === 'Region' || rand() < 0.8);
    const eol = pick(['\n', '\r\n']);
    const lines = [cols.join(',')];
    const n = 1 + Math.floor(rand() * 60);
    for (let r = 0; r < n; r++) {
      if (rand() < 0.05) {
        lines.push('');
        continue;
      }
      const width = rand() < 0.1 ? Math.floor(rand() * cols.length) + 1 : cols.length;
      lines.push(cols.slice(0, width).map(cell).join(','));
    }
    const text = (rand() < 0.2 ? '\ufeff' : '') + lines.join(eol) + (rand() < 0.7 ? eol : '');
    const buf = Buffer.from(text, 'utf8');
    const sw = new Interner();
    const w = parseVmsCsvWasm('gcp', bufferSource(buf), sw, 256 + Math.floor(rand() * 512));
    const sj = new Interner();
    const j = parseVmsCsvJs('gcp', buf, sj);
    if (!w) continue; // a record longer than the chunk: the JavaScript parser's job
    assertSameTable(w, sw, j, sj, `file ${f}:\n${text}`);
    compared++;
  }
  assert.ok(compared > 100, `compared ${compared} files`);
});

test('rows far shorter after the first chunk than in it: the row estimate is redone with room for all', () => {
  const long = `${'x'.repeat(180)},us-central1,1.5\n`;
  const short = 'a,r,1\n';
  const text = `InstanceType,Region,Price\n${long.repeat(2000)}${short.repeat(60000)}`;
  const buf = Buffer.from(text);
  const sw = new Interner();
  const w = wasmTable(buf, sw);
  assert.ok(w?.summary, 'parsed by WebAssembly');
  const sj = new Interner();
  assertSameTable(w, sw, parseVmsCsvJs('gcp', buf, sj), sj, 'long then short');
  assert.equal(w.size, 62000);
});
