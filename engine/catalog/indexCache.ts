/**
 * A binary copy of each parsed vms.csv (its typed-array columns plus its strings), kept in
 * SKYDECK_HOME/catalogs/.index and keyed by the source file's path, size and mtime. The
 * CSV is parsed once per change; every later start (CLI run, language server) maps the
 * columns straight from this file instead of parsing text again. Any problem (missing,
 * stale, unreadable, read-only home) just means parsing the CSV.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { skydeckHome } from '../util/paths';
import type { Interner } from './csv';
import type { VmTable } from './table';

const MAGIC = 0x43444b53; // 'SKDC'
const FORMAT = 1;
const F64 = ['accCount', 'vcpus', 'memoryGb', 'price', 'spotPrice', 'gpuMemoryGb'] as const;
const I32 = ['instanceType', 'accName', 'region', 'zone', 'arch'] as const;

/** On by default; off under tests (SKYDECK_TEST) unless SKYDECK_CATALOG_INDEX_CACHE=1 asks for it. */
export function indexCacheEnabled(): boolean {
  const v = process.env.SKYDECK_CATALOG_INDEX_CACHE;
  if (v !== undefined) return !(v === '0' || v.toLowerCase() === 'false');
  return !process.env.SKYDECK_TEST;
}

const KEEP_PER_CLOUD = 4;

function cacheDir(): string {
  return path.join(skydeckHome(), 'catalogs', '.index');
}

function cacheFile(cloud: string, source: string): string | undefined {
  try {
    const st = fs.statSync(source);
    const key = createHash('sha1')
      .update(`${FORMAT}|${path.resolve(source)}|${st.size}|${st.mtimeMs}`)
      .digest('hex')
      .slice(0, 16);
    return path.join(cacheDir(), `${cloud}-${key}.bin`);
  } catch {
    return undefined;
  }
}

const align8 = (n: number) => (n + 7) & ~7;

/** The table stored for this exact source file, with string ids mapped into `strings`; undefined when absent or stale. */
export function readCachedTable(cloud: string, source: string, strings: Interner): VmTable | undefined {
  const file = cacheFile(cloud, source);
  if (!file || !fs.existsSync(file)) return undefined;
  try {
    let buf = fs.readFileSync(file);
    if (buf.byteOffset % 8 !== 0) buf = Buffer.from(buf); // typed-array views need alignment
    const head = new Uint32Array(buf.buffer, buf.byteOffset, 4);
    if (head[0] !== MAGIC || head[1] !== FORMAT) return undefined;
    const size = head[2];
    const jsonLen = head[3];
    const local = JSON.parse(buf.toString('utf8', 16, 16 + jsonLen)) as string[];
    const map = new Int32Array(local.length);
    for (let i = 0; i < local.length; i++) map[i] = strings.intern(local[i]);
    let off = align8(16 + jsonLen);
    const t = { cloud, size } as VmTable;
    for (const c of F64) {
      (t as unknown as Record<string, Float64Array>)[c] = new Float64Array(buf.buffer, buf.byteOffset + off, size);
      off += size * 8;
    }
    for (const c of I32) {
      const col = new Int32Array(buf.buffer, buf.byteOffset + off, size);
      for (let i = 0; i < size; i++) if (col[i] >= 0) col[i] = map[col[i]];
      (t as unknown as Record<string, Int32Array>)[c] = col;
      off += align8(size * 4);
    }
    t.hasGpuInfo = new Uint8Array(buf.buffer, buf.byteOffset + off, size);
    if (off + size > buf.length) return undefined;
    return t;
  } catch {
    return undefined;
  }
}

/** Stores the table for its source file; removes older copies for the same cloud. Never throws. */
export function writeCachedTable(cloud: string, source: string, t: VmTable, strings: Interner): void {
  const file = cacheFile(cloud, source);
  if (!file) return;
  try {
    // Local string ids: only the strings this table uses.
    const local: string[] = [];
    const toLocal = new Map<number, number>();
    const cols = I32.map((c) => {
      const src = t[c];
      const out = new Int32Array(t.size);
      for (let i = 0; i < t.size; i++) {
        const id = src[i];
        if (id < 0) {
          out[i] = -1;
          continue;
        }
        let l = toLocal.get(id);
        if (l === undefined) {
          l = local.length;
          local.push(strings.get(id));
          toLocal.set(id, l);
        }
        out[i] = l;
      }
      return out;
    });
    const json = Buffer.from(JSON.stringify(local), 'utf8');
    const total = align8(16 + json.length) + F64.length * t.size * 8 + I32.length * align8(t.size * 4) + t.size;
    const buf = Buffer.alloc(total);
    const head = new Uint32Array(buf.buffer, buf.byteOffset, 4);
    head.set([MAGIC, FORMAT, t.size, json.length]);
    json.copy(buf, 16);
    let off = align8(16 + json.length);
    for (const c of F64) {
      buf.set(new Uint8Array(t[c].buffer, t[c].byteOffset, t.size * 8), off);
      off += t.size * 8;
    }
    for (const col of cols) {
      buf.set(new Uint8Array(col.buffer, col.byteOffset, t.size * 4), off);
      off += align8(t.size * 4);
    }
    buf.set(t.hasGpuInfo.subarray(0, t.size), off);
    fs.mkdirSync(cacheDir(), { recursive: true });
    // Keep a few copies per cloud (several sources may be in use: env dir, cache, bundled).
    const olds = fs
      .readdirSync(cacheDir())
      .filter((n) => n.startsWith(`${cloud}-`) && n.endsWith('.bin') && path.join(cacheDir(), n) !== file)
      .map((n) => ({ p: path.join(cacheDir(), n), m: fs.statSync(path.join(cacheDir(), n)).mtimeMs }))
      .sort((a, b) => b.m - a.m);
    for (const old of olds.slice(KEEP_PER_CLOUD - 1)) fs.rmSync(old.p, { force: true });
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, buf);
    fs.renameSync(tmp, file);
  } catch {
    /* read-only or full disk: parsing the CSV next time is fine */
  }
}
