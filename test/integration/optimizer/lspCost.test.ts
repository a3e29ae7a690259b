// The real language server (node dist/server.js) with the real catalog insights over the
// reference catalogs: cost lens and offers hover on a corpus file. Build first.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { CodeLens, Hover } from 'vscode-languageserver-protocol';
import { INSIGHTS_LOADED, OFFER_ROWS } from '../../../server/lsp/notifications';
import { SERVER, startClient, within } from '../server/lspClient';
import { builtFiles, requirePrerequisite } from '../../helpers/prerequisites';

const ROOT = path.resolve(__dirname, '../../..');
const REF = path.resolve(ROOT, '../shared/reference-catalogs');
const CORPUS = path.resolve(ROOT, '../shared/corpus/skypilot-examples/tasks');
const FILE = path.join(CORPUS, 'llm/qwen/qwen25-7b.yaml');
const TRAIN = path.join(CORPUS, 'llm/gpt-2/gpt2-train.yaml');
const skip = requirePrerequisite(builtFiles(SERVER) ?? (fs.existsSync(FILE) ? undefined : `the SkyPilot example corpus (${FILE})`));

test('cost lens and accelerator hover on a corpus file, priced from the catalog', { skip }, async (t) => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'skydeck-lsp-'));
  const saved = { dir: process.env.SKYDECK_CATALOG_DIR, home: process.env.SKYDECK_HOME, test: process.env.SKYDECK_TEST };
  Object.assign(process.env, { SKYDECK_CATALOG_DIR: REF, SKYDECK_HOME: home, SKYDECK_TEST: '1' });
  const c = await startClient({ debounceMs: 10 }, { workspace: { codeLens: { refreshSupport: true } } });
  t.after(async () => {
    await c.stop();
    for (const [k, v] of [
      ['SKYDECK_CATALOG_DIR', saved.dir],
      ['SKYDECK_HOME', saved.home],
      ['SKYDECK_TEST', saved.test],
    ] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    fs.rmSync(home, { recursive: true, force: true });
  });
  // The server asks the client to refresh lenses once the catalog insights are loaded: that is the event we wait on.
  const refreshed = new Promise<void>((resolve) => c.conn.onRequest('workspace/codeLens/refresh', () => resolve()));
  // ...and tells the extension, which the standard refresh does not reach.
  const loaded = new Promise<void>((resolve) => c.conn.onNotification(INSIGHTS_LOADED, () => resolve()));
  const text = fs.readFileSync(FILE, 'utf8');
  const uri = `file://${FILE}`;
  c.open(uri, text);
  await within(c.diagnostics(uri, 1), 15_000, 'first diagnostics');
  await within(refreshed, 60_000, 'insights loaded (codeLens refresh)');
  await within(loaded, 15_000, `the ${INSIGHTS_LOADED} notification after the refresh`);

  const lenses = (await c.conn.sendRequest('textDocument/codeLens', { textDocument: { uri } })) as CodeLens[];
  const resourcesLine = text.split('\n').findIndex((l) => /^resources:/.test(l));
  const lens = lenses.find((l) => l.range.start.line === resourcesLine);
  assert.ok(lens, `a lens on the resources line; got ${JSON.stringify(lenses.map((l) => [l.range.start.line, l.command?.title]))}`);
  // Without cloud credentials here the prices are marked "not set up" (and a set-up lens follows).
  // The file is a service with 2 replicas and a set of accelerators: the price per replica times 2, and which accelerator.
  assert.match(
    lens.command!.title,
    /^\$[\d.]+\/h × 2 replicas = \$[\d.]+\/h on-demand \([\w.-]+:\d+ on (aws|gcp|azure) [a-z0-9-]+(, not set up)?\) · \$[\d.]+\/h spot.* · \d+ regions/,
  );
  assert.equal(lens.command!.command, 'skydeck.showOffers');
  // The offers view's rows come from the server when the lens is clicked.
  const rows = (await c.conn.sendRequest(OFFER_ROWS, lens.command!.arguments![0])) as { cloud: string; price?: number }[];
  assert.ok(rows.length > 0 && rows.every((r) => typeof r.cloud === 'string'));

  // A second corpus file: `accelerators: A100:8`; hover the value.
  const train = fs.readFileSync(TRAIN, 'utf8');
  const trainUri = `file://${TRAIN}`;
  c.open(trainUri, train);
  await within(c.diagnostics(trainUri, 1), 15_000, 'diagnostics of the second file');
  const trainLines = train.split('\n');
  const accLine = trainLines.findIndex((l) => /^\s+accelerators: A100:8/.test(l));
  const hover = (await c.conn.sendRequest('textDocument/hover', {
    textDocument: { uri: trainUri },
    position: { line: accLine, character: trainLines[accLine].indexOf('A100') + 2 },
  })) as Hover;
  const md = (hover.contents as { value: string }).value;
  assert.match(md, /^\*\*A100:8\*\*/);
  assert.match(md, /\| Cloud \| Region \| Instance \|/);
  assert.match(md, /a2-highgpu-8g/);
  const trainLenses = (await c.conn.sendRequest('textDocument/codeLens', { textDocument: { uri: trainUri } })) as CodeLens[];
  assert.ok(
    trainLenses.some((l) => /on-demand \((aws|gcp|azure) /.test(l.command?.title ?? '')),
    JSON.stringify(trainLenses.map((l) => l.command?.title)),
  );
  assert.deepEqual(c.errors, []);
});
