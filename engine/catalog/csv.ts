/**
 * Byte-level helpers both catalog parsers share (the JavaScript one in table.ts, the
 * WebAssembly one in wasmParse.ts). Nothing builds a string per cell: numbers are parsed
 * straight from the bytes and repeated strings (instance types, regions, zones) are interned
 * by hashing their bytes.
 */

/** Parses a decimal number from bytes; NaN for an empty field. */
export function fieldNumber(buf: Uint8Array, s: number, e: number): number {
  if (s >= e) return NaN;
  let i = s;
  let neg = false;
  if (buf[i] === 0x2d) {
    neg = true;
    i++;
  }
  let intPart = 0;
  let digits = 0;
  while (i < e && buf[i] >= 0x30 && buf[i] <= 0x39) {
    intPart = intPart * 10 + (buf[i] - 0x30);
    i++;
    digits++;
  }
  let value = intPart;
  if (i < e && buf[i] === 0x2e) {
    i++;
    let frac = 0;
    let scale = 1;
    let fracDigits = 0;
    while (i < e && buf[i] >= 0x30 && buf[i] <= 0x39) {
      frac = frac * 10 + (buf[i] - 0x30);
      scale *= 10;
      i++;
      fracDigits++;
    }
    digits += fracDigits;
    // Up to 15 digits both integers are exact, so one division rounds correctly (as Number() does).
    if (digits > 15) return slowNumber(buf, s, e);
    value = (intPart * scale + frac) / scale;
  }
  if (i !== e || digits === 0 || digits > 15) return slowNumber(buf, s, e);
  return neg ? -value : value;
}

function slowNumber(buf: Uint8Array, s: number, e: number): number {
  const text = Buffer.from(buf.buffer, buf.byteOffset + s, e - s)
    .toString('latin1')
    .trim();
  if (text === '' || /^(nan|none|null)$/i.test(text)) return NaN;
  const v = Number(text);
  return Number.isFinite(v) ? v : NaN;
}

/**
 * Interns byte ranges as strings: each distinct value becomes one JS string and an id.
 * Open addressing on an FNV-1a hash of the bytes; the bytes of each value are kept so
 * lookups compare bytes, not strings.
 */
export class Interner {
  readonly values: string[] = [];
  private bytes: Uint8Array = new Uint8Array(1 << 16);
  private bytesUsed = 0;
  private offsets: number[] = [];
  private table = new Int32Array(1 << 12).fill(-1);
  private readonly ids = new Map<string, number>();

  /** Id of `buf[s, e)`; -1 for an empty range. */
  internBytes(buf: Uint8Array, s: number, e: number, escaped = false): number {
    if (s >= e) return -1;
    if (escaped)
      return this.intern(
        Buffer.from(buf.buffer, buf.byteOffset + s, e - s)
          .toString('utf8')
          .replace(/""/g, '"'),
      );
    let h = 0x811c9dc5;
    for (let i = s; i < e; i++) h = Math.imul(h ^ buf[i], 0x01000193);
    const len = e - s;
    const mask = this.table.length - 1;
    let slot = h & mask;
    for (;;) {
      const id = this.table[slot];
      if (id < 0) break;
      const off = this.offsets[id];
      if (this.offsets[id + 1] - off === len) {
        let same = true;
        for (let k = 0; k < len; k++) {
          if (this.bytes[off + k] !== buf[s + k]) {
            same = false;
            break;
          }
        }
        if (same) return id;
      }
      slot = (slot + 1) & mask;
    }
    const str = Buffer.from(buf.buffer, buf.byteOffset + s, len).toString('utf8');
    const existing = this.ids.get(str);
    if (existing !== undefined) return existing; // same text reached through an escaped field
    const id = this.add(str, buf.subarray(s, e));
    if (this.values.length * 2 > this.table.length) this.rehash();
    else this.table[slot] = id;
    return id;
  }

  intern(str: string): number {
    if (str === '') return -1;
    const existing = this.ids.get(str);
    if (existing !== undefined) return existing;
    const bytes = Buffer.from(str, 'utf8');
    const id = this.add(str, bytes);
    if (this.values.length * 2 > this.table.length) this.rehash();
    else this.insertSlot(id);
    return id;
  }

  /** intern() for a string whose UTF-8 bytes are `buf[s, e)` already (saves encoding it again). */
  internWithBytes(str: string, buf: Uint8Array, s: number, e: number): number {
    if (str === '') return -1;
    const existing = this.ids.get(str);
    if (existing !== undefined) return existing;
    const id = this.add(str, buf.subarray(s, e));
    if (this.values.length * 2 > this.table.length) this.rehash();
    else this.insertSlot(id);
    return id;
  }

  get(id: number): string {
    return id < 0 ? '' : this.values[id];
  }

  lookup(str: string): number {
    return this.ids.get(str) ?? -1;
  }

  private add(str: string, bytes: Uint8Array): number {
    const id = this.values.length;
    this.values.push(str);
    this.ids.set(str, id);
    if (this.offsets.length === 0) this.offsets.push(0);
    if (this.bytesUsed + bytes.length > this.bytes.length) {
      const grown = new Uint8Array(Math.max(this.bytes.length * 2, this.bytesUsed + bytes.length));
      grown.set(this.bytes.subarray(0, this.bytesUsed));
      this.bytes = grown;
    }
    this.bytes.set(bytes, this.bytesUsed);
    this.bytesUsed += bytes.length;
    this.offsets.push(this.bytesUsed);
    return id;
  }

  private hashOf(id: number): number {
    let h = 0x811c9dc5;
    for (let i = this.offsets[id]; i < this.offsets[id + 1]; i++) h = Math.imul(h ^ this.bytes[i], 0x01000193);
    return h;
  }

  private insertSlot(id: number): void {
    const mask = this.table.length - 1;
    let slot = this.hashOf(id) & mask;
    while (this.table[slot] >= 0) slot = (slot + 1) & mask;
    this.table[slot] = id;
  }

  private rehash(): void {
    this.table = new Int32Array(this.table.length * 4).fill(-1);
    for (let id = 0; id < this.values.length; id++) this.insertSlot(id);
  }
}

const SIZE_IN_MIB = Buffer.from("SizeInMiB'");

/** Device memory (GiB) from `SizeInMiB': <n>` inside a GpuInfo cell, without materialising the cell; NaN when absent. */
export function gpuMemoryFrom(buf: Uint8Array, s: number, e: number): number {
  const first = SIZE_IN_MIB[0];
  outer: for (let i = s; i + SIZE_IN_MIB.length < e; i++) {
    if (buf[i] !== first) continue;
    for (let k = 1; k < SIZE_IN_MIB.length; k++) if (buf[i + k] !== SIZE_IN_MIB[k]) continue outer;
    let j = i + SIZE_IN_MIB.length;
    while (j < e && (buf[j] === 0x3a || buf[j] === 0x20)) j++;
    let v = 0;
    let digits = 0;
    while (j < e && buf[j] >= 0x30 && buf[j] <= 0x39) {
      v = v * 10 + (buf[j] - 0x30);
      j++;
      digits++;
    }
    return digits ? v / 1024 : NaN;
  }
  return NaN;
}
