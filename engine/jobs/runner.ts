/**
 * One managed job's lifecycle inside a controller: launch each task on its own cluster,
 * follow its output into the managed-job log, detect preemption and failures, recover
 * with the task's strategy, tear the cluster down when the task ends. Every status change
 * is a check-and-set in the store, and a runner started after a controller died picks the
 * job up where the store says it is (adopting a job already submitted, never running it twice).
 */
import * as fs from 'node:fs';
import type { ClusterEngine, ClusterJobStatus, ClusterRecord, LaunchOptions } from '../cluster/types';
import { TERMINAL_JOB_STATUSES } from '../cluster/types';
import type { Collection } from '../state/store';
import type { Task, TaskFile } from '../task/types';
import { isProvisionError } from '../infra/provider';
import { sleep } from '../util/sleep';
import { controllerLogPath, jobLogPath, taskLogPath } from './paths';
import { appendMarker, fileSize, RunOutput } from './joblog';
import { finishJob, setStatus } from './state';
import type { LaunchSlots } from './launchSlots';
import type { ClusterProbe } from './probe';
import type { RunOnNodes } from './groupNodes';
import type { LogStreams, StreamUnit } from './logStreams';
import { constrainTask, jobRecoveryOf, recoveryAttempts, regionPinned, restartAttempts, restartDecision, strategyOf, type LaunchAttempt } from './recovery';
import { isTerminal, type ManagedJobRecord, type ManagedJobsState, type ManagedJobStatus } from './types';

export interface ControllerConfig {
  /** How often the controller refreshes its clusters' status (preemption detection). */
  pollMs: number;
  /** How often a running job's cluster queue is checked as a safety net (lost jobs, hung log streams). */
  inspectMs: number;
  /** Backoff before the first retry round of a launch that found no resources; grows x1.6. */
  launchBackoffMs: number;
  /** Launch rounds before a job ends FAILED_NO_RESOURCE. */
  maxLaunchRounds: number;
  /** Attempts to tear a cluster down before giving up (FAILED_CONTROLLER, cluster named). */
  downAttempts: number;
  /** How long status/queue calls may keep failing (store busy, agent slow) before the run counts as lost. */
  unknownGraceMs: number;
  /**
   * Inspections (an agent call each: a process on `local`, an SSH exec on a cloud) one
   * controller starts per second at most, the most overdue first: with many jobs each job's
   * inspection comes less often than inspectMs instead of the calls filling the event loop.
   */
  inspectionsPerSecond: number;
  /**
   * Live log streams one controller holds at most (logStreams.ts): each is a follower on the
   * node's side (a bash process per job on `local`, an SSH channel on a cloud). Runs beyond
   * that have their output collected at their inspection; followed runs stream first.
   */
  logStreams: number;
}

const DEFAULT_CONFIG: ControllerConfig = {
  // Detection target is p99 < 2 s: every watched cluster probed every second (one infra call
  // per provider, probe.ts), plus the log stream ending at once on most losses.
  pollMs: 1000,
  inspectMs: 15_000,
  launchBackoffMs: 15_000,
  maxLaunchRounds: 3,
  downAttempts: 5,
  unknownGraceMs: 30_000,
  // bench/jobs: at 100 jobs per controller (one inspection every 150 ms) spawning the agent
  // calls was 40% of the controller's event loop on a loaded 2-core machine.
  inspectionsPerSecond: 2,
  // A user with a few jobs sees every one streamed, as before; 250 jobs per controller hold
  // 16 followers (~16 MB and ~5% of a core on `local`, bench/jobs), not 250.
  logStreams: 16,
};

/** The config from SKYDECK_JOBS_* environment variables (tests shorten the intervals). */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env): ControllerConfig {
  const num = (name: string, dflt: number) => {
    const v = Number(env[name]);
    return Number.isFinite(v) && v > 0 ? v : dflt;
  };
  return {
    pollMs: num('SKYDECK_JOBS_POLL_MS', DEFAULT_CONFIG.pollMs),
    inspectMs: num('SKYDECK_JOBS_INSPECT_MS', DEFAULT_CONFIG.inspectMs),
    launchBackoffMs: num('SKYDECK_JOBS_BACKOFF_MS', DEFAULT_CONFIG.launchBackoffMs),
    maxLaunchRounds: num('SKYDECK_JOBS_LAUNCH_ROUNDS', DEFAULT_CONFIG.maxLaunchRounds),
    downAttempts: num('SKYDECK_JOBS_DOWN_ATTEMPTS', DEFAULT_CONFIG.downAttempts),
    unknownGraceMs: num('SKYDECK_JOBS_UNKNOWN_GRACE_MS', DEFAULT_CONFIG.unknownGraceMs),
    inspectionsPerSecond: num('SKYDECK_JOBS_INSPECTIONS_PER_S', DEFAULT_CONFIG.inspectionsPerSecond),
    logStreams: num('SKYDECK_JOBS_LOG_STREAMS', DEFAULT_CONFIG.logStreams),
  };
}

export interface RunnerDeps {
  clusters: ClusterEngine;
  store: Collection<ManagedJobsState>;
  config: ControllerConfig;
  loadTask: (jobId: number) => TaskFile;
  now?: () => number;
  /** The cheap infra check (probe.ts) used before the job queue in inspections; default: a full status refresh. */
  probe?: ClusterProbe;
  /** The controller's launch limit shared by its runners (none: unlimited). */
  launchSlots?: LaunchSlots;
  /** Runs a script on every node of a cluster (a job group's addresses, groupNetwork.ts); none: not published. */
  runOnNodes?: RunOnNodes;
  /** The controller's live log streams, shared by its runners (none: every run streams). */
  streams?: LogStreams;
}

export interface RunnerOptions {
  /** The controller already counted this start in controllerStarts (one write for all the jobs it took). */
  startCounted?: boolean;
  /** Run only this task of a job group (groupRunner.ts runs one runner per task, all at once). */
  task?: number;
  /** A job group's: the task as it is launched (its run behind the group's networking prelude). */
  prepareTask?: (task: Task) => Task;
  /** A job group's: told each time the task's run was submitted on a (new) cluster. */
  onRunning?: () => void;
}

type Outcome =
  { kind: 'ended'; status: ClusterJobStatus; exitCode?: number } | { kind: 'preempted'; reason: string } | { kind: 'cancel' } | { kind: 'abandoned' };

type LaunchOutcome =
  { kind: 'launched' } | { kind: 'cancel' } | { kind: 'failed'; status: ManagedJobStatus; reason: string } | { kind: 'setup-failed'; reason: string };

type Phase = 'launch' | 'recover' | 'restart' | 'monitor' | 'cancel';

type Verdict = Outcome | { kind: 'running' } | { kind: 'unknown'; reason: string };

/** The run being monitored: where its output goes, and who reads it from the node now. */
interface MonitoredRun {
  task: number;
  cluster: string;
  jobId: number;
  output: RunOutput;
  done: boolean;
  settle: (o: Outcome) => void;
  /** Set while the run holds a live stream (logStreams.ts); aborting it ends the stream. */
  stream?: AbortController;
  /** The readers of the run's log (stream sessions, reads at inspections), one after the other, so bytes land in order. */
  io: Promise<void>;
  /** Since when the run's state could not be read (unknownGraceMs). */
  unknownSince?: number;
}

type ErrorClass = 'cancel' | 'precheck' | 'setup' | 'capacity' | 'transient';

/** Errors may come from provider bundles: classify by name/code, never instanceof. */
export function classifyLaunchError(err: unknown, aborted: boolean): ErrorClass {
  if (aborted) return 'cancel';
  const e = err as { name?: string; code?: string; message?: string };
  if (e?.name === 'CancelledError' || e?.code === 'CANCELLED' || e?.name === 'AbortError') return 'cancel';
  if (typeof e?.code === 'string' && /SETUP/.test(e.code)) return 'setup';
  if (e?.code === 'RESOURCES_UNAVAILABLE' || isProvisionError(err)) return 'capacity';
  if (e?.name === 'InputError' || e?.code === 'INVALID_INPUT' || e?.name === 'NotFoundError') return 'precheck';
  return 'transient';
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

class Aborted extends Error {}

/** Unexpected errors a runner survives (starting over from the store) before FAILED_CONTROLLER. */
const MAX_CONTROLLER_ERRORS = 5;

/** Thrown once the runner lost the job to another controller: it must not touch anything. */
class Abandoned extends Error {
  constructor() {
    super('the job is owned by another controller');
  }
}

/** `%Y-%m-%d-%H-%M-%S-%f` (UTC), SkyPilot's run timestamp. */
function skyTimestamp(ms: number): string {
  const d = new Date(ms);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())}-${p(d.getUTCHours())}-${p(d.getUTCMinutes())}-${p(d.getUTCSeconds())}-${p(d.getUTCMilliseconds() * 1000, 6)}`;
}

/** SKYPILOT_TASK_ID of a managed task: stable across recoveries (section 4.4). */
function managedTaskId(job: ManagedJobRecord, taskIndex: number): string {
  const taskName = job.tasks.length > 1 && job.tasks[taskIndex].name ? `_${job.tasks[taskIndex].name}` : '';
  return `sky-managed-${skyTimestamp(job.submittedAt)}_${job.name}${taskName}_${job.id}-${taskIndex}`;
}

export class JobRunner implements StreamUnit {
  /** The cluster whose status the controller should feed to observe(), while monitoring. */
  monitoredCluster?: string;
  /** Changes with every monitored run, so a status fetched for an older run is ignored. */
  monitorGeneration = 0;
  private cancelRequested = false;
  private abandoned = false;
  private readonly abort = new AbortController();
  private settleMonitor?: (o: Outcome) => void;
  private current?: MonitoredRun;
  private lastInspect = 0;
  private inspecting = false;
  private readonly now: () => number;
  /** The STARTING write already marked the first launch attempt in flight (saves a store write). */
  private launchPremarked = false;
  /** A launch slot taken before going STARTING, used by the first launch attempt. */
  private slot?: () => void;
  /** Why this task is being cancelled when it is not the user's cancel (a job group ending its auxiliary tasks). */
  private cancelReason?: string;

  constructor(
    readonly jobId: number,
    private readonly deps: RunnerDeps,
    private readonly options: RunnerOptions = {},
  ) {
    this.now = deps.now ?? Date.now;
  }

  /** The runners whose clusters the controller watches: this one (a job group has one per task). */
  units(): JobRunner[] {
    return [this];
  }

  /** The task of a job group this runner runs, if it runs one task only. */
  get task(): number | undefined {
    return this.options.task;
  }

  /** A job group ends this (auxiliary) task: cancelled like a user's cancel, with `reason` recorded. */
  terminate(reason: string): void {
    this.cancelReason ??= reason;
    this.requestCancel();
  }

  /** The user asked to cancel: stop whatever is in flight and tear down. */
  requestCancel(): void {
    if (this.cancelRequested) return;
    this.cancelRequested = true;
    this.abort.abort();
    this.settleMonitor?.({ kind: 'cancel' });
  }

  /**
   * Another controller owns the job now (this process was presumed dead): stop at once,
   * without writing anything, as if the process had died.
   */
  abandon(): void {
    if (this.abandoned) return;
    this.abandoned = true;
    this.abort.abort();
    this.settleMonitor?.({ kind: 'abandoned' });
  }

  /** The controller's batched status refresh for monitoredCluster (undefined: the cluster is gone). */
  observe(record: ClusterRecord | undefined, generation: number): void {
    if (generation !== this.monitorGeneration || !this.settleMonitor) return;
    if (!record) this.settleMonitor({ kind: 'preempted', reason: 'the cluster is gone (its nodes were terminated)' });
    else if (record.status !== 'UP') {
      this.settleMonitor({ kind: 'preempted', reason: `the cluster is ${record.status}${record.lastError ? ` (${record.lastError})` : ''}` });
    }
  }

  /** The controller's probe found the monitored cluster lost (nodes gone, not running). */
  observeLost(reason: string, generation: number): void {
    if (generation !== this.monitorGeneration || !this.settleMonitor) return;
    this.settleMonitor({ kind: 'preempted', reason });
  }

  /** When the safety-net inspection became due (undefined: not monitoring, in flight, or not yet due); the controller starts the most overdue first. */
  inspectionDueSince(): number | undefined {
    if (!this.settleMonitor || this.inspecting || !this.monitoredCluster) return undefined;
    const due = this.lastInspect + this.deps.config.inspectMs;
    return this.now() >= due ? due : undefined;
  }

  /**
   * Called by the controller when this runner's inspection is due and within its budget: the slower safety-net check of the job on its cluster.
   * A run with a live stream is checked on its agent (queue); a run without one has its new
   * output read from where the last read ended, which gives its status too (one agent call).
   * `record`: the controller's copy of the monitored cluster's record, if it has one for
   * this run (reading the cluster table per check was most of a controller's garbage at 200 jobs).
   */
  tick(record?: ClusterRecord): void {
    const run = this.current;
    if (!run || this.inspectionDueSince() === undefined) return;
    this.inspecting = true;
    this.lastInspect = this.now();
    const streamed = !!run.stream;
    const checkCluster = !this.deps.probe;
    const rec = record?.name === run.cluster ? record : undefined;
    void (streamed ? this.inspect(run.cluster, run.jobId, checkCluster, rec) : this.readOn(run, checkCluster, rec))
      .then((o) => {
        if (run.done) return;
        if (o.kind === 'running') {
          if (!streamed) run.unknownSince = undefined;
        } else if (o.kind === 'unknown') {
          // Without a stream this is the only reader of the run: it judges how long is too long.
          if (!streamed) this.judgeUnknown(run, o.reason);
        } else run.settle(o);
      })
      .catch(() => undefined)
      .finally(() => {
        this.inspecting = false;
      });
  }

  /** The controller's stream scheduler gave this run a live stream. */
  grantStream(): void {
    const run = this.current;
    if (!run || run.done || run.stream) return;
    const stream = new AbortController();
    run.stream = stream;
    run.io = run.io.then(() => this.streamWhileHeld(run, stream));
  }

  /** The scheduler took the stream back: the run's output is read at its inspections from now on. Resolves once the stream has ended. */
  revokeStream(): Promise<void> {
    const run = this.current;
    if (!run?.stream) return Promise.resolve();
    run.stream.abort();
    run.stream = undefined;
    return run.io;
  }

  /** Drives the job to a terminal status and returns it. */
  async run(): Promise<ManagedJobStatus> {
    try {
      return await this.drive();
    } finally {
      this.slot?.();
      this.slot = undefined;
    }
  }

  private async drive(): Promise<ManagedJobStatus> {
    let job = await this.readJob();
    if (isTerminal(job.status)) return job.status;
    if (!this.options.startCounted) {
      await this.update((j) => {
        j.controllerStarts += 1;
      });
      job = await this.readJob();
    }
    this.log(
      `controller (pid ${process.pid}) took the job at ${job.status}, task ${job.currentTask}${job.controllerStarts > 1 ? ` (controller start #${job.controllerStarts})` : ''}`,
    );
    let taskFile: TaskFile;
    const only = this.options.task;
    try {
      taskFile = this.deps.loadTask(this.jobId);
    } catch (e) {
      await this.update((j) => finishJob(j, only ?? j.currentTask, 'FAILED_CONTROLLER', this.now(), `cannot read the submitted task: ${messageOf(e)}`));
      return 'FAILED_CONTROLLER';
    }
    // The store says where the job stands, so after an unexpected error (a store lock that
    // timed out under load, an engine bug) the runner starts over from it, as a restarted
    // controller would; only repeated errors end the job FAILED_CONTROLLER.
    for (let attempt = 1; ; attempt++) {
      try {
        job = await this.readJob();
        if (isTerminal(job.status)) return job.status;
        if (only !== undefined) {
          if (isTerminal(job.tasks[only].status)) return job.tasks[only].status;
          return await this.runTask(only, taskFile.tasks[only], attempt > 1);
        }
        for (let i = job.currentTask; i < job.tasks.length; i++) {
          const result = await this.runTask(i, taskFile.tasks[i], attempt > 1);
          if (result !== 'SUCCEEDED') return result;
        }
        return 'SUCCEEDED';
      } catch (e) {
        if (this.abandoned || e instanceof Abandoned) return (await this.readJob()).status;
        this.log(`controller error (${attempt} of ${MAX_CONTROLLER_ERRORS}): ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
        if (attempt < MAX_CONTROLLER_ERRORS) {
          await sleep(1000 * attempt);
          continue;
        }
        const current = await this.readJob();
        const index = only ?? current.currentTask;
        const cluster = current.tasks[index].cluster;
        const down = await this.safeDown(cluster);
        const reason = `controller error: ${messageOf(e)}${down ? '' : `; the cluster ${cluster} may be left: run 'skydeck down ${cluster}'`}`;
        await this.update((j) => {
          if (!isTerminal(j.tasks[index].status)) finishJob(j, index, 'FAILED_CONTROLLER', this.now(), reason);
        });
        return 'FAILED_CONTROLLER';
      }
    }
  }

  private async runTask(i: number, task: Task, resumed = false): Promise<ManagedJobStatus> {
    const rec = (await this.readJob()).tasks[i];
    let phase: Phase;
    let adopt = resumed;
    switch (rec.status) {
      case 'PENDING': {
        // A first start, or a controller that died while the task waited out a launch backoff.
        const resume = rec.backoffPhase;
        // A first launch waits for a launch slot in PENDING (SkyPilot's scheduler: WAITING).
        if (!resume && this.deps.launchSlots && !this.slot) {
          try {
            this.slot = await this.deps.launchSlots.acquire(this.abort.signal);
          } catch {
            const j = await this.readJob();
            if (isTerminal(j.status) || this.abandoned) return j.status;
          }
        }
        const started = await this.update((j) => {
          if (j.cancelRequested || this.cancelRequested || isTerminal(j.status)) return false;
          const t = j.tasks[i];
          setStatus(j, i, resume && resume !== 'launch' ? 'RECOVERING' : 'STARTING', this.now(), resume ? 'resuming after the launch backoff' : undefined);
          t.backoffPhase = undefined;
          if (!resume) {
            // The first launch attempt is in flight from here on (one write, not two).
            t.launching = true;
            t.launchAfterJobId = t.clusterJobId ?? 0;
          }
          return true;
        });
        if (!started) {
          const j = await this.readJob();
          if (isTerminal(j.status)) return j.status;
          phase = 'cancel';
        } else {
          phase = resume ?? 'launch';
          this.launchPremarked = !resume;
        }
        break;
      }
      case 'STARTING':
        phase = 'launch';
        adopt = true;
        break;
      case 'RECOVERING':
        phase = 'recover';
        adopt = true;
        break;
      case 'RUNNING':
        phase = 'monitor';
        break;
      case 'CANCELLING':
        phase = 'cancel';
        break;
      default:
        return rec.status;
    }

    for (;;) {
      if (this.abandoned) throw new Abandoned();
      if (this.cancelRequested || (await this.readJob()).cancelRequested) phase = 'cancel';
      if (phase === 'cancel') return this.cancel(i);
      if (phase === 'monitor') {
        const outcome = await this.monitor(i);
        if (outcome.kind === 'abandoned') throw new Abandoned();
        if (outcome.kind === 'cancel') {
          phase = 'cancel';
          continue;
        }
        if (outcome.kind === 'preempted') {
          await this.beginRecovery(i, `preempted: ${outcome.reason}`, false);
          phase = 'recover';
          continue;
        }
        const next = await this.onRunEnded(i, task, outcome.status, outcome.exitCode);
        if (next === 'restart') {
          phase = 'restart';
          continue;
        }
        return next;
      }
      const launched = await this.launch(i, task, phase, adopt);
      adopt = false;
      if (launched.kind === 'launched') phase = 'monitor';
      else if (launched.kind === 'cancel') phase = 'cancel';
      else if (launched.kind === 'setup-failed') {
        const next = await this.onRunEnded(i, task, 'FAILED_SETUP', undefined, launched.reason);
        if (next !== 'restart') return next;
        phase = 'restart';
      } else {
        await this.endTask(i, launched.status, launched.reason);
        return launched.status;
      }
    }
  }

  /** A run finished on its cluster: succeed, restart per the policy, or fail. */
  private async onRunEnded(i: number, task: Task, status: ClusterJobStatus, exitCode?: number, detail?: string): Promise<ManagedJobStatus | 'restart'> {
    this.log(`task ${i} run ended on its cluster: ${status}${exitCode !== undefined ? ` (exit code ${exitCode})` : ''}${detail ? `: ${detail}` : ''}`);
    if (status === 'SUCCEEDED') {
      await this.update((j) => {
        j.tasks[i].exitCode = 0;
      });
      await this.endTask(i, 'SUCCEEDED');
      return 'SUCCEEDED';
    }
    if (status === 'CANCELLED') {
      await this.endTask(i, 'CANCELLED', 'the job was cancelled on its cluster outside the managed job');
      return 'CANCELLED';
    }
    const rec = (await this.readJob()).tasks[i];
    const decision = restartDecision(jobRecoveryOf(task), exitCode, rec.restartsOnErrors);
    if (decision.restart) {
      const why = exitCode !== undefined ? `exit code ${exitCode}` : status;
      await this.beginRecovery(
        i,
        `the job failed (${why}); restarting${decision.counted ? ` (restart ${rec.restartsOnErrors + 1} of max_restarts_on_errors ${jobRecoveryOf(task).maxRestartsOnErrors ?? 0})` : ' (exit code in recover_on_exit_codes)'}`,
        decision.counted,
      );
      return 'restart';
    }
    const final: ManagedJobStatus = status === 'FAILED_SETUP' ? 'FAILED_SETUP' : status === 'FAILED_DRIVER' ? 'FAILED_CONTROLLER' : 'FAILED';
    await this.update((j) => {
      if (exitCode !== undefined) j.tasks[i].exitCode = exitCode;
    });
    const reason = detail ?? (exitCode !== undefined ? `the job exited with code ${exitCode}` : `the job ended ${status}`);
    await this.endTask(i, final, status === 'FAILED_DRIVER' ? `${reason}; the job driver on the cluster died (out of memory?)` : reason);
    return final;
  }

  /** RUNNING/STARTING -> RECOVERING, one more recovery, a marker line in the job log. */
  private async beginRecovery(i: number, reason: string, countedRestart: boolean): Promise<void> {
    const n = await this.update((j) => {
      const t = j.tasks[i];
      t.recoveries += 1;
      if (countedRestart) t.restartsOnErrors += 1;
      setStatus(j, i, 'RECOVERING', this.now(), reason);
      return t.recoveries;
    });
    this.log(`task ${i}: ${reason}; recovery #${n}`);
    appendMarker(
      this.logFile(i),
      `Managed job ${this.jobId}${(await this.readJob()).tasks.length > 1 ? ` task ${i}` : ''}: ${reason}. Recovery #${n} at ${new Date(this.now()).toISOString()}`,
    );
  }

  /** Launches (or relaunches) the task's cluster and submits its run. */
  private async launch(i: number, task: Task, phase: 'launch' | 'recover' | 'restart', adopt: boolean): Promise<LaunchOutcome> {
    if (adopt) {
      const adopted = await this.tryAdopt(i);
      if (adopted) return { kind: 'launched' };
    }
    const job = await this.readJob();
    const rec = job.tasks[i];
    const last = rec.infra ? { cloud: rec.infra.split('/')[0], region: rec.infra.split('/')[1] ?? '' } : undefined;
    const strategy = strategyOf(task);
    let attempts: LaunchAttempt[];
    if (phase === 'launch') attempts = [{ downFirst: false, label: 'launch' }];
    else if (phase === 'restart') attempts = restartAttempts(strategy, last, regionPinned(task));
    else attempts = recoveryAttempts(strategy, last, regionPinned(task));

    let lastError = 'no launch attempted';
    for (let round = 0; round < this.deps.config.maxLaunchRounds; round++) {
      if (round > 0) {
        const wait = Math.min(this.deps.config.launchBackoffMs * 1.6 ** (round - 1), this.deps.config.launchBackoffMs * 5);
        this.log(`task ${i}: no resources in round ${round} (${lastError}); retrying in ${Math.round(wait / 1000)} s`);
        // SkyPilot: STARTING/RECOVERING -> PENDING while backing off, back when the next round starts.
        await this.update((j) => {
          setStatus(j, i, 'PENDING', this.now(), `waiting ${Math.round(wait / 1000)} s for resources (${lastError})`);
          j.tasks[i].backoffPhase = phase;
        });
        try {
          await sleep(wait, this.abort.signal, () => new Aborted());
        } catch {
          return { kind: 'cancel' };
        }
        const resumed = await this.update((j) => {
          if (j.cancelRequested || isTerminal(j.status)) return false;
          setStatus(j, i, phase === 'launch' ? 'STARTING' : 'RECOVERING', this.now(), `launch round ${round + 1}`);
          j.tasks[i].backoffPhase = undefined;
          return true;
        });
        if (!resumed) return { kind: 'cancel' };
      }
      for (const attempt of attempts) {
        if (this.cancelRequested) return { kind: 'cancel' };
        if (attempt.downFirst && !(await this.safeDown(rec.cluster))) {
          return { kind: 'failed', status: 'FAILED_CONTROLLER', reason: `could not tear down ${rec.cluster} before relaunching` };
        }
        const result = await this.launchOnce(i, task, attempt);
        if (result.kind !== 'error') return result;
        lastError = result.reason;
        if (result.cls === 'precheck') return { kind: 'failed', status: 'FAILED_PRECHECKS', reason: result.reason };
        if (result.cls === 'setup') return { kind: 'setup-failed', reason: result.reason };
      }
    }
    return {
      kind: 'failed',
      status: 'FAILED_NO_RESOURCE',
      reason: `no resources to run the task after ${this.deps.config.maxLaunchRounds} rounds: ${lastError}`,
    };
  }

  private async launchOnce(i: number, task: Task, attempt: LaunchAttempt): Promise<LaunchOutcome | { kind: 'error'; cls: ErrorClass; reason: string }> {
    let release = this.slot;
    this.slot = undefined;
    if (!release && this.deps.launchSlots) {
      try {
        release = await this.deps.launchSlots.acquire(this.abort.signal);
      } catch {
        return { kind: 'cancel' };
      }
    }
    try {
      return await this.launchWithSlot(i, task, attempt);
    } finally {
      release?.();
    }
  }

  private async launchWithSlot(i: number, task: Task, attempt: LaunchAttempt): Promise<LaunchOutcome | { kind: 'error'; cls: ErrorClass; reason: string }> {
    const premarked = this.launchPremarked && !attempt.downFirst;
    this.launchPremarked = false;
    const job = premarked
      ? await this.readJob()
      : await this.update((j) => {
          const t = j.tasks[i];
          t.launching = true;
          t.launchAfterJobId = attempt.downFirst ? 0 : (t.clusterJobId ?? 0);
          return structuredClone(j);
        });
    const rec = job.tasks[i];
    this.log(`task ${i}: ${attempt.label} on cluster ${rec.cluster}${attempt.blocked ? ` (blocked: ${attempt.blocked.join(', ')})` : ''}`);
    const options: LaunchOptions = {
      clusterName: rec.cluster,
      detachRun: true,
      owner: `managed-job:${this.jobId}`,
      internalEnvs: {
        SKYPILOT_TASK_ID: managedTaskId(job, i),
        // SkyPilot injects the group's name into every task of a job group (jobs/constants.py).
        ...(job.execution === 'parallel' ? { SKYPILOT_JOBGROUP_NAME: job.name } : {}),
      },
      // Job clusters die on their own if the controller is gone for good (SkyPilot: autodown 10 min).
      idleMinutesToAutostop: 10,
      down: true,
      signal: this.abort.signal,
      onProgress: (e) => this.log(`task ${i}: ${e.stage}: ${e.message}`),
      ...(attempt.blocked ? { blocked: attempt.blocked } : {}),
    };
    const constrained = attempt.constrain ? constrainTask(task, attempt.constrain) : task;
    const variant = this.options.prepareTask ? this.options.prepareTask(constrained) : constrained;
    try {
      const result = await this.deps.clusters.launch(variant, options);
      if (result.jobId === undefined) throw new Error(`the cluster engine launched ${rec.cluster} but submitted no job`);
      // A cancel that arrived while launching (the controller forwards it within a second):
      // never show the run RUNNING; the cancel tears the fresh cluster down.
      if (this.cancelRequested || (await this.readJob()).cancelRequested) return { kind: 'cancel' };
      const r = result.cluster.resources;
      const infra = [r.cloud, r.region, r.zone].filter(Boolean).join('/');
      await this.markRunning(i, result.jobId, infra, `${result.cluster.numNodes}x(${infra}, ${r.instanceType}${r.useSpot ? ', spot' : ''})`);
      this.log(`task ${i}: running as job ${result.jobId} on ${rec.cluster} (${infra})`);
      this.options.onRunning?.();
      return { kind: 'launched' };
    } catch (e) {
      const cls = classifyLaunchError(e, this.abort.signal.aborted);
      await this.update((j) => {
        j.tasks[i].launching = false;
      });
      if (cls === 'cancel') return { kind: 'cancel' };
      this.log(`task ${i}: launch failed (${cls}): ${messageOf(e)}`);
      return { kind: 'error', cls, reason: messageOf(e) };
    }
  }

  private async markRunning(i: number, clusterJobId: number, infra: string | undefined, resources: string | undefined): Promise<void> {
    const segmentStart = fileSize(this.logFile(i));
    await this.update((j) => {
      const t = j.tasks[i];
      t.clusterJobId = clusterJobId;
      t.launching = false;
      if (infra) t.infra = infra;
      if (resources) t.resources = resources;
      t.logSegmentStart = segmentStart;
      setStatus(j, i, 'RUNNING', this.now());
    });
  }

  /**
   * A controller died while launching: if the launch got as far as submitting the run,
   * take that run over instead of launching a second one.
   */
  private async tryAdopt(i: number): Promise<boolean> {
    const rec = (await this.readJob()).tasks[i];
    if (!rec.launching) return false;
    try {
      const [record] = await this.deps.clusters.status({ refresh: true, names: [rec.cluster] });
      if (!record || record.status !== 'UP') return false;
      const jobs = await this.deps.clusters.queue(rec.cluster);
      const mine = jobs.filter((j) => j.id > (rec.launchAfterJobId ?? 0)).sort((a, b) => b.id - a.id)[0];
      if (!mine) return false;
      const r = record.resources;
      const infra = [r.cloud, r.region, r.zone].filter(Boolean).join('/');
      await this.markRunning(i, mine.id, infra, `${record.numNodes}x(${infra}, ${r.instanceType}${r.useSpot ? ', spot' : ''})`);
      this.log(`task ${i}: adopted job ${mine.id} already submitted on ${rec.cluster} (${mine.status})`);
      this.options.onRunning?.();
      return true;
    } catch (e) {
      this.log(`task ${i}: could not check ${rec.cluster} for a submitted run: ${messageOf(e)}`);
      return false;
    }
  }

  /**
   * Follows the run's output until it ends, the cluster is lost, or cancel: through a live
   * stream while the controller's scheduler gives it one (logStreams.ts), otherwise read at
   * each inspection (tick) from the byte the last read ended at.
   */
  private async monitor(i: number): Promise<Outcome> {
    const rec = (await this.readJob()).tasks[i];
    const logFile = this.logFile(i);
    this.monitorGeneration += 1;
    this.monitoredCluster = rec.cluster;
    this.lastInspect = this.now();
    const streams = this.deps.streams;
    return new Promise<Outcome>((resolve) => {
      const run: MonitoredRun = {
        task: i,
        cluster: rec.cluster,
        jobId: rec.clusterJobId!,
        // A controller restarted mid-run: what the log holds of this run already is not read again.
        output: new RunOutput(logFile, Math.max(0, fileSize(logFile) - rec.logSegmentStart)),
        done: false,
        io: Promise.resolve(),
        settle: (o: Outcome) => {
          if (run.done) return;
          run.done = true;
          this.settleMonitor = undefined;
          this.monitoredCluster = undefined;
          this.current = undefined;
          run.stream?.abort();
          run.stream = undefined;
          streams?.leave(this, run.io);
          if (o.kind === 'cancel' || o.kind === 'preempted') this.log(`task ${i}: ${o.kind === 'cancel' ? 'cancel requested' : `lost the run: ${o.reason}`}`);
          resolve(o);
        },
      };
      this.settleMonitor = run.settle;
      this.current = run;
      if (this.cancelRequested) return run.settle({ kind: 'cancel' });
      if (streams) streams.join(this);
      else this.grantStream();
    });
  }

  /** One live stream session of the run: until the run ends or is lost, or the stream is taken back. */
  private async streamWhileHeld(run: MonitoredRun, stream: AbortController): Promise<void> {
    const held = () => !run.done && !stream.signal.aborted;
    try {
      while (held()) {
        let status: ClusterJobStatus | undefined;
        let tailError: unknown;
        try {
          status = await this.deps.clusters.tailLogs(run.cluster, run.jobId, {
            follow: true,
            offset: run.output.offset,
            // Bytes that arrive once the stream was taken back are dropped: the next reader starts at output.offset.
            onData: (c) => held() && run.output.append(c),
            signal: stream.signal,
          });
        } catch (e) {
          tailError = e;
        }
        if (!held()) return;
        if (status && (TERMINAL_JOB_STATUSES as readonly string[]).includes(status)) {
          const exitCode = await this.exitCodeOf(run.cluster, run.jobId);
          return run.settle({ kind: 'ended', status, ...(exitCode !== undefined ? { exitCode } : {}) });
        }
        if (tailError) this.log(`task ${run.task}: log stream ended: ${messageOf(tailError)}`);
        const verdict = await this.inspect(run.cluster, run.jobId);
        if (run.done) return;
        if (verdict.kind === 'unknown') {
          if (this.judgeUnknown(run, verdict.reason)) return;
        } else if (verdict.kind !== 'running') return run.settle(verdict);
        else run.unknownSince = undefined;
        try {
          await sleep(this.deps.config.pollMs, stream.signal, () => new Aborted());
        } catch {
          return;
        }
      }
    } catch (e) {
      run.settle({ kind: 'preempted', reason: `log stream failed: ${messageOf(e)}` });
    }
  }

  /**
   * A run without a stream, at its inspection: its new output (from the byte the last read
   * ended at) and its status, in one agent call. Queued behind the run's other reader (a
   * stream being taken back), so the bytes land in order; skipped if the run got a stream meanwhile.
   */
  private readOn(run: MonitoredRun, checkCluster: boolean, record?: ClusterRecord): Promise<Verdict> {
    const result = run.io.then(async (): Promise<Verdict> => {
      if (run.done || run.stream) return { kind: 'running' };
      if (checkCluster) {
        const lost = await this.clusterLost(run.cluster, !this.deps.probe);
        if (lost) return lost;
      }
      let status: ClusterJobStatus | undefined;
      try {
        status = await this.deps.clusters.tailLogs(run.cluster, run.jobId, {
          follow: false,
          offset: run.output.offset,
          onData: (c) => !run.done && run.output.append(c),
          ...(record ? { record } : {}),
        });
      } catch (e) {
        if (this.deps.probe) {
          const refreshed = await this.clusterLost(run.cluster, true);
          if (refreshed) return refreshed;
        }
        return { kind: 'unknown', reason: `the job's log could not be read: ${messageOf(e)}` };
      }
      if (status === undefined) return { kind: 'preempted', reason: `the node agent lost job ${run.jobId}` };
      if ((TERMINAL_JOB_STATUSES as readonly string[]).includes(status)) {
        const exitCode = await this.exitCodeOf(run.cluster, run.jobId, record);
        return { kind: 'ended', status, ...(exitCode !== undefined ? { exitCode } : {}) };
      }
      return { kind: 'running' };
    });
    run.io = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }

  /** The run's state could not be read: lost once that has lasted unknownGraceMs. True if it settled. */
  private judgeUnknown(run: MonitoredRun, reason: string): boolean {
    run.unknownSince ??= this.now();
    this.log(`task ${run.task}: ${reason}`);
    if (this.now() - run.unknownSince < this.deps.config.unknownGraceMs) return false;
    run.settle({ kind: 'preempted', reason: `${reason} (for ${Math.round((this.now() - run.unknownSince) / 1000)} s)` });
    return true;
  }

  private async exitCodeOf(cluster: string, jobId: number, record?: ClusterRecord): Promise<number | undefined> {
    try {
      return (await this.deps.clusters.queue(cluster, record ? { record } : {})).find((j) => j.id === jobId)?.exitCode;
    } catch {
      return undefined;
    }
  }

  /** Asks the infrastructure and the node agent where the run stands. */
  /**
   * `checkCluster` false: the controller's probe watches the infra already (the periodic
   * check then only asks the agent). With a probe the infra check is the probe; the full
   * refresh (pings every node, updates the cluster store) only when the agent cannot be
   * asked. Without a probe: the full refresh first.
   */
  private async inspect(cluster: string, jobId: number, checkCluster = true, record?: ClusterRecord): Promise<Verdict> {
    const probe = this.deps.probe;
    if (checkCluster) {
      const lost = await this.clusterLost(cluster, !probe);
      if (lost) return lost;
    }
    let jobs;
    try {
      jobs = await this.deps.clusters.queue(cluster, record?.name === cluster ? { record } : {});
    } catch (e) {
      if (probe) {
        const refreshed = await this.clusterLost(cluster, true);
        if (refreshed) return refreshed;
      }
      // The cluster answers its refresh, so this is most likely passing (busy agent or store).
      return { kind: 'unknown', reason: `the job queue could not be read: ${messageOf(e)}` };
    }
    const job = jobs.find((j) => j.id === jobId);
    if (!job) return { kind: 'preempted', reason: `the node agent lost job ${jobId}` };
    if ((TERMINAL_JOB_STATUSES as readonly string[]).includes(job.status)) {
      return { kind: 'ended', status: job.status, ...(job.exitCode !== undefined ? { exitCode: job.exitCode } : {}) };
    }
    return { kind: 'running' };
  }

  /** Why the cluster no longer runs the job (by a full refresh, or the probe), undefined if it looks fine. */
  private async clusterLost(
    cluster: string,
    refresh: boolean,
  ): Promise<{ kind: 'preempted'; reason: string } | { kind: 'unknown'; reason: string } | undefined> {
    let record: ClusterRecord | undefined;
    try {
      [record] = await this.deps.clusters.status({ refresh, names: [cluster] });
    } catch (e) {
      return { kind: 'unknown', reason: `cluster status failed: ${messageOf(e)}` };
    }
    if (!record) return { kind: 'preempted', reason: 'the cluster is gone (its nodes were terminated)' };
    if (record.status !== 'UP') return { kind: 'preempted', reason: `the cluster is ${record.status}${record.lastError ? ` (${record.lastError})` : ''}` };
    if (!refresh && this.deps.probe) {
      const verdict = (await this.deps.probe([record])).get(cluster);
      if (verdict && !verdict.ok) return { kind: 'preempted', reason: verdict.reason };
    }
    return undefined;
  }

  private async cancel(i: number): Promise<ManagedJobStatus> {
    const job = await this.readJob();
    if (isTerminal(job.status)) return job.status;
    if (isTerminal(job.tasks[i].status)) return job.tasks[i].status;
    if (job.tasks[i].status !== 'CANCELLING') {
      await this.update((j) => {
        setStatus(j, i, 'CANCELLING', this.now(), this.cancelReason ?? 'cancel requested');
        j.tasks[i].backoffPhase = undefined;
      });
    }
    const rec = job.tasks[i];
    if (rec.clusterJobId !== undefined) {
      await this.deps.clusters.cancel(rec.cluster, [rec.clusterJobId]).catch(() => undefined);
    }
    const down = await this.safeDown(rec.cluster);
    await this.update((j) => {
      finishJob(
        j,
        i,
        'CANCELLED',
        this.now(),
        down ? this.cancelReason : `cancelled, but the cluster ${rec.cluster} may be left: run 'skydeck down ${rec.cluster}'`,
      );
    });
    this.log(`task ${i}: cancelled${this.cancelReason ? ` (${this.cancelReason})` : ''}${down ? ', cluster torn down' : ''}`);
    return 'CANCELLED';
  }

  /**
   * Records the end of the task (and of the job, unless a pipeline goes on), tearing its
   * cluster down first. A job group's task keeps its cluster until the group ends, as
   * SkyPilot's does (groupRunner.ts tears them all down then; `clusterKept` says so meanwhile).
   */
  private async endTask(i: number, status: ManagedJobStatus, reason?: string): Promise<void> {
    const cluster = (await this.readJob()).tasks[i].cluster;
    const keep = this.options.task !== undefined;
    const down = keep || (await this.safeDown(cluster));
    const final: ManagedJobStatus = down ? status : 'FAILED_CONTROLLER';
    const why = down ? reason : `${reason ?? status}; the cluster ${cluster} could not be torn down: run 'skydeck down ${cluster}'`;
    await this.update((j) => {
      const last = i === j.tasks.length - 1;
      if (keep) j.tasks[i].clusterKept = true;
      if (final === 'SUCCEEDED' && !last && j.execution !== 'parallel') {
        setStatus(j, i, 'SUCCEEDED', this.now());
        j.tasks[i].endedAt = this.now();
      } else {
        finishJob(j, i, final, this.now(), why);
      }
    });
    this.log(`task ${i}: ${final}${why ? ` (${why})` : ''}${keep ? `; its cluster ${cluster} stays up until the job group ends` : ''}`);
  }

  /**
   * A job group ended: tears down the cluster this task kept (endTask). True once it is gone;
   * otherwise the task's failure reason names the cluster left behind.
   */
  async releaseKeptCluster(): Promise<boolean> {
    const i = this.options.task;
    if (i === undefined) return true;
    const rec = (await this.readJob()).tasks[i];
    if (!rec.clusterKept) return true;
    const down = await this.safeDown(rec.cluster);
    await this.update((j) => {
      const t = j.tasks[i];
      t.clusterKept = undefined;
      if (!down) {
        const left = `the cluster ${t.cluster} could not be torn down: run 'skydeck down ${t.cluster}'`;
        t.failureReason = t.failureReason ? `${t.failureReason}; ${left}` : left;
        j.failureReason = j.failureReason ? `${j.failureReason}; ${left}` : left;
      }
    });
    this.log(`task ${i}: ${down ? `cluster ${rec.cluster} torn down (the job group ended)` : `the cluster ${rec.cluster} could not be torn down`}`);
    return down;
  }

  /** Tears a cluster down (idempotent); true once the engine no longer lists it. */
  private async safeDown(cluster: string): Promise<boolean> {
    if (this.abandoned) throw new Abandoned();
    for (let attempt = 0; attempt < this.deps.config.downAttempts; attempt++) {
      try {
        const existing = await this.deps.clusters.status({ names: [cluster] });
        if (existing.length === 0) return true;
        await this.deps.clusters.down(cluster);
      } catch (e) {
        const code = (e as { code?: string }).code;
        if (code === 'NOT_FOUND' || code === 'CLUSTER_NOT_FOUND') return true;
        this.log(`tearing down ${cluster} failed (attempt ${attempt + 1}): ${messageOf(e)}`);
        await sleep(Math.min(500 * 2 ** attempt, 5000));
      }
    }
    try {
      const left = await this.deps.clusters.status({ names: [cluster] });
      if (left.length === 0) return true;
      // A pool host that stays unreachable after the job was judged lost on it is gone, like a
      // preempted VM: nothing is billed there, so the cluster is forgotten (purged) and the job
      // recovers elsewhere. Its node files stay on the host if it ever comes back. Cloud
      // clusters are never purged here: a VM that could not be deleted may still be billed.
      if (left[0].handle.provider === 'ssh') {
        this.log(`forgetting ${cluster}: its pool host stays unreachable (down --purge); node files may remain on that host`);
        await this.deps.clusters.down(cluster, { purge: true });
        return (await this.deps.clusters.status({ names: [cluster] })).length === 0;
      }
      return false;
    } catch {
      return false;
    }
  }

  private log(message: string): void {
    if (this.abandoned) return;
    try {
      fs.appendFileSync(controllerLogPath(this.jobId), `${new Date(this.now()).toISOString()} ${message}\n`);
    } catch {
      /* the controller log is best effort */
    }
  }

  private async readJob(): Promise<ManagedJobRecord> {
    const job = (await this.deps.store.read()).jobs[this.jobId];
    if (!job) throw new Error(`managed job ${this.jobId} vanished from the store`);
    return job;
  }

  /** Where task `i`'s output goes: the job's log, or in a job group the task's own (its tasks write at once). */
  private logFile(i: number): string {
    return this.options.task !== undefined ? taskLogPath(this.jobId, i) : jobLogPath(this.jobId);
  }

  private update<R>(change: (job: ManagedJobRecord) => R): Promise<R> {
    if (this.abandoned) return Promise.reject(new Abandoned());
    return this.deps.store.update((s) => {
      if (this.abandoned) throw new Abandoned();
      const job = s.jobs[this.jobId];
      if (!job) throw new Error(`managed job ${this.jobId} vanished from the store`);
      return change(job);
    });
  }
}
