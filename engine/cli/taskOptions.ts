/**
 * The task options SkyPilot puts on every verb that takes a task (`launch`, `exec`,
 * `jobs launch`, `serve up`, `serve update`), defined once here with SkyPilot's names,
 * short forms and defaults (`sky/client/cli/flags.py`: TASK_OPTIONS, TASK_OPTIONS_WITH_NAME,
 * EXTRA_RESOURCES_OPTIONS; `--git-url/--git-ref` from command.py). `--config` is added to
 * the same verbs by the configuration command, not here.
 */
import * as fs from 'node:fs';
import { Option, type Command } from 'commander';
import { readDotenvFile } from './dotenv';
import { UsageError } from './usageError';

/** SkyPilot's DiskTier / NetworkTier values (click.Choice, case-insensitive). */
const DISK_TIERS = ['low', 'medium', 'high', 'ultra', 'best'] as const;
const NETWORK_TIERS = ['standard', 'best'] as const;

export interface TaskOptionGroups {
  /** `-n/--name` (TASK_OPTIONS_WITH_NAME): launch, exec, jobs launch. serve up uses -n for the service. */
  name?: boolean;
  /** `--git-url/--git-ref`: launch, exec, jobs launch, serve up (not serve update). */
  git?: boolean;
}

/** commander accumulator for repeatable options. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

function choice(name: string, allowed: readonly string[]) {
  return (value: string): string => {
    const v = value.toLowerCase();
    if (!allowed.includes(v)) throw new UsageError(`Invalid value for '${name}': '${value}' is not one of ${allowed.map((a) => `'${a}'`).join(', ')}.`);
    return v;
  };
}

function integer(name: string) {
  return (value: string): string => {
    if (!/^-?\d+$/.test(value.trim())) throw new UsageError(`Invalid value for '${name}': '${value}' is not a valid integer.`);
    return value.trim();
  };
}

/** Adds the task options to `cmd`, in SkyPilot's order. */
export function addTaskOptions(cmd: Command, groups: TaskOptionGroups = {}): Command {
  if (groups.name) cmd.option('-n, --name <name>', 'Task name. Overrides the "name" config in the YAML if both are supplied.');
  cmd
    .option(
      '--workdir <dir>',
      'If specified, sync this dir to the remote working directory, where the task will be invoked. Overrides the "workdir" config in the YAML if both are supplied.',
    )
    .option(
      '--infra <infra>',
      'Infrastructure to use. Format: cloud, cloud/region, cloud/region/zone, k8s/context-name, or ssh/node-pool-name. Examples: aws, aws/us-east-1, aws/*/us-east-1a, k8s/my-context, ssh/my-nodes.',
    )
    .option(
      '--num-nodes <n>',
      'Number of nodes to execute the task on. Overrides the "num_nodes" config in the YAML if both are supplied.',
      integer('--num-nodes'),
    )
    .option('--cpus <cpus>', 'Number of vCPUs each instance must have (e.g., --cpus=4 (exactly 4) or --cpus=4+ (at least 4)).')
    .option('--memory <memory>', 'Amount of memory each instance must have in GB (e.g., --memory=16 (exactly 16GB), --memory=16+ (at least 16GB)).')
    .option('--disk-size <gb>', 'OS disk size in GBs.', integer('--disk-size'))
    .option('--disk-tier <tier>', `OS disk tier: ${DISK_TIERS.join(', ')}.`, choice('--disk-tier', DISK_TIERS))
    .option('--network-tier <tier>', `Network tier: ${NETWORK_TIERS.join(', ')}.`, choice('--network-tier', NETWORK_TIERS))
    .addOption(new Option('--use-spot', 'Whether to request spot instances. If specified, overrides the "resources.use_spot" config.'))
    .addOption(new Option('--no-use-spot', 'Request on-demand instances (overrides "resources.use_spot").'))
    .option('--image-id <id>', 'Custom image id for launching the instances. Passing "none" resets the config.')
    .option('--env-file <path>', 'Path to a dotenv file with environment variables to set on the remote node. --env values win over it.')
    .option('--env <KEY[=VAL]>', 'Environment variable to set on the remote node (repeatable). KEY alone takes the value of $KEY here.', collect)
    .option(
      '--secret <KEY[=VAL]>',
      'Secret variable to set on the remote node, redacted in logs and outputs (repeatable). KEY alone takes the value of $KEY here.',
      collect,
    )
    .option(
      '--gpus <gpus>',
      'Type and number of GPUs to use, e.g. V100:8, V100 (count 1) or V100:0.5. Overrides the "accelerators" config in the YAML. Passing "none" resets the config.',
    )
    .option('-t, --instance-type <type>', 'The instance type to use. Overrides the "resources.instance_type" config. Passing "none" resets the config.')
    .option('--ports <ports>', 'Ports to open on the cluster (repeatable). Overrides the "ports" config in the YAML.', collect);
  if (groups.git) {
    cmd.option('--git-url <url>', 'Git repository URL.').option('--git-ref <ref>', 'Git reference (branch, tag, or commit hash) to use.');
  }
  return cmd;
}

/** What the task options of one command line ask for. */
export interface TaskOptionValues {
  name?: string;
  workdir?: string;
  numNodes?: number;
  /** Resource overrides, SkyPilot's `_parse_override_params`: `null` resets the field. */
  resources: ResourceOverrides;
  envs: Record<string, string>;
  secrets: Record<string, string>;
  gitUrl?: string;
  gitRef?: string;
}

export interface ResourceOverrides {
  /** cloud[/region[/zone]] as given; its missing parts reset the YAML's (`--infra aws` drops a YAML region). */
  infra?: string;
  accelerators?: string | null;
  cpus?: string | null;
  memory?: string | null;
  instanceType?: string | null;
  useSpot?: boolean;
  imageId?: string | null;
  diskSize?: number;
  diskTier?: string;
  networkTier?: string;
  ports?: string[] | null;
}

function isNone(v: string): boolean {
  return v.toLowerCase() === 'none';
}

/** `KEY=VAL`, or `KEY` read from this process's environment (flags.py `_parse_env_var` / `_parse_secret_var`). */
export function parseKeyValues(list: readonly string[] | undefined, kind: 'env' | 'secret'): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of list ?? []) {
    const eq = item.indexOf('=');
    if (eq < 0) {
      const value = process.env[item];
      if (value === undefined) throw new UsageError(`${item} is not set in local environment.`);
      out[item] = value;
    } else if (eq === 0) {
      throw new UsageError(`Invalid ${kind} var: ${item}. Must be in the form of KEY=VAL or KEY.`);
    } else out[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return out;
}

type Opts = Record<string, unknown>;

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** Reads the task options commander parsed into `opts`. */
export function readTaskOptions(opts: Opts): TaskOptionValues {
  const workdir = str(opts.workdir);
  if (workdir !== undefined && !(fs.existsSync(workdir) && fs.statSync(workdir).isDirectory())) {
    throw new UsageError(`Invalid value for '--workdir': Directory '${workdir}' does not exist.`);
  }
  const gitUrl = str(opts.gitUrl);
  if (gitUrl !== undefined && workdir !== undefined) throw new UsageError('Cannot specify both --git-url and --workdir');
  // --env wins over --env-file (SkyPilot's _merge_env_vars).
  const envFile = str(opts.envFile);
  const envs = { ...(envFile !== undefined ? readDotenvFile(envFile) : {}), ...parseKeyValues(opts.env as string[] | undefined, 'env') };
  const secrets = parseKeyValues(opts.secret as string[] | undefined, 'secret');
  const resources: ResourceOverrides = {};
  const nullable = (v: unknown) => (typeof v === 'string' ? (isNone(v) ? null : v) : undefined);
  if (typeof opts.infra === 'string') resources.infra = opts.infra;
  if (typeof opts.gpus === 'string') resources.accelerators = nullable(opts.gpus);
  if (typeof opts.cpus === 'string') resources.cpus = nullable(opts.cpus);
  if (typeof opts.memory === 'string') resources.memory = nullable(opts.memory);
  if (typeof opts.instanceType === 'string') resources.instanceType = nullable(opts.instanceType);
  if (typeof opts.useSpot === 'boolean') resources.useSpot = opts.useSpot;
  if (typeof opts.imageId === 'string') resources.imageId = nullable(opts.imageId);
  if (typeof opts.diskSize === 'string') resources.diskSize = Number(opts.diskSize);
  if (typeof opts.diskTier === 'string') resources.diskTier = opts.diskTier;
  if (typeof opts.networkTier === 'string') resources.networkTier = opts.networkTier;
  const ports = opts.ports as string[] | undefined;
  if (ports?.length) {
    if (ports.some(isNone)) {
      if (ports.length > 1) throw new UsageError('Cannot specify both "none" and other ports.');
      resources.ports = null;
    } else resources.ports = ports;
  }
  const numNodes = str(opts.numNodes);
  return {
    name: str(opts.name),
    workdir,
    numNodes: numNodes !== undefined ? Number(numNodes) : undefined,
    resources,
    envs,
    secrets,
    gitUrl,
    gitRef: str(opts.gitRef),
  };
}

export function hasResourceOverrides(v: TaskOptionValues): boolean {
  return Object.keys(v.resources).length > 0;
}
