/**
 * The launch flow: check the file and plan it (./preflight.ts) before asking anything, pick or
 * name the cluster, confirm the plan with its cost, give any `null` env / secret, then a
 * cancellable progress notification that names each stage, and the job's log opens.
 * Managed jobs and services go through the CLI (their controllers run apart from the editor)
 * and are followed to RUNNING / READY (./follow.ts) with their live log open.
 */
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ClusterRecord, LaunchResult } from '../../engine/cluster/types';
import type { Task, TaskFile } from '../../engine/task/types';
import { clusterEngine, engineBundle, listClusters, planTask, type PlanJson, type PlanRowJson } from '../engine/index';
import { cliJson, runCli } from '../engine/cli';
import { registerRun, logUris } from '../logs/sources';
import type { LogDocuments } from '../logs/logDocuments';
import { money } from '../views/treeNode';
import { followManagedJob, followServiceUp, type FollowDeps, type Outcome } from './follow';
import { applyValues, askMissingValues, preflight, valueFlags, type Preflight, type PreflightDeps } from './preflight';

const preflightDeps: PreflightDeps = {
  readText: (file) => readFile(file, 'utf8'),
  parse: async (text, fileName) => (await engineBundle()).parseTaskText(text, { fileName }),
  plan: (file) => planTask(file),
};

/** Validates and plans `file` under a progress notification; throws LaunchRefusal. */
async function checkTask(file: string, options: { plan?: boolean } = {}): Promise<Preflight> {
  return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `SkyDeck: checking ${path.basename(file)}…` }, () =>
    preflight(file, preflightDeps, options),
  );
}

const STAGE_LABEL: Record<string, string> = {
  OPTIMIZE: 'Choosing infra',
  PROVISION: 'Provisioning',
  SYNC_WORKDIR: 'Syncing workdir',
  SYNC_FILE_MOUNTS: 'Syncing file mounts',
  SETUP: 'Running setup',
  EXEC: 'Submitting job',
  DOWN: 'Tearing down',
};

/** The task file a command acts on: its argument (lens, explorer) or the active editor. */
async function resolveTaskUri(arg: unknown): Promise<vscode.Uri> {
  const uri = arg instanceof vscode.Uri ? arg : vscode.window.activeTextEditor?.document.uri;
  if (!uri || uri.scheme !== 'file') {
    const picked = await vscode.window.showOpenDialog({ canSelectMany: false, filters: { 'Task YAML': ['yaml', 'yml'] }, title: 'Choose a SkyDeck task file' });
    if (!picked?.[0]) throw Object.assign(new Error('No task file chosen.'), { name: 'CancelledError' });
    return picked[0];
  }
  const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
  if (doc?.isDirty) await doc.save();
  return uri;
}

function defaultClusterName(file: string): string {
  const base = path
    .basename(file)
    .replace(/\.(sky\.)?ya?ml$/i, '')
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return `sky-${base || 'task'}`.slice(0, 40);
}

function describeCluster(c: ClusterRecord): string {
  const r = c.resources;
  return `${c.status} · ${c.numNodes}x ${r?.cloud ?? ''}${r?.region && r.region !== r.cloud ? `/${r.region}` : ''} · ${money((r?.pricePerHour ?? 0) * c.numNodes)}/h`;
}

/** Quick pick of existing clusters plus "new cluster <typed name>". Undefined when dismissed. */
async function pickCluster(file: string, title: string): Promise<{ name: string; existing?: ClusterRecord } | undefined> {
  const clusters = await listClusters().catch(() => [] as ClusterRecord[]);
  type Item = vscode.QuickPickItem & { cluster?: ClusterRecord; newName?: string };
  const qp = vscode.window.createQuickPick<Item>();
  qp.title = title;
  qp.placeholder = 'Type a new cluster name, or pick an existing cluster';
  const suggested = defaultClusterName(file);
  const existingItems: Item[] = clusters.map((c) => ({ label: `$(vm) ${c.name}`, description: describeCluster(c), cluster: c }));
  const build = (value: string): Item[] => {
    const name = value.trim() || suggested;
    const exists = clusters.some((c) => c.name === name);
    const fresh: Item[] = exists
      ? []
      : [{ label: `$(add) New cluster: ${name}`, description: value.trim() ? '' : 'suggested name', newName: name, alwaysShow: true }];
    return [...fresh, ...existingItems];
  };
  qp.items = build('');
  qp.onDidChangeValue((v) => (qp.items = build(v)));
  return new Promise((resolve) => {
    qp.onDidAccept(() => {
      const item = qp.selectedItems[0] ?? qp.activeItems[0];
      qp.hide();
      if (!item) resolve(qp.value.trim() ? { name: qp.value.trim() } : undefined);
      else resolve(item.cluster ? { name: item.cluster.name, existing: item.cluster } : { name: item.newName ?? suggested });
    });
    qp.onDidHide(() => {
      resolve(undefined);
      qp.dispose();
    });
    qp.show();
  });
}

function candidateLabel(c: PlanRowJson): string {
  const acc = c.accelerators
    ? Object.entries(c.accelerators)
        .map(([n, k]) => `${n}:${k}`)
        .join(',')
    : '';
  return `${c.infra}${c.instanceType && c.instanceType !== c.cloud ? ` · ${c.instanceType}` : ''}${acc ? ` (${acc})` : ''}${c.spot ? ' · spot' : ''} · ${c.nodes}x · ${money(c.costPerHour)}/h`;
}

/** Shows the plan and asks which candidate to launch. Undefined when dismissed; null = use the engine's choice. */
async function confirmPlan(file: string, clusterName: string, plan: PlanJson): Promise<PlanRowJson | null | undefined> {
  const chosen = plan.chosen[0];
  type Item = vscode.QuickPickItem & { candidate?: PlanRowJson; cancel?: boolean };
  const others = plan.candidates.filter((c) => c !== chosen && c.infra !== chosen?.infra).slice(0, 5);
  const items: Item[] = [
    ...(chosen ? [{ label: `$(rocket) Launch ${clusterName}`, description: `cheapest: ${candidateLabel(chosen)}`, candidate: chosen }] : []),
    ...(others.length ? [{ label: 'Other options', kind: vscode.QuickPickItemKind.Separator } as Item] : []),
    ...others.map((c) => ({ label: `$(cloud) Launch on ${c.infra}`, description: candidateLabel(c), candidate: c })),
    { label: '$(close) Cancel', cancel: true },
  ];
  const pick = await vscode.window.showQuickPick(items, {
    title: `Plan for ${path.basename(file)} → ${clusterName}`,
    placeHolder: chosen ? `${money(chosen.costPerHour)}/h on ${chosen.infra}` : 'No plan',
  });
  if (!pick || pick.cancel) return undefined;
  return pick.candidate === chosen ? null : (pick.candidate ?? null);
}

/** The engine's task loader (lazy: task parsing is not on the activation path). */
async function loadTask(file: string): Promise<TaskFile> {
  return (await engineBundle()).loadTaskFile(file);
}

function pinInfra(taskFile: TaskFile, candidate: PlanRowJson): void {
  const [cloud, region, zone] = candidate.infra.split('/');
  const infra = { cloud, region, zone };
  for (const t of taskFile.tasks as Task[]) {
    t.resources.base.infra = infra;
    for (const c of t.resources.candidates) c.infra = infra;
  }
}

/**
 * What a caller that already knows the answers passes to Launch (the Plan table's row, the
 * walkthrough's one-click launch, other extensions): each one given is not asked for.
 */
export interface LaunchOptions {
  /** The cluster to launch on (created when it does not exist). */
  cluster?: string;
  /** A plan row to launch on (the Plan table's pick); without it, the plan is confirmed unless `yes`. */
  candidate?: PlanRowJson;
  /** Launch on the planner's choice without confirming the plan. */
  yes?: boolean;
}

function launchOptions(arg: unknown): LaunchOptions {
  return typeof arg === 'object' && arg !== null && !(arg instanceof vscode.Uri) ? (arg as LaunchOptions) : {};
}

export async function launchFlow(
  arg: unknown,
  logs: LogDocuments,
  log: vscode.LogOutputChannel,
  afterLaunch: () => void,
  optionsArg?: unknown,
): Promise<LaunchResult | undefined> {
  const options = launchOptions(optionsArg);
  const uri = await resolveTaskUri(arg);
  const file = uri.fsPath;
  const checked = await checkTask(file);
  const picked = options.cluster
    ? { name: options.cluster, existing: (await listClusters().catch(() => [] as ClusterRecord[])).find((c) => c.name === options.cluster) }
    : await pickCluster(file, `Launch ${path.basename(file)}: choose a cluster`);
  if (!picked) return undefined;
  let candidate: PlanRowJson | null | undefined = options.candidate && !sameRow(options.candidate, checked.plan?.chosen[0]) ? options.candidate : null;
  if (!picked.existing && checked.plan && !options.candidate && !options.yes) {
    candidate = await confirmPlan(file, picked.name, checked.plan);
    if (candidate === undefined) return undefined;
  }
  const given = await askMissingValues(checked.missing, `Launch ${path.basename(file)}`);
  const engine = await clusterEngine();
  const taskFile = checked.taskFile;
  applyValues(taskFile, given);
  if (candidate) pinInfra(taskFile, candidate);

  const result = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `SkyDeck: launching ${picked.name}`, cancellable: true },
    async (progress, token) => {
      const abort = new AbortController();
      token.onCancellationRequested(() => abort.abort());
      progress.report({ message: 'Planning…' });
      return engine.launch(taskFile, {
        clusterName: picked.name,
        detachRun: true,
        signal: abort.signal,
        onProgress: (e) => {
          log.info(`launch ${picked.name}: ${e.stage} ${e.message}`);
          progress.report({ message: `${STAGE_LABEL[e.stage] ?? e.stage}: ${e.message}` });
        },
      });
    },
  );
  afterLaunch();
  log.info(`launched ${result.cluster.name}, job ${result.jobId ?? '-'}`);
  await logs.open(logUris.clusterJob(result.cluster.name, result.jobId));
  return result;
}

/** Runs a CLI verb whose output streams into a log document (managed jobs, serve up). */
export async function runInLogDocument(title: string, args: string[], logs: LogDocuments, afterRun: () => void, env?: Record<string, string>): Promise<void> {
  const uri = registerRun(
    title,
    async (onData, signal) => {
      onData(`$ skydeck ${args.join(' ')}\n`);
      const r = await runCli(args, { signal, env, onStdout: onData, onStderr: onData, okCodes: [1, 2, 100, 101, 102, 103] });
      afterRun();
      return r.exitCode === 0 ? 'done' : `failed (exit ${r.exitCode})`;
    },
    { once: true },
  );
  await logs.open(uri);
}

/** Runs `start` under a cancellable progress notification (cancel stops watching, not the job), then says how it ended. */
async function followWithProgress(title: string, logs: LogDocuments, afterRun: () => void, start: (deps: FollowDeps) => Promise<Outcome>): Promise<Outcome> {
  const outcome = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, async (progress, token) => {
    const deps: FollowDeps = {
      run: async (args, env) => {
        try {
          return await runCli(args, { env });
        } finally {
          afterRun();
        }
      },
      json: (args) => cliJson(args),
      openLog: async (kind, id) => {
        await logs.open(kind === 'managed-job' ? logUris.managedJob(Number(id)) : logUris.serviceController(id), { preview: false });
      },
      report: (message) => progress.report({ message }),
      wait: () =>
        new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, FOLLOW_INTERVAL_MS);
          token.onCancellationRequested(() => {
            clearTimeout(timer);
            resolve();
          });
        }),
      cancelled: () => token.isCancellationRequested,
    };
    return start(deps);
  });
  afterRun();
  if (outcome.kind === 'failed') void vscode.window.showErrorMessage(outcome.message);
  else void vscode.window.showInformationMessage(outcome.message);
  return outcome;
}

/** A name given by the caller (`{ name }`) is not asked for. */
function givenName(arg: unknown): string | undefined {
  const name = typeof arg === 'object' && arg !== null ? (arg as { name?: unknown }).name : undefined;
  return typeof name === 'string' ? name : undefined;
}

/** How often a following notification re-reads the controller's state. */
const FOLLOW_INTERVAL_MS = 2000;

export async function managedJobFlow(arg: unknown, logs: LogDocuments, afterRun: () => void, options?: unknown): Promise<Outcome | undefined> {
  const uri = await resolveTaskUri(arg);
  const checked = await checkTask(uri.fsPath);
  const name =
    givenName(options) ??
    (await vscode.window.showInputBox({
      title: 'Managed job name',
      value: defaultClusterName(uri.fsPath).replace(/^sky-/, ''),
      prompt: 'The job recovers from preemption and failures on its own.',
    }));
  if (name === undefined) return undefined;
  const values = valueFlags(await askMissingValues(checked.missing, `Managed job ${name || path.basename(uri.fsPath)}`));
  const args = ['jobs', 'launch', uri.fsPath, '-y', '-d', ...(name ? ['-n', name] : []), ...values.args];
  return followWithProgress(`SkyDeck: managed job ${name || path.basename(uri.fsPath)}`, logs, afterRun, (deps) => followManagedJob(args, values.env, deps));
}

export async function serveUpFlow(arg: unknown, logs: LogDocuments, afterRun: () => void, options?: unknown): Promise<Outcome | undefined> {
  const uri = await resolveTaskUri(arg);
  const checked = await checkTask(uri.fsPath);
  const name = givenName(options) ?? (await vscode.window.showInputBox({ title: 'Service name', value: defaultClusterName(uri.fsPath).replace(/^sky-/, '') }));
  if (name === undefined) return undefined;
  const values = valueFlags(await askMissingValues(checked.missing, `Service ${name || path.basename(uri.fsPath)}`));
  const args = ['serve', 'up', uri.fsPath, '-y', ...(name ? ['-n', name] : []), ...values.args];
  return followWithProgress(`SkyDeck: service ${name || path.basename(uri.fsPath)}`, logs, afterRun, (deps) => followServiceUp(args, values.env, deps));
}

export async function serveUpdateFlow(serviceName: string, logs: LogDocuments, afterRun: () => void): Promise<void> {
  const uri = await resolveTaskUri(undefined);
  await runInLogDocument(`serve update ${serviceName}`, ['serve', 'update', serviceName, uri.fsPath, '-y'], logs, afterRun);
}

/**
 * The plan as a table: the chosen row first, then every alternative, cheapest first. Picking a
 * row launches there (Launch asks only for the cluster name). Returns the picked row.
 */
export async function planFlow(arg: unknown): Promise<PlanRowJson | undefined> {
  const uri = await resolveTaskUri(arg);
  const { plan } = await checkTask(uri.fsPath);
  if (!plan) return undefined;
  const pick = await vscode.window.showQuickPick(planItems(plan), {
    title: `Plan for ${path.basename(uri.fsPath)}`,
    placeHolder: 'Pick a row to launch there',
    matchOnDescription: true,
  });
  if (pick?.row) await vscode.commands.executeCommand('skydeck.launch', uri, { candidate: pick.row } satisfies LaunchOptions);
  return pick?.row;
}

export type PlanItem = vscode.QuickPickItem & { row?: PlanRowJson };

/** The same offer: a plan row picked from the table against the planner's choice. */
function sameRow(a: PlanRowJson, b: PlanRowJson | undefined): boolean {
  return !!b && a.infra === b.infra && a.instanceType === b.instanceType && a.spot === b.spot;
}

/** Quick-pick rows of a plan: a separator per group, the chosen row marked. */
export function planItems(plan: PlanJson): PlanItem[] {
  const chosen = plan.chosen[0];
  const others = plan.candidates.filter((c) => !sameRow(c, chosen));
  // The label names the infra; the description says the rest (not the infra a second time).
  const row = (c: PlanRowJson, mark: string): PlanItem => ({
    label: `${mark} ${c.infra}`,
    description: candidateLabel(c).slice(c.infra.length).replace(/^ · /, ''),
    row: c,
  });
  return [
    ...(chosen ? [{ label: 'Chosen', kind: vscode.QuickPickItemKind.Separator } as PlanItem, row(chosen, '$(check)')] : []),
    ...(others.length ? [{ label: 'Alternatives', kind: vscode.QuickPickItemKind.Separator } as PlanItem] : []),
    ...others.map((c) => row(c, '$(cloud)')),
  ];
}

/** `exec`: run a command or a task file on an existing cluster; its log opens. */
export async function execFlow(clusterName: string, logs: LogDocuments, afterRun: () => void): Promise<void> {
  const what = await vscode.window.showInputBox({
    title: `Run on ${clusterName}`,
    prompt: 'A shell command, or leave empty to run the active task file',
    placeHolder: 'nvidia-smi',
  });
  if (what === undefined) return;
  const engine = await clusterEngine();
  let task: Task;
  if (what.trim()) {
    task = { numNodes: 1, run: what, envs: {}, secrets: {}, fileMounts: {}, resources: { base: {}, candidates: [], mode: 'single' }, raw: { run: what } };
  } else {
    const uri = await resolveTaskUri(undefined);
    task = (await loadTask(uri.fsPath)).tasks[0] as Task;
  }
  // exec syncs the workdir and file mounts before it submits: seconds to minutes.
  const result = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `SkyDeck: submitting to ${clusterName}…` }, () =>
    engine.exec(clusterName, task, { detachRun: true }),
  );
  afterRun();
  await logs.open(logUris.clusterJob(clusterName, result.jobId));
}
