/**
 * One cloud's `vms.csv` (SkyPilot catalog schema v8) held column-wise in typed arrays.
 * Columns are found by header name, since their order differs between clouds (AWS and
 * Azure put accelerators before vCPUs, GCP after). Empty cells stay unknown (NaN / -1),
 * never zero.
 */
import * as fs from 'node:fs';
import { fieldNumber, gpuMemoryFrom, type Interner } from './csv';
import { bufferSource, parseVmsCsvWasm, parseVmsFileWasm } from './wasmParse';

export type { TableSummary, VmTable } from './tableTypes';
import type { VmTable } from './tableTypes';

const COLUMNS = [
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
] as const;

/** The header's column names (first line, BOM and CR stripped) and where the records start. */
function vmsHeader(cloud: string, buf: Uint8Array): { names: string[]; dataStart: number } {
  const len = buf.length;
  const i = len >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf ? 3 : 0;
  let eol = buf.indexOf(0x0a, i);
  if (eol < 0) eol = len;
  const headerText = Buffer.from(buf.buffer, buf.byteOffset + i, eol - i)
    .toString('utf8')
    .replace(/\r$/, '');
  const names = headerText.split(',').map((h) => h.trim());
  if (names.indexOf('InstanceType') < 0 || names.indexOf('Region') < 0) {
    throw new Error(`${cloud}/vms.csv: missing InstanceType or Region column (header: ${headerText})`);
  }
  return { names, dataStart: Math.min(len, eol + 1) };
}

/**
 * Parses a whole vms.csv: with the WebAssembly column parser (./wasmParse.ts), or with the
 * JavaScript loop below when WebAssembly is unavailable or the file has something that
 * parser leaves to it ("" escapes inside quoted cells). Both give the same table.
 */
export function parseVmsCsv(cloud: string, buf: Uint8Array, strings: Interner): VmTable {
  return parseVmsCsvWasm(cloud, bufferSource(buf), strings) ?? parseVmsCsvJs(cloud, buf, strings);
}

/** parseVmsCsv of a file, streamed through the WebAssembly parser when it can (the file is never held whole). */
export function parseVmsCsvFile(cloud: string, file: string, strings: Interner): VmTable {
  return parseVmsFileWasm(cloud, file, strings) ?? parseVmsCsvJs(cloud, fs.readFileSync(file), strings);
}

/**
 * The JavaScript parser: the whole vms.csv in one loop (no per-row callback, no per-cell
 * string). Exported for tests that compare it with the WebAssembly path.
 */
export function parseVmsCsvJs(cloud: string, buf: Uint8Array, strings: Interner): VmTable {
  const len = buf.length;
  const { names, dataStart } = vmsHeader(cloud, buf);
  const role = new Int8Array(names.length).fill(-1);
  for (let c = 0; c < COLUMNS.length; c++) {
    const at = names.indexOf(COLUMNS[c]);
    if (at >= 0) role[at] = c;
  }
  let i = dataStart;
  // Upper bound on rows: count newlines once (native memchr) to size the arrays exactly once.
  let cap = 1;
  for (let k = buf.indexOf(0x0a, i); k >= 0; k = buf.indexOf(0x0a, k + 1)) cap++;
  const t: VmTable = {
    cloud,
    size: 0,
    instanceType: new Int32Array(cap).fill(-1),
    accName: new Int32Array(cap).fill(-1),
    region: new Int32Array(cap).fill(-1),
    zone: new Int32Array(cap).fill(-1),
    arch: new Int32Array(cap).fill(-1),
    accCount: new Float64Array(cap).fill(NaN),
    vcpus: new Float64Array(cap).fill(NaN),
    memoryGb: new Float64Array(cap).fill(NaN),
    price: new Float64Array(cap).fill(NaN),
    spotPrice: new Float64Array(cap).fill(NaN),
    gpuMemoryGb: new Float64Array(cap).fill(NaN),
    hasGpuInfo: new Uint8Array(cap),
  };
  const { instanceType, accName, region, zone, arch, accCount, vcpus, memoryGb, price, spotPrice, gpuMemoryGb, hasGpuInfo } = t;
  const nRoles = role.length;
  let n = 0;
  let f = 0;
  let rowEmpty = true;
  while (i < len) {
    let s: number;
    let e: number;
    let escaped = false;
    if (buf[i] === 0x22) {
      let j = i + 1;
      for (;;) {
        if (j >= len) throw new Error(`${cloud}/vms.csv: unterminated quoted field`);
        if (buf[j] === 0x22) {
          if (j + 1 < len && buf[j + 1] === 0x22) {
            escaped = true;
            j += 2;
            continue;
          }
          break;
        }
        j++;
      }
      s = i + 1;
      e = j;
      i = j + 1;
    } else {
      let j = i;
      while (j < len) {
        const c = buf[j];
        if (c === 0x2c || c === 0x0a || c === 0x0d) break;
        j++;
      }
      s = i;
      e = j;
      i = j;
    }
    if (e > s) {
      rowEmpty = false;
      switch (f < nRoles ? role[f] : -1) {
        case 0:
          instanceType[n] = strings.internBytes(buf, s, e, escaped);
          break;
        case 1:
          accName[n] = strings.internBytes(buf, s, e, escaped);
          break;
        case 2:
          accCount[n] = fieldNumber(buf, s, e);
          break;
        case 3:
          vcpus[n] = fieldNumber(buf, s, e);
          break;
        case 4:
          memoryGb[n] = fieldNumber(buf, s, e);
          break;
        case 5:
          hasGpuInfo[n] = 1;
          gpuMemoryGb[n] = gpuMemoryFrom(buf, s, e);
          break;
        case 6:
          price[n] = fieldNumber(buf, s, e);
          break;
        case 7:
          spotPrice[n] = fieldNumber(buf, s, e);
          break;
        case 8:
          region[n] = strings.internBytes(buf, s, e, escaped);
          break;
        case 9:
          zone[n] = strings.internBytes(buf, s, e, escaped);
          break;
        case 10:
          arch[n] = strings.internBytes(buf, s, e, escaped);
          break;
        default:
          break;
      }
    }
    f++;
    if (i < len && buf[i] === 0x2c) {
      i++;
      continue;
    }
    if (i < len && buf[i] === 0x0d) i++;
    if (i < len && buf[i] === 0x0a) i++;
    if (!rowEmpty || f > 1) n++; // an empty line is not a row (a line of empty cells is)
    f = 0;
    rowEmpty = true;
  }
  if (f > 0) n++; // the file ended right after a ',' (a last record with an empty last cell)
  t.size = n;
  return t;
}
