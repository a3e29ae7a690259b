// The language server's idle-time warm-up of the cost lens (server/service/lensWarmUp.ts, run by
// server/lsp/idleWork.ts): it changes no answer, and a client's request never waits for it.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { createConnection } from 'vscode-languageserver/node';
import { createProtocolConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-languageserver-protocol/node';
import type { CodeLens } from 'vscode-languageserver-types';
import { loadCatalogDir } from '../../../engine/catalog/sources';
import type { Catalog } from '../../../engine/catalog/catalog';
import type { InfraDetection } from '../../../engine/infra/detection';
import { createInsights } from '../../../engine/optimizer/insights';
import type { InfraState } from '../../../engine/optimizer/insightTypes';
import { startServer } from '../../../server/lsp/server';
import type { IdleWorkStats } from '../../../server/lsp/idleWork';
import { TaskLanguageService } from '../../../server/service/languageService';
import { LensWarmUp, warmUpSamples } from '../../../server/service/lensWarmUp';
import { requirePrerequisite } from '../../helpers/prerequisites';
import { corpusDir } from '../../helpers/shared';
import { REFERENCE_CATALOGS, referenceAvailable } from '../optimizer/helpers';

const missing = requirePrerequisite(!referenceAvailable() && `the reference catalogs at ${REFERENCE_CATALOGS}`);

const INFRA: InfraDetection[] = [
  { infra: 'local', enabled: true, reason: 'This machine.' },
  { infra: 'gcp', enabled: true, reason: 'ADC.' },
  { infra: 'aws', enabled: false, reason: 'No AWS credentials found.' },
  { infra: 'azure', enabled: false, reason: 'No Azure login found.' },
  { infra: 'kubernetes', enabled: false, reason: 'No kubeconfig found.' },
];

function corpusFiles(): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.ya?ml$/.test(e.name)) out.push(p);
    }
  };
  walk(path.join(corpusDir(), 'tasks'));
  return out.sort();
}

/** Every corpus file's lenses through the server's own service, each file with fresh insights over `cat`. */
function corpusLenses(cat: Catalog, files: string[]): Map<string, CodeLens[]> {
  const out = new Map<string, CodeLens[]>();
  for (const f of files) {
    const service = new TaskLanguageService({ insights: createInsights({ catalog: () => cat, liveAvailability: false, infra: () => INFRA }) });
    const text = fs.readFileSync(f, 'utf8');
    out.set(f, service.codeLenses({ uri: `file://${f}`, version: 1, getText: () => text }));
  }
  return out;
}

test('the warm-up leaves no state: every corpus file has the same lenses with and without it', { skip: missing }, () => {
  const files = corpusFiles();
  // Each side on a catalog of its own, loaded fresh: the warm-up's side sees whatever it filled in.
  const without = corpusLenses(loadCatalogDir(REFERENCE_CATALOGS), files);
  const cat = loadCatalogDir(REFERENCE_CATALOGS);
  const warm = new LensWarmUp((infra) => createInsights({ catalog: () => cat, liveAvailability: false, infra: () => infra }));
  let steps = 0;
  while (warm.step()) steps++;
  assert.ok(warm.done && steps + 1 >= warmUpSamples().length, 'the warm-up ran to its end');
  const withWarmUp = corpusLenses(cat, files);
  let priced = 0;
  for (const f of files) {
    assert.deepEqual(withWarmUp.get(f), without.get(f), path.relative(corpusDir(), f));
    if (without.get(f)!.some((l) => /\/h/.test(l.command?.title ?? ''))) priced++;
  }
  // Most corpus tasks have a priced lens: the comparison is not of empty answers.
  assert.ok(priced > files.length / 2, `only ${priced} of ${files.length} files have a priced lens`);
});

test('the samples are tasks with lenses: each shape the warm-up means to cover is priced or explained', { skip: missing }, () => {
  const cat = loadCatalogDir(REFERENCE_CATALOGS);
  const service = new TaskLanguageService({ insights: createInsights({ catalog: () => cat, liveAvailability: false, infra: () => INFRA }) });
  warmUpSamples().forEach((text, i) => {
    const lenses = service.codeLenses({ uri: `file:///warm/${i}.yaml`, version: 1, getText: () => text });
    assert.ok(lenses.length > 0, `sample ${i} has no lens`);
    for (const l of lenses) assert.doesNotMatch(l.command?.title ?? '', /^Cost unavailable/, `sample ${i}`);
  });
});

test('a request that arrives during the warm-up is answered before the warm-up goes on, and the warm-up then finishes', { skip: missing }, async () => {
  const cat = loadCatalogDir(REFERENCE_CATALOGS);
  const toServer = new PassThrough();
  const toClient = new PassThrough();
  const server = createConnection(new StreamMessageReader(toServer), new StreamMessageWriter(toClient));
  let firstStep!: () => void;
  const started = new Promise<void>((resolve) => (firstStep = resolve));
  let finished!: (s: IdleWorkStats) => void;
  const done = new Promise<IdleWorkStats>((resolve) => (finished = resolve));
  let steps = 0;
  let isDone = false;
  startServer(server, {
    debounceMs: 0,
    loadInsights: async () => createInsights({ catalog: () => cat, liveAvailability: false, infra: () => INFRA }),
    warmUp: {
      insights: (infra: InfraState[]) => createInsights({ catalog: () => cat, liveAvailability: false, infra: () => infra }),
      // Long enough that only a request taking this long to answer could see a step start before its answer.
      quietMs: 1000,
      onStep: (s) => {
        steps = s.steps;
        if (s.steps === 1) firstStep();
      },
      onDone: (s) => {
        isDone = true;
        finished({ ...s });
      },
    },
    onInput: (listener) => toServer.on('data', listener),
  });
  const client = createProtocolConnection(new StreamMessageReader(toClient), new StreamMessageWriter(toServer));
  client.onNotification('textDocument/publishDiagnostics', () => undefined);
  client.onUnhandledNotification(() => undefined);
  client.onRequest('workspace/codeLens/refresh', () => null);
  client.listen();
  // The steps that started between the request reaching the server and its answer.
  let arrived = -1;
  try {
    await client.sendRequest('initialize', { processId: null, rootUri: null, capabilities: {}, initializationOptions: {} });
    await client.sendNotification('initialized', {});
    const uri = 'file:///w/train.yaml';
    await client.sendNotification('textDocument/didOpen', {
      textDocument: { uri, languageId: 'yaml', version: 1, text: 'resources:\n  accelerators: A100:8\nrun: python train.py\n' },
    });
    await started;
    assert.equal(isDone, false);
    const onArrive = () => {
      if (arrived < 0) arrived = steps;
    };
    toServer.once('data', onArrive);
    const lenses = (await client.sendRequest('textDocument/codeLens', { textDocument: { uri } })) as CodeLens[];
    const answered = steps;
    assert.equal(isDone, false, 'the answer came before the warm-up finished');
    assert.equal(answered, arrived, 'no warm-up step ran while the request was pending');
    assert.match(lenses[0].command!.title, /on-demand/);
    const stats = await done;
    assert.ok(stats.steps > answered, 'the warm-up went on after the answer');
    assert.ok(stats.pauses >= 1, 'it stood aside for the request');
  } finally {
    client.dispose();
    server.dispose();
    toServer.end();
    toClient.end();
  }
});
