/**
 * A fast path for the YAML that task files are made of: block mappings and sequences, plain
 * scalars (over several lines too), single-line quoted scalars, literal block scalars (`|`,
 * `|-`, `|+`), flow collections (over several lines too), comments, `---` documents and CRLF
 * line ends. It builds the same tree as yamlTree.ts (same values, same offsets) several times
 * faster than the general parser. Anything else (anchors, aliases, merge keys, tags, folded
 * scalars, indentation indicators, multi-line quoted scalars, tabs, directives, odd
 * indentation, any error) returns undefined and the caller uses the general `yaml` parser,
 * which also produces the syntax diagnostics. A differential test keeps both paths equal on
 * the corpus and on fuzzed and generated documents.
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

/** `s` without its trailing spaces. */
function trimSpacesEnd(s: string): string {
  let e = s.length;
  while (e > 0 && s.charCodeAt(e - 1) === 32) e--;
  return e === s.length ? s : s.slice(0, e);
}

const INDICATORS = new Set(['-', '?', ':', ',', '[', ']', '{', '}', '#', '&', '*', '!', '|', '>', "'", '"', '%', '@', '`']);

export function fastParseYaml(text: string): VDocument[] | undefined {
  if (text.includes('\t') || text.includes('\ufeff')) return undefined;
  if (text.includes('\r')) return fastParseCrlf(text);
  try {
    return new FastParser(text).documents();
  } catch (e) {
    if (e instanceof Bail) return undefined;
    throw e;
  }
}

/** Whether `t` from column `c` is `-` alone or `- ...` (a block sequence entry). */
function dashAt(t: string, c: number): boolean {
  return t.charCodeAt(c) === 45 && (c + 1 === t.length || t.charCodeAt(c + 1) === 32);
}

function spacesOnly(l: Line): boolean {
  return l.text.length === l.indent;
}

/**
 * CRLF line ends: YAML reads a CRLF break as one line feed, so the text is parsed with LF ends
 * and every offset moved past the CRs before it. A CR anywhere else goes to the library.
 */
function fastParseCrlf(text: string): VDocument[] | undefined {
  const lf = text.replace(/\r\n/g, '\n');
  if (lf.includes('\r')) return undefined;
  const docs = fastParseYaml(lf);
  if (!docs) return undefined;
  // Where each CRLF's line feed sits in the LF text (a file may mix CRLF and LF ends).
  const breaks: number[] = [];
  for (let k = text.indexOf('\r\n'); k >= 0; k = text.indexOf('\r\n', k + 2)) breaks.push(k - breaks.length);
  // An LF-text offset moves by one for every CRLF break before it.
  const at = (o: number): number => {
    let lo = 0;
    let hi = breaks.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (breaks[mid] < o) lo = mid + 1;
      else hi = mid;
    }
    return o + lo;
  };
  const move = (n: VNode): void => {
    n.start = at(n.start);
    n.end = at(n.end);
    if (n.kind === 'seq') for (const it of n.items) move(it);
    else if (n.kind === 'map')
      for (const e of n.entries) {
        e.keyStart = at(e.keyStart);
        e.keyEnd = at(e.keyEnd);
        move(e.value);
      }
  };
  for (const d of docs) {
    d.start = at(d.start);
    d.end = at(d.end);
    if (d.root) move(d.root);
  }
  return docs;
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
      this.lines.push({ off, text: raw, indent: ind, empty: ind === raw.length || raw.charCodeAt(ind) === 35 });
      off += raw.length + 1;
    }
  }

  documents(): VDocument[] {
    const docs: VDocument[] = [];
    // Split on `---` lines; a comment-only preamble belongs to the next document.
    const starts: number[] = [];
    for (let k = 0; k < this.lines.length; k++) {
      const t = this.lines[k].text;
      const first = t.charCodeAt(0);
      // Only a line starting with '%', '.' or '-' can be a directive or a document marker.
      if (first !== 37 && first !== 46 && first !== 45) continue;
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
      let hasContent = false;
      for (let k = from; k < to && !hasContent; k++) hasContent = !this.lines[k].empty;
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
    const from = this.i;
    this.skipEmpty();
    if (this.i >= this.end) bail();
    const line = this.lines[this.i];
    if (line.indent < min) bail();
    if (dashAt(line.text, line.indent)) return this.seq(line.indent);
    if (this.keyOf(line) !== undefined) return this.map(line.indent);
    // A scalar on the lines under its key or `-`. After a comment line the general parser
    // may read it as a key of a nested mapping: that case is left to it.
    for (let k = from; k < this.i; k++) if (this.lines[k].text.length > this.lines[k].indent) bail();
    if (!top && line.text[line.indent] !== '|') return this.scalarValue(line, line.indent, min - 1);
    if (!top) bail();
    // A document that is a single scalar.
    const v = this.inlineValue(line, line.indent);
    this.i++;
    this.noContinuation(line.indent - 1);
    return v;
  }

  /** Where the key keyOf last found starts and ends (offsets), and the column after its ':'. */
  private keyStart = 0;
  private keyEnd = 0;
  private afterColon = 0;
  /** The line keyOf last read and its answer: a map's first line is read to choose the map, then parsed. */
  private keyLine: Line | undefined;
  private keyFound: string | undefined;

  /** Parses `key:` at the line's indent: the key (its place in keyStart, keyEnd, afterColon) or undefined. */
  private keyOf(line: Line): string | undefined {
    if (line === this.keyLine) return this.keyFound;
    const key = this.readKey(line);
    this.keyLine = line;
    this.keyFound = key;
    return key;
  }

  private readKey(line: Line): string | undefined {
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
      this.keyStart = line.off + c;
      this.keyEnd = line.off + close + 1;
      this.afterColon = j + 1;
      return raw;
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
    if (keyText.includes('"') || keyText.includes("'")) bail();
    const key = trimSpacesEnd(keyText);
    if (key === '<<' || key === '') bail();
    this.keyStart = line.off + c;
    this.keyEnd = line.off + c + key.length;
    this.afterColon = j + 1;
    return key;
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
      const key = this.keyOf(line);
      if (key === undefined) {
        if (dashAt(line.text, line.indent)) break; // a sequence at the parent's level
        return bail();
      }
      const keyStart = this.keyStart;
      const keyEnd = this.keyEnd;
      const value = this.afterKey(line, this.afterColon, indent);
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
      if (!dashAt(line.text, indent)) break;
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
        if (dashAt(line.text, col)) item = this.seq(col);
        else if (this.keyOf(virtual) !== undefined) item = this.map(col);
        else item = this.scalarValue(virtual, col, indent);
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
        if (dashAt(next.text, next.indent)) return this.seq(indent);
      }
      return { kind: 'scalar', value: null, quoted: false, start: nullAt, end: nullAt };
    }
    return this.scalarValue(line, c, indent);
  }

  /**
   * The value starting at line[c] under a parent at `parentIndent`: a literal block scalar, a flow
   * collection, a quoted scalar or a plain scalar with its continuation lines. Moves past it.
   */
  private scalarValue(line: Line, c: number, parentIndent: number): VNode {
    const ch = line.text[c];
    if (ch === '|') return this.literal(line, c, parentIndent);
    if (ch === '[' || ch === '{') return this.flowValue(line, c, parentIndent);
    if (ch === '"' || ch === "'") {
      const v = this.inlineValue(line, c);
      this.i++;
      this.noContinuation(parentIndent);
      return v;
    }
    return this.plain(line, c, parentIndent);
  }

  /**
   * A plain scalar and the lines that continue it (indented past the parent): folded with one
   * space per line break, a blank line kept as a line feed. A multi-line one is a string.
   */
  private plain(line: Line, c: number, parentIndent: number): VScalar {
    const t = line.text;
    const ch = t[c];
    if (INDICATORS.has(ch) && !((ch === '-' || ch === '?' || ch === ':') && t[c + 1] !== undefined && t[c + 1] !== ' ')) bail();
    const cm = commentAt(t, c);
    const raw = trimSpacesEnd(cm >= 0 ? t.slice(c, cm) : t.slice(c));
    if (raw.includes(': ') || raw.endsWith(':')) bail();
    const start = line.off + c;
    this.i++;
    let value = raw;
    let end = start + raw.length;
    let blanks = 0;
    let folded = false;
    if (cm < 0) {
      for (let k = this.i; k < this.end; k++) {
        const l = this.lines[k];
        if (l.text.length === l.indent) {
          blanks++;
          continue;
        }
        if (l.indent <= parentIndent || l.text[l.indent] === '#') break;
        const body = trimSpacesEnd(l.text.slice(l.indent));
        if (INDICATORS.has(body[0]) || body.includes(': ') || body.endsWith(':') || commentAt(body) >= 0) bail();
        value += blanks ? '\n'.repeat(blanks) : ' ';
        value += body;
        blanks = 0;
        folded = true;
        end = l.off + l.indent + body.length;
        this.i = k + 1;
      }
    }
    this.noContinuation(parentIndent);
    if (!folded) return plainScalar(raw, start, end);
    // Typed values (numbers, timestamps) written over several lines are left to the library.
    if (/^[-+.0-9~]/.test(value)) bail();
    return { kind: 'scalar', value, quoted: false, start, end };
  }

  /** A flow collection, possibly over several lines (each indented past the parent; the closing bracket may sit at its column). */
  private flowValue(line: Line, c: number, parentIndent: number): VNode {
    const first = this.i;
    const [node, endAt] = this.flow(this.text, line.off + c);
    let k = first;
    while (k + 1 < this.end && this.lines[k + 1].off <= endAt - 1) k++;
    if (this.lines[k].off + this.lines[k].text.length < endAt - 1) bail();
    for (let x = first + 1; x <= k; x++) {
      const l = this.lines[x];
      if (l.text.length === l.indent || l.indent > parentIndent) continue;
      const open = l.text[l.indent];
      if (l.indent === parentIndent && (open === ']' || open === '}')) continue;
      bail();
    }
    const last = this.lines[k];
    this.lineTailIsComment(last.text, endAt - last.off);
    this.i = k + 1;
    this.noContinuation(parentIndent);
    return node;
  }

  /** After a single-line value: the next content line must not continue it. */
  private noContinuation(indent: number): void {
    const next = this.peekContent();
    if (next && next.indent > indent) bail();
  }

  /** A value that fits on the rest of the line: plain, quoted, or flow collection. */
  private inlineValue(line: Line, c: number): VNode {
    const t = line.text;
    const ch = t[c];
    const off = line.off;
    if (ch === '"' || ch === "'") {
      const [value, endCol] = this.quoted(t, c);
      this.lineTailIsComment(t, endCol);
      return { kind: 'scalar', value, quoted: true, start: off + c, end: off + endCol };
    }
    if (ch === '[' || ch === '{') {
      const [node, endAt] = this.flow(this.text, off + c);
      if (endAt > off + t.length) bail();
      this.lineTailIsComment(t, endAt - off);
      return node;
    }
    if (INDICATORS.has(ch) && !((ch === '-' || ch === '?' || ch === ':') && t[c + 1] !== undefined && t[c + 1] !== ' ')) bail();
    const cm = commentAt(t, c);
    const raw = trimSpacesEnd(cm >= 0 ? t.slice(c, cm) : t.slice(c));
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
    const nl = t.indexOf('\n', c);
    const lineEnd = nl < 0 ? t.length : nl;
    if (q === "'") {
      let j = c + 1;
      let out = '';
      for (;;) {
        const k = t.indexOf("'", j);
        if (k < 0 || k > lineEnd) bail();
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
      if (k < 0 || k > lineEnd) bail();
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

  /**
   * A flow collection starting at t[c] (t is the whole text): line breaks and comments between
   * its tokens are whitespace; a scalar inside must sit on one line. Returns the node and the
   * offset after its closing bracket.
   */
  private flow(t: string, c: number): [VNode, number] {
    let j = c;
    let crossed = false;
    const ws = () => {
      for (;;) {
        const x = t[j];
        if (x === ' ') j++;
        else if (x === '\n') {
          crossed = true;
          j++;
        } else if (x === '#' && (t[j - 1] === ' ' || t[j - 1] === '\n')) {
          const nl = t.indexOf('\n', j);
          j = nl < 0 ? t.length : nl;
        } else return;
      }
    };
    const scalarAt = (inMapKey: boolean): VScalar => {
      ws();
      const ch = t[j];
      if (ch === '"' || ch === "'") {
        const s = j;
        const [value, e] = this.quoted(t, j);
        j = e;
        return { kind: 'scalar', value, quoted: true, start: s, end: e };
      }
      if (ch === undefined || (INDICATORS.has(ch) && !(ch === '-' && t[j + 1] !== ' ' && t[j + 1] !== '\n' && t[j + 1] !== undefined))) bail();
      const s = j;
      while (j < t.length) {
        const x = t[j];
        if (x === ',' || x === ']' || x === '}' || x === '[' || x === '{' || x === '\n') break;
        if (x === ':' && (t[j + 1] === ' ' || t[j + 1] === ',' || t[j + 1] === '}' || t[j + 1] === ']' || t[j + 1] === '\n' || j + 1 === t.length)) {
          if (!inMapKey) bail();
          break;
        }
        if (x === '#' && t[j - 1] === ' ') bail();
        j++;
      }
      const raw = trimSpacesEnd(t.slice(s, j));
      if (!raw) bail();
      return plainScalar(raw, s, s + raw.length);
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
        return { kind: 'seq', items, flow: true, start: s, end: j };
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
        crossed = false;
        ws();
        let value: VNode;
        if (t[j] === ':') {
          // A key and its ':' on one line, the value starting on it too.
          if (crossed) bail();
          j++;
          ws();
          if (crossed) bail();
          if (t[j] === ',' || t[j] === '}') value = { kind: 'scalar', value: null, quoted: false, start: j, end: j };
          else value = node(false);
        } else value = { kind: 'scalar', value: null, quoted: false, start: k.end, end: k.end };
        const key = k.value === null ? 'null' : typeof k.value === 'string' ? k.value : t.slice(k.start, k.end);
        if (key === '<<') bail();
        entries.push({ key, keyStart: k.start, keyEnd: k.end, value });
        ws();
        if (t[j] === ',') j++;
        else if (t[j] === '}') {
          j++;
          break;
        } else bail();
      }
      return { kind: 'map', entries, flow: true, start: s, end: j };
    };
    const out = collection();
    return [out, j];
  }

  /**
   * A literal block scalar (`|`, `|-`, `|+`; an indentation indicator goes to the library): lines
   * at the first content line's indentation or deeper, a spaces-only line longer than that keeping
   * its extra spaces, then chomping of the trailing line breaks.
   */
  private literal(line: Line, c: number, indent: number): VScalar {
    const t = line.text;
    let j = c + 1;
    let chomp: 'clip' | 'strip' | 'keep' = 'clip';
    if (t[j] === '-' || t[j] === '+') chomp = t[j++] === '-' ? 'strip' : 'keep';
    if (/[0-9]/.test(t[j] ?? '')) bail();
    this.lineTailIsComment(t, j);
    const start = line.off + c;
    this.i++;
    let k = this.i;
    while (k < this.end && spacesOnly(this.lines[k])) k++;
    if (k >= this.end || this.lines[k].indent <= indent) {
      // Empty block scalar.
      if (chomp === 'keep') bail();
      for (let b = this.i; b < k; b++) if (this.lines[b].text.length > indent + 1) bail();
      return { kind: 'scalar', value: '', quoted: true, start, end: line.off + t.length };
    }
    const blockIndent = this.lines[k].indent;
    // A blank line before the first content line may not be longer than its indentation.
    for (let b = this.i; b < k; b++) if (this.lines[b].text.length > blockIndent) bail();
    let body = '';
    let pending = 0;
    let last = this.i;
    let n = this.i;
    for (; n < this.end; n++) {
      const l = this.lines[n];
      // The text after a final line break is no line.
      if (n === this.lines.length - 1 && l.text === '') break;
      if (spacesOnly(l) && l.text.length <= blockIndent) {
        pending++;
        continue;
      }
      if (l.indent < blockIndent) break;
      body += `${'\n'.repeat(pending)}${l.text.slice(blockIndent)}\n`;
      pending = 0;
      last = n + 1;
    }
    if (chomp === 'keep') {
      if (n >= this.lines.length - 1 && !this.text.endsWith('\n')) bail();
      body += '\n'.repeat(pending);
      last = n;
    }
    const value = chomp === 'strip' ? body.slice(0, -1) : body;
    this.i = last;
    return { kind: 'scalar', value, quoted: true, start, end: last < this.lines.length ? this.lines[last].off : this.text.length };
  }
}
