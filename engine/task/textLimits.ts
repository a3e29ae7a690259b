/**
 * Checks on the raw text before it is parsed: characters YAML does not allow (PyYAML refuses
 * them too, so SkyPilot rejects the file; a NUL left in would otherwise only fail on the node)
 * and nesting deeper than the parsers' recursion can take (a clear diagnostic instead of a
 * stack overflow).
 */
import type { VDocument, VEntry, VMap } from './yamlTree';

export interface TextProblem {
  start: number;
  end: number;
  message: string;
  code: string;
}

/** PyYAML's Reader.NON_PRINTABLE: every character outside these is refused. */
// eslint-disable-next-line no-control-regex -- the control characters YAML allows are the point here
const NON_PRINTABLE = /[^\x09\x0A\x0D\x20-\x7E\x85\xA0-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

/** Deeper than any real task goes, and well inside what the recursive walkers can take. */
export const MAX_NESTING = 200;

export function unacceptableCharacter(text: string): TextProblem | undefined {
  const m = NON_PRINTABLE.exec(text);
  if (!m) return undefined;
  const code = m[0].codePointAt(0) ?? 0;
  const hex = code.toString(16).toUpperCase().padStart(4, '0');
  const name = code === 0 ? 'a NUL byte' : `the control character U+${hex}`;
  return {
    start: m.index,
    end: m.index + m[0].length,
    message: `Unacceptable character #x${hex} (${name}): YAML does not allow it in a file. Remove it (a binary or a file saved with the wrong encoding?).`,
    code: 'invalid-character',
  };
}

/**
 * Where the text first nests deeper than MAX_NESTING levels (block indentation, `- ` items and
 * flow brackets together), or undefined. Block scalar bodies (`run: |`) and quoted or commented
 * text are skipped: brackets there are not structure.
 */
export function excessiveNesting(text: string): TextProblem | undefined {
  const indents: number[] = [];
  let flow = 0;
  let scalarIndent = -1; // inside a block scalar whose parent line had this indentation
  let offset = 0;
  for (const line of text.split('\n')) {
    const lineStart = offset;
    offset += line.length + 1;
    const indent = line.length - line.trimStart().length;
    const body = line.trim();
    if (scalarIndent >= 0) {
      if (body === '' || indent > scalarIndent) continue;
      scalarIndent = -1;
    }
    if (body === '' || body.startsWith('#')) continue;
    if (flow === 0) {
      while (indents.length && indents[indents.length - 1] >= indent) indents.pop();
      indents.push(indent);
    }
    let dashes = 0;
    let quote = '';
    for (let i = 0; i < line.length; i++) {
      const c = line[i];
      if (quote) {
        if (c === quote) quote = '';
        continue;
      }
      if (c === '"' || c === "'") {
        const prev = line[i - 1];
        if (prev === undefined || /[\s[{,:]/.test(prev)) quote = c;
        continue;
      }
      if (c === '#' && (i === 0 || /\s/.test(line[i - 1]))) break;
      if (c === '-' && flow === 0 && line.slice(0, i).trim().replace(/-\s*/g, '') === '' && /\s|$/.test(line[i + 1] ?? '')) dashes++;
      else if (c === '[' || c === '{') flow++;
      else if (c === ']' || c === '}') flow = Math.max(0, flow - 1);
      if (indents.length + dashes + flow > MAX_NESTING) {
        return {
          start: lineStart + i,
          end: lineStart + i + 1,
          message: `The YAML nests more than ${MAX_NESTING} levels deep here: a task never needs that much; SkyDeck stops reading rather than overflow.`,
          code: 'too-deep',
        };
      }
    }
    if (flow === 0 && /(?:^|[:-]\s*)[|>][-+0-9]*\s*(?:#.*)?$/.test(body)) scalarIndent = indent;
  }
  return undefined;
}

/**
 * A stand-in for a document too deep to parse: its top-level keys (column 0, `key:`) with no
 * values, so content detection still recognises a task and the editor shows the diagnostic.
 */
export function topLevelKeysOnly(text: string): VDocument {
  const entries: VEntry[] = [];
  const re = /^([A-Za-z_][\w.-]*)\s*:(?=\s|$)/gm;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const keyEnd = m.index + m[1].length;
    entries.push({ key: m[1], keyStart: m.index, keyEnd, value: { kind: 'scalar', value: null, quoted: false, start: keyEnd, end: keyEnd } });
  }
  const root: VMap | undefined = entries.length ? { kind: 'map', entries, flow: false, start: 0, end: text.length } : undefined;
  return { root, start: 0, end: text.length, problems: [] };
}
