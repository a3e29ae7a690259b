// The language server over LSP: `node dist/server.js --stdio` (build first).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CodeAction, CompletionItem, CompletionList, DocumentSymbol, Hover } from 'vscode-languageserver-protocol';
import { SERVER, startClient, within } from './lspClient';
import { builtFiles, requirePrerequisite } from '../../helpers/prerequisites';

const skip = requirePrerequisite(builtFiles(SERVER));

test('diagnostics, completion, hover, outline, quick fix and edits through LSP', { skip }, async (t) => {
  const c = await startClient({ debounceMs: 20 });
  t.after(() => c.stop());
  const uri = 'file:///work/task.yaml';
  c.open(uri, 'resources:\n  accelerators: A100:8\n  spot_recovery: FAILOVER\nrun: echo hi\n');
  const first = await within(c.diagnostics(uri, 1), 10_000, 'first diagnostics');
  assert.equal(first.diagnostics.length, 1);
  assert.equal(first.diagnostics[0].code, 'spot-recovery-removed');
  assert.deepEqual(first.diagnostics[0].range, { start: { line: 2, character: 2 }, end: { line: 2, character: 15 } });

  const hover = (await c.conn.sendRequest('textDocument/hover', { textDocument: { uri }, position: { line: 1, character: 5 } })) as Hover;
  assert.match((hover.contents as { value: string }).value, /resources\.accelerators/);

  const completion = (await c.conn.sendRequest('textDocument/completion', { textDocument: { uri }, position: { line: 3, character: 0 } })) as
    CompletionItem[] | CompletionList;
  const items = Array.isArray(completion) ? completion : completion.items;
  const names = items.map((i) => i.label);
  assert.ok(names.includes('setup') && names.includes('envs'), names.join(','));

  const symbols = (await c.conn.sendRequest('textDocument/documentSymbol', { textDocument: { uri } })) as DocumentSymbol[];
  assert.deepEqual(
    symbols.map((s) => s.name),
    ['resources', 'run'],
  );

  const actions = (await c.conn.sendRequest('textDocument/codeAction', {
    textDocument: { uri },
    range: first.diagnostics[0].range,
    context: { diagnostics: first.diagnostics },
  })) as CodeAction[];
  assert.equal(actions[0].title, "Rename 'spot_recovery' to 'job_recovery'");
  assert.equal(actions[0].edit?.changes?.[uri][0].newText, 'job_recovery');

  // An edit: diagnostics for the new version (debounced), then clean.
  c.change(uri, 'resources:\n  accelerators: A100:8\n  job_recovery: FAILOVER\nrun: echo hi\n', 2);
  const second = await within(c.diagnostics(uri, 2), 10_000, 'diagnostics after edit');
  assert.deepEqual(second.diagnostics, []);

  // Files that are not tasks are left alone.
  const compose = 'file:///work/docker-compose.yml';
  c.open(compose, 'services:\n  web:\n    image: nginx\n');
  assert.deepEqual((await within(c.diagnostics(compose, 1), 10_000, 'compose diagnostics')).diagnostics, []);
  const none = (await c.conn.sendRequest('textDocument/completion', {
    textDocument: { uri: compose },
    position: { line: 0, character: 0 },
  })) as CompletionItem[];
  assert.deepEqual(none, []);
  assert.deepEqual(c.errors, []);
});

test('skydeck.taskFiles from initializationOptions claims files by glob', { skip }, async (t) => {
  const c = await startClient({ taskFiles: ['**/jobs/*.yaml'], debounceMs: 0 });
  t.after(() => c.stop());
  const uri = 'file:///work/jobs/x.yaml';
  c.open(uri, 'foo: 1\n');
  const d = await within(c.diagnostics(uri, 1), 10_000, 'diagnostics');
  assert.equal(d.diagnostics[0]?.code, 'unknown-key');
});
