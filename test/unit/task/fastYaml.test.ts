// The YAML fast path must build exactly the tree the general parser builds, or step aside.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fastParseYaml } from '../../../engine/task/fastYaml';
import { parseYamlDocuments, type VDocument, type VNode } from '../../../engine/task/yamlTree';
import { corpusDir } from '../../helpers/shared';

const CORPUS = corpusDir();

function yamlFiles(dir: string, out: string[] = []): string[] {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) yamlFiles(p, out);
    else if (/\.ya?ml$/.test(e.name)) out.push(p);
  }
  return out.sort();
}

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
  ];
  for (const t of accepted) assert.equal(same(t), true, JSON.stringify(t));
  const declined = [
    'a: &x 1\nb: *x\n',
    'a: !!str 1\n',
    'a: >\n  folded\n',
    'a: b\r\n',
    'a:\n\t- x\n',
    'a: [1,\n  2]\n',
    'a: b\n  c\n',
    '<<: {a: 1}\n',
    '%YAML 1.1\n---\na: 1\n',
    'a: |+\n  x\n\n',
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
