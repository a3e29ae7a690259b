/**
 * The cluster engine's public contract, used by the CLI, the extension, managed jobs and
 * serving. Implemented in ./engine.ts (launch pipeline, exec, status, stop/start/down, ...).
 */
import type { ClusterHandle, NodeInfo } from '../infra/provider';
import type { TaskFile, Task } from '../task/types';
import type { ClusterContainer } from './containers';

/** SkyPilot's cluster states. */
export type ClusterStatus = 'INIT' | 'UP' | 'STOPPED' | 'AUTOSTOPPING';

/** SkyPilot's job states on a cluster, in SkyPilot's order. */
export const JOB_STATUSES = ['INIT', 'PENDING', 'SETTING_UP', 'RUNNING', 'FAILED_DRIVER', 'SUCCEEDED', 'FAILED', 'FAILED_SETUP', 'CANCELLED'] as const;
export type ClusterJobStatus = (typeof JOB_STATUSES)[number];
export const TERMINAL_JOB_STATUSES: readonly ClusterJobStatus[] = ['FAILED_DRIVER', 'SUCCEEDED', 'FAILED', 'FAILED_SETUP', 'CANCELLED'];

/** `logs --status` exit codes (SkyPilot). */
export const LOGS_STATUS_EXIT = { SUCCEEDED: 0, FAILED: 100, NOT_FINISHED: 101, NOT_FOUND: 102, CANCELLED: 103 } as const;

/** The resources a cluster was launched with (what `status` shows and reuse checks compare). */
export interface LaunchedResources {
  cloud: string;
  region: string;
  zone?: string;
  instanceType: string;
  accelerators?: { name: string; count: number };
  cpus?: number;
  memoryGb?: number;
  useSpot: boolean;
  diskSizeGb: number;
  ports: string[];
  /** On-demand or spot price per node-hour (USD); 0 for local/ssh unless configured. */
  pricePerHour: number;
}

export interface ClusterRecord {
  name: string;
  status: ClusterStatus;
  handle: ClusterHandle;
  resources: LaunchedResources;
  numNodes: number;
  nodes: NodeInfo[];
  launchedAt: number; // epoch ms
  /** Time of the last (re)start, for uptime and cost so far. */
  startedAt?: number;
  /** Seconds the cluster was UP before the current start (cost so far). */
  accumulatedUpSeconds: number;
  /** waitFor absent: SkyPilot's default, jobs_and_ssh. */
  autostop?: { idleMinutes: number; down: boolean; waitFor?: 'jobs_and_ssh' | 'jobs' | 'none' };
  /** Set when the last refresh found a problem (node unreachable, partially terminated). */
  lastError?: string;
  /** 'managed-job:<id>' or 'service:<name>' when owned by a controller. */
  owner?: string;
  /**
   * Written before the provider was asked to create anything: the handle names where
   * resources may exist (provider, region or pool, name on the infra), not what exists.
   * Cleared once the provider's launch returns. A record still provisional when no process
   * holds the cluster's lock is a launch that died: `status -r` and `down` reclaim it.
   */
  provisional?: boolean;
  /** The container every node runs the jobs in (`image_id: docker:` off Kubernetes): ./containers.ts. */
  container?: ClusterContainer;
}

export interface ClusterJob {
  id: number;
  name?: string;
  user: string;
  status: ClusterJobStatus;
  submittedAt: number;
  startedAt?: number;
  endedAt?: number;
  exitCode?: number;
  resources: string;
  logDir: string;
}

export type LaunchStage = 'OPTIMIZE' | 'PROVISION' | 'SYNC_WORKDIR' | 'SYNC_FILE_MOUNTS' | 'SETUP' | 'EXEC' | 'DOWN';

export interface ProgressEvent {
  stage: LaunchStage;
  message: string;
}

export interface LaunchOptions {
  clusterName?: string;
  /** Return once the job is submitted instead of when it finishes (`-d`). */
  detachRun?: boolean;
  retryUntilUp?: boolean;
  idleMinutesToAutostop?: number;
  down?: boolean;
  /** `--wait-for`: what resets the autostop idle timer (over the task's autostop.wait_for). */
  waitFor?: 'jobs_and_ssh' | 'jobs' | 'none';
  noSetup?: boolean;
  /** Extra env overrides (`--env`). */
  envs?: Record<string, string>;
  /** Blocked infra (cloud[/region[/zone]]) the optimizer must avoid (managed-job recovery). */
  blocked?: string[];
  /** 'managed-job:<id>' / 'service:<name>'. */
  owner?: string;
  /** Extra env vars for the job (SKYPILOT_SERVE_REPLICA_ID, managed task id, ...). */
  internalEnvs?: Record<string, string>;
  /** Stream job output (when not detached). */
  onOutput?: (chunk: string) => void;
  onProgress?: (event: ProgressEvent) => void;
  signal?: AbortSignal;
}

export interface LaunchResult {
  cluster: ClusterRecord;
  jobId?: number;
  /** Final job status when the run was awaited. */
  jobStatus?: ClusterJobStatus;
}

/** The engine's verbs, as functions (see ./engine.ts). */
export interface ClusterEngine {
  launch(task: Task | TaskFile, options?: LaunchOptions): Promise<LaunchResult>;
  exec(clusterName: string, task: Task, options?: LaunchOptions): Promise<LaunchResult>;
  status(options?: { refresh?: boolean; names?: string[] }): Promise<ClusterRecord[]>;
  /**
   * The cluster's jobs, from its agent. `record`: the cluster's record when the caller already
   * holds it (a managed-job controller checking its run every few seconds), so the cluster
   * table is not read and parsed for each call.
   */
  queue(clusterName: string, options?: { skipFinished?: boolean; record?: ClusterRecord }): Promise<ClusterJob[]>;
  /**
   * Writes the job's log (all ranks merged as SkyPilot prints it) to `onData`; follows until the job ends when `follow`.
   * `offset`: the byte of the log to start from (a caller that already holds the first bytes);
   * with it, a read that ends inside a multi-byte character of a running job stops before that
   * character, so the next read from the bytes received picks it up whole. A follow stopped
   * by `signal` resolves undefined. `record`: as queue's.
   */
  tailLogs(
    clusterName: string,
    jobId: number | undefined,
    options: { follow: boolean; onData: (chunk: string) => void; signal?: AbortSignal; offset?: number; record?: ClusterRecord },
  ): Promise<ClusterJobStatus | undefined>;
  cancel(clusterName: string, jobIds: number[] | 'all'): Promise<number[]>;
  stop(clusterName: string): Promise<void>;
  start(clusterName: string, options?: { idleMinutesToAutostop?: number; down?: boolean }): Promise<ClusterRecord>;
  /** `purge`: forget the cluster even when the infra cannot confirm everything was removed. */
  down(clusterName: string, options?: { purge?: boolean }): Promise<void>;
  autostop(clusterName: string, idleMinutes: number, down: boolean, waitFor?: 'jobs_and_ssh' | 'jobs' | 'none'): Promise<void>;
}
