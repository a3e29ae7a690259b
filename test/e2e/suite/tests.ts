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

/** Resolves once `ok()` holds: checked now, then whenever a SkyDeck lens may have changed (log sessions flush through it). */
function untilLens(ok: () => boolean, ms = 60_000): Promise<void> {
  if (ok()) return Promise.resolve();
  let sub: vscode.Disposable | undefined;
  return deadline(
    new Promise<void>((resolve) => {
      sub = api.onDidChangeCodeLenses(() => {
        if (ok()) resolve();
      });
    }),
    ms,
    'a log session to end',
  ).finally(() => sub?.dispose());
}

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

    // One document per cluster job: opening the ended log again reuses it and reads it afresh, not twice over.
    const session = api.logs.session(editor.document.uri)!;
    await untilLens(() => !session.running);
    const again = await vscode.commands.executeCommand<vscode.TextEditor>('skydeck.logs', { cluster: 'e2e-host', jobId: result.jobId });
    assert.equal(again?.document.uri.toString(), editor.document.uri.toString());
    await untilLens(() => !session.running);
    assert.equal(api.logs.textOf(editor.document.uri)?.split('SKYDECK_E2E_DONE').length, 2, 'the output once');

    refreshed = api.nextRefresh();
    await vscode.commands.executeCommand('skydeck.down', 'e2e-host', { yes: true });
    await deadline(refreshed, 15_000, 'a refresh after down');
    const after = await labels(await api.trees.clusters.getChildren());
    assert.ok(!after.some((r) => r.label === 'e2e-host'), 'gone after down');
  });
});

/** Runs `command` and resolves with the error notification it shows (the registry's report). */
async function refusalOf(command: string, ...args: unknown[]): Promise<{ message: string; actions: { title: string; run: () => unknown }[] }> {
  let sub: vscode.Disposable | undefined;
  const reported = new Promise<{ message: string; actions: { title: string; run: () => unknown }[] }>((resolve) => {
    sub = api.onDidReportError((e) => {
      if (e.command === command) resolve(e);
    });
  });
  try {
    // The command returns once it has refused: had it asked anything first, it would wait here.
    await deadline(Promise.resolve(vscode.commands.executeCommand(command, ...args)), 60_000, `${command} to finish`);
    return await deadline(reported, 5_000, `${command} to show its refusal`);
  } finally {
    sub?.dispose();
  }
}

suite('Launch checks before asking', () => {
  test('a file with errors is refused by Launch, Managed Job, Serve Up and Plan with "N problems" and Show Problems', async () => {
    const uri = workspaceFile('invalid.sky.yaml');
    const doc = await vscode.workspace.openTextDocument(uri);
    const errors = engine()
      .parseTaskText(doc.getText(), { fileName: uri.fsPath })
      .diagnostics.filter((d) => d.severity === 'error').length;
    assert.ok(errors > 0, 'the fixture has errors');
    const n = `${errors} problem${errors === 1 ? '' : 's'}`;
    for (const command of ['skydeck.launch', 'skydeck.launchManagedJob', 'skydeck.serveUp', 'skydeck.plan']) {
      const refusal = await refusalOf(command, uri);
      assert.match(refusal.message, new RegExp(`invalid\\.sky\\.yaml has ${n};`), command);
      assert.equal(refusal.actions[0]?.title, 'Show Problems', `${command}: ${refusal.actions.map((a) => a.title)}`);
    }
    // Show Problems brings the file forward (the Problems panel lists only open files' problems).
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    const refusal = await refusalOf('skydeck.launch', uri);
    await deadline(Promise.resolve(refusal.actions[0].run()), 30_000, 'Show Problems');
    assert.equal(vscode.window.activeTextEditor?.document.uri.toString(), uri.toString());
  });

  test('no enabled infra is said in editor terms, with Check Infra and Show Offers', async () => {
    const refusal = await refusalOf('skydeck.launch', workspaceFile('gpu.sky.yaml'));
    assert.match(refusal.message, /No enabled infra offers A100:1 on 2 nodes \(searched: Local\)\. AWS, GCP and Azure are not set up\./);
    assert.doesNotMatch(refusal.message, /Catalog does not contain|skydeck /, 'no CLI wording');
    assert.deepEqual(
      refusal.actions.slice(0, 2).map((a) => a.title),
      ['Check Infra', 'Show Offers'],
    );
  });
});

suite('Managed job and service follow (local)', () => {
  test('Managed Job follows the job to RUNNING with its live log open; the view shows its duration; cancel ends it', async function () {
    this.timeout(240_000);
    const outcome = await deadline(
      Promise.resolve(
        vscode.commands.executeCommand<{ kind: string; message: string; id?: string }>('skydeck.launchManagedJob', workspaceFile('managed.sky.yaml'), {
          name: 'e2e-job',
        }),
      ),
      180_000,
      'the managed job to be RUNNING',
    );
    assert.ok(outcome, 'the command returns how it ended');
    assert.equal(outcome.kind, 'ready', outcome.message);
    assert.match(outcome.message, /^Managed job \d+ is RUNNING on \S+\.$/);
    const id = Number(outcome.id);
    const logDoc = vscode.workspace.textDocuments.find((d) => d.uri.scheme === 'skydeck-log' && d.uri.path.startsWith(`/managed-job/${id}/`));
    assert.ok(logDoc, `the managed job's log is open: ${vscode.workspace.textDocuments.map((d) => d.uri.toString())}`);
    await textUntil(logDoc.uri, (t) => t.includes('SKYDECK_E2E_JOB_STARTED'), 60_000);

    // One document per job: opening its log again reuses it and does not repeat the text.
    const again = await vscode.commands.executeCommand<vscode.TextEditor>('skydeck.jobs.logs', id);
    assert.equal(again?.document.uri.toString(), logDoc.uri.toString());
    const reread = await textUntil(logDoc.uri, (t) => t.includes('SKYDECK_E2E_JOB_STARTED'), 60_000);
    assert.equal(reread.getText().split('SKYDECK_E2E_JOB_STARTED').length - 1, 1, 'the marker once');

    await vscode.commands.executeCommand('skydeck.jobs.cancel', id, { yes: true });
    const rows = await labels(await api.trees.managedJobs.getChildren());
    const row = rows.find((r) => r.label === `#${id} e2e-job`);
    assert.ok(row, JSON.stringify(rows));
    assert.match(row.description, /^CANCELL(ED|ING) · 0 recoveries · \d+s · local/);
  });

  test('Serve Up follows the service to READY; replicas sit under their service, not among clusters; Down removes it', async function () {
    this.timeout(240_000);
    const outcome = await deadline(
      Promise.resolve(
        vscode.commands.executeCommand<{ kind: string; message: string; id?: string }>('skydeck.serveUp', workspaceFile('serve.sky.yaml'), { name: 'e2e-svc' }),
      ),
      180_000,
      'the service to be READY',
    );
    assert.ok(outcome, 'the command returns how it ended');
    assert.equal(outcome.kind, 'ready', outcome.message);
    const endpoint = /READY at (http:\/\/\S+)\.$/.exec(outcome.message)?.[1];
    assert.ok(endpoint, outcome.message);
    assert.equal((await fetch(endpoint)).status, 200, 'the endpoint answers through the load balancer');
    assert.ok(
      vscode.workspace.textDocuments.some((d) => d.uri.scheme === 'skydeck-log' && d.uri.path.startsWith('/service/e2e-svc/controller/')),
      "the service's controller log is open",
    );

    const services = await api.trees.services.getChildren();
    const svc = services.find((n) => (n.getTreeItem().label as string) === 'e2e-svc');
    assert.ok(svc, 'the service is in the Services view');
    assert.match(String(svc.getTreeItem().description), /^READY · http:\/\/\S+ · 1\/1 ready$/);
    const replicas = await labels((await svc.getChildren?.()) ?? []);
    assert.equal(replicas.length, 1);
    assert.match(replicas[0].description, /^READY · \S+/);
    const replicaCluster = replicas[0].description.split(' · ')[1];
    const clusters = await labels(await api.trees.clusters.getChildren());
    assert.ok(!clusters.some((c) => c.label === replicaCluster), `replica cluster ${replicaCluster} is not among clusters: ${JSON.stringify(clusters)}`);

    await vscode.commands.executeCommand('skydeck.serve.down', 'e2e-svc', { yes: true });
    assert.deepEqual(await labels(await api.trees.services.getChildren()), []);
  });
});

suite('Infra set-up', () => {
  test('each disabled cloud row offers its set-up step; Set Up… opens it (a terminal with the login, the node pools file)', async () => {
    const pkg = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON;
    const inline = (pkg.contributes.menus['view/item/context'] as { command: string; when: string }[]).find((m) => m.command === 'skydeck.setUpInfra');
    assert.equal(inline?.when, 'view == skydeck.infra && viewItem == skydeck.infra.disabled');
    const nodes = await api.trees.infra.getChildren();
    const byName = new Map(nodes.map((n) => [String(n.getTreeItem().label), n]));
    for (const [name, step] of Object.entries({
      aws: /aws configure/,
      gcp: /gcloud auth/,
      azure: /az login/,
      kubernetes: /kubectl/,
      ssh: /ssh_node_pools\.yaml/,
    })) {
      const item = byName.get(name)?.getTreeItem();
      assert.ok(item, `${name} in ${[...byName.keys()]}`);
      assert.equal(item.contextValue, 'skydeck.infra.disabled', name);
      assert.match(String(item.tooltip), /Set Up…: /, name);
      assert.match(String(item.tooltip), step, name);
    }
    assert.equal(byName.get('local')?.getTreeItem().contextValue, 'skydeck.infra.enabled');

    const before = vscode.window.terminals.length;
    const aws = await vscode.commands.executeCommand<{ terminal?: string }>('skydeck.setUpInfra', byName.get('aws'));
    assert.equal(aws?.terminal, 'aws configure');
    const terminal = vscode.window.terminals.find((t) => t.name === 'SkyDeck: aws');
    assert.ok(terminal && vscode.window.terminals.length === before + 1, 'a terminal for the AWS login');
    terminal.dispose();

    const ssh = await vscode.commands.executeCommand<{ file?: string }>('skydeck.setUpInfra', byName.get('ssh'));
    assert.ok(ssh?.file, 'the ssh step is a file');
    assert.equal(vscode.window.activeTextEditor?.document.uri.fsPath, ssh.file);
    assert.match(vscode.window.activeTextEditor.document.getText(), /^my-pool:\n {2}user: /m);
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
    fs.rmSync(ssh.file);
  });
});

/** An untitled YAML document (the server detects tasks by content) and its lens titles once `ok` accepts them. */
async function untitledLenses(content: string, ok: (titles: string[]) => boolean): Promise<string[]> {
  const doc = await vscode.workspace.openTextDocument({ language: 'yaml', content });
  return (await lensesUntil(doc.uri, ok)).map((l) => l.command?.title ?? '');
}

const price = (title: string, re: RegExp): number => Number(re.exec(title)?.[1]);

suite('Cost lens', () => {
  test('marks clouds that are not set up, multiplies by nodes and replicas, names the chosen accelerator of a set', async () => {
    const task = (extra: string) => `resources:\n  accelerators: A100:1\n${extra}run: python train.py\n`;
    const hasPrice = (t: string[]) => t.some((x) => /\$\d/.test(x));
    const one = (await untitledLenses(task(''), hasPrice)).find((t) => /\$\d/.test(t))!;
    // Nothing but local is set up here: the price is marked, and a lens leads to setting it up.
    assert.match(one, /on-demand \(\w+ [\w-]+, not set up\)/);
    const perNode = price(one, /^\$([\d.]+)\/h on-demand/);
    assert.ok(perNode > 0, one);

    const three = (await untitledLenses(task('num_nodes: 3\n'), hasPrice)).find((t) => /\$\d/.test(t))!;
    assert.match(three, /^3× \$[\d.]+ = \$([\d.]+)\/h on-demand/);
    assert.ok(Math.abs(price(three, /= \$([\d.]+)\/h/) - 3 * perNode) < 0.11, `${three} is 3 × ${perNode}`);

    const service = `service:\n  readiness_probe: /\n  replicas: 2\n${task('')}`;
    const replicas = (await untitledLenses(service, hasPrice)).find((t) => /\$\d/.test(t))!;
    assert.match(replicas, /× 2 replicas = \$([\d.]+)\/h/);
    assert.ok(Math.abs(price(replicas, /replicas = \$([\d.]+)\/h/) - 2 * perNode) < 0.11, `${replicas} is 2 × ${perNode}`);

    const set = (await untitledLenses(`resources:\n  accelerators: {A100: 1, H100: 1}\nrun: python train.py\n`, hasPrice)).find((t) => /\$\d/.test(t))!;
    assert.match(set, /\((A100|H100):1 on \w+ /, 'the chosen accelerator of the set is named');
  });

  test('survives an unrelated error, and never shows $0 for an unknown price', async () => {
    const withError = await untitledLenses(`resources:\n  accelerators: A100:1\nnum_nodes: two\nrun: python train.py\n`, (t) => t.some((x) => /\$\d/.test(x)));
    assert.ok(
      withError.some((t) => /on-demand/.test(t)),
      JSON.stringify(withError),
    );
    const k8s = await untitledLenses(`resources:\n  infra: k8s\n  accelerators: A100:1\nrun: python train.py\n`, (t) => t.some((x) => /k8s/.test(x)));
    assert.ok(!k8s.some((t) => /\$0(\.0+)?\b/.test(t)), JSON.stringify(k8s));
  });

  test('the GPUs view says — for an unknown spot price, never $0', async () => {
    // H100 has a region whose catalog row leaves the spot price empty (the reference catalogs).
    const h100 = (await api.trees.gpus.getChildren()).find((n) => n.getTreeItem().label === 'H100');
    assert.ok(h100, 'H100 in the GPUs view');
    let unknown = 0;
    for (const offer of (await h100.getChildren?.()) ?? []) {
      const o = (offer as unknown as { offer?: { spotPrice: number | null } }).offer;
      if (!o) continue;
      const d = String(offer.getTreeItem().description);
      if (o.spotPrice === null) {
        assert.match(d, /spot —/);
        unknown++;
      }
      assert.doesNotMatch(d, /spot \$0( |$)/);
    }
    assert.ok(unknown > 0, 'a row with an unknown spot price was shown');
  });
});

/** `text` with a code action's edits applied (the document itself is left as it is). */
function applied(doc: vscode.TextDocument, action: vscode.CodeAction): string {
  const edits = action.edit?.entries().flatMap(([, e]) => e) ?? [];
  let text = doc.getText();
  for (const e of [...edits].sort((a, b) => doc.offsetAt(b.range.start) - doc.offsetAt(a.range.start))) {
    text = text.slice(0, doc.offsetAt(e.range.start)) + e.newText + text.slice(doc.offsetAt(e.range.end));
  }
  return text;
}

suite('Did you mean and quick fixes', () => {
  test('a misspelt accelerator or key gets "did you mean", and every quick fix leaves a valid task', async () => {
    const cases = [
      { content: 'resources:\n  accelerators: A10O:1\nrun: python train.py\n', message: /Did you mean .*A100/ },
      { content: 'resources:\n  cpus: 2\nnum_node: 2\nrun: python train.py\n', message: /did you mean 'num_nodes'/ },
      { content: fs.readFileSync(workspaceFile('invalid.sky.yaml').fsPath, 'utf8'), message: /job_recovery/ },
    ];
    let fixes = 0;
    for (const c of cases) {
      const doc = await vscode.workspace.openTextDocument({ language: 'yaml', content: c.content });
      const diags = await diagnosticsOf(doc.uri);
      const d = diags.find((x) => c.message.test(x.message));
      assert.ok(d, `${JSON.stringify(diags.map((x) => x.message))} has ${c.message}`);
      const actions = (await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', doc.uri, d.range)) ?? [];
      const quick = actions.filter((a) => a.edit && (!a.kind || vscode.CodeActionKind.QuickFix.contains(a.kind)));
      assert.ok(quick.length > 0, `a quick fix for ${d.message}`);
      for (const a of quick) {
        const text = applied(doc, a);
        const errors = engine()
          .parseTaskText(text, { fileName: 'fixed.sky.yaml' })
          .diagnostics.filter((x) => x.severity === 'error');
        assert.deepEqual(
          errors.map((x) => x.message),
          [],
          `"${a.title}" leaves a valid task:\n${text}`,
        );
        // The accelerator fix writes one of the names it suggested (the catalog's checks are the server's).
        const accelerator = /accelerators: ([\w-]+):1/.exec(text)?.[1];
        if (accelerator && c.content.includes('A10O'))
          assert.ok(accelerator !== 'A10O' && d.message.includes(accelerator), `${accelerator} is suggested in ${d.message}`);
        fixes++;
      }
    }
    results.quickFixesChecked = fixes;
  });
});
