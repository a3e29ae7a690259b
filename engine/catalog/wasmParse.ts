/**
 * The WebAssembly side of the vms.csv parser (./table.ts): ./wasm/csvColumns.wat scans
 * whole records, interns string cells and reads numbers into column buffers in its own
 * memory; this file streams the file through a small chunk buffer in that memory and
 * hands out the columns as views of it (no copy). Returns undefined whenever the
 * JavaScript parser should do the job instead (no WebAssembly, "" escapes inside quoted
 * cells, an unusual file): both give the same table (test/unit/catalog/wasmParse.test.ts).
 *
 * Why (measured with bench/catalog on a busy 2-core VM): in a fresh process V8 runs a
 * JavaScript byte loop in its interpreter until the optimizing compiler is done, and that
 * was most of the first load; WebAssembly runs as machine code from the first byte. Fresh
 * memory is also expensive there (page faults, ~5 ms per MB), so the file is never held
 * whole and the columns are written once, where they stay.
 */
import { isAscii } from 'node:buffer';
import * as fs from 'node:fs';
import { gpuMemoryFrom, type Interner } from './csv';
import type { TableSummary, VmTable } from './tableTypes';
import { CSV_COLUMNS_WASM } from './wasm/csvColumns.wasm';

// The slice of the WebAssembly API used here (the project's TypeScript lib has no DOM types).
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
}
const wasmApi = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;

interface CsvColumnsExports {
  mem: WasmMemory;
  nEnts: { value: number };
  nSlow: { value: number };
  arenaUsed: { value: number };
  reset(): void;
  remap(col: number, n: number, map: number): void;
  gpuInfo(col: number, n: number, perId: number, has: number, gb: number): void;
  summarize(
    n: number,
    itCol: number,
    regCol: number,
    zoneCol: number,
    accCol: number,
    priceCol: number,
    spotCol: number,
    nIds: number,
    typeCount: number,
    firstRow: number,
    minPrice: number,
    minSpot: number,
    zoneRegion: number,
    seen: number,
    start: number,
    fill: number,
    sorted: number,
    attach: number,
  ): number;
  parse(
    from: number,
    end: number,
    roles: number,
    slots: number,
    nCols: number,
    hash: number,
    mask: number,
    ents: number,
    maxEnts: number,
    arena: number,
    arenaSize: number,
    slow: number,
    maxSlow: number,
    maxRows: number,
  ): number;
}

/** Where the bytes come from: a file descriptor or a buffer already in memory. */
interface ByteSource {
  size: number;
  /** Copies up to `len` bytes from file position `pos` to `into[at...]`; returns the count. */
  read(into: Uint8Array, at: number, len: number, pos: number): number;
}

const CHUNK = 1 << 18;
const HASH_SLOTS = 1 << 15;
const MAX_STRINGS = HASH_SLOTS >> 1; // load factor <= 0.5
const ARENA = 1 << 20;
const MAX_SLOW_NUMBERS = 1 << 12;
const PAGE = 65536;

type StringColumn = 'instanceType' | 'accName' | 'region' | 'zone' | 'arch';
type NumberColumn = 'accCount' | 'vcpus' | 'memoryGb' | 'price' | 'spotPrice';
const STRING_COLUMNS: [string, StringColumn][] = [
  ['InstanceType', 'instanceType'],
  ['AcceleratorName', 'accName'],
  ['Region', 'region'],
  ['AvailabilityZone', 'zone'],
  ['Arch', 'arch'],
];
const NUMBER_COLUMNS: [string, NumberColumn][] = [
  ['AcceleratorCount', 'accCount'],
  ['vCPUs', 'vcpus'],
  ['MemoryGiB', 'memoryGb'],
  ['Price', 'price'],
  ['SpotPrice', 'spotPrice'],
];

let compiled: object | null | undefined;

function csvModule(): object | undefined {
  if (compiled === undefined) {
    try {
      compiled = wasmApi ? new wasmApi.Module(Buffer.from(CSV_COLUMNS_WASM, 'base64')) : null;
    } catch {
      compiled = null;
    }
  }
  return compiled ?? undefined;
}

/** Off with SKYDECK_CATALOG_WASM=0 (the benchmark and tests compare both parsers). */
export function wasmParseEnabled(): boolean {
  return process.env.SKYDECK_CATALOG_WASM !== '0' && csvModule() !== undefined;
}

const align8 = (n: number) => (n + 7) & ~7;

function growTo(mem: WasmMemory, bytes: number): void {
  const have = mem.buffer.byteLength;
  if (bytes > have) mem.grow(Math.ceil((bytes - have) / PAGE));
}

function headerNames(bytes: Uint8Array): string[] {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length)
    .toString('utf8')
    .replace(/\r$/, '')
    .split(',')
    .map((h) => h.trim());
}

export function bufferSource(buf: Uint8Array): ByteSource {
  return {
    size: buf.length,
    read: (into, at, len, pos) => {
      const part = buf.subarray(pos, Math.min(buf.length, pos + len));
      into.set(part, at);
      return part.length;
    },
  };
}

/** Parses the file at `file` with the WebAssembly parser; undefined = use the JavaScript one. */
export function parseVmsFileWasm(cloud: string, file: string, strings: Interner): VmTable | undefined {
  if (!wasmParseEnabled()) return undefined;
  const fd = fs.openSync(file, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    return parseVmsCsvWasm(cloud, { size, read: (into, at, len, pos) => fs.readSync(fd, into, at, len, pos) }, strings);
  } finally {
    fs.closeSync(fd);
  }
}

/** `chunkBytes`: the streaming buffer (tests use small ones to put many records across reads). */
export function parseVmsCsvWasm(cloud: string, src: ByteSource, strings: Interner, chunkBytes = CHUNK): VmTable | undefined {
  const mod = wasmParseEnabled() ? csvModule() : undefined;
  if (!mod || !wasmApi) return undefined;
  try {
    const first = parseWith(new wasmApi.Instance(mod, {}).exports as CsvColumnsExports, cloud, src, strings, chunkBytes, false);
    if (first !== NEED_ROOM) return first;
    // More rows than the estimate: once more with room for the most rows the file can hold.
    const again = parseWith(new wasmApi.Instance(mod, {}).exports as CsvColumnsExports, cloud, src, strings, chunkBytes, true);
    return again === NEED_ROOM ? undefined : again;
  } catch (e) {
    // No memory for the instance (a low `ulimit -v`), a failed grow, a trap: JavaScript parses instead.
    if (e instanceof RangeError || (e instanceof Error && e.name === 'RuntimeError')) return undefined;
    throw e;
  }
}

/** parse() said there were more rows than the columns have room for. */
const NEED_ROOM = Symbol('need room');

function parseWith(
  x: CsvColumnsExports,
  cloud: string,
  src: ByteSource,
  strings: Interner,
  chunk: number,
  roomForAll: boolean,
): VmTable | undefined | typeof NEED_ROOM {
  // Fixed part of the memory: hash, strings, slow numbers, chunk buffer (+ room for a carried record).
  let off = 0;
  const take = (bytes: number) => {
    const at = off;
    off = align8(off + bytes);
    return at;
  };
  const hashAt = take(HASH_SLOTS * 4);
  const entsAt = take(MAX_STRINGS * 8);
  const arenaAt = take(ARENA);
  const slowAt = take(MAX_SLOW_NUMBERS * 12);
  const chunkAt = take(chunk + 8);
  growTo(x.mem, off);

  // Header: the first line, within the first chunk.
  let u8 = new Uint8Array(x.mem.buffer);
  let avail = src.read(u8, chunkAt, chunk, 0);
  let pos = avail;
  let start = chunkAt;
  if (avail >= 3 && u8[chunkAt] === 0xef && u8[chunkAt + 1] === 0xbb && u8[chunkAt + 2] === 0xbf) start += 3;
  let eol = u8.subarray(start, chunkAt + avail).indexOf(0x0a);
  if (eol < 0 && pos < src.size) return undefined; // a header longer than a chunk: not a catalog we know
  eol = eol < 0 ? chunkAt + avail : start + eol;
  const names = headerNames(u8.subarray(start, eol));
  if (names.indexOf('InstanceType') < 0 || names.indexOf('Region') < 0) {
    throw new Error(`${cloud}/vms.csv: missing InstanceType or Region column (header: ${names.join(',')})`);
  }
  start = Math.min(eol + 1, chunkAt + avail);

  // Column outputs, sized by rows estimated from the first chunk's record length (growing wasm
  // memory costs in proportion to its size). Every full record has at least one byte per
  // column, so size / columns bounds the rows: the retry uses that (shorter records can
  // exceed even it: the parser then says so and JavaScript takes over).
  const nCols = names.length;
  const safeRows = Math.floor(src.size / Math.max(1, nCols)) + 16;
  let maxRows = safeRows;
  if (!roomForAll) {
    const firstChunk = u8.subarray(start, chunkAt + avail);
    let lines = 0;
    for (let i = firstChunk.indexOf(0x0a); i >= 0; i = firstChunk.indexOf(0x0a, i + 1)) lines++;
    const final = pos >= src.size;
    if (final) maxRows = Math.min(safeRows, lines + 2);
    else if (lines > 0) maxRows = Math.min(safeRows, Math.ceil(((src.size - (start - chunkAt)) / firstChunk.length) * lines * 1.25) + 256);
  }
  const rolesAt = take(nCols);
  const slotsAt = take(nCols * 4);
  const roles = new Uint8Array(nCols);
  const slots = new Int32Array(nCols);
  const place = (name: string, role: number): number => {
    const c = names.indexOf(name);
    if (c < 0) return -1;
    roles[c] = role;
    slots[c] = take(maxRows * (role === 1 ? 4 : 8));
    return slots[c];
  };
  const stringAt = STRING_COLUMNS.map(([name]) => place(name, 1));
  const numberAt = NUMBER_COLUMNS.map(([name]) => place(name, 2));
  const gpuInfoAt = place('GpuInfo', 1);
  // What the steps after the parse write, reserved now so memory grows once.
  const mapAt = take(MAX_STRINGS * 4);
  const perIdAt = take(MAX_STRINGS * 8);
  const hasAt = take(maxRows);
  const gbAt = take(maxRows * 8);
  const maxIds = strings.values.length + MAX_STRINGS;
  const sum = {
    typeCount: take(maxIds * 4),
    firstRow: take(maxIds * 4),
    minPrice: take(maxIds * 8),
    minSpot: take(maxIds * 8),
    zoneRegion: take(maxIds * 4),
    seen: take(maxIds),
    start: take((maxIds + 1) * 4),
    fill: take(maxIds * 4),
    sorted: take(maxRows * 4),
    attach: take(maxRows * 4),
  };
  growTo(x.mem, off);
  u8 = new Uint8Array(x.mem.buffer);
  u8.set(roles, rolesAt);
  new Int32Array(x.mem.buffer, slotsAt, nCols).set(slots);

  // Stream: parse whole records, carry the partial last one to the front, read on.
  x.reset();
  let size = 0;
  for (;;) {
    const final = pos >= src.size;
    const dataEnd = chunkAt + avail;
    let end = dataEnd;
    if (!final) {
      const lastLf = u8.lastIndexOf(0x0a, dataEnd - 1);
      if (lastLf < start) {
        if (avail >= chunk) return undefined; // one record longer than a chunk
        end = start;
      } else end = lastLf + 1;
    }
    if (end > start) {
      size = x.parse(start, end, rolesAt, slotsAt, nCols, hashAt, HASH_SLOTS - 1, entsAt, MAX_STRINGS, arenaAt, ARENA, slowAt, MAX_SLOW_NUMBERS, maxRows);
      if (size === -5 && maxRows < safeRows) return NEED_ROOM;
      if (size < 0) return undefined;
      slowNumbers(x, u8, slowAt);
    }
    if (final) break;
    const carry = dataEnd - end;
    u8.copyWithin(chunkAt, end, dataEnd);
    const n = src.read(u8, chunkAt + carry, chunk - carry, pos);
    if (n <= 0) return undefined; // the file shrank while we read it
    pos += n;
    avail = carry + n;
    start = chunkAt;
  }

  // String ids -> the shared interner's, in place; GpuInfo cells -> device memory. The
  // per-row loops run in WebAssembly; JavaScript only handles the distinct strings.
  const nEnts = x.nEnts.value;
  const mem = x.mem.buffer;
  u8 = new Uint8Array(mem);
  const ents = new Int32Array(mem, entsAt, nEnts * 2);
  // One decode of every distinct string's bytes when they are ASCII (catalogs are), else one per string.
  const arena = u8.subarray(arenaAt, arenaAt + x.arenaUsed.value);
  const ascii = isAscii(arena) ? Buffer.from(mem, arenaAt, arena.length).toString('latin1') : undefined;
  const text = (id: number) =>
    ascii !== undefined
      ? ascii.slice(ents[2 * id] - arenaAt, ents[2 * id] - arenaAt + ents[2 * id + 1])
      : Buffer.from(mem, ents[2 * id], ents[2 * id + 1]).toString('utf8');
  const t = { cloud, size } as VmTable;
  if (STRING_COLUMNS.some((_, k) => stringAt[k] >= 0)) {
    // Every distinct string is interned, GpuInfo cells too (a few per file; cheaper than finding which are used).
    const map = new Int32Array(mem, mapAt, nEnts);
    for (let id = 0; id < nEnts; id++) map[id] = strings.internWithBytes(text(id), u8, ents[2 * id], ents[2 * id] + ents[2 * id + 1]);
  }
  // Absent columns share one array of defaults (tables are read-only once loaded).
  let noIds: Int32Array | undefined;
  let noNumbers: Float64Array | undefined;
  STRING_COLUMNS.forEach(([, key], k) => {
    const at = stringAt[k];
    if (at < 0) {
      t[key] = noIds ??= new Int32Array(size).fill(-1);
      return;
    }
    x.remap(at, size, mapAt);
    t[key] = new Int32Array(mem, at, size);
  });
  NUMBER_COLUMNS.forEach(
    ([, key], k) => (t[key] = numberAt[k] < 0 ? (noNumbers ??= new Float64Array(size).fill(NaN)) : new Float64Array(mem, numberAt[k], size)),
  );
  if (gpuInfoAt >= 0) {
    const perId = new Float64Array(mem, perIdAt, nEnts);
    for (let id = 0; id < nEnts; id++) perId[id] = gpuMemoryFrom(u8, ents[2 * id], ents[2 * id] + ents[2 * id + 1]);
    x.gpuInfo(gpuInfoAt, size, perIdAt, hasAt, gbAt);
    t.hasGpuInfo = new Uint8Array(mem, hasAt, size);
    t.gpuMemoryGb = new Float64Array(mem, gbAt, size);
  } else {
    t.hasGpuInfo = new Uint8Array(size);
    t.gpuMemoryGb = new Float64Array(size).fill(NaN);
  }
  const nIds = strings.values.length;
  const col = (key: StringColumn) => stringAt[STRING_COLUMNS.findIndex(([, k]) => k === key)];
  const num = (key: NumberColumn) => numberAt[NUMBER_COLUMNS.findIndex(([, k]) => k === key)];
  if (col('instanceType') >= 0) {
    const nAttach = x.summarize(
      size,
      col('instanceType'),
      col('region'),
      col('zone'),
      col('accName'),
      num('price'),
      num('spotPrice'),
      nIds,
      sum.typeCount,
      sum.firstRow,
      sum.minPrice,
      sum.minSpot,
      sum.zoneRegion,
      sum.seen,
      sum.start,
      sum.fill,
      sum.sorted,
      sum.attach,
    );
    const starts = new Int32Array(mem, sum.start, nIds + 1);
    const summary: TableSummary = {
      nIds,
      typeCount: new Int32Array(mem, sum.typeCount, nIds),
      firstRow: new Int32Array(mem, sum.firstRow, nIds),
      minPrice: new Float64Array(mem, sum.minPrice, nIds),
      minSpot: new Float64Array(mem, sum.minSpot, nIds),
      zoneRegion: new Int32Array(mem, sum.zoneRegion, nIds),
      seen: new Uint8Array(mem, sum.seen, nIds),
      start: starts,
      sorted: new Int32Array(mem, sum.sorted, starts[nIds]),
      attachRows: new Int32Array(mem, sum.attach, nAttach),
    };
    t.summary = summary;
  }
  return t;
}

/** Numbers the fast path left in this chunk (exponents, "nan", long digit strings). */
function slowNumbers(x: CsvColumnsExports, u8: Uint8Array, slowAt: number): void {
  const n = x.nSlow.value;
  if (n === 0) return;
  const slow = new Int32Array(u8.buffer, slowAt, n * 3);
  const f64 = new Float64Array(u8.buffer);
  for (let k = 0; k < slow.length; k += 3) {
    const text = Buffer.from(u8.buffer, slow[k + 1], slow[k + 2] - slow[k + 1])
      .toString('latin1')
      .trim();
    const v = /^(nan|none|null)$/i.test(text) ? NaN : Number(text);
    f64[slow[k] >> 3] = Number.isFinite(v) ? v : NaN;
  }
}
