/**
 * A job group inside a controller (SkyPilot's `_run_job_group`): one JobRunner per task,
 * all started at once, each launching, monitoring and recovering its own task on its own
 * cluster. When every primary task has ended, the auxiliary tasks still going are
 * terminated (CANCELLED): after their `termination_delay` if every primary SUCCEEDED, at
 * once otherwise. A cancel reaches every task.
 *
 * Nothing here is kept in memory only: the primaries' end times are in the store, so a
 * controller that restarts mid-delay terminates the auxiliaries when the delay runs out.
 */
import * as fs from 'node:fs';
import type { TaskFile } from '../task/types';
import { controllerLogPath } from './paths';
import { primariesDone, primariesSucceeded, terminationDelaySeconds } from './group';
import { JobRunner, type RunnerDeps, type RunnerOptions } from './runner';
import { isTerminal, type ManagedJobRecord, type ManagedJobStatus } from './types';

export class GroupRunner {
  /** One runner per task of the group, in task order. */
  readonly members: JobRunner[];
  private abandoned = false;
  private readonly timers = new Set<NodeJS.Timeout>();
  private terminating = false;
  private readonly now: () => number;

  constructor(
    readonly jobId: number,
    taskCount: number,
    private readonly deps: RunnerDeps,
    private readonly options: RunnerOptions = {},
  ) {
    this.now = deps.now ?? Date.now;
    this.members = Array.from({ length: taskCount }, (_, task) => new JobRunner(jobId, deps, { startCounted: true, task }));
  }

  /** The runners whose clusters the controller watches (one per task). */
  units(): JobRunner[] {
    return this.members;
  }

  requestCancel(): void {
    this.clearTimers();
    for (const m of this.members) m.requestCancel();
  }

  abandon(): void {
    this.abandoned = true;
    this.clearTimers();
    for (const m of this.members) m.abandon();
  }

  /** Runs every task at once until all have ended; resolves to the group's status (undefined once abandoned). */
  async run(): Promise<ManagedJobStatus | undefined> {
    let job = await this.readJob();
    if (isTerminal(job.status)) return job.status;
    if (!this.options.startCounted) {
      await this.deps.store.update((s) => {
        const j = s.jobs[this.jobId];
        if (j) j.controllerStarts += 1;
      });
      job = await this.readJob();
    }
    this.log(`controller (pid ${process.pid}) took the job group at ${job.status}: ${job.tasks.map((t) => `${t.name ?? t.index} ${t.status}`).join(', ')}`);
    let file: TaskFile | undefined;
    try {
      file = this.deps.loadTask(this.jobId);
    } catch {
      // Each task's runner reports the unreadable task (FAILED_CONTROLLER) itself.
    }
    const runs = this.members.map((m) =>
      m.run().then(
        () => this.afterTaskEnded(file),
        (e) => this.log(`task ${m.task}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`),
      ),
    );
    // A controller taking over after the primaries ended resumes the auxiliaries' termination.
    void this.afterTaskEnded(file);
    await Promise.all(runs);
    this.clearTimers();
    // Abandoned: another controller owns the job now; this one reads nothing more.
    if (this.abandoned) return undefined;
    return (await this.readJob()).status;
  }

  /** Once every primary task has ended, schedules the termination of the auxiliary tasks still going. */
  private async afterTaskEnded(file: TaskFile | undefined): Promise<void> {
    if (this.abandoned || this.terminating) return;
    let job: ManagedJobRecord;
    try {
      job = await this.readJob();
    } catch {
      return;
    }
    if (!primariesDone(job) || this.terminating) return;
    const going = job.tasks.filter((t) => t.primary === false && !isTerminal(t.status));
    if (going.length === 0) return;
    this.terminating = true;
    const succeeded = primariesSucceeded(job);
    const primariesEnded = Math.max(...job.tasks.filter((t) => t.primary !== false).map((t) => t.endedAt ?? this.now()));
    this.log(
      `all primary tasks ended (${succeeded ? 'all SUCCEEDED' : 'not all SUCCEEDED: no termination delay'}); terminating auxiliary task(s) ${going.map((t) => t.name ?? t.index).join(', ')}`,
    );
    for (const t of going) {
      const delayMs = succeeded && file ? terminationDelaySeconds(file, t.name) * 1000 : 0;
      const wait = Math.max(0, primariesEnded + delayMs - this.now());
      const reason = `terminated: the primary tasks ${succeeded ? 'finished' : 'failed'}${delayMs ? ` (after termination_delay ${delayMs / 1000} s)` : ''}`;
      const fire = () => {
        this.log(`task ${t.index}: ${reason}`);
        this.members[t.index].terminate(reason);
      };
      if (wait === 0) fire();
      else {
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          fire();
        }, wait);
        this.timers.add(timer);
      }
    }
  }

  private clearTimers(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  private async readJob(): Promise<ManagedJobRecord> {
    const job = (await this.deps.store.read()).jobs[this.jobId];
    if (!job) throw new Error(`managed job ${this.jobId} vanished from the store`);
    return job;
  }

  private log(message: string): void {
    if (this.abandoned) return;
    try {
      fs.appendFileSync(controllerLogPath(this.jobId), `${new Date(this.now()).toISOString()} ${message}\n`);
    } catch {
      /* the controller log is best effort */
    }
  }
}
