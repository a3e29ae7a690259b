// The editor gets a diagnostic, not a crash, for text the parsers cannot or must not take.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TaskLanguageService, type TextDocumentLike } from '../../../server/service/languageService';

function doc(text: string, name = 'task.yaml'): TextDocumentLike {
  return { uri: `file:///w/${name}`, version: 1, getText: () => text };
}

test('deep nesting: one diagnostic where it gets too deep; hover, completion and symbols still answer', () => {
  const s = new TaskLanguageService();
  const d = doc(`run: python train.py\nresources: ${'['.repeat(50_000)}${']'.repeat(50_000)}\n`);
  const diags = s.diagnostics(d);
  assert.equal(diags.length, 1);
  assert.equal(diags[0].code, 'too-deep');
  assert.equal(diags[0].severity, 1);
  assert.equal(diags[0].range.start.line, 1);
  s.hover(d, { line: 1, character: 20 });
  s.complete(d, { line: 1, character: 20 });
  s.documentSymbols(d);
});

test('a NUL byte: an error at its position, the rest of the task still checked', () => {
  const s = new TaskLanguageService();
  const diags = s.diagnostics(doc('run: echo a\u0000b\nresources:\n  cpus: many\n'));
  const nul = diags.find((x) => x.code === 'invalid-character');
  assert.ok(nul, JSON.stringify(diags));
  assert.deepEqual(nul.range.start, { line: 0, character: 11 });
  assert.ok(
    diags.some((x) => x.range.start.line === 2),
    'cpus is still checked',
  );
});
