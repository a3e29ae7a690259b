/**
 * An in-memory ClusterEngine for the managed-jobs unit tests, faithful where the controller
 * depends on it: clusters live in regions and can be preempted (they vanish with their jobs,
 * and a log stream then hangs as a dead SSH connection would), launches honour `blocked`
 * and pinned infra and fail with ResourcesUnavailableError when nothing fits, jobs have
 * SkyPilot's statuses and exit codes, and log streams follow until the job ends.
 */
import { EventEmitter } from 'node:events';
import { CancelledError, NotFoundError, ResourcesUnavailableError } from '../../../engine/errors';
import type { ClusterEngine, ClusterJob, ClusterJobStatus, ClusterRecord, LaunchOptions, LaunchResult } from '../../../engine/cluster/types';
import { TERMINAL_JOB_STATUSES } from '../../../engine/cluster/types';
import type { Task, TaskFile } from '../../../engine/task/types';

/** What a run does: output lines (one per tick), then an exit code. */
export interface RunScript {
  lines: string[];
  exitCode: number;
  /** Delay between lines (ms). */
  lineMs?: number;
}

interface FakeJob {
  job: ClusterJob;
  output: string;
  env: Record<string, string>;
  timer?: NodeJS.Timeout;
}

interface FakeCluster {
  record: ClusterRecord;
  jobs: FakeJob[];
}

export interface LaunchCall {
  clusterName: string;
  region?: string;
  blocked: string[];
  pinnedRegion?: string;
  internalEnvs: Record<string, string>;
  owner?: string;
  error?: string;
}

export class FakeClusters implements ClusterEngine {
  readonly clusters = new Map<string, FakeCluster>();
  readonly launches: LaunchCall[] = [];
  /** Every queue() call, with the record the caller passed (if any). */
  readonly queueCalls: { name: string; record?: ClusterRecord }[] = [];
  readonly events = new EventEmitter();
  /** Regions in optimizer order (cheapest first). */
  regions = ['r1', 'r2', 'r3'];
  /** Regions with no capacity right now. */
  readonly full = new Set<string>();
  /** Extra latency of a launch (ms). */
  launchMs = 5;
  /** Hold launches until released (for cancel-while-launching tests). */
  holdLaunches?: Promise<void>;
  private nextJobId = new Map<string, number>();

  constructor(private readonly script: (task: Task, env: Record<string, string>, launchIndex: number) => RunScript) {
    this.events.setMaxListeners(1000);
  }

  /** Nodes vanish without warning: the cluster and its jobs are gone. */
  preempt(name: string): void {
    const c = this.clusters.get(name);
    if (!c) throw new Error(`no cluster ${name} to preempt`);
    for (const j of c.jobs) clearTimeout(j.timer);
    this.clusters.delete(name);
    this.events.emit('preempted', name);
  }

  async launch(taskOrFile: Task | TaskFile, options: LaunchOptions = {}): Promise<LaunchResult> {
    const task = 'tasks' in taskOrFile ? taskOrFile.tasks[0] : taskOrFile;
    const name = options.clusterName!;
    const pinned = task.resources.base.infra?.region ?? task.resources.candidates.find((c) => c.infra?.region)?.infra?.region;
    const call: LaunchCall = {
      clusterName: name,
      blocked: options.blocked ?? [],
      internalEnvs: options.internalEnvs ?? {},
      owner: options.owner,
      ...(pinned ? { pinnedRegion: pinned } : {}),
    };
    this.launches.push(call);
    this.events.emit('launch', call);
    await new Promise((r) => setTimeout(r, this.launchMs));
    if (this.holdLaunches) await this.holdLaunches;
    if (options.signal?.aborted) {
      call.error = 'cancelled';
      throw new CancelledError('Launch');
    }
    let cluster = this.clusters.get(name);
    if (!cluster || cluster.record.status !== 'UP') {
      const region = this.regions.find(
        (r) => !this.full.has(r) && !(options.blocked ?? []).some((b) => b === `fake/${r}` || b === 'fake') && (!pinned || r === pinned),
      );
      if (!region) {
        call.error = 'no resources';
        throw new ResourcesUnavailableError(`Failed to provision all possible launchable resources for ${name}.`);
      }
      cluster = {
        record: {
          name,
          status: 'UP',
          handle: { clusterName: name, nameOnCloud: name, provider: 'fake', region, data: {} },
          resources: { cloud: 'fake', region, instanceType: 'fake-1', useSpot: true, diskSizeGb: 10, ports: [], pricePerHour: 0 },
          numNodes: 1,
          nodes: [],
          launchedAt: Date.now(),
          accumulatedUpSeconds: 0,
          ...(options.owner ? { owner: options.owner } : {}),
        },
        jobs: [],
      };
      this.clusters.set(name, cluster);
      this.nextJobId.set(name, 1);
    }
    call.region = cluster.record.resources.region;
    const id = this.nextJobId.get(name)!;
    this.nextJobId.set(name, id + 1);
    const env = { ...(options.internalEnvs ?? {}) };
    const fj: FakeJob = {
      job: { id, user: 'me', status: 'RUNNING', submittedAt: Date.now(), startedAt: Date.now(), resources: '1x', logDir: '' },
      output: '',
      env,
    };
    cluster.jobs.push(fj);
    this.runScript(name, fj, this.script(task, env, this.launches.filter((l) => !l.error).length - 1));
    return { cluster: cluster.record, jobId: id };
  }

  private runScript(cluster: string, fj: FakeJob, script: RunScript): void {
    let i = 0;
    const step = () => {
      if (!this.clusters.has(cluster) || TERMINAL_JOB_STATUSES.includes(fj.job.status)) return;
      if (i < script.lines.length) {
        fj.output += `${script.lines[i++]}\n`;
        this.events.emit(`data:${cluster}:${fj.job.id}`);
        fj.timer = setTimeout(step, script.lineMs ?? 5);
        return;
      }
      fj.job.status = script.exitCode === 0 ? 'SUCCEEDED' : 'FAILED';
      fj.job.exitCode = script.exitCode;
      fj.job.endedAt = Date.now();
      this.events.emit(`data:${cluster}:${fj.job.id}`);
      this.events.emit('ended', cluster, fj.job);
    };
    fj.timer = setTimeout(step, script.lineMs ?? 5);
  }

  async exec(): Promise<LaunchResult> {
    throw new Error('exec is not used by managed jobs');
  }

  async status(options: { refresh?: boolean; names?: string[] } = {}): Promise<ClusterRecord[]> {
    return [...this.clusters.values()].map((c) => c.record).filter((r) => !options.names || options.names.includes(r.name));
  }

  private get(name: string): FakeCluster {
    const c = this.clusters.get(name);
    if (!c) throw new NotFoundError(`Cluster ${name}`);
    return c;
  }

  async queue(name: string, options: { record?: ClusterRecord } = {}): Promise<ClusterJob[]> {
    this.queueCalls.push({ name, record: options.record });
    return this.get(name).jobs.map((j) => ({ ...j.job }));
  }

  tailLogs(
    name: string,
    jobId: number | undefined,
    options: { follow: boolean; onData: (chunk: string) => void; signal?: AbortSignal },
  ): Promise<ClusterJobStatus | undefined> {
    const fj = this.get(name).jobs.find((j) => j.job.id === jobId);
    if (!fj) return Promise.reject(new NotFoundError(`Job ${jobId} on ${name}`));
    let sent = 0;
    const flush = () => {
      if (fj.output.length > sent) {
        options.onData(fj.output.slice(sent));
        sent = fj.output.length;
      }
    };
    flush();
    if (!options.follow || TERMINAL_JOB_STATUSES.includes(fj.job.status)) return Promise.resolve(fj.job.status);
    return new Promise((resolve, reject) => {
      const event = `data:${name}:${fj.job.id}`;
      const onData = () => {
        flush();
        if (TERMINAL_JOB_STATUSES.includes(fj.job.status)) {
          cleanup();
          resolve(fj.job.status);
        }
      };
      const onAbort = () => {
        cleanup();
        reject(new CancelledError('Log stream'));
      };
      const cleanup = () => {
        this.events.off(event, onData);
        options.signal?.removeEventListener('abort', onAbort);
      };
      // A preempted node never answers: the stream just hangs, as a dead SSH connection does.
      this.events.on(event, onData);
      options.signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  async cancel(name: string, jobIds: number[] | 'all'): Promise<number[]> {
    const c = this.get(name);
    const done: number[] = [];
    for (const j of c.jobs) {
      if ((jobIds === 'all' || jobIds.includes(j.job.id)) && !TERMINAL_JOB_STATUSES.includes(j.job.status)) {
        clearTimeout(j.timer);
        j.job.status = 'CANCELLED';
        done.push(j.job.id);
        this.events.emit(`data:${name}:${j.job.id}`);
      }
    }
    return done;
  }

  async stop(): Promise<void> {}

  async start(name: string): Promise<ClusterRecord> {
    return this.get(name).record;
  }

  async down(name: string): Promise<void> {
    const c = this.clusters.get(name);
    if (!c) return;
    for (const j of c.jobs) clearTimeout(j.timer);
    this.clusters.delete(name);
    this.events.emit('down', name);
  }

  async autostop(): Promise<void> {}

  /** Every job's timers cleared (test teardown). */
  dispose(): void {
    for (const name of [...this.clusters.keys()]) void this.down(name);
  }
}

/** A minimal Task for the tests. */
export function fakeTask(fields: Partial<Task> = {}): Task {
  return {
    numNodes: 1,
    envs: {},
    secrets: {},
    fileMounts: {},
    resources: { base: { useSpot: true }, candidates: [], mode: 'single' },
    raw: {},
    run: 'echo hi',
    ...fields,
  };
}
