// The YAML fast path must build exactly the tree the general parser builds, or step aside.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fastParseYaml } from '../../../engine/task/fastYaml';
import { parseYamlDocuments, type VDocument, type VNode } from '../../../engine/task/yamlTree';
import { corpusDir, yamlFiles } from '../../helpers/shared';

const CORPUS = corpusDir();

function norm(n: VNode | undefined, text: string): unknown {
  if (!n) return null;
  const trimEnd = (s: number, e: number) => {
    while (e > s && /\s/.test(text[e - 1])) e--;
    return e;
  };
  if (n.kind === 'scalar') return ['s', n.value, n.quoted, n.float ?? false, n.start, trimEnd(n.start, n.end)];
  // A collection's end is left out: the general parser extends it over trailing comments.
  if (n.kind === 'seq') return ['q', n.flow, n.start, n.items.map((i) => norm(i, text))];
  return ['m', n.flow, n.start, n.entries.map((e) => [e.key, e.keyStart, e.keyEnd, norm(e.value, text)])];
}

/** true when the fast path answered; throws when it answered differently. */
function same(text: string): boolean {
  const fast = fastParseYaml(text);
  if (!fast) return false;
  const slow: VDocument[] = parseYamlDocuments(text, { fastPath: false }).docs;
  assert.deepEqual(
    slow.flatMap((d) => d.problems).filter((p) => p.severity === 'error'),
    [],
    `fast path accepted a document with errors: ${JSON.stringify(text)}`,
  );
  assert.deepEqual(
    fast.map((d) => norm(d.root, text)),
    slow.map((d) => norm(d.root, text)),
    JSON.stringify(text),
  );
  return true;
}

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test('targeted shapes', () => {
  const accepted = [
    "a: 1\nb: yes\nc: on\nd: ~\ne: 0x1F\nf: 1:30\ng: .5\nh: 2024-01-01\ni: \"q\\\"x\"\nj: 'it''s'\nk: .\n",
    'resources:\n  accelerators: {A100:1, V100: 2}\n  ports: [8080, "9000-9010"]\nrun: |\n  echo a\n\n  echo b\n\nsetup: |-\n  x\n',
    'items:\n- a\n- b: 1\n  c: 2\n- - x\n  - y\n-\n  z: 1\n',
    'name: p\n---\nrun: x\n---\n',
    '# only\n---\na: 1 # c\n',
    'k:\n  # comment\n  v: 1\n',
    'a: b\r\nc: |\r\n  x\r\n\r\n  y\r\nd: [1,\r\n  2]\r\n',
    'inputs: {\n  gs://b/x: 70,\n}\n\noutputs: [\n  a, # c\n  "b",\n]\n',
    'setup:\n  pip install x\n  pip install y\n\n  z\nrun: a\n  b\n',
    'file_mounts:\n  ${ROOT}:\n    source: gs://b\n  /x/{a,b}[0]: s\n',
    'run: |\n  a\n      \n  b\n    \n\nsetup: |+\n  x\n\n  \nc: |-\n  y\n  ',
    '- |\n  x\n- a\n  b\n- [1,\n  2]\n',
    'a: |\n  x',
  ];
  for (const t of accepted) assert.equal(same(t), true, JSON.stringify(t));
  const declined = [
    'a: &x 1\nb: *x\n',
    'a: !!str 1\n',
    'a: >\n  folded\n',
    'a: b\rc: d\n',
    'a:\n\t- x\n',
    'a: "x\n  y"\n',
    'a: |2\n   x\n',
    'a: b\n  c: d\n',
    'a: 1\n  2\n',
    '<<: {a: 1}\n',
    '%YAML 1.1\n---\na: 1\n',
    'a: |+\n  x\n\n  ',
    // The general parser reads this scalar as a key (and reports an error): left to it.
    'r:\n\n# a\n  b\nrun: 1\n',
  ];
  for (const t of declined) assert.equal(fastParseYaml(t), undefined, JSON.stringify(t));
});

test('the corpus: same tree as the general parser', () => {
  let answered = 0;
  for (const f of yamlFiles(CORPUS)) if (same(fs.readFileSync(f, 'utf8'))) answered++;
  assert.ok(answered > 150, `fast path answered ${answered} files`);
});

test('fuzzed documents: same tree or step aside', () => {
  const texts = yamlFiles(path.join(CORPUS, 'tasks')).map((f) => fs.readFileSync(f, 'utf8'));
  const small = texts.map(
    (t) =>
      `${t
        .split('\n')
        .filter((l) => !l.trim().startsWith('#'))
        .slice(0, 12)
        .join('\n')}\n`,
  );
  const spice = [
    ':',
    ' ',
    '\n',
    '- ',
    '{',
    '}',
    '[',
    ']',
    '|',
    '|-',
    '#',
    '"',
    "'",
    '---\n',
    ',',
    'null',
    '~',
    ' # c',
    'a: b',
    '\n  ',
    '\n    - x',
    '1:30',
    '0x1F',
    'yes',
    '.5',
    '"a\\nb"',
    "'it''s'",
    '- - a',
    'k:',
    ': v',
    '\r\n',
    '${X}',
    '[1,\n  2]',
    '|+',
    '\n  more',
  ];
  const rnd = mulberry32(99);
  let answered = 0;
  for (let k = 0; k < 4000; k++) {
    let t = rnd() < 0.7 ? small[Math.floor(rnd() * small.length)] : texts[Math.floor(rnd() * texts.length)];
    for (let i = 0, n = 1 + Math.floor(rnd() * 4); i < n; i++) {
      const at = Math.floor(rnd() * (t.length + 1));
      const r = rnd();
      if (r < 0.45) t = t.slice(0, at) + spice[Math.floor(rnd() * spice.length)] + t.slice(at);
      else if (r < 0.75) t = t.slice(0, at) + t.slice(at + 1 + Math.floor(rnd() * 10));
      else if (r < 0.85) t = t.slice(0, at);
      else {
        const lines = t.split('\n');
        const a = Math.floor(rnd() * lines.length);
        lines[a] = ' '.repeat(Math.floor(rnd() * 7)) + (lines[a] ?? '').trimStart();
        t = lines.join('\n');
      }
    }
    if (same(t)) answered++;
  }
  assert.ok(answered > 1000, `fast path answered ${answered} of 4000`);
});

test('generated block scalars, multi-line plain and flow, CRLF, anchors: same tree or step aside', () => {
  const rnd = mulberry32(1234);
  const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)];
  const headers = ['|', '|-', '|+', '>', '>-', '>+', '|2', '|-1', '|2+', '| # c', '|- # c', '>1'];
  const words = ['echo a', 'x', '# not a comment', 'b: c', 'k:', '- item', '1', '2.5', 'yes', 'a # c', '{x}', '[y]', '"q"', "'s'", '&a v', '*a', '~', 'w  '];
  const blockBody = (indent: number): string => {
    let out = '';
    for (let n = 0, lines = Math.floor(rnd() * 5); n < lines; n++) {
      const r = rnd();
      if (r < 0.2) out += `${' '.repeat(Math.floor(rnd() * (indent + 4)))}\n`;
      else if (r < 0.25) out += `${' '.repeat(Math.floor(rnd() * indent))}# comment\n`;
      else out += `${' '.repeat(indent + (rnd() < 0.3 ? Math.floor(rnd() * 3) : 0))}${pick(words)}\n`;
    }
    return out;
  };
  const plainLines = (indent: number): string => {
    let out = pick(['w1', 'a b', '1', 'x:y', '-x', 'yes']);
    for (let n = 0, lines = Math.floor(rnd() * 4); n < lines; n++) {
      out += rnd() < 0.25 ? `\n${' '.repeat(Math.floor(rnd() * 4))}` : '';
      out += `\n${' '.repeat(indent + Math.floor(rnd() * 3))}${pick(words)}`;
    }
    return `${out}\n`;
  };
  const flowLines = (indent: number): string => {
    const items = Array.from({ length: 1 + Math.floor(rnd() * 3) }, () => pick(['1', 'a', '"q, r"', 'k: v', 'x # c', '[1, 2]', '{a: 1}', 'y']));
    const open = rnd() < 0.5 ? '[' : '{';
    const close = open === '[' ? ']' : '}';
    const sep = () => pick([', ', ',\n' + ' '.repeat(indent + Math.floor(rnd() * 3)), ',  # c\n' + ' '.repeat(indent + 1), ',\n\n' + ' '.repeat(indent + 2)]);
    let out = `${open}${pick(['', '\n' + ' '.repeat(indent + 2)])}`;
    items.forEach((it, n) => (out += (n ? sep() : '') + (open === '{' && !it.includes(':') ? `${it}: 1` : it)));
    return `${out}${pick(['', ',', '\n' + ' '.repeat(Math.max(0, indent - 1 + Math.floor(rnd() * 3)))])}${close}${pick(['', ' # c'])}\n`;
  };
  const trailers = ['', '\n', 'b: 1\n', '# c\n', '\n\n', '---\nx: 1\n', 'z:\n  - q\n'];
  let answered = 0;
  const kinds = new Set<string>();
  for (let k = 0; k < 3000; k++) {
    const ctx = pick([
      { pre: 'a: ', indent: 0 },
      { pre: 'a:\n  b: ', indent: 2 },
      { pre: '- ', indent: 0 },
      { pre: 'a:\n  - ', indent: 2 },
      { pre: 'a:\n  ', indent: 0 },
      { pre: 'a: &x ', indent: 0 },
    ]);
    const r = rnd();
    const kind = r < 0.5 ? 'block' : r < 0.75 ? 'plain' : 'flow';
    let t: string;
    if (kind === 'block') t = `${ctx.pre}${pick(headers)}\n${blockBody(ctx.indent + 1 + Math.floor(rnd() * 3))}`;
    else if (kind === 'plain') t = `${ctx.pre}${plainLines(ctx.indent + 1)}`;
    else t = `${ctx.pre}${flowLines(ctx.indent + 1)}`;
    t += ctx.pre.startsWith('-') || ctx.pre.includes('- ') ? '' : pick(trailers);
    if (rnd() < 0.2) t += 'm: &y {p: 1}\nn:\n  <<: *y\n';
    if (rnd() < 0.15) t = t.replace(/\n$/, '');
    const crlf = rnd();
    if (crlf < 0.15) t = t.replace(/\n/g, '\r\n');
    else if (crlf < 0.3) t = t.replace(/\n(?=[^]*\n)/, '\r\n');
    if (same(t)) {
      answered++;
      kinds.add(kind);
    }
  }
  assert.deepEqual([...kinds].sort(), ['block', 'flow', 'plain']);
  assert.ok(answered > 500, `fast path answered ${answered} of 3000`);
});
