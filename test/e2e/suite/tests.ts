/**
 * Extension-host tests: diagnostics, code lenses, commands, tree contents, log documents
 * and the offers view, through the VS Code API in a real VS Code. Waits are on events
 * (diagnostics, document changes, store refreshes, the extension's code-lens changes) with
 * deadlines; nothing polls.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { SkyDeckApi } from '../../../extension/main';
import type { TreeNode } from '../../../extension/views/treeNode';
import type { ClusterRecord } from '../../../engine/cluster/types';

const EXTENSION_ID = 'skydeck.skydeck';
const results: Record<string, number | string> = {};

function workspaceFile(name: string): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'the test workspace is open');
  return vscode.Uri.joinPath(folder.uri, name);
}

function deadline<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms))),
  ]).finally(() => clearTimeout(timer));
}

/** Resolves with the first non-empty diagnostics of `uri` (event-driven). */
function diagnosticsOf(uri: vscode.Uri, ms = 30_000): Promise<vscode.Diagnostic[]> {
  const now = vscode.languages.getDiagnostics(uri);
  if (now.length) return Promise.resolve(now);
  return deadline(
    new Promise((resolve) => {
      const sub = vscode.languages.onDidChangeDiagnostics((e) => {
        if (!e.uris.some((u) => u.toString() === uri.toString())) return;
        const d = vscode.languages.getDiagnostics(uri);
        if (d.length) {
          sub.dispose();
          resolve(d);
        }
      });
    }),
    ms,
    `diagnostics on ${uri.path}`,
  );
}

/**
 * Asks for the document's code lenses until `ok` accepts their titles: once at once, then each
 * time the extension says a lens may have changed (api.onDidChangeCodeLenses).
 */
async function lensesUntil(uri: vscode.Uri, ok: (titles: string[]) => boolean, ms = 30_000): Promise<vscode.CodeLens[]> {
  await deadline(Promise.resolve(vscode.workspace.openTextDocument(uri)), ms, `opening ${uri.path}`);
  let last: string[] = [];
  let sub: vscode.Disposable | undefined;
  const matched = new Promise<vscode.CodeLens[]>((resolve, reject) => {
    let asking = false;
    let askAgain = false;
    const ask = async (): Promise<void> => {
      if (asking) return void (askAgain = true);
      asking = true;
      do {
        askAgain = false;
        const lenses = (await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri, 100)) ?? [];
        last = lenses.map((l) => l.command?.title ?? '');
        if (ok(last)) return resolve(lenses);
      } while (askAgain);
      asking = false;
    };
    // Subscribed before the first question, so a change while it is asked is not missed.
    sub = api.onDidChangeCodeLenses(() => void ask().catch(reject));
    void ask().catch(reject);
  });
  try {
    return await deadline(matched, ms, `code lenses on ${uri.path} to match`);
  } catch (e) {
    throw new Error(`${e instanceof Error ? e.message : String(e)}; last titles: ${JSON.stringify(last)}`, { cause: e });
  } finally {
    sub?.dispose();
  }
}

/** Resolves when `doc`'s text satisfies `ok` (event-driven). */
function textUntil(uri: vscode.Uri, ok: (text: string) => boolean, ms = 30_000): Promise<vscode.TextDocument> {
  const current = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
  if (current && ok(current.getText())) return Promise.resolve(current);
  return deadline(
    new Promise((resolve) => {
      const sub = vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.document.uri.toString() === uri.toString() && ok(e.document.getText())) {
          sub.dispose();
          resolve(e.document);
        }
      });
    }),
    ms,
    `text of ${uri.toString()}`,
  );
}

async function labels(nodes: TreeNode[]): Promise<{ label: string; description: string; contextValue: string }[]> {
  return nodes.map((n) => {
    const item = n.getTreeItem();
    const label = typeof item.label === 'string' ? item.label : (item.label?.label ?? '');
    return { label, description: String(item.description ?? ''), contextValue: item.contextValue ?? '' };
  });
}

let api: SkyDeckApi;

/** The extension's own engine bundle (dist/extension-engine.js): the code the extension runs. */
function engine(): typeof import('../../../extension/engine/bundle') {
  const ext = vscode.extensions.getExtension(EXTENSION_ID)!;
  return require(path.join(ext.extensionPath, 'dist', 'extension-engine.js'));
}

suiteSetup(async () => {
  const doc = await vscode.workspace.openTextDocument(workspaceFile('hello.sky.yaml'));
  await vscode.window.showTextDocument(doc);
  const ext = vscode.extensions.getExtension<SkyDeckApi>(EXTENSION_ID);
  assert.ok(ext, `${EXTENSION_ID} is loaded`);
  api = await ext.activate();
  results.activationMs = api.activationMs;
});

suiteTeardown(() => {
  const out = process.env.SKYDECK_E2E_OUT;
  if (out) fs.writeFileSync(path.join(out, 'extension-host-results.json'), JSON.stringify(results, null, 2));
});

suite('Activation and commands', () => {
  test('activates on a YAML document and registers every contributed command', async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID)!;
    assert.equal(ext.isActive, true);
    const contributed = (ext.packageJSON.contributes.commands as { command: string }[]).map((c) => c.command);
    assert.ok(contributed.length >= 25, `contributes ${contributed.length} commands`);
    const registered = new Set(await vscode.commands.getCommands(true));
    const missing = contributed.filter((c) => !registered.has(c));
    assert.deepEqual(missing, [], 'every contributed command is registered');
  });

  test('every command is in the SkyDeck category and every view has an id the extension registered', () => {
    const pkg = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON;
    for (const c of pkg.contributes.commands as { command: string; category: string }[]) assert.equal(c.category, 'SkyDeck', c.command);
    const views = (pkg.contributes.views.skydeck as { id: string }[]).map((v) => v.id);
    assert.deepEqual(views, ['skydeck.clusters', 'skydeck.managedJobs', 'skydeck.services', 'skydeck.gpus', 'skydeck.infra', 'skydeck.storage']);
    assert.deepEqual(Object.keys(api.trees).sort(), ['clusters', 'gpus', 'infra', 'managedJobs', 'services', 'storage']);
  });
});

suite('Language server', () => {
  test('reports the spot_recovery key of an invalid task at its exact line', async () => {
    const uri = workspaceFile('invalid.sky.yaml');
    const doc = await vscode.workspace.openTextDocument(uri);
    const diags = await diagnosticsOf(uri);
    results.startToFirstDiagnosticsMs = Date.now() - api.clientStartedAt;
    const line = doc
      .getText()
      .split('\n')
      .findIndex((l) => l.includes('spot_recovery'));
    const onKey = diags.filter((d) => d.range.start.line === line);
    assert.ok(onKey.length > 0, `a diagnostic on line ${line}: ${JSON.stringify(diags.map((d) => [d.range.start.line, d.message]))}`);
    assert.ok(
      onKey.some((d) => d.severity === vscode.DiagnosticSeverity.Error),
      'it is an error',
    );
    assert.match(onKey.map((d) => d.message).join('\n'), /job_recovery/);
  });

  test('shows a cost lens on resources: of a GPU task', async () => {
    const uri = workspaceFile('gpu.sky.yaml');
    const doc = await vscode.workspace.openTextDocument(uri);
    const lenses = await lensesUntil(uri, (t) => t.some((x) => /\$\d/.test(x)));
    const cost = lenses.find((l) => /\$\d/.test(l.command?.title ?? ''))!;
    const resourcesLine = doc
      .getText()
      .split('\n')
      .findIndex((l) => l.startsWith('resources:'));
    assert.equal(cost.range.start.line, resourcesLine, `cost lens "${cost.command?.title}" sits on resources:`);
  });
});

suite('Task lenses', () => {
  test('a local task gets Launch, Managed job and Plan but no Serve', async () => {
    const lenses = await lensesUntil(workspaceFile('hello.sky.yaml'), (t) => t.some((x) => x.includes('Launch')));
    const titles = lenses.map((l) => l.command?.title ?? '');
    for (const want of ['Launch', 'Managed job', 'Plan'])
      assert.ok(
        titles.some((t) => t.includes(want)),
        `${want} in ${titles}`,
      );
    assert.ok(!titles.some((t) => t.includes('Serve')), 'no Serve lens without service:');
    assert.equal(lenses.find((l) => l.command?.title.includes('Launch'))?.command?.command, 'skydeck.launch');
  });

  test('a task with service: also gets Serve', async () => {
    const lenses = await lensesUntil(workspaceFile('serve.sky.yaml'), (t) => t.some((x) => x.includes('Launch')));
    assert.ok(lenses.some((l) => l.command?.command === 'skydeck.serveUp'));
  });

  test('a Kubernetes manifest gets no SkyDeck action lenses', async () => {
    const uri = workspaceFile('deployment.yaml');
    await vscode.workspace.openTextDocument(uri);
    const lenses = (await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri)) ?? [];
    assert.ok(!lenses.some((l) => l.command?.command?.startsWith('skydeck.launch')), 'no launch lens');
  });
});

suite('Sidebar', () => {
  test('the Clusters view and status bar follow the store live', async () => {
    const { putCluster, removeCluster } = engine();
    const now = Date.now();
    const record: ClusterRecord = {
      name: 'e2e-fake',
      status: 'UP',
      handle: { clusterName: 'e2e-fake', nameOnCloud: 'e2e-fake-1', provider: 'gcp', region: 'us-central1', data: {} },
      resources: {
        cloud: 'gcp',
        region: 'us-central1',
        instanceType: 'a2-highgpu-1g',
        accelerators: { name: 'A100', count: 1 },
        useSpot: false,
        diskSizeGb: 256,
        ports: [],
        pricePerHour: 3.67,
      },
      numNodes: 2,
      nodes: [],
      launchedAt: now - 3_600_000,
      startedAt: now - 3_600_000,
      accumulatedUpSeconds: 0,
    };
    let refreshed = api.nextRefresh();
    await putCluster(record);
    await deadline(refreshed, 15_000, 'a refresh after the store changed');
    let roots = await labels(await api.trees.clusters.getChildren());
    const row = roots.find((r) => r.label === 'e2e-fake');
    assert.ok(row, `e2e-fake in ${JSON.stringify(roots)}`);
    assert.match(row.description, /^UP · 2x gcp\/us-central1 A100:1 · up 1h 0m · \$7\.3\d so far$/);
    assert.equal(row.contextValue, 'skydeck.cluster.up');
    assert.match(api.statusBar.item.text, /1 running · \$7\.34\/h/);

    refreshed = api.nextRefresh();
    await removeCluster('e2e-fake');
    await deadline(refreshed, 15_000, 'a refresh after removal');
    roots = await labels(await api.trees.clusters.getChildren());
    assert.ok(!roots.some((r) => r.label === 'e2e-fake'), 'gone after removal');
  });

  test('the Infra view lists local as enabled', async () => {
    const roots = await labels(await api.trees.infra.getChildren());
    const local = roots.find((r) => r.label === 'local');
    assert.ok(local, `local in ${JSON.stringify(roots)}`);
    assert.equal(local.contextValue, 'skydeck.infra.enabled');
  });

  test('the GPUs view lists accelerators, and per accelerator the cheapest offer per region', async () => {
    const nodes = await api.trees.gpus.getChildren();
    const roots = await labels(nodes);
    const i = roots.findIndex((r) => r.label === 'A100');
    assert.ok(i >= 0, `A100 in ${JSON.stringify(roots.slice(0, 10))}`);
    assert.match(roots[i].description, /gcp/);
    const offers = await labels(await api.trees.gpus.getChildren(nodes[i]));
    assert.ok(offers.length > 1, 'several regions');
    assert.match(offers[0].label, /^(gcp|azure)\/[a-z0-9-]+$/);
    assert.match(offers[0].description, /^\$\d+\.\d+\/GPU-h/);
    const price = (d: string) => Number(/^\$([\d.]+)/.exec(d)?.[1]);
    assert.ok(price(offers[0].description) <= price(offers[offers.length - 1].description), 'cheapest first');
  });

  test('the Managed Jobs and Services views load (empty here)', async () => {
    assert.deepEqual(await labels(await api.trees.managedJobs.getChildren()), []);
    assert.deepEqual(await labels(await api.trees.services.getChildren()), []);
  });
});

suite('Log documents', () => {
  test('tail live, cap lines, and stop from the lens command', async function () {
    // Each step has its own deadline so a failure names the step; the test's own timeout is
    // above their sum (a loaded CI machine once took over 60 s here without saying where).
    this.timeout(240_000);
    const setMaxLines = (n: number | undefined) =>
      deadline(
        Promise.resolve(vscode.workspace.getConfiguration('skydeck').update('logs.maxLines', n, vscode.ConfigurationTarget.Global)),
        30_000,
        `skydeck.logs.maxLines = ${n}`,
      );
    await setMaxLines(100);
    let aborted = false;
    const editor = await deadline(
      api.openRunLog('e2e tail', async (onData, signal) => {
        for (let i = 1; i <= 250; i++) onData(`line ${i}\n`);
        await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve()));
        aborted = true;
        return undefined;
      }),
      30_000,
      'the log document to open',
    );
    const uri = editor.document.uri;
    assert.equal(uri.scheme, 'skydeck-log');
    const doc = await textUntil(uri, (t) => t.includes('line 250'));
    const lines = doc.getText().split('\n').filter(Boolean);
    assert.equal(lines.length, 100, 'capped at skydeck.logs.maxLines');
    assert.equal(lines[0], 'line 151');
    const lenses = await lensesUntil(uri, (t) => t.some((x) => x.includes('Stop tailing')));
    const stop = lenses.find((l) => l.command?.title.includes('Stop tailing'))!;
    await deadline(
      Promise.resolve(vscode.commands.executeCommand(stop.command!.command, ...(stop.command!.arguments ?? []))),
      30_000,
      'the Stop tailing command',
    );
    await lensesUntil(uri, (t) => t.some((x) => x.includes('Follow again')));
    assert.equal(aborted, true, 'the source saw the abort');
    await setMaxLines(undefined);
  });
});

suite('Offers view', () => {
  test('shows a sortable table and an SVG chart with on-demand beside spot', async () => {
    const panel = await vscode.commands.executeCommand<vscode.WebviewPanel>('skydeck.showOffers', {
      uri: workspaceFile('gpu.sky.yaml').toString(),
      offers: [
        { cloud: 'gcp', region: 'us-central1', instanceType: 'a2-highgpu-1g', gpu: 'A100', gpuCount: 1, price: 3.67, spotPrice: 1.1, nodes: 2 },
        { cloud: 'azure', region: 'eastus', instanceType: 'Standard_NC24ads_A100_v4', gpu: 'A100', gpuCount: 1, price: 3.67, spotPrice: 0.9, nodes: 2 },
      ],
    });
    assert.ok(panel, 'the command returns the panel');
    const html = panel.webview.html;
    assert.match(html, /<svg[^>]*aria-label="Price per GPU-hour by cloud and region"/);
    assert.match(html, /class="od"[\s\S]*class="spot"/);
    assert.equal((html.match(/data-infra="/g) ?? []).length, 2, 'a Pin button per offer');
    assert.doesNotMatch(html, /(src|href)\s*=\s*["']?https?:/, 'no remote content');
    panel.dispose();
  });
});

suite('Cluster commands on local (real engine)', () => {
  test('launch, see UP in the tree, open the job log with its output, then down', async function () {
    this.timeout(180_000);
    const { clusters, loadTaskFile } = engine();
    const file = workspaceFile('hello.sky.yaml').fsPath;
    let refreshed = api.nextRefresh();
    const result = await clusters.launch(loadTaskFile(file), { clusterName: 'e2e-host', detachRun: true });
    await deadline(refreshed, 15_000, 'a refresh after launch');
    const roots = await labels(await api.trees.clusters.getChildren());
    assert.match(roots.find((r) => r.label === 'e2e-host')?.description ?? '', /^UP · /);

    const editor = await vscode.commands.executeCommand<vscode.TextEditor>('skydeck.logs', { cluster: 'e2e-host', jobId: result.jobId });
    assert.ok(editor, 'skydeck.logs returns the editor');
    const doc = await textUntil(editor.document.uri, (t) => t.includes('SKYDECK_E2E_DONE'), 60_000);
    assert.match(doc.getText(), /Hello from the SkyDeck e2e test on node 0/);

    refreshed = api.nextRefresh();
    await vscode.commands.executeCommand('skydeck.down', 'e2e-host', { yes: true });
    await deadline(refreshed, 15_000, 'a refresh after down');
    const after = await labels(await api.trees.clusters.getChildren());
    assert.ok(!after.some((r) => r.label === 'e2e-host'), 'gone after down');
  });
});
