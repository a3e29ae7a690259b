/**
 * Where is the cursor? Two views: the parsed tree (hover, fixes: exact nodes) and the raw
 * text with its indentation (completion: while typing, the YAML is often incomplete, so the
 * tree does not yet hold the key being written).
 */
import type { VEntry, VNode } from '../../engine/task/yamlTree';

export interface NodeLocation {
  path: string[];
  entry?: VEntry;
  onKey: boolean;
  node?: VNode;
}

/** The deepest key or value at `offset` (end-inclusive, so the end of a word counts). */
export function locateNode(root: VNode | undefined, offset: number): NodeLocation | undefined {
  if (!root) return undefined;
  let cur: VNode = root;
  const path: string[] = [];
  let found: NodeLocation | undefined;
  for (let depth = 0; depth < 200; depth++) {
    let next: VNode | undefined;
    if (cur.kind === 'map') {
      for (const e of cur.entries) {
        if (offset >= e.keyStart && offset <= e.keyEnd) return { path: [...path, e.key], entry: e, onKey: true };
      }
      for (const e of cur.entries) {
        const v = e.value;
        // Block collections end where the next key starts: that position belongs to the next key.
        const inside = v.kind === 'scalar' ? offset <= v.end : offset < v.end;
        if (v.start <= offset && inside && v.end > v.start) {
          path.push(e.key);
          found = { path: [...path], entry: e, onKey: false, node: v };
          next = v;
          break;
        }
      }
    } else if (cur.kind === 'seq') {
      for (let i = 0; i < cur.items.length; i++) {
        const it = cur.items[i];
        if (it.start <= offset && (it.kind === 'scalar' ? offset <= it.end : offset < it.end)) {
          path.push(`[${i}]`);
          found = { path: [...path], onKey: false, node: it };
          next = it;
          break;
        }
      }
    }
    if (!next || next.kind === 'scalar') return found;
    cur = next;
  }
  return found;
}

export type CompletionContext =
  | { kind: 'key'; path: string[]; partial: string; replaceStart: number; indent: number }
  | { kind: 'value'; path: string[]; partial: string; replaceStart: number; flow: boolean }
  | { kind: 'none' };

interface LineInfo {
  indent: number;
  /** Columns of leading `- ` markers. */
  dashes: number[];
  /** Column where the content after dashes starts. */
  contentCol: number;
  key?: string;
  /** Text after `key:` (trimmed, comments removed). */
  rest?: string;
  blank: boolean;
}

const KEY_RE = /^(?:"([^"]*)"|'([^']*)'|([^\s#'"{[\]][^:#]*?))\s*:(?:\s+|$)(.*)$/;

export function lineInfo(line: string): LineInfo {
  let i = 0;
  while (i < line.length && line[i] === ' ') i++;
  const indent = i;
  const content = line.slice(i);
  if (!content.trim() || content.trimStart().startsWith('#')) return { indent, dashes: [], contentCol: indent, blank: true };
  const dashes: number[] = [];
  while (line[i] === '-' && (line[i + 1] === ' ' || i + 1 === line.length)) {
    dashes.push(i);
    i += 1;
    while (line[i] === ' ') i++;
  }
  const rest = line.slice(i);
  const m = KEY_RE.exec(rest);
  const info: LineInfo = { indent, dashes, contentCol: i, blank: false };
  if (m) {
    info.key = m[1] ?? m[2] ?? m[3];
    info.rest = m[4].replace(/\s+#.*$/, '').trim();
  }
  return info;
}

/** Path of the block that contains a line whose first token is at column `col` (by indentation). */
export function parentPathAt(lines: string[], lineIdx: number, col: number, startsWithDash: boolean): string[] {
  const path: string[] = [];
  let target = col;
  let targetIsDash = startsWithDash;
  for (let i = lineIdx - 1; i >= 0; i--) {
    if (target === 0 && !targetIsDash) break;
    const li = lineInfo(lines[i]);
    if (li.blank) continue;
    const opensBlock = li.key !== undefined && (li.rest === '' || /^[|>][+-]?\d*$/.test(li.rest ?? ''));
    if (opensBlock && (li.contentCol < target || (li.contentCol === target && targetIsDash && li.dashes.length === 0))) {
      path.unshift(li.key as string);
      for (let d = 0; d < li.dashes.length; d++) path.unshift('[]');
      target = li.indent;
      targetIsDash = li.dashes.length > 0;
      continue;
    }
    if (li.dashes.length && li.contentCol === target && !targetIsDash) {
      // Continuation of a list item: `- infra: aws` then `  accelerators: ...`.
      for (let d = 0; d < li.dashes.length; d++) path.unshift('[]');
      target = li.indent;
      targetIsDash = true;
    }
  }
  return path;
}

/** What is being typed at `offset`: a key (with its parent path) or a value (with its key path). */
export function completionContext(text: string, offset: number): CompletionContext {
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
  const prefix = text.slice(lineStart, offset);
  if (/^\s*(?:-\s+)*#/.test(prefix) || /\s#/.test(prefix)) return { kind: 'none' };
  const lines = text.slice(0, lineStart).split('\n');
  lines.pop(); // the empty tail after the last newline
  const lineIdx = lines.length;
  const li = lineInfo(prefix);
  // Leading dashes of the current line.
  let i = 0;
  while (prefix[i] === ' ') i++;
  const dashCount: number[] = [];
  while (prefix[i] === '-' && prefix[i + 1] === ' ') {
    dashCount.push(i);
    i += 1;
    while (prefix[i] === ' ') i++;
  }
  const contentCol = i;
  const afterDashes = prefix.slice(contentCol);
  const firstCol = dashCount.length ? dashCount[0] : contentCol;
  const parent = parentPathAt([...lines, ''], lineIdx, firstCol, dashCount.length > 0);
  const itemPath = [...parent, ...dashCount.map(() => '[]')];

  const kv = /^(?:"([^"]*)"|'([^']*)'|([^\s#'"{[\]][^:#]*?))\s*:\s+(.*)$/.exec(afterDashes);
  if (kv && li.key !== undefined) {
    const key = kv[1] ?? kv[2] ?? kv[3];
    const valueText = kv[4];
    // Inside a flow collection: complete the current element.
    const flowCut = Math.max(valueText.lastIndexOf(','), valueText.lastIndexOf('['), valueText.lastIndexOf('{'));
    const partial = (flowCut >= 0 ? valueText.slice(flowCut + 1) : valueText).replace(/^\s+/, '').replace(/^["']/, '');
    const inFlowMap = valueText.trimStart().startsWith('{');
    const path = [...itemPath, key];
    if (inFlowMap && flowCut >= 0 && !partial.includes(':')) return { kind: 'value', path, partial, replaceStart: offset - partial.length, flow: true };
    return { kind: 'value', path, partial, replaceStart: offset - partial.length, flow: flowCut >= 0 };
  }
  if (/^[^:#]*$/.test(afterDashes)) {
    const partial = afterDashes.replace(/^["']/, '');
    if (dashCount.length) {
      // `- foo` may be an item value of a list of scalars, or the first key of a list item.
      return { kind: 'key', path: itemPath, partial, replaceStart: offset - partial.length, indent: contentCol };
    }
    return { kind: 'key', path: parent, partial, replaceStart: offset - partial.length, indent: contentCol };
  }
  return { kind: 'none' };
}
