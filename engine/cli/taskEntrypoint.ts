/**
 * The ENTRYPOINT of the task verbs (SkyPilot's `_make_task_or_dag_from_entrypoint_with_overrides`):
 * a task YAML, an inline command, or nothing (`launch -c dev --gpus A100` gets a cluster and
 * runs no job), with the task options applied.
 *
 * Overrides are applied to the task's YAML mapping and the task is rebuilt from it, so each
 * `any_of` / `ordered` alternative gets them as SkyPilot's `Resources.copy(**overrides)` over
 * every candidate does, and `serve up/update` can hand the controller the overridden YAML.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { stringify } from 'yaml';
import { buildTask } from '../task/build';
import { loadTaskFile, parseInfra, TaskValueError } from '../task/load';
import type { Task, TaskFile } from '../task/types';
import type { ResourceOverrides, TaskOptionValues } from './taskOptions';
import { UsageError } from './usageError';

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export function looksLikeYaml(entry: string): boolean {
  return /\.ya?ml$/i.test(entry) || (fs.existsSync(entry) && fs.statSync(entry).isFile());
}

/** The YAML key each resource override sets (`null` in the override deletes it). */
const RESOURCE_KEYS: Array<[keyof ResourceOverrides, string]> = [
  ['accelerators', 'accelerators'],
  ['cpus', 'cpus'],
  ['memory', 'memory'],
  ['instanceType', 'instance_type'],
  ['useSpot', 'use_spot'],
  ['imageId', 'image_id'],
  ['diskSize', 'disk_size'],
  ['diskTier', 'disk_tier'],
  ['networkTier', 'network_tier'],
  ['ports', 'ports'],
];

/** SkyPilot's yaml names of the overrides, for its "Override param X=Y is ignored." warning. */
const PARAM_NAMES: Record<keyof ResourceOverrides, string> = {
  infra: 'infra',
  accelerators: 'accelerators',
  cpus: 'cpus',
  memory: 'memory',
  instanceType: 'instance_type',
  useSpot: 'use_spot',
  imageId: 'image_id',
  diskSize: 'disk_size',
  diskTier: 'disk_tier',
  networkTier: 'network_tier',
  ports: 'ports',
};

/** Sets the overrides on one resources mapping (the top level, or one alternative). */
function overrideLayer(layer: Obj, o: ResourceOverrides): void {
  if (o.infra !== undefined) {
    for (const k of ['cloud', 'region', 'zone']) delete layer[k];
    layer.infra = o.infra;
  }
  for (const [field, key] of RESOURCE_KEYS) {
    const v = o[field];
    if (v === undefined) continue;
    if (field === 'accelerators') delete layer.gpus;
    if (v === null) delete layer[key];
    else layer[key] = v;
  }
}

/** The task's `resources:` with the overrides applied to the top level and to every any_of / ordered item. */
function overrideResources(resources: unknown, o: ResourceOverrides): Obj {
  const res: Obj = isObj(resources) ? structuredClone(resources) : {};
  overrideLayer(res, o);
  for (const k of ['any_of', 'ordered']) {
    const items = res[k];
    if (Array.isArray(items)) for (const item of items) if (isObj(item)) overrideLayer(item, o);
  }
  return res;
}

function secretsObject(v: unknown): Obj {
  if (Array.isArray(v)) return Object.fromEntries(v.filter((s): s is string => typeof s === 'string').map((s) => [s.replace(/^secrets:/, ''), null]));
  return isObj(v) ? { ...v } : {};
}

function rebuild(raw: Obj): Task {
  try {
    return buildTask(raw);
  } catch (e) {
    if (e instanceof TaskValueError) throw new UsageError(`Invalid value: ${e.message}`);
    throw e;
  }
}

/** SkyPilot's refusal of an env / secret left null (no value in the YAML, none on the command line). */
function checkNullValues(task: Task): void {
  for (const [k, v] of Object.entries(task.envs)) {
    if (v === null || v === undefined) {
      throw new UsageError(
        `Environment variable '${k}' is None. Please set a value for it in task YAML or with --env flag. To set it to be empty, use an empty string (${k}: "" in task YAML or --env ${k}="" in CLI).`,
      );
    }
  }
  for (const [k, v] of Object.entries(task.secrets)) {
    if (v === null || v === undefined) {
      throw new UsageError(
        `Secret variable '${k}' is None. Please set a value for it in task YAML or with --secret flag. To set it to be empty, use an empty string (${k}: "" in task YAML or --secret ${k}="" in CLI).`,
      );
    }
  }
}

export interface EntrypointOptions {
  /** The verb, for messages ('sky launch' style: 'skydeck launch'). */
  verb: string;
  /** Overrides this verb ignores with SkyPilot's warning (`exec`: cpus, memory, disk_size, disk_tier, ports). */
  ignore?: Array<keyof ResourceOverrides>;
  /** Where warnings go (stderr). */
  warn?: (message: string) => void;
  /**
   * `launch --dryrun`: a plan needs no env or secret values, so a null one is not refused
   * (the editor and scripts plan tasks whose values are given only at launch).
   */
  allowNullValues?: boolean;
}

/**
 * `--git-url/--git-ref` over the YAML's workdir (SkyPilot: the URL replaces the workdir;
 * `--git-ref` alone changes the ref of a git workdir the YAML already has).
 */
function gitWorkdirOverride(workdir: unknown, values: TaskOptionValues): Obj {
  const current = isObj(workdir) && typeof workdir.url === 'string' ? workdir : undefined;
  const url = values.gitUrl ?? (current?.url as string | undefined);
  if (url === undefined) throw new UsageError('--git-ref needs a git workdir: pass --git-url, or set workdir: {url: ...} in the YAML.');
  const ref = values.gitRef ?? (values.gitUrl === undefined ? current?.ref : undefined);
  return ref !== undefined && ref !== null ? { url, ref } : { url };
}

/**
 * Loads ENTRYPOINT with the task options applied. Fails before anything is provisioned on a
 * bad option value and on an env or secret that is still null (a git workdir's URL and ref
 * are checked by the launch, before provisioning).
 */
export function loadEntrypoint(entry: string | undefined, values: TaskOptionValues, options: EntrypointOptions): TaskFile {
  const warn = options.warn ?? ((m: string) => process.stderr.write(`${m}\n`));
  const overrides: ResourceOverrides = { ...values.resources };
  for (const field of options.ignore ?? []) {
    const v = overrides[field];
    if (v === undefined) continue;
    warn(`Override param ${PARAM_NAMES[field]}=${Array.isArray(v) ? `(${v.map((p) => `'${p}'`).join(', ')})` : String(v)} is ignored.`);
    delete overrides[field];
  }
  if (overrides.infra !== undefined) {
    try {
      parseInfra(overrides.infra);
    } catch (e) {
      if (e instanceof TaskValueError) throw new UsageError(`Invalid value for '--infra': ${e.message}`);
      throw e;
    }
  }
  let file: TaskFile;
  if (entry !== undefined && entry.trim() !== '' && looksLikeYaml(entry)) {
    file = loadTaskFile(entry, { envOverrides: values.envs, secretOverrides: values.secrets });
  } else {
    const raw: Obj = entry !== undefined && entry.trim() !== '' ? { run: entry } : {};
    file = { tasks: [buildTask(raw)] };
  }
  const multi = file.tasks.length > 1;
  const overriding = Object.keys(overrides).length > 0;
  if (multi && overriding) {
    warn(`WARNING: override params ${JSON.stringify(overrides)} are ignored, since the yaml file contains multiple tasks.`);
  }
  file.tasks = file.tasks.map((task) => {
    const raw: Obj = structuredClone(task.raw);
    raw.envs = { ...(isObj(raw.envs) ? raw.envs : {}), ...values.envs };
    raw.secrets = { ...secretsObject(raw.secrets), ...values.secrets };
    if (!multi) {
      if (values.workdir !== undefined) raw.workdir = values.workdir;
      if (values.gitUrl !== undefined || values.gitRef !== undefined) raw.workdir = gitWorkdirOverride(raw.workdir, values);
      if (overriding) raw.resources = overrideResources(raw.resources, overrides);
      if (values.numNodes !== undefined) {
        if (!Number.isInteger(values.numNodes) || values.numNodes <= 0) throw new UsageError(`num_nodes should be a positive int. Got: ${values.numNodes}`);
        raw.num_nodes = values.numNodes;
      }
      if (values.name !== undefined) raw.name = values.name;
    }
    if (Object.keys(raw.envs as Obj).length === 0) delete raw.envs;
    if (Object.keys(raw.secrets as Obj).length === 0) delete raw.secrets;
    const rebuilt = rebuild(raw);
    if (task.origin) rebuilt.origin = task.origin;
    if (!options.allowNullValues) checkNullValues(rebuilt);
    return rebuilt;
  });
  return file;
}

/** The task as a private YAML file (0600 in a 0700 directory: it may hold secrets), for verbs that take a file. */
export function writeTaskYaml(task: Task): { file: string; dispose: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skydeck-task-'));
  fs.chmodSync(dir, 0o700);
  const file = path.join(dir, 'task.yaml');
  fs.writeFileSync(file, stringify(task.raw), { mode: 0o600 });
  return { file, dispose: () => fs.rmSync(dir, { recursive: true, force: true }) };
}
