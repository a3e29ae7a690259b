/**
 * A fast path for the YAML that task files are made of: block mappings and sequences,
 * single-line plain / quoted scalars, literal block scalars (`|`, `|-`, `|+`) and
 * single-line flow collections, comments and `---` documents. It builds the same tree as
 * yamlTree.ts (same values, same offsets) several times faster than the general parser.
 * Anything else (anchors, tags, folded scalars, multi-line plain or flow, tabs, CRLF,
 * directives, merge keys, odd indentation, any error) returns undefined and the caller uses
 * the general `yaml` parser, which also produces the syntax diagnostics. A differential
 * test keeps both paths equal on the corpus and on fuzzed documents.
 */
import { parseDocument } from 'yaml';
import { plainNumber, type VDocument, type VEntry, type VMap, type VNode, type VScalar, type VSeq } from './yamlNodes';

class Bail extends Error {}
const bail = (): never => {
  throw new Bail();
};

interface Line {
  off: number;
  text: string;
  /** Column where content starts (after spaces, or after a consumed `- `). */
  indent: number;
  /** Blank or comment-only. */
  empty: boolean;
}

const plainCache = new Map<string, string | number | boolean | null>();

/** YAML 1.1 typing of a plain scalar as PyYAML does it (the `yaml` package's yaml-1.1 schema, minus y/n booleans). */
function resolvePlain(s: string): string | number | boolean | null {
  if (s === '' || s === '~' || s === 'null' || s === 'Null' || s === 'NULL') return null;
  // PyYAML's booleans (SkyPilot's parser): a lone y/n stays a string, unlike the yaml package's 1.1 schema.
  if (/^(?:[Yy]es|YES|[Tt]rue|TRUE|[Oo]n|ON)$/.test(s)) return true;
  if (/^(?:[Nn]o|NO|[Ff]alse|FALSE|[Oo]ff|OFF)$/.test(s)) return false;
  // Numbers, timestamps, .inf/.nan start with a digit, or a sign/dot before one: ask the library once.
  if (!/^[-+]?(?:[0-9]|\.[0-9a-zA-Z])/.test(s) && !/^\.(?:[0-9]|inf|Inf|INF|nan|NaN|NAN)/.test(s)) return s;
  const hit = plainCache.get(s);
  if (hit !== undefined) return hit;
  const doc = parseDocument(s, { version: '1.1' });
  const node = doc.contents as { value?: unknown; source?: string } | null;
  let v: unknown = node && typeof node === 'object' && 'value' in node ? node.value : s;
  if (doc.errors.length) bail();
  if (typeof v === 'bigint') v = Number(v);
  if (typeof v === 'number' && Number.isNaN(v) && !/^\.nan$/i.test(s)) v = s;
  if (v instanceof Date) v = s;
  if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean' && v !== null) bail();
  const out = v as string | number | boolean | null;
  if (plainCache.size > 5000) plainCache.clear();
  plainCache.set(s, out);
  return out;
}

function plainScalar(raw: string, start: number, end: number): VScalar {
  const value = resolvePlain(raw);
  return typeof value === 'number' ? plainNumber(raw, value, start, end) : { kind: 'scalar', value, quoted: false, start, end };
}

/** Offset of a ` #` comment in `s` outside quotes (plain context), or -1. */
function commentAt(s: string, from = 0): number {
  for (let i = from; i < s.length; i++) if (s[i] === '#' && (i === 0 || s[i - 1] === ' ')) return i;
  return -1;
}

const INDICATORS = new Set(['-', '?', ':', ',', '[', ']', '{', '}', '#', '&', '*', '!', '|', '>', "'", '"', '%', '@', '`']);

export function fastParseYaml(text: string): VDocument[] | undefined {
  if (text.includes('\r') || text.includes('\t') || text.includes('\ufeff')) return undefined;
  try {
    return new FastParser(text).documents();
  } catch (e) {
    if (e instanceof Bail) return undefined;
    throw e;
  }
}

class FastParser {
  private readonly lines: Line[] = [];
  private i = 0;
  private end = 0;

  constructor(private readonly text: string) {
    let off = 0;
    for (const raw of text.split('\n')) {
      let ind = 0;
      while (ind < raw.length && raw.charCodeAt(ind) === 32) ind++;
      const rest = raw.slice(ind);
      this.lines.push({ off, text: raw, indent: ind, empty: rest === '' || rest.startsWith('#') });
      off += raw.length + 1;
    }
  }

  documents(): VDocument[] {
    const docs: VDocument[] = [];
    // Split on `---` lines; a comment-only preamble belongs to the next document.
    const starts: number[] = [];
    for (let k = 0; k < this.lines.length; k++) {
      const t = this.lines[k].text;
      if (t.startsWith('%') || t === '...' || t.startsWith('... ')) bail();
      if (t === '---' || t.startsWith('--- ')) {
        if (t.length > 3 && !/^---\s+#/.test(t) && t.slice(3).trim() !== '') bail();
        starts.push(k);
      }
    }
    const bounds: [number, number][] = [];
    let prev = 0;
    for (const s of starts) {
      bounds.push([prev, s]);
      prev = s + 1;
    }
    bounds.push([prev, this.lines.length]);
    bounds.forEach(([from, to], idx) => {
      const hasContent = this.lines.slice(from, to).some((l) => !l.empty);
      // Before the first `---`: a document only if it has content.
      if (idx === 0 && starts.length > 0 && !hasContent) return;
      const startOff = from < this.lines.length ? this.lines[from].off : this.text.length;
      const endOff = to < this.lines.length ? this.lines[to].off : this.text.length;
      if (!hasContent) {
        docs.push({ start: startOff, end: endOff, problems: [] });
        return;
      }
      this.i = from;
      this.end = to;
      const root = this.block(0, true);
      this.skipEmpty();
      if (this.i < this.end) bail();
      docs.push({ root, start: startOff, end: endOff, problems: [] });
    });
    if (docs.length === 0) docs.push({ start: 0, end: this.text.length, problems: [] });
    return docs;
  }

  private skipEmpty(): void {
    while (this.i < this.end && this.lines[this.i].empty) this.i++;
  }

  /** The block starting at the next content line, whose indent must be >= min. */
  private block(min: number, top = false): VNode {
    this.skipEmpty();
    if (this.i >= this.end) bail();
    const line = this.lines[this.i];
    if (line.indent < min) bail();
    const rest = line.text.slice(line.indent);
    if (rest === '-' || rest.startsWith('- ')) return this.seq(line.indent);
    if (this.keyOf(line) !== undefined) return this.map(line.indent);
    if (!top) bail();
    // A document that is a single scalar.
    const v = this.inlineValue(line, line.indent, line.indent);
    this.i++;
    this.noContinuation(line.indent - 1);
    return v;
  }

  /** Parses `key:` at the line's indent: [key, keyStart, keyEnd, colon end col] or undefined. */
  private keyOf(line: Line): [string, number, number, number] | undefined {
    const t = line.text;
    const c = line.indent;
    const ch = t[c];
    if (ch === '"' || ch === "'") {
      const close = t.indexOf(ch, c + 1);
      if (close < 0) return undefined;
      const raw = t.slice(c + 1, close);
      if (ch === '"' && raw.includes('\\')) bail();
      if (ch === "'" && t[close + 1] === "'") bail();
      let j = close + 1;
      while (t[j] === ' ') j++;
      if (t[j] !== ':' || !(j + 1 === t.length || t[j + 1] === ' ')) return undefined;
      return [raw, line.off + c, line.off + close + 1, j + 1];
    }
    if (INDICATORS.has(ch) && !(ch === '-' && t[c + 1] !== undefined && t[c + 1] !== ' ')) return undefined;
    // A plain key ends at the first ': ' (or ':' at the end of the line).
    let j = c;
    for (;;) {
      j = t.indexOf(':', j);
      if (j < 0) return undefined;
      if (j + 1 === t.length || t[j + 1] === ' ') break;
      j++;
    }
    const keyText = t.slice(c, j);
    if (commentAt(keyText) >= 0) return undefined;
    if (/[[\]{},]/.test(keyText) || keyText.includes('"') || keyText.includes("'")) bail();
    const key = keyText.replace(/ +$/, '');
    if (key === '<<' || key === '') bail();
    return [key, line.off + c, line.off + c + key.length, j + 1];
  }

  private map(indent: number): VMap {
    this.skipEmpty();
    const entries: VEntry[] = [];
    const start = this.lines[this.i].off + indent;
    let end = start;
    for (;;) {
      this.skipEmpty();
      if (this.i >= this.end) break;
      const line = this.lines[this.i];
      if (line.indent < indent) break;
      if (line.indent > indent) bail();
      const k = this.keyOf(line);
      if (!k) {
        const rest = line.text.slice(line.indent);
        if (rest === '-' || rest.startsWith('- ')) break; // a sequence at the parent's level
        bail();
      }
      const [key, keyStart, keyEnd, afterColon] = k as [string, number, number, number];
      const value = this.afterKey(line, afterColon, indent);
      entries.push({ key, keyStart, keyEnd, value });
      end = this.collectionEnd(value);
    }
    if (!entries.length) bail();
    return { kind: 'map', entries, flow: false, start, end };
  }

  private seq(indent: number): VSeq {
    this.skipEmpty();
    const items: VNode[] = [];
    const start = this.lines[this.i].off + indent;
    let end = start;
    for (;;) {
      this.skipEmpty();
      if (this.i >= this.end) break;
      const line = this.lines[this.i];
      if (line.indent !== indent) {
        if (line.indent < indent) break;
        bail();
      }
      const rest = line.text.slice(indent);
      if (!(rest === '-' || rest.startsWith('- '))) break;
      let col = indent + 1;
      while (line.text[col] === ' ') col++;
      let item: VNode;
      if (col >= line.text.length || line.text[col] === '#') {
        if (col < line.text.length && line.text[col - 1] !== ' ') bail();
        // `-` alone: a nested block on the next lines, or null.
        this.i++;
        const next = this.peekContent();
        if (next && next.indent > indent) item = this.block(indent + 1);
        else item = { kind: 'scalar', value: null, quoted: false, start: line.off + col, end: line.off + col };
      } else {
        // Compact content after `- `: treat the rest of the line as starting at `col`.
        const virtual: Line = { off: line.off, text: line.text, indent: col, empty: false };
        this.lines[this.i] = virtual;
        const r = line.text.slice(col);
        if (r === '-' || r.startsWith('- ')) item = this.seq(col);
        else if (this.keyOf(virtual) !== undefined) item = this.map(col);
        else {
          item = this.inlineValue(virtual, col, indent);
          this.i++;
          this.noContinuation(indent);
        }
      }
      items.push(item);
      end = this.collectionEnd(item);
    }
    if (!items.length) bail();
    return { kind: 'seq', items, flow: false, start, end };
  }

  private peekContent(): Line | undefined {
    for (let k = this.i; k < this.end; k++) if (!this.lines[k].empty) return this.lines[k];
    return undefined;
  }

  /** End offset of a block collection whose last value is `v`: through that line's newline. */
  private collectionEnd(v: VNode): number {
    if (v.kind !== 'scalar' || v.end === v.start) {
      const lineEnd = this.text.indexOf('\n', Math.max(v.end - 1, 0));
      return lineEnd < 0 ? this.text.length : Math.max(v.end, lineEnd + 1);
    }
    const lineEnd = this.text.indexOf('\n', v.end);
    return lineEnd < 0 ? this.text.length : lineEnd + 1;
  }

  /** The value after `key:` on `line` (inline, or a nested block on the next lines). */
  private afterKey(line: Line, afterColon: number, indent: number): VNode {
    let c = afterColon;
    while (line.text[c] === ' ') c++;
    if (c >= line.text.length || (line.text[c] === '#' && line.text[c - 1] === ' ')) {
      const nullAt = line.off + c;
      this.i++;
      const next = this.peekContent();
      if (next && next.indent > indent) return this.block(indent + 1);
      if (next && next.indent === indent) {
        const r = next.text.slice(next.indent);
        if (r === '-' || r.startsWith('- ')) return this.seq(indent);
      }
      return { kind: 'scalar', value: null, quoted: false, start: nullAt, end: nullAt };
    }
    const ch = line.text[c];
    if (ch === '|') return this.literal(line, c, indent);
    const v = this.inlineValue(line, c, indent);
    this.i++;
    this.noContinuation(indent);
    return v;
  }

  /** After a single-line value: the next content line must not continue it. */
  private noContinuation(indent: number): void {
    const next = this.peekContent();
    if (next && next.indent > indent) bail();
  }

  /** A value that fits on the rest of the line: plain, quoted, or flow collection. */
  private inlineValue(line: Line, c: number, _indent: number): VNode {
    const t = line.text;
    const ch = t[c];
    const off = line.off;
    if (ch === '"' || ch === "'") {
      const [value, endCol] = this.quoted(t, c);
      this.lineTailIsComment(t, endCol);
      return { kind: 'scalar', value, quoted: true, start: off + c, end: off + endCol };
    }
    if (ch === '[' || ch === '{') {
      const [node, endCol] = this.flow(t, c, off);
      this.lineTailIsComment(t, endCol);
      return node;
    }
    if (INDICATORS.has(ch) && !((ch === '-' || ch === '?' || ch === ':') && t[c + 1] !== undefined && t[c + 1] !== ' ')) bail();
    const cm = commentAt(t, c);
    const raw = (cm >= 0 ? t.slice(c, cm) : t.slice(c)).replace(/ +$/, '');
    if (raw.includes(': ') || raw.endsWith(':')) bail();
    return plainScalar(raw, off + c, off + c + raw.length);
  }

  private lineTailIsComment(t: string, col: number): void {
    let j = col;
    while (t[j] === ' ') j++;
    if (j < t.length && !(t[j] === '#' && j > col)) bail();
  }

  private quoted(t: string, c: number): [string, number] {
    const q = t[c];
    if (q === "'") {
      let j = c + 1;
      let out = '';
      for (;;) {
        const k = t.indexOf("'", j);
        if (k < 0) bail();
        out += t.slice(j, k);
        if (t[k + 1] === "'") {
          out += "'";
          j = k + 2;
          continue;
        }
        return [out, k + 1];
      }
    }
    let j = c + 1;
    for (;;) {
      const k = t.indexOf('"', j);
      if (k < 0) bail();
      let bs = 0;
      for (let b = k - 1; b > c && t[b] === '\\'; b--) bs++;
      if (bs % 2 === 1) {
        j = k + 1;
        continue;
      }
      const inner = t.slice(c + 1, k);
      if (!inner.includes('\\')) return [inner, k + 1];
      if (/\\[^"\\/bfnrtu]/.test(inner)) bail();
      try {
        return [JSON.parse(`"${inner}"`) as string, k + 1];
      } catch {
        return bail();
      }
    }
  }

  /** A single-line flow collection starting at t[c]. */
  private flow(t: string, c: number, off: number): [VNode, number] {
    let j = c;
    const ws = () => {
      while (t[j] === ' ') j++;
    };
    const scalarAt = (inMapKey: boolean): VScalar => {
      ws();
      const ch = t[j];
      if (ch === '"' || ch === "'") {
        const s = j;
        const [value, e] = this.quoted(t, j);
        j = e;
        return { kind: 'scalar', value, quoted: true, start: off + s, end: off + e };
      }
      if (ch === undefined || (INDICATORS.has(ch) && !(ch === '-' && t[j + 1] !== ' ' && t[j + 1] !== undefined))) bail();
      const s = j;
      while (j < t.length) {
        const x = t[j];
        if (x === ',' || x === ']' || x === '}' || x === '[' || x === '{') break;
        if (x === ':' && (t[j + 1] === ' ' || t[j + 1] === ',' || t[j + 1] === '}' || t[j + 1] === ']' || j + 1 === t.length)) {
          if (!inMapKey) bail();
          break;
        }
        if (x === '#' && t[j - 1] === ' ') bail();
        j++;
      }
      const raw = t.slice(s, j).replace(/ +$/, '');
      if (!raw) bail();
      return plainScalar(raw, off + s, off + s + raw.length);
    };
    const node = (inMapKey: boolean): VNode => {
      ws();
      if (t[j] === '[' || t[j] === '{') return collection();
      return scalarAt(inMapKey);
    };
    const collection = (): VNode => {
      const open = t[j];
      const s = j;
      j++;
      if (open === '[') {
        const items: VNode[] = [];
        for (;;) {
          ws();
          if (t[j] === ']') {
            j++;
            break;
          }
          items.push(node(false));
          ws();
          if (t[j] === ',') j++;
          else if (t[j] === ']') {
            j++;
            break;
          } else bail();
        }
        return { kind: 'seq', items, flow: true, start: off + s, end: off + j };
      }
      const entries: VEntry[] = [];
      for (;;) {
        ws();
        if (t[j] === '}') {
          j++;
          break;
        }
        if (t[j] === '[' || t[j] === '{') bail();
        const k = scalarAt(true);
        ws();
        let value: VNode;
        if (t[j] === ':') {
          j++;
          ws();
          if (t[j] === ',' || t[j] === '}') value = { kind: 'scalar', value: null, quoted: false, start: off + j, end: off + j };
          else value = node(false);
        } else value = { kind: 'scalar', value: null, quoted: false, start: k.end, end: k.end };
        const key = k.value === null ? 'null' : typeof k.value === 'string' ? k.value : t.slice(k.start - off, k.end - off);
        if (key === '<<') bail();
        entries.push({ key, keyStart: k.start, keyEnd: k.end, value });
        ws();
        if (t[j] === ',') j++;
        else if (t[j] === '}') {
          j++;
          break;
        } else bail();
      }
      return { kind: 'map', entries, flow: true, start: off + s, end: off + j };
    };
    const out = collection();
    return [out, j];
  }

  /** `|` and `|-` literal block scalars (no indentation indicator; `|+` goes to the library). */
  private literal(line: Line, c: number, indent: number): VScalar {
    const t = line.text;
    let j = c + 1;
    let strip = false;
    if (t[j] === '-') {
      strip = true;
      j++;
    } else if (t[j] === '+' || /[0-9]/.test(t[j] ?? '')) bail();
    this.lineTailIsComment(t, j);
    const start = line.off + c;
    this.i++;
    const blank = (l: Line) => l.text.trim() === '';
    let k = this.i;
    while (k < this.end && blank(this.lines[k])) k++;
    if (k >= this.end || this.lines[k].indent <= indent) {
      // Empty block scalar.
      for (let b = this.i; b < k; b++) if (this.lines[b].text.length > indent + 1) bail();
      return { kind: 'scalar', value: '', quoted: true, start, end: start + 1 };
    }
    const blockIndent = this.lines[k].indent;
    let last = k;
    let n = this.i;
    for (; n < this.end; n++) {
      const l = this.lines[n];
      if (blank(l)) {
        if (l.text.length > blockIndent) bail();
        continue;
      }
      if (l.indent < blockIndent) break;
      last = n + 1;
    }
    // Content that runs to the end of a file without a final newline: leave to the library.
    if (last >= this.lines.length || (last === this.lines.length - 1 && this.lines[last].text === '' && !this.text.endsWith('\n'))) bail();
    let body = '';
    for (let x = this.i; x < last; x++) {
      const l = this.lines[x];
      body += blank(l) ? '\n' : `${l.text.slice(blockIndent)}\n`;
    }
    const value = strip ? body.replace(/\n+$/, '') : body.replace(/\n+$/, '\n');
    this.i = last;
    return { kind: 'scalar', value, quoted: true, start, end: this.lines[last].off };
  }
}
