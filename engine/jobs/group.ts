/**
 * Job groups (SkyPilot's `execution: parallel`): every task runs at once, each on its own
 * cluster, as one managed job. The rules that are pure functions of the job live here:
 * which tasks are primary, how long an auxiliary task is given after the primaries end,
 * and the group's status, derived from its tasks as SkyPilot's queue derives it.
 */
import type { TaskFile } from '../task/types';
import { isTerminal, type ManagedJobRecord, type ManagedJobStatus } from './types';

export function isJobGroup(file: Pick<TaskFile, 'execution'>): boolean {
  return file.execution === 'parallel';
}

/** Which tasks are primary: those `primary_tasks` names; without it, every task. */
export function primaryFlags(file: TaskFile): boolean[] {
  const primary = file.primaryTasks?.length ? new Set(file.primaryTasks) : undefined;
  return file.tasks.map((t) => !primary || (t.name !== undefined && primary.has(t.name)));
}

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };

/** A `termination_delay` duration in seconds (constants.TIME_PATTERN_SECONDS: a bare number is seconds). */
export function durationSeconds(value: string | number): number {
  const m = /^([0-9]+)([smhdw]?)$/i.exec(String(value).trim());
  if (!m) throw new Error(`invalid duration '${value}'`);
  return Number(m[1]) * UNIT_SECONDS[(m[2] || 's').toLowerCase()];
}

/** SkyPilot's get_termination_delay_secs: the task's own entry, else `default`, else 0. */
export function terminationDelaySeconds(file: TaskFile, taskName: string | undefined): number {
  const d = file.terminationDelay;
  if (d === undefined) return 0;
  if (typeof d !== 'object') return durationSeconds(d);
  const own = taskName !== undefined ? d[taskName] : undefined;
  if (own !== undefined) return durationSeconds(own);
  return d.default !== undefined ? durationSeconds(d.default) : 0;
}

/**
 * The group's status as SkyPilot's queue shows it: the first primary task (in task order)
 * that has not SUCCEEDED gives its status; SUCCEEDED once every primary task has.
 * Auxiliary tasks never decide it (they end CANCELLED when the primaries are done).
 *
 * One rule on top, so that a terminal job status keeps meaning "nothing of this job runs"
 * (cancel, waiting and the controllers rely on it): while some task has not ended, a
 * terminal primary status gives way to the first task still going.
 */
export function groupStatus(job: Pick<ManagedJobRecord, 'tasks'>): { status: ManagedJobStatus; task: number } {
  const primaries = job.tasks.filter((t) => t.primary !== false);
  const counted = primaries.length ? primaries : job.tasks;
  const first = counted.find((t) => t.status !== 'SUCCEEDED');
  const derived = first ? { status: first.status, task: first.index } : { status: 'SUCCEEDED' as const, task: counted[counted.length - 1].index };
  if (!isTerminal(derived.status)) return derived;
  const going = job.tasks.find((t) => !isTerminal(t.status));
  return going ? { status: going.status, task: going.index } : derived;
}

/** True once every primary task has ended: the auxiliary tasks are then terminated. */
export function primariesDone(job: Pick<ManagedJobRecord, 'tasks'>): boolean {
  return job.tasks.filter((t) => t.primary !== false).every((t) => isTerminal(t.status));
}

/** True when every primary task SUCCEEDED (the auxiliaries then get their termination_delay; otherwise none). */
export function primariesSucceeded(job: Pick<ManagedJobRecord, 'tasks'>): boolean {
  return job.tasks.filter((t) => t.primary !== false).every((t) => t.status === 'SUCCEEDED');
}
