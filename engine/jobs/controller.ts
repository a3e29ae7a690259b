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
import { JobRunner, type ControllerConfig } from './runner';
import { controllerKey, sameProcess } from './state';
import { ensureControllers, type SpawnController } from './supervisor';
import { isTerminal, type ManagedJobsState } from './types';

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
}

export class Controller {
  private readonly runners = new Map<number, JobRunner>();
  private readonly lastRefresh = new WeakMap<JobRunner, { generation: number; at: number }>();
  private stopped = false;
  private wake?: () => void;

  constructor(private readonly options: ControllerOptions) {}

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
        this.adoptAssigned(state);
        this.forwardCancels(state);
        storeReads++;
        if (this.options.superviseEveryTicks > 0 && storeReads % this.options.superviseEveryTicks === 0) {
          await ensureControllers({ store, self: identity, capacity, spawn: this.options.spawn, alive: this.options.alive }).catch(() => undefined);
        }
      }
      await this.pollClusters(tickMs);
      for (const r of this.runners.values()) r.tick();
      if (this.runners.size === 0) {
        idleSince ??= started;
        if (Date.now() - idleSince >= this.options.idleExitMs && (await this.retire())) return;
      } else idleSince = undefined;
      await this.sleep(Math.max(0, tickMs - (Date.now() - started)));
    }
  }

  /** Stops the loop (tests); running jobs stay assigned and are adopted by the next controller. */
  stop(): void {
    this.stopped = true;
    this.wake?.();
  }

  private adoptAssigned(state: ManagedJobsState): void {
    for (const job of Object.values(state.jobs)) {
      if (this.runners.has(job.id) || isTerminal(job.status) || !sameProcess(job.controller, this.options.identity)) continue;
      const runner = new JobRunner(job.id, { clusters: this.options.clusters, store: this.options.store, config: this.options.config, loadTask: this.options.loadTask });
      this.runners.set(job.id, runner);
      void runner
        .run()
        .catch((e) => process.stderr.write(`managed job ${job.id}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`))
        .finally(() => {
          this.runners.delete(job.id);
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
   * Refreshes the status of the monitored clusters that are due (each every pollMs, oldest
   * first, a tick's share at a time) in one call: a preemption shows up within pollMs.
   */
  private async pollClusters(tickMs: number): Promise<void> {
    const now = Date.now();
    const pollMs = this.options.config.pollMs;
    const watched = [...this.runners.values()].filter((r) => r.monitoredCluster).map((r) => ({ runner: r, cluster: r.monitoredCluster!, generation: r.monitorGeneration }));
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
    let records: ClusterRecord[];
    try {
      records = await this.options.clusters.status({ refresh: true, names: [...new Set(due.map((w) => w.cluster))] });
    } catch (e) {
      process.stderr.write(`cluster status refresh failed: ${e instanceof Error ? e.message : String(e)}\n`);
      return;
    }
    const byName = new Map(records.map((r) => [r.name, r]));
    for (const w of due) w.runner.observe(byName.get(w.cluster), w.generation);
  }

  /** Leaves the controller table unless a job was assigned meanwhile; true to exit. */
  private async retire(): Promise<boolean> {
    const key = controllerKey(this.options.identity);
    return this.options.store.update((s) => {
      const mine = Object.values(s.jobs).some((j) => !isTerminal(j.status) && sameProcess(j.controller, this.options.identity));
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
