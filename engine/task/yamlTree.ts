/**
 * YAML text -> a small JSON-like tree that keeps source offsets on every node and key.
 * Parsed with `yaml` in YAML 1.1 mode (what PyYAML's safe_load, i.e. SkyPilot, reads:
 * `yes`/`on` are booleans), merge keys (`<<`) and aliases resolved, duplicate keys kept
 * (the validator reports them), and alias expansion bounded (no "billion laughs").
 */
import { isAlias, isMap, isPair, isScalar, isSeq, parseAllDocuments } from 'yaml';
import type { Document, Node as YNode, Scalar } from 'yaml';
import type { Position, Range } from './diagnostics';
import { fastParseYaml } from './fastYaml';

export type { VScalar, VEntry, VMap, VSeq, VNode, SyntaxProblem, VDocument } from './yamlNodes';
import { plainNumber, type VScalar, type VEntry, type VMap, type VNode, type SyntaxProblem, type VDocument } from './yamlNodes';

/** Offsets <-> LSP positions for one text. */
export class TextMap {
  readonly lineStarts: number[];
  constructor(readonly text: string) {
    const starts = [0];
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
    this.lineStarts = starts;
  }

  positionAt(offset: number): Position {
    const o = Math.max(0, Math.min(offset, this.text.length));
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid] <= o) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo, character: o - this.lineStarts[lo] };
  }

  offsetAt(pos: Position): number {
    if (pos.line < 0) return 0;
    if (pos.line >= this.lineStarts.length) return this.text.length;
    const lineEnd = pos.line + 1 < this.lineStarts.length ? this.lineStarts[pos.line + 1] : this.text.length;
    return Math.min(this.lineStarts[pos.line] + Math.max(0, pos.character), lineEnd);
  }

  lineEnd(offset: number): number {
    const nl = this.text.indexOf('\n', offset);
    let end = nl < 0 ? this.text.length : nl;
    if (end > offset && this.text.charCodeAt(end - 1) === 13) end--;
    return end;
  }

  /** Range for [start, end), trailing whitespace trimmed; empty spans grow to one char. */
  range(start: number, end: number): Range {
    let e = Math.min(end, this.text.length);
    while (e > start && /\s/.test(this.text[e - 1])) e--;
    if (e <= start) e = Math.min(start + 1, this.lineEnd(start));
    return { start: this.positionAt(start), end: this.positionAt(Math.max(e, start)) };
  }
}

/** Most nodes one document may expand to through aliases before we stop (PyYAML has no limit; we do). */
const MAX_EXPANDED_NODES = 200_000;

export function parseYamlDocuments(text: string, options: { fastPath?: boolean } = {}): { docs: VDocument[]; textMap: TextMap } {
  const textMap = new TextMap(text);
  if (options.fastPath !== false) {
    // Plain task YAML takes the fast path; anything unusual (or wrong) goes to `yaml`.
    const fast = fastParseYaml(text);
    if (fast) return { docs: fast, textMap };
  }
  const parsed = parseAllDocuments(text, {
    version: '1.1',
    uniqueKeys: false,
    merge: false,
    prettyErrors: false,
    strict: false,
  });
  const list: Document.Parsed[] = Array.isArray(parsed) ? parsed : [];
  const docs: VDocument[] = [];
  if (!Array.isArray(parsed)) {
    // EmptyStream: no documents at all.
    return { docs: [{ start: 0, end: text.length, problems: [] }], textMap };
  }
  for (const doc of list) {
    const problems: SyntaxProblem[] = [];
    for (const e of doc.errors) problems.push(toProblem(e.message, e.pos, 'error', textMap));
    for (const w of doc.warnings) problems.push(toProblem(w.message, w.pos, 'warning', textMap));
    const conv = new Converter(doc, problems, textMap);
    const contents = doc.contents as YNode | null;
    let root: VNode | undefined;
    if (contents && !(isScalar(contents) && contents.value === null && !(contents as Scalar).source)) {
      root = conv.convert(contents);
    }
    const [start, , end] = doc.range;
    docs.push({ root, start, end, problems });
  }
  if (docs.length === 0) docs.push({ start: 0, end: text.length, problems: [] });
  return { docs, textMap };
}

function toProblem(message: string, pos: [number, number], severity: 'error' | 'warning', textMap: TextMap): SyntaxProblem {
  // yaml's messages end with " at line L, column C:" plus a code excerpt; keep the first sentence.
  const first = message.split('\n')[0].replace(/ at line \d+, column \d+:?\s*$/, '');
  const start = Math.min(pos[0], textMap.text.length);
  let end = Math.max(pos[1], start);
  end = Math.min(end, textMap.lineEnd(start));
  return { start, end, message: `YAML syntax: ${first}`, severity };
}

class Converter {
  private expanded = 0;
  private readonly cache = new Map<YNode, VNode>();
  private tooManyAliases = false;

  constructor(
    private readonly doc: Document.Parsed,
    private readonly problems: SyntaxProblem[],
    private readonly textMap: TextMap,
  ) {}

  convert(node: YNode, depth = 0): VNode {
    if (depth > 500) return nullAt(rangeOf(node));
    if (isAlias(node)) {
      const target = node.resolve(this.doc) as YNode | undefined;
      const [s, e] = rangeOf(node);
      if (!target || this.tooManyAliases) return nullAt([s, e]);
      const size = this.sizeOf(target);
      this.expanded += size;
      if (this.expanded > MAX_EXPANDED_NODES) {
        this.tooManyAliases = true;
        this.problems.push({ start: s, end: e, message: 'YAML: too many alias expansions; the document is too large to check.', severity: 'error' });
        return nullAt([s, e]);
      }
      const resolved = this.convert(target, depth + 1);
      return { ...resolved, start: s, end: e } as VNode;
    }
    const cached = this.cache.get(node);
    if (cached) return cached;
    let out: VNode;
    const [start, end] = rangeOf(node);
    if (isMap(node)) {
      const entries: VEntry[] = [];
      const merged: VEntry[] = [];
      for (const pair of node.items) {
        if (!isPair(pair)) continue;
        const keyNode = pair.key as YNode | null;
        const [ks, ke] = keyNode ? rangeOf(keyNode) : [start, start];
        const key = keyText(keyNode, this);
        const valueNode = pair.value as YNode | null;
        const value: VNode = valueNode ? this.convert(valueNode, depth + 1) : nullAt([ke, ke]);
        if (key === '<<' && keyNode && isScalar(keyNode) && !(keyNode as Scalar).type?.startsWith('QUOTE')) {
          // YAML 1.1 merge key: entries of the merged map(s) that the map does not set itself.
          const sources = value.kind === 'seq' ? value.items : [value];
          for (const src of sources) if (src.kind === 'map') merged.push(...src.entries);
          continue;
        }
        entries.push({ key, keyStart: ks, keyEnd: ke, value });
      }
      const own = new Set(entries.map((e) => e.key));
      const seen = new Set<string>();
      for (const m of merged) {
        if (own.has(m.key) || seen.has(m.key)) continue;
        seen.add(m.key);
        entries.push(m);
      }
      out = { kind: 'map', entries, flow: !!node.flow, start, end };
    } else if (isSeq(node)) {
      const items: VNode[] = [];
      for (const it of node.items) items.push(it ? this.convert(it as YNode, depth + 1) : nullAt([end, end]));
      out = { kind: 'seq', items, flow: !!node.flow, start, end };
    } else if (isScalar(node)) {
      out = scalarOf(node, start, end);
    } else {
      out = nullAt([start, end]);
    }
    this.cache.set(node, out);
    return out;
  }

  /** Node count of a subtree including aliases (memoized). */
  private readonly sizes = new Map<YNode, number>();
  private sizeOf(node: YNode, depth = 0): number {
    const known = this.sizes.get(node);
    if (known !== undefined) return known;
    if (depth > 100) return MAX_EXPANDED_NODES + 1;
    let n = 1;
    if (isAlias(node)) {
      const t = node.resolve(this.doc) as YNode | undefined;
      n = t ? this.sizeOf(t, depth + 1) : 1;
    } else if (isMap(node)) {
      for (const p of node.items) if (isPair(p) && p.value) n += this.sizeOf(p.value as YNode, depth + 1);
    } else if (isSeq(node)) {
      for (const it of node.items) if (it) n += this.sizeOf(it as YNode, depth + 1);
    }
    n = Math.min(n, MAX_EXPANDED_NODES + 1);
    this.sizes.set(node, n);
    return n;
  }

  keyOfComplex(node: YNode): string {
    return JSON.stringify(toPlain(this.convert(node)));
  }

  get text(): string {
    return this.textMap.text;
  }
}

function rangeOf(node: YNode): [number, number] {
  const r = (node as { range?: [number, number, number] | null }).range;
  return r ? [r[0], r[1]] : [0, 0];
}

function nullAt([s, e]: [number, number]): VScalar {
  return { kind: 'scalar', value: null, quoted: false, start: s, end: e };
}

function scalarOf(node: Scalar, start: number, end: number): VScalar {
  const v = node.value;
  const quoted = node.type !== undefined && node.type !== 'PLAIN';
  let value: VScalar['value'];
  if (v === null || v === undefined) value = null;
  else if (typeof v === 'boolean')
    value = !quoted && /^[YyNn]$/.test(((node.source as string | undefined) ?? '').trim()) ? (node.source as string).trim() : v; // PyYAML: a lone y/n is a string
  else if (typeof v === 'string') value = v;
  else if (typeof v === 'number') {
    // yaml's 1.1 float regex reads a lone '.' (e.g. `workdir: .`) as NaN; PyYAML reads a string.
    const src = (node.source as string | undefined) ?? '';
    value = Number.isNaN(v) && !/^\.nan$/i.test(src.trim()) ? src : v;
    if (typeof value === 'number' && !quoted && node.source !== undefined) return plainNumber(src, value, start, end);
  } else if (typeof v === 'bigint') value = Number(v);
  else if (v instanceof Date) value = (node.source as string | undefined) ?? v.toISOString();
  else value = String(v);
  return { kind: 'scalar', value, quoted, start, end };
}

function keyText(keyNode: YNode | null, conv: Converter): string {
  if (!keyNode) return 'null';
  if (isScalar(keyNode)) {
    const v = keyNode.value;
    if (typeof v === 'string') return v;
    // What the user wrote (`on`, `8080`), not the YAML 1.1 interpretation (true, 8080).
    const src = (keyNode as Scalar).source as string | undefined;
    if (typeof src === 'string' && src.length > 0) return src;
    return String(v);
  }
  if (isAlias(keyNode)) return String((keyNode as { source: string }).source);
  return conv.keyOfComplex(keyNode);
}

export type Plain = string | number | boolean | null | Plain[] | { [k: string]: Plain };

/** The JSON value of a node (later duplicate keys win, like PyYAML). */
export function toPlain(node: VNode | undefined): Plain {
  if (!node) return null;
  if (node.kind === 'scalar') return node.value;
  if (node.kind === 'seq') return node.items.map(toPlain);
  const out: { [k: string]: Plain } = {};
  for (const e of node.entries) out[e.key] = toPlain(e.value);
  return out;
}

export function entryOf(map: VMap, key: string): VEntry | undefined {
  // Last one wins, as in PyYAML (duplicates are reported separately).
  for (let i = map.entries.length - 1; i >= 0; i--) if (map.entries[i].key === key) return map.entries[i];
  return undefined;
}

export function isNullNode(node: VNode | undefined): boolean {
  return !node || (node.kind === 'scalar' && node.value === null);
}
