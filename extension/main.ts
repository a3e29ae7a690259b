/**
 * SkyDeck's VS Code extension entry. Activation only wires things up: registering
 * commands, views, lenses and providers is cheap, the language server starts without
 * being awaited, and the engine (cluster engine, task parser, catalogs, SDKs) loads
 * lazily inside the first command or view that needs it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { Commands, type ReportedError } from './commands/registry';
import { confirm, pickCluster, pickClusterJob, pickManagedJob, pickService } from './commands/pickers';
import { OFFER_ROWS } from '../server/lsp/notifications';
import { showOffers } from './cost/offersView';
import { clusterEngine, engineBundle, listClusters, listServices } from './engine/index';
import { runCli, setExtensionRoot } from './engine/cli';
import { execFlow, launchFlow, managedJobFlow, planFlow, runInLogDocument, serveUpFlow, serveUpdateFlow } from './launch/launch';
import { LOG_SCHEME, LogDocuments, type LogSource } from './logs/logDocuments';
import { logUris, registerRun, resolveLogUri } from './logs/sources';
import { attachRemoteSsh, openSshTerminal } from './remote/attach';
import { settings } from './settings';
import { SkyStatusBar } from './statusBar';
import { StoreWatcher } from './storeWatcher';
import { SkyDeckTaskProvider } from './taskProvider';
import { TaskLensProvider } from './taskLenses';
import { TaskContext } from './taskContext';
import { EXAMPLE_CLUSTER, openExample } from './walkthrough/openExample';
import { clusterRoots, sshReachable } from './views/clusters';
import { gpuRoots, InfraNode, infraRoots, managedJobRoots, ReplicaNode, serviceRoots } from './views/others';
import { setUpStep } from './views/infraSetup';
import { deleteStorage, storageRoots } from './views/storage';
import { NodeTreeProvider, type TreeNode } from './views/treeNode';

/** What activate() returns: used by the extension-host tests and the activation bench. */
export interface SkyDeckApi {
  activationMs: number;
  /** CPU time (user + system) activate() used: unlike wall time, not inflated by a busy machine. */
  activationCpuMs: number;
  trees: Record<'clusters' | 'managedJobs' | 'services' | 'gpus' | 'infra', NodeTreeProvider>;
  logs: LogDocuments;
  statusBar: SkyStatusBar;
  /** Resolves when the language client is running (rejects if the server failed to start). */
  clientReady: Promise<void>;
  /** Date.now() when the language client was started (start-to-first-diagnostics bench). */
  clientStartedAt: number;
  /** Resolves after the next store-triggered refresh (tests wait on this instead of sleeping). */
  nextRefresh(): Promise<void>;
  /** Fires when any SkyDeck code lens may have changed: log documents, task actions, the server's cost lenses. */
  onDidChangeCodeLenses: vscode.Event<void>;
  /** Opens a live log document fed by `source` (also used by commands that stream a CLI run). */
  openRunLog(title: string, source: LogSource): Promise<vscode.TextEditor>;
  /** Fires with each error notification a command shows: its text and buttons. */
  onDidReportError: vscode.Event<ReportedError>;
}

let client: LanguageClient | undefined;

type YesOption = { yes?: boolean } | undefined;

export function activate(context: vscode.ExtensionContext): SkyDeckApi {
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  setExtensionRoot(context.extensionPath);
  const log = vscode.window.createOutputChannel('SkyDeck', { log: true });
  const commands = new Commands(context, log);
  context.subscriptions.push(log);

  // Views. Roots load on first render, never here. An empty jobs / services list sets a context
  // key that hides their palette commands; unknown (never loaded, or failed) leaves them shown.
  const noneKey = (key: string, roots: () => Promise<TreeNode[]>) => async (): Promise<TreeNode[]> => {
    const nodes = await roots();
    void vscode.commands.executeCommand('setContext', key, nodes.length === 0);
    return nodes;
  };
  const trees = {
    clusters: new NodeTreeProvider('clusters', noneKey('skydeck.noClusters', clusterRoots), log),
    managedJobs: new NodeTreeProvider('managedJobs', noneKey('skydeck.noManagedJobs', managedJobRoots), log),
    services: new NodeTreeProvider('services', noneKey('skydeck.noServices', serviceRoots), log),
    gpus: new NodeTreeProvider('gpus', gpuRoots, log),
    infra: new NodeTreeProvider('infra', infraRoots, log),
    storage: new NodeTreeProvider('storage', () => storageRoots(), log),
  };
  for (const [key, provider] of Object.entries(trees)) {
    context.subscriptions.push(provider, vscode.window.createTreeView(`skydeck.${key}`, { treeDataProvider: provider, showCollapseAll: key !== 'infra' }));
  }

  const statusBar = new SkyStatusBar();
  const watcher = new StoreWatcher(log);
  let refreshWaiters: (() => void)[] = [];
  const refreshLive = (): void => {
    trees.clusters.refresh();
    trees.managedJobs.refresh();
    trees.services.refresh();
    // Launch and down change which clusters use a bucket; a collapsed view does not reload.
    trees.storage.refresh();
    const waiters = refreshWaiters;
    refreshWaiters = [];
    void listClusters()
      .then(
        (c) => statusBar.update(c),
        (err: unknown) => log.warn(`status bar: ${String(err)}`),
      )
      .finally(() => {
        for (const w of waiters) w();
      });
  };
  watcher.onDidChange(refreshLive);
  watcher.start(settings().refreshInterval);
  // First status-bar read after activation has returned (off the activation path).
  setTimeout(() => watcher.schedule(), 1000);
  context.subscriptions.push(statusBar, watcher);

  // Logs.
  const logs = new LogDocuments(resolveLogUri, () => settings().logMaxLines);
  context.subscriptions.push(
    logs,
    vscode.workspace.registerTextDocumentContentProvider(LOG_SCHEME, logs),
    vscode.languages.registerCodeLensProvider({ scheme: LOG_SCHEME }, logs),
  );

  // Task lenses, the task context keys for menus, and the tasks.json type.
  const taskLenses = new TaskLensProvider();
  const taskContext = new TaskContext();
  context.subscriptions.push(
    taskContext,
    vscode.languages.registerCodeLensProvider({ language: 'yaml' }, taskLenses),
    vscode.tasks.registerTaskProvider('skydeck', new SkyDeckTaskProvider()),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('skydeck.taskFiles')) taskLenses.refresh();
      if (e.affectsConfiguration('skydeck.refreshInterval')) watcher.setInterval(settings().refreshInterval);
    }),
  );

  // One lens-change signal for tests and anyone holding the API: each provider's own event, and
  // the server's when its catalogs arrive (the language client consumes the standard refresh).
  const lensesChanged = new vscode.EventEmitter<void>();
  context.subscriptions.push(
    lensesChanged,
    logs.onDidChangeCodeLenses(() => lensesChanged.fire()),
    taskLenses.onDidChangeCodeLenses(() => lensesChanged.fire()),
  );

  const changed = (): void => watcher.schedule();
  const engine = clusterEngine;

  // Task-file verbs.
  // A caller that knows the answers passes them ({ cluster, yes, candidate } / { name }); the rest is asked.
  commands.register('skydeck.launch', (arg, opts) => launchFlow(arg, logs, log, changed, opts));
  commands.register('skydeck.launchManagedJob', (arg, opts) => managedJobFlow(arg, logs, changed, opts));
  commands.register('skydeck.serveUp', (arg, opts) => serveUpFlow(arg, logs, changed, opts));
  commands.register('skydeck.plan', (arg) => planFlow(arg));
  // A cost lens carries its resources; the rows come from the language server when clicked.
  commands.register('skydeck.showOffers', (arg) => showOffers(arg, log, client ? (a) => client!.sendRequest(OFFER_ROWS, a) : undefined));

  // Cluster verbs.
  commands.register('skydeck.exec', async (arg) =>
    execFlow((await pickCluster(arg, (c) => c.status === 'UP', 'Run on which cluster?')).record.name, logs, changed),
  );
  commands.register('skydeck.stop', async (arg, opts) => {
    const { record } = await pickCluster(arg, (c) => c.status === 'UP', 'Stop which cluster?');
    if (!(opts as YesOption)?.yes && !(await confirm(`Stop cluster ${record.name}? Its disks are kept; running jobs are killed.`, 'Stop'))) return;
    await withProgress(`Stopping ${record.name}`, async () => (await engine()).stop(record.name));
    changed();
  });
  commands.register('skydeck.start', async (arg) => {
    const { record } = await pickCluster(arg, (c) => c.status === 'STOPPED', 'Start which cluster?');
    await withProgress(`Starting ${record.name}`, async () => (await engine()).start(record.name));
    changed();
  });
  commands.register('skydeck.down', async (arg, opts) => {
    const { record } = await pickCluster(arg, () => true, 'Tear down which cluster?');
    if (!(opts as YesOption)?.yes && !(await confirm(`Tear down cluster ${record.name}? Its nodes and disks are deleted.`, 'Down'))) return;
    await withProgress(`Tearing down ${record.name}`, async () => (await engine()).down(record.name));
    changed();
  });
  commands.register('skydeck.autostop', async (arg, opts) => {
    const { record } = await pickCluster(arg, (c) => c.status === 'UP', 'Autostop which cluster?');
    const given = opts as { idleMinutes?: number; down?: boolean } | undefined;
    let idle = given?.idleMinutes;
    let down = given?.down ?? false;
    if (idle === undefined) {
      const text = await vscode.window.showInputBox({
        title: `Autostop ${record.name}`,
        prompt: 'Idle minutes before stopping (-1 cancels autostop)',
        value: String(record.autostop?.idleMinutes ?? 30),
        validateInput: (v) => (/^-?\d+$/.test(v.trim()) ? undefined : 'A whole number of minutes'),
      });
      if (text === undefined) return;
      idle = Number(text);
      const mode = await vscode.window.showQuickPick(['Stop when idle', 'Tear down when idle'], { title: 'When idle' });
      if (!mode) return;
      down = mode.startsWith('Tear');
    }
    await withProgress(`Setting autostop on ${record.name}`, async () => (await engine()).autostop(record.name, idle, down));
    changed();
  });
  commands.register('skydeck.logs', async (arg) => {
    const { cluster, jobId } = await pickClusterJob(arg);
    return logs.open(logUris.clusterJob(cluster, jobId));
  });
  commands.register('skydeck.cancel', async (arg) => {
    const { cluster, jobId } = await pickClusterJob(arg);
    const cancelled = await withProgress(`Cancelling ${jobId === undefined ? 'jobs' : `job ${jobId}`} on ${cluster}`, async () =>
      (await engine()).cancel(cluster, jobId === undefined ? 'all' : [jobId]),
    );
    void vscode.window.showInformationMessage(cancelled.length ? `Cancelled job ${cancelled.join(', ')} on ${cluster}.` : `Nothing to cancel on ${cluster}.`);
    changed();
  });
  commands.register('skydeck.attachRemoteSsh', async (arg) => {
    const { record, rank } = await pickCluster(arg, (c) => c.status === 'UP' && sshReachable(c), 'Open which cluster in Remote-SSH?');
    refuseLocalSsh(record);
    await attachRemoteSsh(record, rank);
  });
  commands.register('skydeck.openSshTerminal', async (arg) => {
    const { record, rank } = await pickCluster(arg, (c) => c.status === 'UP' && sshReachable(c), 'SSH into which cluster?');
    refuseLocalSsh(record);
    (await engineBundle()).ensureInclude();
    return openSshTerminal(record.name, rank);
  });

  // Managed jobs.
  commands.register('skydeck.jobs.logs', async (arg) => logs.open(logUris.managedJob(await pickManagedJob(arg))));
  commands.register('skydeck.jobs.controllerLogs', async (arg) => logs.open(logUris.managedJobController(await pickManagedJob(arg))));
  commands.register('skydeck.jobs.cancel', async (arg, opts) => {
    const id = await pickManagedJob(arg);
    if (!(opts as YesOption)?.yes && !(await confirm(`Cancel managed job ${id}?`, 'Cancel Job'))) return;
    await withProgress(`Cancelling managed job ${id}`, () => runCli(['jobs', 'cancel', String(id), '-y']));
    changed();
  });

  // Services.
  commands.register('skydeck.serve.logs', async (arg) => {
    if (arg instanceof ReplicaNode) return logs.open(logUris.replica(arg.serviceName, arg.replica.id));
    const name = await pickService(arg);
    const which = await vscode.window.showQuickPick(['Controller', 'Load balancer', 'Replica…'], { title: `Logs of ${name}` });
    if (which === 'Controller') return logs.open(logUris.serviceController(name));
    if (which === 'Load balancer') return logs.open(logUris.loadBalancer(name));
    if (which) {
      const id = await vscode.window.showInputBox({ title: 'Replica id', validateInput: (v) => (/^\d+$/.test(v) ? undefined : 'A replica id') });
      if (id) return logs.open(logUris.replica(name, Number(id)));
    }
    return undefined;
  });
  commands.register('skydeck.serve.controllerLogs', async (arg) => logs.open(logUris.serviceController(await pickService(arg))));
  commands.register('skydeck.serve.lbLogs', async (arg) => logs.open(logUris.loadBalancer(await pickService(arg))));
  commands.register('skydeck.serve.update', async (arg) => serveUpdateFlow(await pickService(arg), logs, changed));
  commands.register('skydeck.serve.down', async (arg, opts) => {
    const name = await pickService(arg);
    if (!(opts as YesOption)?.yes && !(await confirm(`Tear down service ${name} and all its replicas?`, 'Down'))) return;
    await withProgress(`Tearing down service ${name}`, () => runCli(['serve', 'down', name, '-y']));
    changed();
  });
  commands.register('skydeck.copyEndpoint', async (arg) => {
    const name = await pickService(arg);
    const endpoint = (await listServices()).find((x) => x.name === name)?.endpoint;
    if (!endpoint) throw new Error(`Service ${name} has no endpoint yet.`);
    await vscode.env.clipboard.writeText(endpoint);
    void vscode.window.showInformationMessage(`Copied ${endpoint}`);
  });

  // Infra and catalog.
  commands.register('skydeck.checkInfra', async () => {
    await vscode.commands.executeCommand('skydeck.infra.focus');
    trees.infra.refresh();
  });
  commands.register('skydeck.setUpInfra', async (arg) => {
    const infra = arg instanceof InfraNode ? arg.name : undefined;
    const step = infra ? setUpStep(infra, (await engineBundle()).nodePoolsFile()) : undefined;
    if (!step) throw new Error(`SkyDeck has no set-up step for ${infra ?? 'this row'}: see \`skydeck check\`.`);
    if (step.file) {
      if (!fs.existsSync(step.file)) {
        fs.mkdirSync(path.dirname(step.file), { recursive: true });
        fs.writeFileSync(step.file, step.template ?? '', { flag: 'wx' });
      }
      await vscode.window.showTextDocument(vscode.Uri.file(step.file));
    } else if (step.terminal) {
      const terminal = vscode.window.createTerminal({ name: `SkyDeck: ${infra}` });
      terminal.show();
      terminal.sendText(step.terminal, false);
    }
    // Not awaited: the command is done once the step is open; the toast stays for the re-check.
    void vscode.window.showInformationMessage(`${step.title}, then check again.`, 'Check Again', 'Open Docs').then((choice) => {
      if (choice === 'Check Again') trees.infra.refresh();
      if (choice === 'Open Docs') void vscode.env.openExternal(vscode.Uri.parse(step.docs));
    });
    return step;
  });
  commands.register('skydeck.storage.delete', async (node: unknown) => {
    if (await deleteStorage(node, (args) => withProgress(`Deleting storage ${args[2]}`, () => runCli(args)))) trees.storage.refresh();
  });
  commands.register('skydeck.showGpus', async () => {
    await vscode.commands.executeCommand('skydeck.gpus.focus');
    trees.gpus.refresh();
  });
  commands.register('skydeck.refreshCatalog', async () => {
    await runInLogDocument('catalog refresh', ['catalog', 'refresh'], logs, () => trees.gpus.refresh());
  });
  commands.register('skydeck.refresh', () => {
    refreshLive();
    trees.gpus.refresh();
    trees.infra.refresh();
    trees.storage.refresh();
  });

  // Logs documents.
  commands.register('skydeck.logs.stop', (uri) => logs.stop(toUri(uri)));
  commands.register('skydeck.logs.follow', (uri) => logs.follow_(toUri(uri)));
  commands.register('skydeck.logs.clear', (uri) => logs.clear(toUri(uri)));

  // Misc.
  commands.register('skydeck.showOutput', () => log.show(true));
  commands.register('skydeck.openExample', () => openExample(context.extensionUri));
  // The walkthrough's one click: the example as a file in the workspace, launched on local with no questions.
  commands.register('skydeck.launchExample', async () => {
    const editor = await openExample(context.extensionUri);
    return launchFlow(editor.document.uri, logs, log, changed, { cluster: EXAMPLE_CLUSTER, yes: true });
  });
  commands.register('skydeck.restartServer', async () => {
    await client?.restart();
  });

  // Language client: vscode-languageclient is most of the extension's code, so it lives in
  // its own bundle (dist/extension-client.js), loaded and started right after activate()
  // returns rather than on the activation path (the fix AWS Toolkit made, PR #4528).
  let clientStartedAt = 0;
  const clientReady = new Promise<void>((resolve, reject) => {
    setImmediate(() => {
      try {
        client = loadClientModule(context).createClient(
          context,
          log,
          () => lensesChanged.fire(),
          (p) => taskContext.onDetected(p),
        );
        clientStartedAt = Date.now();
        client.start().then(resolve, reject);
      } catch (err) {
        reject(err);
      }
    });
  }).then(
    () => log.info('language server running'),
    (err: unknown) => {
      log.error(`language server failed to start: ${err instanceof Error ? err.message : String(err)}`);
      throw err;
    },
  );
  clientReady.catch(() => undefined);

  const activationMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const activationCpuMs = (cpu.user + cpu.system) / 1000;
  log.info(`activated in ${activationMs.toFixed(1)} ms (${activationCpuMs.toFixed(1)} ms CPU)`);
  return {
    activationMs,
    activationCpuMs,
    trees,
    logs,
    statusBar,
    clientReady,
    get clientStartedAt() {
      return clientStartedAt;
    },
    openRunLog: (title, source) => logs.open(registerRun(title, source)),
    nextRefresh: () => new Promise<void>((resolve) => refreshWaiters.push(resolve)),
    onDidChangeCodeLenses: lensesChanged.event,
    onDidReportError: commands.onDidReportError,
  };

  async function withProgress<T>(title: string, fn: () => Promise<T>): Promise<T> {
    return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `SkyDeck: ${title}…` }, fn);
  }
}

type ClientModule = typeof import('./client');
declare const SKYDECK_BUNDLED: boolean | undefined;

/** The language-client bundle, required by path so it is not part of dist/extension.js. */
function loadClientModule(context: vscode.ExtensionContext): ClientModule {
  return typeof SKYDECK_BUNDLED !== 'undefined' && SKYDECK_BUNDLED
    ? (require(context.asAbsolutePath(path.join('dist', 'extension-client.js'))) as ClientModule)
    : (require('./client') as ClientModule);
}

/** A `local` cluster has no host to SSH into: say so instead of running an ssh that fails. */
function refuseLocalSsh(record: { name: string; resources?: { cloud?: string } }): void {
  if (record.resources?.cloud === 'local') {
    throw Object.assign(new Error(`${record.name} runs on this machine (local infra): there is no host to SSH into.`), {
      code: 'NOT_APPLICABLE',
      hint: 'Open its logs, or use Run on Cluster to execute a command there.',
    });
  }
}

function toUri(arg: unknown): vscode.Uri {
  if (arg instanceof vscode.Uri) return arg;
  if (typeof arg === 'string') return vscode.Uri.parse(arg);
  const active = vscode.window.activeTextEditor?.document.uri;
  if (active?.scheme === LOG_SCHEME) return active;
  throw new Error('No SkyDeck log document is active.');
}

export async function deactivate(): Promise<void> {
  await client?.stop().catch(() => undefined);
  client = undefined;
}
