/**
 * What the CLI and the extension call: submit, list, cancel, read logs. Each entry point
 * first makes sure every unfinished job has a live controller (restarting the missing ones).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import { InputError, NotFoundError } from '../errors';
import type { Collection } from '../state/store';
import type { ResourcesSpec, Task, TaskFile } from '../task/types';
import { controllerLogPath, jobClusterName, jobLogPath, taskLogPath } from './paths';
import { isJobGroup, primaryFlags } from './group';
import { markFollowing } from './follow';
import { readFrom } from './joblog';
import { openJobsStore } from './state';
import { saveSubmittedTask } from './submitted';
import { ensureControllers, placeOrphans, type SuperviseOptions } from './supervisor';
import { strategyOf } from './recovery';
import { isTerminal, recoveriesOf, type ManagedJobRecord, type ManagedJobsState, type ManagedJobStatus } from './types';

export interface JobsContext {
  store: Collection<ManagedJobsState>;
  supervise?: Omit<SuperviseOptions, 'store'>;
}

function defaultContext(): JobsContext {
  return { store: openJobsStore() };
}

function describeResources(spec: ResourcesSpec, nodes: number): string {
  const parts: string[] = [];
  if (spec.accelerators?.length) parts.push(`gpus=${spec.accelerators.map((a) => `${a.name}:${a.count}`).join('|')}`);
  if (spec.cpus) parts.push(`cpus=${spec.cpus.value}${spec.cpus.orMore ? '+' : ''}`);
  if (spec.memory) parts.push(`mem=${spec.memory.value}${spec.memory.perCpu ? 'x' : ''}${spec.memory.orMore ? '+' : ''}`);
  if (spec.instanceType) parts.push(spec.instanceType);
  if (spec.infra?.cloud) parts.push([spec.infra.cloud, spec.infra.region, spec.infra.zone].filter(Boolean).join('/'));
  return `${nodes}x${spec.useSpot ? '[spot]' : ''}(${parts.join(', ') || 'default'})`;
}

/** The queue's RESOURCES column: what was asked for (the first alternative, as SkyPilot shows). */
function requestedResources(task: Task): string {
  const first = task.resources.candidates[0];
  return describeResources({ ...task.resources.base, ...(first ?? {}) }, task.numNodes);
}

export interface SubmitOptions {
  name?: string;
  envs?: Record<string, string>;
}

/** Records the job (PENDING), starts (or reuses) a controller for it, returns its id. */
export async function submitJob(taskFile: TaskFile, options: SubmitOptions, ctx: JobsContext = defaultContext()): Promise<number> {
  const [id] = await submitJobs([{ taskFile, options }], ctx);
  return id;
}

/**
 * Records several jobs in one store transaction and hands them to controllers (filling
 * live ones, starting new ones for the rest): submitting 200 jobs is one lock, one write
 * and ceil(200 / capacity) controller processes instead of 200 contended transactions.
 */
export async function submitJobs(items: { taskFile: TaskFile; options: SubmitOptions }[], ctx: JobsContext = defaultContext()): Promise<number[]> {
  const prepared = items.map(({ taskFile, options }) => prepareSubmission(taskFile, options));
  const now = Date.now();
  const user = os.userInfo().username;
  return ctx.store.update((s) => {
    const ids: number[] = [];
    for (const { taskFile, name } of prepared) {
      const id = s.nextId++;
      saveSubmittedTask(id, taskFile);
      s.jobs[id] = newJobRecord(id, name, taskFile, now, user);
      fs.writeFileSync(jobLogPath(id), '', { flag: 'a' });
      if (isJobGroup(taskFile)) taskFile.tasks.forEach((_, i) => fs.writeFileSync(taskLogPath(id, i), '', { flag: 'a' }));
      ids.push(id);
    }
    // In the same transaction: hand them to controllers with room, or start some.
    placeOrphans(s, ctx.supervise);
    return ids;
  });
}

function prepareSubmission(taskFile: TaskFile, options: SubmitOptions): { taskFile: TaskFile; name: string } {
  if (taskFile.tasks.length === 0) throw new InputError('The task file has no task to run.');
  const name = options.name ?? taskFile.name ?? taskFile.tasks[0].name ?? 'sky-cmd';
  if (options.name && taskFile.tasks.length === 1) taskFile = { ...taskFile, tasks: [{ ...taskFile.tasks[0], name: options.name }] };
  if (options.envs) taskFile = { ...taskFile, tasks: taskFile.tasks.map((t) => ({ ...t, envs: { ...t.envs, ...options.envs } })) };
  return { taskFile, name };
}

function newJobRecord(id: number, name: string, taskFile: TaskFile, now: number, user: string): ManagedJobRecord {
  const group = isJobGroup(taskFile);
  const primary = primaryFlags(taskFile);
  return {
    id,
    name,
    status: 'PENDING',
    submittedAt: now,
    resources: requestedResources(taskFile.tasks[0]),
    strategy: strategyOf(taskFile.tasks[0]),
    ...(group ? { execution: 'parallel' as const } : {}),
    currentTask: 0,
    tasks: taskFile.tasks.map((t, index) => ({
      ...(group ? { primary: primary[index], requested: requestedResources(t) } : {}),
      index,
      ...(t.name ? { name: t.name } : {}),
      status: 'PENDING',
      cluster: jobClusterName(t.name ?? name, id),
      runMs: 0,
      recoveries: 0,
      restartsOnErrors: 0,
      logSegmentStart: 0,
    })),
    controllerStarts: 0,
    history: [{ status: 'PENDING', at: now, task: 0 }],
    user,
  };
}

/** Restarts missing controllers; every jobs verb calls it first. */
export async function superviseJobs(ctx: JobsContext = defaultContext()): Promise<void> {
  await ensureControllers({ store: ctx.store, ...ctx.supervise });
}

export interface QueueRow {
  id: number;
  /** Task index for a pipeline's (or job group's) task rows; undefined on a job row. */
  task?: number;
  /** 'parallel' on a job group's row (its tasks run at once); absent for a task or a pipeline. */
  execution?: 'parallel';
  /** On a job group's task rows: whether the task is primary (the group ends with its primary tasks). */
  primary?: boolean;
  /** On a job group's task rows: the task ended and its cluster stays up until the group ends. */
  clusterKept?: boolean;
  name: string;
  status: string;
  recoveries: number;
  /** The job's current (or last) cluster. */
  cluster: string;
  resources: string;
  submittedAt: number;
  endedAt?: number;
  /** Seconds since submission (to the end, once ended). */
  totalDurationSeconds: number;
  /** Seconds spent RUNNING, summed over runs. */
  jobDurationSeconds: number;
  infra?: string;
  exitCode?: number;
  failureReason?: string;
  controllerStarts: number;
  tasks?: QueueRow[];
}

function queueRow(job: ManagedJobRecord, now = Date.now()): QueueRow {
  const cur = job.tasks[job.currentTask];
  const run = (t: (typeof job.tasks)[number]) => t.runMs + (t.runningSince !== undefined ? now - t.runningSince : 0);
  const row: QueueRow = {
    id: job.id,
    name: job.name,
    status: job.status,
    recoveries: recoveriesOf(job),
    cluster: cur.cluster,
    resources: job.resources,
    submittedAt: job.submittedAt,
    ...(job.endedAt ? { endedAt: job.endedAt } : {}),
    totalDurationSeconds: Math.round(((job.endedAt ?? now) - job.submittedAt) / 1000),
    jobDurationSeconds: Math.round(job.tasks.reduce((n, t) => n + run(t), 0) / 1000),
    ...(cur.infra ? { infra: cur.infra } : {}),
    ...(cur.exitCode !== undefined ? { exitCode: cur.exitCode } : {}),
    ...(job.failureReason ? { failureReason: job.failureReason } : {}),
    controllerStarts: job.controllerStarts,
    ...(job.execution ? { execution: job.execution } : {}),
  };
  if (job.tasks.length > 1 || job.execution) {
    row.tasks = job.tasks.map((t) => ({
      id: job.id,
      task: t.index,
      name: t.name ?? `${job.name}-${t.index}`,
      status: t.status,
      recoveries: t.recoveries,
      cluster: t.cluster,
      resources: job.resources,
      submittedAt: job.submittedAt,
      ...(t.endedAt ? { endedAt: t.endedAt } : {}),
      totalDurationSeconds: t.startedAt ? Math.round(((t.endedAt ?? now) - t.startedAt) / 1000) : 0,
      jobDurationSeconds: Math.round(run(t) / 1000),
      ...(t.infra ? { infra: t.infra } : {}),
      ...(t.exitCode !== undefined ? { exitCode: t.exitCode } : {}),
      ...(t.failureReason ? { failureReason: t.failureReason } : {}),
      ...(t.primary !== undefined ? { primary: t.primary } : {}),
      ...(t.clusterKept ? { clusterKept: true } : {}),
      ...(t.requested ? { resources: t.requested } : {}),
      controllerStarts: job.controllerStarts,
    }));
  }
  return row;
}

/** Newest first, as SkyPilot lists them. */
export async function listJobs(options: { skipFinished?: boolean } = {}, ctx: JobsContext = defaultContext()): Promise<QueueRow[]> {
  await superviseJobs(ctx);
  const state = await ctx.store.read();
  const now = Date.now();
  return Object.values(state.jobs)
    .filter((j) => !options.skipFinished || !isTerminal(j.status))
    .sort((a, b) => b.id - a.id)
    .map((j) => queueRow(j, now));
}

export interface CancelResult {
  /** Jobs that will be (or were) cancelled. */
  cancelled: number[];
  /** Already terminal: nothing to do. */
  alreadyDone: number[];
  notFound: number[];
}

/**
 * PENDING jobs are cancelled at once in the store (nothing was launched); others get a
 * cancel request their controller acts on (CANCELLING: cancel the run, tear down, CANCELLED).
 */
export async function cancelJobs(ids: number[] | 'all', ctx: JobsContext = defaultContext()): Promise<CancelResult> {
  const result = await ctx.store.update((s) => {
    const r: CancelResult = { cancelled: [], alreadyDone: [], notFound: [] };
    const targets =
      ids === 'all'
        ? Object.values(s.jobs)
            .filter((j) => !isTerminal(j.status))
            .map((j) => j.id)
        : ids;
    for (const id of targets) {
      const job = s.jobs[id];
      if (!job) r.notFound.push(id);
      else if (isTerminal(job.status)) r.alreadyDone.push(id);
      else {
        r.cancelled.push(id);
        job.cancelRequested = true;
        // Nothing launched yet (not a task waiting out a launch backoff, which may hold a cluster).
        const untouched = (t: (typeof job.tasks)[number]) => t.status === 'PENDING' && t.startedAt === undefined;
        const notStarted = job.execution === 'parallel' ? job.tasks.every(untouched) : job.currentTask === 0 && untouched(job.tasks[0]);
        if (job.status === 'PENDING' && notStarted) {
          const now = Date.now();
          job.status = 'CANCELLED';
          job.endedAt = now;
          for (const t of job.tasks) t.status = 'CANCELLED';
          job.history.push({ status: 'CANCELLED', at: now, task: 0, detail: 'cancelled before it started' });
        }
      }
    }
    return r;
  });
  await superviseJobs(ctx);
  return result;
}

/** Waits until every job in `ids` is terminal (or the deadline passes); returns the ones still going. */
export async function waitTerminal(ids: number[], timeoutMs: number, ctx: JobsContext = defaultContext(), pollMs = 200): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const state = await ctx.store.read();
    const left = ids.filter((id) => state.jobs[id] && !isTerminal(state.jobs[id].status));
    if (left.length === 0 || Date.now() >= deadline) return left;
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

async function getJob(id: number, ctx: JobsContext = defaultContext()): Promise<ManagedJobRecord> {
  const job = (await ctx.store.read()).jobs[id];
  if (!job) throw new NotFoundError(`Managed job ${id}`, { hint: "Run 'skydeck jobs queue' to see the managed jobs." });
  return job;
}

export async function latestJobId(ctx: JobsContext = defaultContext()): Promise<number> {
  const ids = Object.keys((await ctx.store.read()).jobs).map(Number);
  if (ids.length === 0) throw new NotFoundError('Managed job', { hint: "No managed jobs yet: launch one with 'skydeck jobs launch TASK'." });
  return Math.max(...ids);
}

/** A task of the job by index or name (`jobs logs ID TASK`), as SkyPilot accepts either. */
export function resolveTask(job: Pick<ManagedJobRecord, 'id' | 'tasks'>, task: string): number {
  const byName = job.tasks.find((t) => t.name === task);
  if (byName) return byName.index;
  if (/^\d+$/.test(task) && Number(task) < job.tasks.length) return Number(task);
  throw new InputError(`Managed job ${job.id} has no task '${task}'.`, {
    hint: `Its tasks: ${job.tasks.map((t) => `${t.index} (${t.name ?? '-'})`).join(', ')}.`,
  });
}

/**
 * Writes the job's log (or its controller log) to `onData`; with `follow`, keeps going
 * until the job is terminal. Resolves to the job's final (or current) status. A job group's
 * tasks each have their own log: `task` picks one; without it every task's lines come,
 * each prefixed with `(task name) `.
 */
export async function streamJobLog(
  id: number,
  options: { controller?: boolean; task?: string; follow: boolean; onData: (chunk: Buffer) => void; signal?: AbortSignal; pollMs?: number },
  ctx: JobsContext = defaultContext(),
): Promise<ManagedJobStatus> {
  const job = await getJob(id, ctx);
  const group = job.execution === 'parallel' && !options.controller;
  if (options.task !== undefined && job.execution !== 'parallel')
    throw new InputError(`Managed job ${id} keeps one log for all its tasks; per-task logs are a job group's.`, { hint: `Run: skydeck jobs logs ${id}` });
  const picked = options.task !== undefined ? resolveTask(job, options.task) : undefined;
  const sources =
    group && picked === undefined
      ? job.tasks.map((t) => ({ file: taskLogPath(id, t.index), prefix: `(${t.name ?? t.index}) `, offset: 0, partial: '' }))
      : [{ file: options.controller ? controllerLogPath(id) : group ? taskLogPath(id, picked!) : jobLogPath(id), prefix: '', offset: 0, partial: '' }];
  // The job's controller gives a followed job a live log stream (follow.ts), so what is
  // printed shows here at once even when the controller runs more jobs than it streams.
  const unmark = options.follow && !options.controller && !isTerminal(job.status) ? markFollowing(id) : undefined;
  try {
    return await followSources(id, sources, picked, group, options, ctx);
  } finally {
    unmark?.();
  }
}

async function followSources(
  id: number,
  sources: { file: string; prefix: string; offset: number; partial: string }[],
  picked: number | undefined,
  group: boolean,
  options: { follow: boolean; onData: (chunk: Buffer) => void; signal?: AbortSignal; pollMs?: number },
  ctx: JobsContext,
): Promise<ManagedJobStatus> {
  for (;;) {
    // Status first, then the files: what was written before the job ended is in this read.
    const current = await getJob(id, ctx);
    const status = picked !== undefined && group ? current.tasks[picked].status : current.status;
    const done = !options.follow || isTerminal(status) || !!options.signal?.aborted;
    for (const src of sources) {
      const { text, end } = readFrom(src.file, src.offset);
      src.offset = end;
      if (!src.prefix) {
        if (text.length) options.onData(text);
        continue;
      }
      // Whole lines only, so the tasks' lines interleave without being cut.
      const lines = (src.partial + text.toString('utf8')).split('\n');
      src.partial = lines.pop() ?? '';
      if (done && src.partial) lines.push(src.partial);
      if (lines.length) options.onData(Buffer.from(lines.map((l) => `${src.prefix}${l}\n`).join('')));
    }
    if (done) return status;
    await new Promise((r) => setTimeout(r, options.pollMs ?? 300));
  }
}
