/**
 * A controller process (`skydeck jobs controller <id>...`, detached): runs every job the
 * store assigns to it, one JobRunner each, and batches the cluster-status refresh of all
 * its jobs into one call per tick, so many jobs per process stay cheap. It adopts orphaned
 * jobs while it has room, and exits once it has had nothing to do for a while.
 */
import type { ClusterEngine, ClusterRecord } from '../cluster/types';
import type { Collection } from '../state/store';
import type { TaskFile } from '../task/types';
import type { ProcessIdentity } from '../util/detached';
import { followedJobs } from './follow';
import { LaunchSlots } from './launchSlots';
import { LogStreams } from './logStreams';
import type { ClusterProbe, ProbeVerdict } from './probe';
import type { RunOnNodes } from './groupNodes';
import { GroupRunner } from './groupRunner';
import { JobRunner, type ControllerConfig } from './runner';
import { controllerKey, sameProcess } from './state';
import { ensureControllers, type SpawnController } from './supervisor';
import { needsController, type ManagedJobsState } from './types';

export interface ControllerOptions {
  identity: ProcessIdentity;
  clusters: ClusterEngine;
  store: Collection<ManagedJobsState>;
  config: ControllerConfig;
  loadTask: (jobId: number) => TaskFile;
  capacity: number;
  /** Exit after this long with no job. */
  idleExitMs: number;
  /** Adopt orphaned jobs (and spawn controllers for the rest) every this many store reads; 0 = never. */
  superviseEveryTicks: number;
  spawn?: SpawnController;
  alive?: (id: ProcessIdentity | undefined) => boolean;
  /**
   * The cheap infra check for the periodic poll (probe.ts); without it the poll is a full
   * status refresh (tests with a fake engine).
   */
  probe?: ClusterProbe;
  /** Launches this controller runs at once (launchSlots.ts); default unlimited. */
  launchesAtOnce?: number;
  /** Runs a script on a cluster's nodes (a job group's addresses); none: they are not published. */
  runOnNodes?: RunOnNodes;
}

export class Controller {
  /** One per job: a JobRunner, or for a job group a GroupRunner with one JobRunner per task. */
  private readonly runners = new Map<number, JobRunner | GroupRunner>();
  private readonly lastRefresh = new WeakMap<JobRunner, { generation: number; at: number }>();
  private stopped = false;
  private polling = false;
  private readonly launchSlots?: LaunchSlots;
  /** Cluster records of the watched runs, for the probe (read once per run), by task runner. */
  private readonly records = new Map<JobRunner, { generation: number; record: ClusterRecord }>();
  private wake?: () => void;
  private wakeProbe?: () => void;
  /** Inspections the controller may start now (startInspections). */
  private inspectionBudget = 0;
  /** The live log streams of this controller's runs, at most config.logStreams (logStreams.ts). */
  readonly streams: LogStreams;

  constructor(private readonly options: ControllerOptions) {
    if (options.launchesAtOnce) this.launchSlots = new LaunchSlots(options.launchesAtOnce);
    this.streams = new LogStreams(options.config.logStreams);
  }

  /** Jobs running in this controller now. */
  get load(): number {
    return this.runners.size;
  }

  /** Runs until idle for idleExitMs (or stop()). */
  async run(): Promise<void> {
    const { store, identity, capacity } = this.options;
    const key = controllerKey(identity);
    await store.update((s) => {
      const known = s.controllers[key];
      s.controllers[key] = { identity, accepting: true, capacity: known?.capacity ?? capacity, startedAt: known?.startedAt ?? Date.now() };
    });
    let idleSince: number | undefined;
    const probing = this.options.probe ? this.probeEvery(this.options.probe) : undefined;
    // Ticks are short so cluster refreshes spread evenly over pollMs instead of arriving in bursts.
    const tickMs = Math.min(this.options.config.pollMs, 250);
    const storeEveryMs = Math.min(this.options.config.pollMs, 1000);
    let lastStoreRead = 0;
    let storeReads = 0;
    while (!this.stopped) {
      const started = Date.now();
      if (started - lastStoreRead >= storeEveryMs || this.runners.size === 0) {
        lastStoreRead = started;
        const state = await store.read();
        await this.adoptAssigned(state).catch((e) => process.stderr.write(`adopting jobs failed: ${e instanceof Error ? e.message : String(e)}\n`));
        this.forwardCancels(state);
        // Whose output someone follows now: those runs get a live stream first.
        if (this.runners.size > 0) this.streams.setFollowed(followedJobs());
        storeReads++;
        if (this.options.superviseEveryTicks > 0 && storeReads % this.options.superviseEveryTicks === 0) {
          await ensureControllers({ store, self: identity, capacity, spawn: this.options.spawn, alive: this.options.alive }).catch(() => undefined);
        }
      }
      // In the background, one at a time: a slow infra answer (an SSH host that no longer
      // answers takes the connect timeout) must not hold back store reads and cancels.
      if (!this.polling && !this.options.probe) {
        this.polling = true;
        void this.pollClusters(tickMs).finally(() => {
          this.polling = false;
        });
      }
      this.startInspections(tickMs);
      if (this.runners.size === 0) {
        idleSince ??= started;
        if (Date.now() - idleSince >= this.options.idleExitMs && (await this.retire())) break;
      } else idleSince = undefined;
      await this.sleep(Math.max(0, tickMs - (Date.now() - started)));
    }
    this.stopped = true;
    this.wakeProbe?.();
    await probing;
  }

  /**
   * Every pollMs, one probe of every monitored cluster (one infra call per provider,
   * probe.ts): a preemption shows up within one pollMs whatever the number of jobs. Its own
   * loop, off the tick: a slow infra answer (an SSH host that no longer answers takes the
   * connect timeout) must not hold back store reads and cancels.
   */
  private async probeEvery(probe: ClusterProbe): Promise<void> {
    while (!this.stopped) {
      const started = Date.now();
      const watched = this.units()
        .filter((r) => r.monitoredCluster)
        .map((r) => ({ runner: r, cluster: r.monitoredCluster!, generation: r.monitorGeneration }));
      if (watched.length) {
        await this.probeWatched(watched, probe).catch((e) =>
          process.stderr.write(`cluster status check failed: ${e instanceof Error ? e.message : String(e)}\n`),
        );
      }
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          this.wakeProbe = undefined;
          resolve();
        };
        const timer = setTimeout(done, Math.max(0, this.options.config.pollMs - (Date.now() - started)));
        this.wakeProbe = done;
      });
    }
  }

  /**
   * Starts the due inspections, the most overdue first, within the controller's budget
   * (inspectionsPerSecond, carried over between ticks): an agent call per job every
   * inspectMs is a process spawn each on `local`, which at hundreds of jobs per process
   * would fill the event loop that preemption detection needs.
   */
  private startInspections(tickMs: number): void {
    const perSecond = this.options.config.inspectionsPerSecond;
    this.inspectionBudget = Math.min(Math.max(1, perSecond), this.inspectionBudget + (perSecond * tickMs) / 1000);
    if (this.inspectionBudget < 1) return;
    const due = this.units()
      .map((r) => ({ r, since: r.inspectionDueSince() }))
      .filter((d): d is { r: JobRunner; since: number } => d.since !== undefined)
      .sort((a, b) => a.since - b.since);
    for (const { r } of due) {
      if (this.inspectionBudget < 1) break;
      this.inspectionBudget -= 1;
      r.tick(this.recordOf(r));
    }
  }

  /** Every task runner (a job group contributes one per task). */
  private units(): JobRunner[] {
    return [...this.runners.values()].flatMap((r) => r.units());
  }

  /** The cached cluster record of the runner's current run (see pollClusters), if any. */
  private recordOf(runner: JobRunner): ClusterRecord | undefined {
    const c = this.records.get(runner);
    return c && c.generation === runner.monitorGeneration ? c.record : undefined;
  }

  /** Stops the loop (tests); running jobs stay assigned and are adopted by the next controller. */
  stop(): void {
    this.stopped = true;
    this.wake?.();
    this.wakeProbe?.();
  }

  private async adoptAssigned(state: ManagedJobsState): Promise<void> {
    const fresh = Object.values(state.jobs)
      .filter((job) => !this.runners.has(job.id) && needsController(job) && sameProcess(job.controller, this.options.identity))
      .map((job) => job.id);
    if (fresh.length === 0) return;
    // One store write counts this controller's start for every job it takes (not one per job:
    // 25 jobs adopted at once were 25 writes contending with submissions).
    const taken = await this.options.store.update((s) => {
      const ids = fresh.filter((id) => s.jobs[id] && needsController(s.jobs[id]) && sameProcess(s.jobs[id].controller, this.options.identity));
      for (const id of ids) s.jobs[id].controllerStarts += 1;
      return ids;
    });
    for (const id of taken) {
      if (this.runners.has(id)) continue;
      const deps = {
        clusters: this.options.clusters,
        store: this.options.store,
        config: this.options.config,
        loadTask: this.options.loadTask,
        probe: this.options.probe,
        launchSlots: this.launchSlots,
        runOnNodes: this.options.runOnNodes,
        streams: this.streams,
      };
      const job = state.jobs[id];
      const runner =
        job?.execution === 'parallel' ? new GroupRunner(id, job.tasks.length, deps, { startCounted: true }) : new JobRunner(id, deps, { startCounted: true });
      this.runners.set(id, runner);
      void runner
        .run()
        .catch((e) => process.stderr.write(`managed job ${id}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`))
        .finally(() => {
          this.runners.delete(id);
          this.wake?.();
        });
    }
  }

  private forwardCancels(state: ManagedJobsState): void {
    for (const [id, runner] of this.runners) {
      const job = state.jobs[id];
      // Presumed dead and replaced (should not happen with pid + start time): step aside.
      if (!job || !sameProcess(job.controller, this.options.identity)) runner.abandon();
      else if (job.cancelRequested) runner.requestCancel();
    }
  }

  /** Drops every job at once, as a killed process would (tests). */
  die(): void {
    for (const r of this.runners.values()) r.abandon();
    this.stop();
  }

  /**
   * Without a probe (a full status refresh per cluster: tests with a fake engine): refreshes
   * the monitored clusters that are due (each every pollMs, oldest first, a tick's share at
   * a time) in one call, so the refreshes spread over the interval instead of arriving in bursts.
   */
  private async pollClusters(tickMs: number): Promise<void> {
    const now = Date.now();
    const pollMs = this.options.config.pollMs;
    const watched = this.units()
      .filter((r) => r.monitoredCluster)
      .map((r) => ({ runner: r, cluster: r.monitoredCluster!, generation: r.monitorGeneration }));
    try {
      for (const w of watched) {
        const seen = this.lastRefresh.get(w.runner);
        // A run just started monitoring: its first refresh is due one pollMs from now.
        if (!seen || seen.generation !== w.generation) this.lastRefresh.set(w.runner, { generation: w.generation, at: now });
      }
      const share = Math.max(1, Math.ceil((watched.length * tickMs) / pollMs));
      const due = watched
        .filter((w) => now - this.lastRefresh.get(w.runner)!.at >= pollMs)
        .sort((a, b) => this.lastRefresh.get(a.runner)!.at - this.lastRefresh.get(b.runner)!.at)
        .slice(0, share);
      if (due.length === 0) return;
      for (const w of due) this.lastRefresh.set(w.runner, { generation: w.generation, at: now });
      const records = await this.options.clusters.status({ refresh: true, names: [...new Set(due.map((w) => w.cluster))] });
      const byName = new Map(records.map((r) => [r.name, r]));
      for (const w of due) w.runner.observe(byName.get(w.cluster), w.generation);
    } catch (e) {
      process.stderr.write(`cluster status check failed: ${e instanceof Error ? e.message : String(e)}\n`);
    }
  }

  /**
   * The infra's view of the nodes: no process, no write. The cluster record (the handle to
   * ask about) is read once per monitored run: a run's cluster keeps its handle, and parsing
   * the whole cluster table for each probe cost more than the probe at 200 jobs. Keyed by
   * job and run: a recovered job's cluster has the same name but a new handle.
   */
  private async probeWatched(watched: { runner: JobRunner; cluster: string; generation: number }[], probe: ClusterProbe): Promise<void> {
    const cached = (w: (typeof watched)[number]) => {
      const c = this.records.get(w.runner);
      return c && c.generation === w.generation ? c : undefined;
    };
    const stale = watched.filter((w) => !cached(w));
    if (stale.length) {
      const fresh = new Map((await this.options.clusters.status({ names: [...new Set(stale.map((w) => w.cluster))] })).map((r) => [r.name, r]));
      for (const w of stale) {
        const record = fresh.get(w.cluster);
        if (record) this.records.set(w.runner, { generation: w.generation, record });
        else this.records.delete(w.runner);
      }
    }
    const present = watched.filter((w) => cached(w));
    const verdicts = present.length ? await probe([...new Map(present.map((w) => [w.cluster, cached(w)!.record])).values()]) : new Map<string, ProbeVerdict>();
    for (const w of watched) {
      if (!cached(w)) w.runner.observe(undefined, w.generation);
      else {
        const v = verdicts.get(w.cluster);
        if (v && !v.ok) w.runner.observeLost(v.reason, w.generation);
      }
    }
    const live = new Set(watched.map((w) => w.runner));
    for (const r of this.records.keys()) if (!live.has(r)) this.records.delete(r);
  }

  /** Leaves the controller table unless a job was assigned meanwhile; true to exit. */
  private async retire(): Promise<boolean> {
    const key = controllerKey(this.options.identity);
    return this.options.store.update((s) => {
      const mine = Object.values(s.jobs).some((j) => needsController(j) && sameProcess(j.controller, this.options.identity));
      if (mine) return false;
      delete s.controllers[key];
      return true;
    });
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }
}
