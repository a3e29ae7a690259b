/**
 * A job group inside a controller (SkyPilot's `_run_job_group`): one JobRunner per task,
 * all started at once, each launching, monitoring and recovering its own task on its own
 * cluster. When every primary task has ended, the auxiliary tasks still going are
 * terminated (CANCELLED): after their `termination_delay` if every primary SUCCEEDED, at
 * once otherwise. A cancel reaches every task. A task that ends keeps its cluster until the
 * group ends (SkyPilot's `cleanup_cluster_on_success=False`, `_cleanup_job_group_clusters`);
 * then every kept cluster is torn down, also by a controller that takes the job over then.
 * Once every task has a cluster, and again whenever one comes back on new nodes, the tasks'
 * addresses are published on every node (groupNetwork.ts).
 *
 * Nothing here is kept in memory only: the primaries' end times are in the store, so a
 * controller that restarts mid-delay terminates the auxiliaries when the delay runs out.
 */
import * as fs from 'node:fs';
import type { TaskFile } from '../task/types';
import { controllerLogPath } from './paths';
import { primariesDone, primariesSucceeded, terminationDelaySeconds } from './group';
import { hostsIdentity, hostsOutcome, publishScript, withPrelude, type GroupMember } from './groupNetwork';
import { plannedInfraOf } from '../task/unsupported';
import { JobRunner, type RunnerDeps, type RunnerOptions } from './runner';
import { isTerminal, type ManagedJobRecord, type ManagedJobStatus } from './types';

export class GroupRunner {
  /** One runner per task of the group, in task order. */
  readonly members: JobRunner[];
  private abandoned = false;
  private readonly timers = new Set<NodeJS.Timeout>();
  private terminating = false;
  private readonly now: () => number;
  /** Publications of the group's addresses, one after another. */
  private publishing: Promise<void> = Promise.resolve();
  private file?: TaskFile;

  constructor(
    readonly jobId: number,
    taskCount: number,
    private readonly deps: RunnerDeps,
    private readonly options: RunnerOptions = {},
  ) {
    this.now = deps.now ?? Date.now;
    this.members = Array.from(
      { length: taskCount },
      (_, task) =>
        new JobRunner(jobId, deps, {
          startCounted: true,
          task,
          prepareTask: (t) => ({ ...t, run: withPrelude(t.run) }),
          onRunning: () => this.publishAddresses(),
        }),
    );
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
    if (isTerminal(job.status)) {
      // Ended while no controller held it: only the kept clusters are left to tear down.
      await this.releaseKeptClusters();
      return this.abandoned ? undefined : job.status;
    }
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
    this.file = file;
    // A controller taking over a running group publishes the addresses again (idempotent).
    this.publishAddresses();
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
    await this.publishing;
    // Abandoned: another controller owns the job now; this one reads nothing more.
    if (this.abandoned) return undefined;
    await this.releaseKeptClusters();
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

  /** The group ended: tears down, all at once, the clusters its ended tasks kept. */
  private async releaseKeptClusters(): Promise<void> {
    const job = await this.readJob();
    const kept = job.tasks.filter((t) => t.clusterKept);
    if (kept.length === 0) return;
    this.log(`the job group ended; tearing down the kept cluster(s) ${kept.map((t) => t.cluster).join(', ')}`);
    await Promise.all(
      kept.map((t) => this.members[t.index].releaseKeptCluster().catch((e) => this.log(`task ${t.index}: ${e instanceof Error ? e.message : String(e)}`))),
    );
  }

  /** Publishes the tasks' addresses on every running task's nodes once every task has a cluster (queued after any publication under way). */
  private publishAddresses(): void {
    if (!this.deps.runOnNodes) return;
    this.publishing = this.publishing.then(() =>
      this.publish().catch((e) => this.log(`publishing the job group's addresses failed: ${e instanceof Error ? e.message : String(e)}`)),
    );
  }

  private async publish(): Promise<void> {
    const runOnNodes = this.deps.runOnNodes;
    if (!runOnNodes || this.abandoned) return;
    const job = await this.readJob();
    // Every task must have its nodes first: one still launching or recovering publishes when it runs.
    const withCluster = job.tasks.filter((t) => t.status === 'RUNNING' || t.clusterKept);
    if (job.tasks.some((t) => !isTerminal(t.status) && t.status !== 'RUNNING')) return;
    const records = new Map((await this.deps.clusters.status({ names: withCluster.map((t) => t.cluster) })).map((r) => [r.name, r] as const));
    const members: GroupMember[] = withCluster
      .filter((t) => records.has(t.cluster))
      .map((t) => ({
        task: t.name ?? String(t.index),
        ips: [...records.get(t.cluster)!.nodes].sort((a, b) => a.rank - b.rank).map((n) => n.internalIp),
      }));
    const controllerHosts = hostsIdentity();
    this.log(`job group addresses: ${members.map((m) => `${m.task}=${m.ips.join(',')}`).join(' ')}`);
    await Promise.all(
      job.tasks
        .filter((t) => t.status === 'RUNNING' && records.has(t.cluster))
        .map(async (t) => {
          const record = records.get(t.cluster)!;
          const provider = record.handle.provider;
          const { cloud, region } = record.resources;
          const infra = region && region !== cloud ? `${cloud}/${region}` : cloud;
          const pinnedLocal = this.file?.tasks[t.index] ? plannedInfraOf(this.file.tasks[t.index]) === 'local' : false;
          const script = publishScript(job.name, members, {
            infra,
            etcHosts: provider !== 'local',
            warnInRun: !pinnedLocal,
            ...(controllerHosts ? { controllerHosts } : {}),
          });
          const results = await runOnNodes(record, script);
          results.forEach((r, rank) => {
            if (r.exitCode !== 0) this.log(`task ${t.index} node ${rank}: writing the job group's addresses failed (exit ${r.exitCode}): ${r.stderr.trim()}`);
            else {
              const skipped = hostsOutcome(r.stdout);
              if (skipped) this.log(`task ${t.index} node ${rank}: execution: parallel: /etc/hosts not written on ${infra}: ${skipped}`);
            }
          });
        }),
    );
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
