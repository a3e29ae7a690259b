/**
 * The merged configuration of one command: user, then project, then the task's `config:`,
 * then `--config` (SkyPilot's priority, lowest first), every layer checked before anything is
 * merged so a bad file stops the command before it does anything (ConfigError, with file:line).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { InputError } from '../errors';
import { parseYamlDocuments } from '../task/yamlTree';
import { checkConfigNode, checkConfigText, formatProblems, type CheckedSource } from './check';
import { parseCliConfig } from './cliOverride';
import { unhonouredWarnings } from './honoured';
import { overlay } from './merge';
import { projectConfigPath, SNAPSHOT_ENV, userConfigPath } from './sources';
import { pathKey, type ConfigLayer, type ConfigMap, type ConfigProblem, type Origins, type ResolvedConfig } from './types';

/** A config source that does not pass SkyPilot's config schema. Never half-applied. */
export class ConfigError extends InputError {
  constructor(readonly problems: ConfigProblem[]) {
    super(`Invalid SkyPilot config:\n${formatProblems(problems)}`, {
      code: 'INVALID_CONFIG',
      hint: 'See https://docs.skypilot.co/en/latest/reference/config.html for the keys and their types.',
    });
  }
}

export interface ResolveOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** The command's `--config` values. */
  cli?: readonly string[];
  /** The task file whose documents' `config:` blocks form the task layer. */
  taskFile?: string;
  /** Which document of the task file (pipelines; default: every document that has one, in order). */
  taskIndex?: number;
}

function fail(checked: CheckedSource): void {
  const errors = checked.problems.filter((p) => p.severity === 'error');
  if (errors.length) throw new ConfigError(errors);
}

function fileLayer(kind: 'snapshot' | 'user' | 'project', file: string | undefined): ConfigLayer | undefined {
  if (!file) return undefined;
  const checked = checkConfigText(fs.readFileSync(file, 'utf8'), file);
  fail(checked);
  return { kind, source: file, value: checked.value, origins: checked.origins };
}

/** The `config:` blocks of a task file, checked with their lines; `hooks` stay with the task. */
export function taskConfigLayers(taskFile: string, taskIndex?: number): ConfigLayer[] {
  const file = path.resolve(taskFile);
  const { docs, textMap } = parseYamlDocuments(fs.readFileSync(file, 'utf8'), { fastPath: false });
  const out: ConfigLayer[] = [];
  docs.forEach((d, i) => {
    if (taskIndex !== undefined && i !== taskIndex) return;
    const root = d.root;
    if (root?.kind !== 'map') return;
    const entry = [...root.entries].reverse().find((e) => e.key === 'config');
    if (!entry) return;
    const checked = checkConfigNode(entry.value, textMap, file, { scope: 'task' });
    fail(checked);
    const { hooks: _hooks, ...value } = checked.value;
    const origins: Origins = new Map([...checked.origins].filter(([k]) => !k.startsWith(`${pathKey(['hooks']).slice(0, -1)}`)));
    out.push({ kind: 'task', source: file, value, origins });
  });
  return out;
}

/** Merges checked layers, lowest priority first. */
export function mergeLayers(layers: ConfigLayer[]): { config: ConfigMap; origins: Origins } {
  let acc = { value: {} as ConfigMap, origins: new Map() as Origins };
  for (const l of layers) acc = overlay(acc, { value: l.value, origins: l.origins });
  return { config: acc.value, origins: acc.origins };
}

/**
 * The one function the launch path calls: every layer found for this command, checked and
 * merged, with a warning for each key SkyDeck will not act on. Throws ConfigError (file, line)
 * when any layer is invalid.
 */
export function resolveConfig(options: ResolveOptions = {}): ResolvedConfig {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const layers: ConfigLayer[] = [];
  if (env[SNAPSHOT_ENV]) {
    layers.push(fileLayer('snapshot', env[SNAPSHOT_ENV])!);
  } else {
    const user = fileLayer('user', userConfigPath(env));
    if (user) layers.push(user);
    const project = fileLayer('project', projectConfigPath(cwd, env));
    if (project) layers.push(project);
  }
  if (options.taskFile) layers.push(...taskConfigLayers(options.taskFile, options.taskIndex));
  if (options.cli?.length) {
    const cli = parseCliConfig(options.cli, cwd);
    layers.push({ kind: 'cli', source: cli.source, value: cli.value, origins: cli.origins });
  }
  const { config, origins } = mergeLayers(layers);
  return { config, origins, layers, warnings: unhonouredWarnings(config, origins) };
}
