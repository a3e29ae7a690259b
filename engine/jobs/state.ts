/**
 * The managed-jobs table in the store (SKYDECK_HOME/state/managed_jobs.json): job records
 * and the live controller processes. Every change goes through `update` (cross-process
 * lock), so a status check-and-set is atomic across the CLI, VS Code and controllers.
 */
import * as fs from 'node:fs';
import { Collection } from '../state/store';
import { SkyDeckError } from '../errors';
import type { ProcessIdentity } from '../util/detached';
import { groupStatus } from './group';
import { canTransition, isTerminal, type ManagedJobRecord, type ManagedJobsState, type ManagedJobStatus } from './types';

const HISTORY_MAX = 64;

export function openJobsStore(dir?: string, options: { cacheReads?: boolean } = {}): Collection<ManagedJobsState> {
  const spec = { name: 'managed_jobs', initial: (): ManagedJobsState => ({ nextId: 1, jobs: {}, controllers: {} }), dir };
  return options.cacheReads ? new CachedReads<ManagedJobsState>(spec) : new Collection<ManagedJobsState>(spec);
}

/**
 * A collection whose lock-free reads parse the file only when it changed. For controllers,
 * which read the whole table every second and at every job step: with 200 jobs, reading and
 * parsing a file nobody had written was most of a controller's garbage. Whether it changed
 * is told by a stat (inode, size, times), since every write replaces the file (temp file +
 * rename), so an unchanged table costs neither a read nor a parse. Callers must treat what
 * read() returns as read-only (it is shared).
 */
class CachedReads<T> extends Collection<T> {
  private cached?: { signature: string; data: T };

  override async read(): Promise<T> {
    let signature: string;
    try {
      const st = await fs.promises.stat(this.file, { bigint: true });
      signature = `${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
    } catch {
      return super.read();
    }
    if (this.cached?.signature === signature) return this.cached.data;
    // Read after the stat: if the file is replaced in between, the data is newer than the
    // signature, and the next read sees a different signature and parses again.
    const data = await super.read();
    this.cached = { signature, data };
    return data;
  }
}

export function controllerKey(id: ProcessIdentity): string {
  return `${id.pid}:${id.startTicks ?? ''}`;
}

export function sameProcess(a: ProcessIdentity | undefined, b: ProcessIdentity | undefined): boolean {
  return !!a && !!b && a.pid === b.pid && a.startTicks === b.startTicks;
}

class IllegalTransitionError extends SkyDeckError {
  constructor(jobId: number, from: ManagedJobStatus, to: ManagedJobStatus) {
    super('MANAGED_JOB_TRANSITION', `Managed job ${jobId} cannot go from ${from} to ${to}.`);
  }
}

/**
 * Moves task `taskIndex` (and the job, whose status is its current task's, or a group's
 * derived status) to `status`, keeping the job-duration clock and the history. Call inside `update`.
 */
export function setStatus(job: ManagedJobRecord, taskIndex: number, status: ManagedJobStatus, now: number, detail?: string): void {
  const task = job.tasks[taskIndex];
  if (!canTransition(task.status, status) && !(task.status === 'PENDING' && status === 'CANCELLED')) {
    throw new IllegalTransitionError(job.id, task.status, status);
  }
  if (task.runningSince !== undefined && status !== 'RUNNING') {
    task.runMs += now - task.runningSince;
    task.runningSince = undefined;
  }
  if (status === 'RUNNING' && task.runningSince === undefined) task.runningSince = now;
  if (status === 'STARTING' && task.startedAt === undefined) task.startedAt = now;
  task.status = status;
  if (job.execution === 'parallel') {
    const derived = groupStatus(job);
    job.currentTask = derived.task;
    job.status = derived.status;
  } else {
    job.currentTask = taskIndex;
    job.status = status;
    if (status === 'SUCCEEDED' && taskIndex < job.tasks.length - 1) job.status = 'PENDING';
  }
  job.history.push({ status, at: now, task: taskIndex, ...(detail ? { detail } : {}) });
  if (job.history.length > HISTORY_MAX) job.history.splice(0, job.history.length - HISTORY_MAX);
}

/**
 * Ends the job: the current task gets `status`, later tasks of a pipeline are CANCELLED.
 * In a job group it ends one task; the job ends with its last task, at the derived status.
 */
export function finishJob(job: ManagedJobRecord, taskIndex: number, status: ManagedJobStatus, now: number, detail?: string): void {
  if (job.execution === 'parallel') return finishGroupTask(job, taskIndex, status, now, detail);
  setStatus(job, taskIndex, status, now, detail);
  job.tasks[taskIndex].endedAt = now;
  for (const t of job.tasks.slice(taskIndex + 1)) {
    if (t.status === 'PENDING') t.status = 'CANCELLED';
  }
  job.status = status;
  job.endedAt = now;
  if (detail && status !== 'SUCCEEDED') job.failureReason = detail;
}

function finishGroupTask(job: ManagedJobRecord, taskIndex: number, status: ManagedJobStatus, now: number, detail?: string): void {
  const task = job.tasks[taskIndex];
  setStatus(job, taskIndex, status, now, detail);
  task.endedAt = now;
  if (detail && status !== 'SUCCEEDED') task.failureReason = detail;
  if (!job.tasks.every((t) => isTerminal(t.status))) return;
  job.endedAt = now;
  const deciding = job.tasks[job.currentTask];
  if (job.status !== 'SUCCEEDED') job.failureReason = deciding.failureReason ?? detail;
}
