// Fuzz: mutated corpus documents and random bytes through the language service (thousands)
// and the server (hundreds). No crash, no hang, every answer within a generous bound.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TaskLanguageService } from '../../../server/service/languageService';
import { SERVER, startClient, within } from './lspClient';
import { corpusDir, yamlFiles } from '../../helpers/shared';
import { builtFiles, requirePrerequisite } from '../../helpers/prerequisites';

const CORPUS = corpusDir();
const BOUND_MS = 2000;
/** Over LSP the bound is wall time (another process), so it is looser. */
const SERVER_BOUND_MS = Number(process.env.SKYDECK_FUZZ_SERVER_BOUND_MS ?? 10_000);
const SERVICE_DOCS = Number(process.env.SKYDECK_FUZZ_DOCS ?? 2000);
const SERVER_DOCS = Number(process.env.SKYDECK_FUZZ_SERVER_DOCS ?? 250);

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

const SPICE = [
  ':',
  ' ',
  '\n',
  '- ',
  '{',
  '}',
  '[',
  ']',
  '&a ',
  '*a',
  '!!str ',
  '|',
  '>',
  '#',
  '"',
  "'",
  '\t',
  '---\n',
  '<<: ',
  '$X',
  '${',
  'A100:8',
  'spot_recovery: x',
  'any_of:\n  - ',
  '\u00e9',
  '\ud83d\ude80',
  '\r\n',
  '%YAML 1.1\n',
  '? ',
  ',',
  'null',
  '~',
];

function mutate(text: string, rnd: () => number): string {
  let t = text;
  const ops = 1 + Math.floor(rnd() * 6);
  for (let i = 0; i < ops; i++) {
    const at = Math.floor(rnd() * (t.length + 1));
    const r = rnd();
    if (r < 0.3) t = t.slice(0, at) + SPICE[Math.floor(rnd() * SPICE.length)] + t.slice(at);
    else if (r < 0.55) t = t.slice(0, at) + t.slice(at + 1 + Math.floor(rnd() * 20));
    else if (r < 0.7) {
      const lines = t.split('\n');
      const a = Math.floor(rnd() * lines.length);
      const b = Math.floor(rnd() * lines.length);
      [lines[a], lines[b]] = [lines[b], lines[a]];
      t = lines.join('\n');
    } else if (r < 0.8) {
      const lines = t.split('\n');
      const a = Math.floor(rnd() * lines.length);
      lines.splice(a, 0, lines[a] ?? '');
      t = lines.join('\n');
    } else if (r < 0.9) t = t.slice(0, at);
    else {
      // re-indent a line
      const lines = t.split('\n');
      const a = Math.floor(rnd() * lines.length);
      lines[a] = ' '.repeat(Math.floor(rnd() * 9)) + (lines[a] ?? '').trimStart();
      t = lines.join('\n');
    }
  }
  return t;
}

function randomBytes(rnd: () => number): string {
  const n = Math.floor(rnd() * 400);
  let s = '';
  for (let i = 0; i < n; i++) s += String.fromCharCode(rnd() < 0.8 ? 9 + Math.floor(rnd() * 118) : Math.floor(rnd() * 0xffff));
  return s;
}

function randomPosition(text: string, rnd: () => number): { line: number; character: number } {
  const lines = text.split('\n');
  const line = Math.floor(rnd() * lines.length);
  return { line, character: Math.floor(rnd() * ((lines[line]?.length ?? 0) + 2)) };
}

/** The bound is on CPU time: on a shared machine wall time also counts other processes. */
function timed<T>(what: string, fn: () => T): T {
  const c0 = process.cpuUsage();
  const out = fn();
  const c = process.cpuUsage(c0);
  const ms = (c.user + c.system) / 1000;
  assert.ok(ms < BOUND_MS, `${what} took ${ms.toFixed(0)} ms of CPU`);
  return out;
}

function corpusTexts(): string[] {
  const files = [...yamlFiles(path.join(CORPUS, 'tasks')), ...yamlFiles(path.join(CORPUS, 'tasks-invalid')), ...yamlFiles(path.join(CORPUS, 'not-tasks'))];
  return files.map((f) => fs.readFileSync(f, 'utf8'));
}

test('language service: mutated corpus documents and random bytes', () => {
  const rnd = mulberry32(20260702);
  const texts = corpusTexts();
  // Everything is a task here, so every feature runs on every document.
  const service = new TaskLanguageService({ settings: { taskFiles: ['**'] } });
  for (let i = 0; i < SERVICE_DOCS; i++) {
    const text = i % 5 === 4 ? randomBytes(rnd) : mutate(texts[Math.floor(rnd() * texts.length)], rnd);
    const d = { uri: `file:///fuzz/${i % 7}.yaml`, version: i, getText: () => text };
    try {
      const diags = timed('diagnostics', () => service.diagnostics(d));
      for (const x of diags) {
        assert.ok(x.range.start.line <= x.range.end.line, 'range order');
        assert.ok(typeof x.message === 'string' && x.message.length > 0);
      }
      const pos = randomPosition(text, rnd);
      timed('completion', () => service.complete(d, pos));
      timed('hover', () => service.hover(d, pos));
      timed('symbols', () => service.documentSymbols(d));
      timed('code actions', () => service.codeActions(d, { start: pos, end: pos }));
    } catch (e) {
      throw new Error(`fuzz case ${i} failed: ${(e as Error).stack}\n--- document ---\n${JSON.stringify(text)}`, { cause: e });
    }
  }
});

test('server: a few hundred mutated documents over LSP', { skip: requirePrerequisite(builtFiles(SERVER)) }, async (t) => {
  const c = await startClient({ taskFiles: ['**'], debounceMs: 0 });
  t.after(() => c.stop());
  const rnd = mulberry32(7);
  const texts = corpusTexts();
  const uri = 'file:///fuzz/server.yaml';
  c.open(uri, texts[0], 1);
  await within(c.diagnostics(uri, 1), 10_000, 'first diagnostics');
  for (let v = 2; v < SERVER_DOCS + 2; v++) {
    const text = v % 6 === 0 ? randomBytes(rnd) : mutate(texts[Math.floor(rnd() * texts.length)], rnd);
    c.change(uri, text, v);
    const pos = randomPosition(text, rnd);
    await within(c.diagnostics(uri, v), SERVER_BOUND_MS, `diagnostics v${v}`);
    await within(c.conn.sendRequest('textDocument/completion', { textDocument: { uri }, position: pos }), SERVER_BOUND_MS, `completion v${v}`);
    await within(c.conn.sendRequest('textDocument/hover', { textDocument: { uri }, position: pos }), SERVER_BOUND_MS, `hover v${v}`);
  }
  assert.equal(c.proc.exitCode, null, 'server still running');
  assert.deepEqual(c.errors, [], 'handler failures reported by the server');
});
