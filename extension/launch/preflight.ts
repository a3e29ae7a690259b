/**
 * What Launch, Managed Job, Serve Up and Plan check before they ask the user anything: the
 * file has no errors, some enabled infra fits it (the plan), and which envs / secrets are
 * still `null`. A refusal is a LaunchRefusal whose message is in editor terms and whose
 * actions (Show Problems, Check Infra, Show Offers) the command registry shows as buttons.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { PlanJson } from '../../engine/contract/cliJson';
import type { TaskDiagnostic } from '../../engine/task/diagnostics';
import type { TaskFile } from '../../engine/task/types';

export interface RefusalAction {
  title: string;
  run: () => unknown;
}

/** A flow that stops before doing anything, with the steps that fix it. */
export class LaunchRefusal extends Error {
  override readonly name = 'LaunchRefusal';
  constructor(
    message: string,
    readonly code: string,
    readonly actions: RefusalAction[],
  ) {
    super(message);
  }
}

/** What the preflight needs from the engine (in-process parse, CLI plan): injectable for tests. */
export interface PreflightDeps {
  readText(file: string): Promise<string>;
  parse(text: string, fileName: string): Promise<{ diagnostics: TaskDiagnostic[]; taskFile?: TaskFile }>;
  plan(file: string): Promise<PlanJson>;
}

export interface MissingValues {
  envs: string[];
  secrets: string[];
}

export interface Preflight {
  taskFile: TaskFile;
  /** Absent when the caller did not ask for a plan. */
  plan?: PlanJson;
  missing: MissingValues;
}

/** Validates, then (unless `plan: false`) plans. Throws LaunchRefusal; never prompts. */
export async function preflight(file: string, deps: PreflightDeps, options: { plan?: boolean } = {}): Promise<Preflight> {
  const base = path.basename(file);
  const parsed = await deps.parse(await deps.readText(file), file);
  const errors = parsed.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length || !parsed.taskFile) {
    const n = Math.max(errors.length, 1);
    throw new LaunchRefusal(`${base} has ${n} problem${n === 1 ? '' : 's'}; fix ${n === 1 ? 'it' : 'them'} before launching.`, 'INVALID_TASK', [
      { title: 'Show Problems', run: () => showProblems(file) },
    ]);
  }
  const missing = missingValues(parsed.taskFile);
  if (options.plan === false) return { taskFile: parsed.taskFile, missing };
  let plan: PlanJson;
  try {
    plan = await deps.plan(file);
  } catch (err) {
    throw planRefusal(file, err);
  }
  if (!plan.chosen.length) throw noInfraRefusal(`No enabled infra fits ${base}.`, file);
  return { taskFile: parsed.taskFile, plan, missing };
}

/** Envs and secrets still `null` in any task of the file (each named once). */
function missingValues(taskFile: TaskFile): MissingValues {
  const envs = new Set<string>();
  const secrets = new Set<string>();
  for (const t of taskFile.tasks) {
    for (const [k, v] of Object.entries(t.envs)) if (v === null || v === undefined) envs.add(k);
    for (const [k, v] of Object.entries(t.secrets)) if (v === null || v === undefined) secrets.add(k);
  }
  return { envs: [...envs], secrets: [...secrets] };
}

async function showProblems(file: string): Promise<void> {
  // The Problems panel lists a file's diagnostics only once the language server has it open.
  await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(vscode.Uri.file(file)), { preview: false });
  await vscode.commands.executeCommand('workbench.actions.view.problems');
}

/** `{'A100': 8}` (the CLI's SkyPilot-style rendering) as the task writes it: `A100:8`. */
function acceleratorsText(dict: string): string {
  return [...dict.matchAll(/'([^']+)':\s*([\d.]+)/g)].map((m) => `${m[1]}:${m[2]}`).join(', ');
}

const NO_FIT = /Catalog does not contain any instances satisfying the request:\s*(\d+)x\s*(?:\((.*?)\)\s*)?on \[([^\]]*)\]/;

/** The plan's failure in editor terms; the CLI's wording stays in the output channel. */
export function planRefusal(file: string, err: unknown): LaunchRefusal {
  const base = path.basename(file);
  const stderr = typeof err === 'object' && err !== null && 'stderr' in err ? String((err as { stderr: unknown }).stderr) : '';
  const text = stderr || (err instanceof Error ? err.message : String(err));
  const m = NO_FIT.exec(text);
  if (m) {
    const acc = m[2] ? acceleratorsText(m[2]) : '';
    const what = acc ? `${acc}${Number(m[1]) > 1 ? ` on ${m[1]} nodes` : ''}` : `the resources of ${base}`;
    const searched = m[3].trim();
    const unset = /No cloud with a catalog is enabled/.test(text) ? ' AWS, GCP and Azure are not set up.' : '';
    return noInfraRefusal(`No enabled infra offers ${what}${searched ? ` (searched: ${searched})` : ''}.${unset}`, file);
  }
  if (/credential|not enabled|no infra|not set up/i.test(text)) return noInfraRefusal(`No enabled infra fits ${base}.`, file);
  const first = text
    .replace(/^Error:\s*/, '')
    .split('\n')[0]
    .trim();
  return new LaunchRefusal(`Could not plan ${base}: ${first || 'the planner failed'}`, 'PLAN_FAILED', [{ title: 'Show Offers', run: () => showOffers(file) }]);
}

/** Offers on every infra, enabled or not: what the file would cost where it could run. */
function showOffers(file: string): Thenable<unknown> {
  return vscode.commands.executeCommand('skydeck.showOffers', vscode.Uri.file(file));
}

function noInfraRefusal(message: string, file: string): LaunchRefusal {
  return new LaunchRefusal(message, 'NO_INFRA', [
    { title: 'Check Infra', run: () => vscode.commands.executeCommand('skydeck.checkInfra') },
    { title: 'Show Offers', run: () => showOffers(file) },
  ]);
}

export interface GivenValues {
  envs: Record<string, string>;
  secrets: Record<string, string>;
}

/**
 * Asks for each `null` env and secret (secrets in a password box; nothing is stored).
 * Dismissing a box refuses the launch: SkyPilot refuses a null value too.
 */
export async function askMissingValues(missing: MissingValues, verb: string): Promise<GivenValues> {
  const given: GivenValues = { envs: {}, secrets: {} };
  const ask = async (key: string, secret: boolean): Promise<string> => {
    const value = await vscode.window.showInputBox({
      title: `${verb}: ${secret ? 'secret' : 'environment variable'} ${key}`,
      prompt: `${key} is null in the task file. Its value for this run${secret ? ' (not stored, redacted in logs)' : ''}:`,
      password: secret,
      ignoreFocusOut: true,
    });
    if (value === undefined) {
      throw new LaunchRefusal(`${verb} needs a value for ${secret ? 'secret' : 'env'} ${key} (it is null in the task file).`, 'MISSING_VALUE', []);
    }
    return value;
  };
  for (const k of missing.envs) given.envs[k] = await ask(k, false);
  for (const k of missing.secrets) given.secrets[k] = await ask(k, true);
  return given;
}

/**
 * The CLI flags for given values: `--env KEY` / `--secret KEY` name them, and the values travel
 * in the child's environment (the CLI reads `KEY` alone from there), so they never show in argv.
 */
export function valueFlags(given: GivenValues): { args: string[]; env: Record<string, string> } {
  const args: string[] = [];
  for (const k of Object.keys(given.envs)) args.push('--env', k);
  for (const k of Object.keys(given.secrets)) args.push('--secret', k);
  return { args, env: { ...given.envs, ...given.secrets } };
}

/** Puts given values into an in-process task file (the cluster engine's launch). */
export function applyValues(taskFile: TaskFile, given: GivenValues): void {
  for (const t of taskFile.tasks) {
    for (const [k, v] of Object.entries(given.envs)) if (k in t.envs) t.envs[k] = v;
    for (const [k, v] of Object.entries(given.secrets)) if (k in t.secrets) t.secrets[k] = v;
  }
}
