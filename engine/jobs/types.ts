/**
 * Managed jobs: the model kept in the store (SkyPilot's `ManagedJobStatus` and what the
 * queue shows). A managed job is one task, a pipeline of tasks run in order, or a job group
 * of tasks run at once; each task on its own cluster launched and torn down by the job's
 * controller.
 */
import type { ProcessIdentity } from '../util/detached';
import type { JobRecoveryStrategy } from '../task/types';

/** SkyPilot's managed-job statuses (sky/jobs/state.py), SUBMITTED and WINDING_DOWN left out. */
export const MANAGED_JOB_STATUSES = [
  'PENDING',
  'STARTING',
  'RUNNING',
  'RECOVERING',
  'CANCELLING',
  'SUCCEEDED',
  'CANCELLED',
  'FAILED',
  'FAILED_SETUP',
  'FAILED_PRECHECKS',
  'FAILED_NO_RESOURCE',
  'FAILED_CONTROLLER',
] as const;
export type ManagedJobStatus = (typeof MANAGED_JOB_STATUSES)[number];

const TERMINAL_MANAGED_STATUSES: readonly ManagedJobStatus[] = [
  'SUCCEEDED',
  'CANCELLED',
  'FAILED',
  'FAILED_SETUP',
  'FAILED_PRECHECKS',
  'FAILED_NO_RESOURCE',
  'FAILED_CONTROLLER',
];

export function isTerminal(status: ManagedJobStatus): boolean {
  return TERMINAL_MANAGED_STATUSES.includes(status);
}

/** Allowed transitions (sky/jobs/README.md); any status may go to FAILED_CONTROLLER. */
const TRANSITIONS: Record<ManagedJobStatus, readonly ManagedJobStatus[]> = {
  // PENDING -> RECOVERING: a recovery resumes after its launch backoff (RECOVERING <-> PENDING).
  PENDING: ['STARTING', 'RECOVERING', 'CANCELLING', 'CANCELLED', 'FAILED_PRECHECKS'],
  STARTING: ['PENDING', 'RUNNING', 'RECOVERING', 'CANCELLING', 'FAILED_NO_RESOURCE', 'FAILED_PRECHECKS', 'FAILED_SETUP'],
  RUNNING: ['RECOVERING', 'SUCCEEDED', 'FAILED', 'FAILED_SETUP', 'CANCELLING', 'CANCELLED'],
  RECOVERING: ['PENDING', 'RUNNING', 'FAILED_NO_RESOURCE', 'FAILED_PRECHECKS', 'FAILED_SETUP', 'CANCELLING'],
  CANCELLING: ['CANCELLED'],
  SUCCEEDED: [],
  CANCELLED: [],
  FAILED: [],
  FAILED_SETUP: [],
  FAILED_PRECHECKS: [],
  FAILED_NO_RESOURCE: [],
  FAILED_CONTROLLER: [],
};

export function canTransition(from: ManagedJobStatus, to: ManagedJobStatus): boolean {
  if (from === to) return !isTerminal(from);
  if (to === 'FAILED_CONTROLLER') return !isTerminal(from);
  return TRANSITIONS[from].includes(to);
}

export interface StatusEvent {
  status: ManagedJobStatus;
  /** epoch ms */
  at: number;
  task: number;
  detail?: string;
}

/** One task of the job (a single-task job has one). */
export interface ManagedTaskRecord {
  index: number;
  name?: string;
  status: ManagedJobStatus;
  /** The task's cluster: `<name truncated>-<job id>`. */
  cluster: string;
  /** The job id on the cluster of the current run, once submitted. */
  clusterJobId?: number;
  /** Where the current run landed ('cloud/region[/zone]'). */
  infra?: string;
  /** Resources of the current run as `1x(local, ...)`. */
  resources?: string;
  startedAt?: number;
  endedAt?: number;
  /** Sum of finished running spans (ms); plus now - runningSince while RUNNING. */
  runMs: number;
  runningSince?: number;
  recoveries: number;
  /** Restarts because the user's program failed (counted against max_restarts_on_errors). */
  restartsOnErrors: number;
  exitCode?: number;
  /** Byte offset in the managed-job log where the current run's output starts. */
  logSegmentStart: number;
  /** True while a launch call is in flight (a restarted controller then looks for its job first). */
  launching?: boolean;
  /** Cluster job ids up to this one predate the launch in flight (adoption ignores them). */
  launchAfterJobId?: number;
  /** Set while the task waits (PENDING) between launch rounds: what it resumes afterwards. */
  backoffPhase?: 'launch' | 'recover' | 'restart';
  /** Why this task ended other than SUCCEEDED (a job group's tasks end one by one). */
  failureReason?: string;
  /** In a job group: the task's own requested resources (the queue's RESOURCES column of its row). */
  requested?: string;
  /** In a job group: whether the task is primary (SkyPilot's is_primary_in_job_group); absent otherwise. */
  primary?: boolean;
  /** In a job group: the task ended and its cluster stays up until the group ends (SkyPilot tears them down together). */
  clusterKept?: boolean;
}

export interface ManagedJobRecord {
  id: number;
  name: string;
  status: ManagedJobStatus;
  submittedAt: number;
  endedAt?: number;
  /** Requested resources, for the queue's RESOURCES column. */
  resources: string;
  strategy: JobRecoveryStrategy;
  /** 'parallel' for a job group (every task at once); absent for a task or a pipeline. */
  execution?: 'parallel';
  /** The task the job's status comes from (a pipeline's current task; a group's deciding task). */
  currentTask: number;
  tasks: ManagedTaskRecord[];
  /** The controller process that owns this job (assigned under the store lock). */
  controller?: ProcessIdentity;
  /** How many times a controller was (re)started for this job. */
  controllerStarts: number;
  cancelRequested?: boolean;
  failureReason?: string;
  /** Recent transitions, newest last (bounded). */
  history: StatusEvent[];
  /** The user who submitted it. */
  user: string;
}

/** A live controller process and how many jobs it may own. */
export interface ControllerRecord {
  identity: ProcessIdentity;
  /** False once it decided to exit: it takes no new jobs. */
  accepting: boolean;
  capacity: number;
  startedAt: number;
}

export interface ManagedJobsState {
  nextId: number;
  jobs: Record<string, ManagedJobRecord>;
  /** Keyed by `<pid>:<startTicks>`. */
  controllers: Record<string, ControllerRecord>;
}

/**
 * Whether the job still needs a controller: it has not ended, or it is a job group that
 * ended but whose tasks' clusters are still to be torn down (SkyPilot's schedule state is
 * not DONE while its controller cleans up).
 */
export function needsController(job: Pick<ManagedJobRecord, 'status' | 'tasks'>): boolean {
  return !isTerminal(job.status) || job.tasks.some((t) => t.clusterKept);
}

export function recoveriesOf(job: ManagedJobRecord): number {
  return job.tasks.reduce((n, t) => n + t.recoveries, 0);
}
