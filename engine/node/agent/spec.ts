/**
 * The job spec the client hands the agent: a bash-sourceable file of JOB_* variables
 * (the node has no JSON parser), every value quoted with the one quoting helper.
 */
import * as os from 'node:os';
import { InputError } from '../../errors';
import { shellQuote } from '../quote';

/** One node of a job, in rank order (rank 0 = head). */
export interface JobNode {
  /** The node's internal IP (listed in SKYPILOT_NODE_IPS). */
  ip: string;
  /**
   * argv prefix, run on the head, that runs its one extra argument as a shell command line
   * on this node: `sshLauncher(...)` for SSH workers, `['bash', '-c']` for the head itself,
   * `localLauncher(...)` for `local` nodes. A leading `~/` in an element means the head's HOME.
   */
  launcher: string[];
}

export interface JobSpec {
  /** Task name (SkyPilot's `name`), shown in the queue. */
  name?: string;
  /** Launching user (SKYPILOT_USER); default: this process's user. */
  user?: string;
  /** What the queue's RESOURCES column shows: the job's demand, e.g. '1x[A100:1]' or '1x[CPU:0.5]'. */
  resources?: string;
  /** Cluster name, used in SKYPILOT_TASK_ID (`sky-<ts>_<cluster>_<job id>`). */
  clusterName?: string;
  /** Overrides SKYPILOT_TASK_ID (managed jobs keep theirs across recoveries). */
  taskId?: string;
  /** `{"cluster_name", "cloud", "region", "zone"}` for SKYPILOT_CLUSTER_INFO. */
  clusterInfo?: { cluster_name: string; cloud: string; region?: string | null; zone?: string | null };
  /** The `run` script (bash). */
  run: string;
  /** A `setup` script run inside the job (status SETTING_UP; failure -> FAILED_SETUP). */
  setup?: string;
  /** Directory to run in (absolute, or relative to the node's HOME, e.g. 'sky_workdir'); default HOME. */
  workdir?: string;
  /** User envs and secrets, exported in setup and run. */
  envs?: Record<string, string>;
  /** Nodes the job runs on, rank order; length = num_nodes. */
  nodes: JobNode[];
  /** SKYPILOT_NUM_GPUS_PER_NODE (ceil of the accelerator count). */
  numGpusPerNode?: number;
  /**
   * Scheduling demand per node: CPUs (default 0.5, SkyPilot's) and GPUs (default numGpusPerNode,
   * whole GPUs). The agent refuses a job whose demand exceeds the node's configured capacity.
   */
  cpusPerNode?: number;
  gpusPerNode?: number;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function bashArray(values: readonly string[]): string {
  return `(${values.map(shellQuote).join(' ')})`;
}

/** Renders the spec file the agent sources (`agent.sh submit` reads it on stdin). */
export function renderJobSpec(spec: JobSpec): string {
  if (spec.nodes.length === 0) throw new InputError('A job needs at least one node.');
  for (const k of Object.keys(spec.envs ?? {})) {
    if (!ENV_NAME.test(k)) throw new InputError(`Invalid environment variable name '${k}' in envs.`, { hint: 'Names must match [A-Za-z_][A-Za-z0-9_]*.' });
  }
  const gpus = Math.ceil(spec.numGpusPerNode ?? 0);
  const lines: string[] = [
    '# SkyDeck job spec (sourced by agent.sh)',
    `JOB_NAME=${shellQuote(oneLine(spec.name ?? ''))}`,
    `JOB_USER=${shellQuote(oneLine(spec.user ?? safeUser()))}`,
    `JOB_RESOURCES=${shellQuote(oneLine(spec.resources ?? ''))}`,
    `JOB_CLUSTER=${shellQuote(spec.clusterName ?? '')}`,
    `JOB_TASK_ID=${shellQuote(spec.taskId ?? '')}`,
    `JOB_CLUSTER_INFO=${shellQuote(JSON.stringify(spec.clusterInfo ?? { cluster_name: spec.clusterName ?? '', cloud: 'local', region: null, zone: null }))}`,
    `JOB_WORKDIR=${shellQuote(spec.workdir ?? '')}`,
    `JOB_GPUS=${gpus}`,
    `JOB_CPUS_MILLI=${Math.max(0, Math.round((spec.cpusPerNode ?? 0.5) * 1000))}`,
    `JOB_GPUS_DEMAND=${Math.ceil(spec.gpusPerNode ?? gpus)}`,
    `JOB_SETUP=${shellQuote(spec.setup ?? '')}`,
    `JOB_RUN=${shellQuote(spec.run)}`,
    `JOB_ENV=${bashArray(Object.entries(spec.envs ?? {}).map(([k, v]) => `${k}=${v}`))}`,
    `JOB_NODE_IPS=${bashArray(spec.nodes.map((n) => n.ip))}`,
    ...spec.nodes.map((n, r) => `JOB_LAUNCHER_${r}=${bashArray(n.launcher)}`),
  ];
  return lines.join('\n') + '\n';
}

function oneLine(s: string): string {
  return s.replace(/[\t\r\n]+/g, ' ');
}

function safeUser(): string {
  try {
    return os.userInfo().username;
  } catch {
    return process.env.USER ?? 'unknown';
  }
}

/** Where the head records its workers' host keys (removed with the node dir when the cluster goes down). */
const HEAD_KNOWN_HOSTS = '~/.skydeck_node/known_hosts';

/**
 * Launcher for an SSH node, as run from the head (the key path is on the head). The head
 * trusts a worker's host key on first use and refuses a changed one for the cluster's life.
 */
export function sshLauncher(target: { host: string; port?: number; user: string; keyPath: string; connectTimeoutSec?: number }): string[] {
  return [
    'ssh',
    '-T',
    '-i',
    target.keyPath,
    '-p',
    String(target.port ?? 22),
    '-o',
    'StrictHostKeyChecking=accept-new',
    '-o',
    `UserKnownHostsFile=${HEAD_KNOWN_HOSTS}`,
    '-o',
    'GlobalKnownHostsFile=/dev/null',
    '-o',
    'IdentitiesOnly=yes',
    '-o',
    'BatchMode=yes',
    '-o',
    'LogLevel=ERROR',
    '-o',
    `ConnectTimeout=${target.connectTimeoutSec ?? 10}`,
    '-o',
    'ServerAliveInterval=15',
    '-o',
    'ServerAliveCountMax=4',
    // Ranks, setup and cancel reuse one connection per worker (a handshake costs ~0.5-1 s).
    '-o',
    'ControlMaster=auto',
    '-o',
    'ControlPath=~/.skydeck_node/cm-%C',
    '-o',
    'ControlPersist=300',
    `${target.user}@${target.host}`,
  ];
}

/** Launcher for a `local` provider node: its HOME and env, then `bash -c`. */
export function localLauncher(nodeDir: string, env: Record<string, string> = {}): string[] {
  return ['env', `HOME=${nodeDir}`, ...Object.entries(env).map(([k, v]) => `${k}=${v}`), 'bash', '-c'];
}

/** The head running a rank on itself. */
export const HEAD_LAUNCHER: readonly string[] = ['bash', '-c'];
