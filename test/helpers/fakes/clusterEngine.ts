/**
 * An in-memory ClusterEngine for the controller unit tests (managed jobs, serving), faithful
 * where the controllers depend on it:
 * - clusters live in regions (optimizer order) and can be preempted: they vanish with their
 *   jobs, and a log stream then hangs as a dead SSH connection would;
 * - launches honour `blocked` and pinned infra and fail with ResourcesUnavailableError when
 *   no region fits; launching onto an UP cluster submits another job there;
 * - jobs have SkyPilot's statuses and exit codes; a run prints its script's lines, then ends
 *   with its exit code, or stays RUNNING until cancelled, crashed or torn down (a replica);
 * - log streams follow until the job ends;
 * - with `serveHttp`, each cluster's head node has its own loopback address (127.0.x.y, as
 *   the local provider's nodes do) and each running job answers HTTP there on the port,
 *   200 or 503 by the cluster's `healthy` flag, so probes and load balancers run for real.
 * Verbs the controllers never call (exec, stop, start, autostop) throw.
 */
import { EventEmitter } from 'node:events';
import * as http from 'node:http';
import { CancelledError, NotFoundError, ResourcesUnavailableError } from '../../../engine/errors';
import type { ClusterEngine, ClusterJob, ClusterJobStatus, ClusterRecord, LaunchOptions, LaunchResult } from '../../../engine/cluster/types';
import { TERMINAL_JOB_STATUSES } from '../../../engine/cluster/types';
import type { Task, TaskFile } from '../../../engine/task/types';

/** What a run does: output lines (one per tick), then an exit code, or RUNNING until stopped. */
export interface RunScript {
  lines: string[];
  exitCode: number;
  /** Delay between lines (ms). */
  lineMs?: number;
  /** After its lines the run keeps RUNNING (a server) until cancelled, crashed or torn down. */
  untilStopped?: boolean;
}

/** The script of a replica: no output, RUNNING until stopped. */
export const runUntilStopped = (): RunScript => ({ lines: [], exitCode: 0, untilStopped: true });

export interface FakeJob {
  job: ClusterJob;
  output: string;
  env: Record<string, string>;
  timer?: NodeJS.Timeout;
  server?: http.Server;
}

export interface FakeCluster {
  record: ClusterRecord;
  jobs: FakeJob[];
  /** With `serveHttp`: the running job answers 200 when true, 503 otherwise. */
  healthy: boolean;
}

export interface LaunchCall {
  clusterName: string;
  region?: string;
  blocked: string[];
  pinnedRegion?: string;
  useSpot: boolean;
  internalEnvs: Record<string, string>;
  owner?: string;
  error?: string;
}

export interface FakeClusterEngineOptions {
  /** What each launch's run does (`launchIndex` counts successful launches). Default: runs until stopped. */
  script?: (task: Task, env: Record<string, string>, launchIndex: number) => RunScript;
  /** Each running job answers HTTP on its cluster's own loopback address at this port. */
  serveHttp?: { port: number };
}

/** Head-node addresses shared by every fake in the process, so no two clusters ever share one. */
let nextAddress = 10;
function loopbackAddress(): string {
  const n = nextAddress++;
  // 127.0.0.0/8 is all loopback; skip .0 and .255 in the last octet.
  return `127.0.${Math.floor(n / 250) % 256}.${(n % 250) + 2}`;
}

export class FakeClusterEngine implements ClusterEngine {
  readonly clusters = new Map<string, FakeCluster>();
  readonly launches: LaunchCall[] = [];
  /** Clusters torn down through down(), in order. */
  readonly downs: string[] = [];
  /** Every queue() call, with the record the caller passed (if any). */
  readonly queueCalls: { name: string; record?: ClusterRecord }[] = [];
  /** Every tailLogs call: follow streams held and reads from an offset (the managed-jobs log scheduler). */
  readonly tailCalls: { name: string; follow: boolean; offset: number }[] = [];
  /** 'launch' (LaunchCall), 'preempted' / 'down' (name), 'ended' (name, job), `data:<cluster>:<job>`. */
  readonly events = new EventEmitter();
  /** Regions in optimizer order (cheapest first). */
  regions = ['r1', 'r2', 'r3'];
  /** Regions with no capacity right now. */
  readonly full = new Set<string>();
  /** Extra latency of a launch (ms). */
  launchMs = 5;
  /** Hold launches until released (for cancel-while-launching tests). */
  holdLaunches?: Promise<void>;
  /** Whether a newly launched cluster answers 200 (`serveHttp`). */
  healthyOnLaunch = true;
  private readonly nextJobId = new Map<string, number>();
  private readonly script: NonNullable<FakeClusterEngineOptions['script']>;

  constructor(private readonly options: FakeClusterEngineOptions = {}) {
    this.script = options.script ?? runUntilStopped;
    this.events.setMaxListeners(1000);
  }

  /** Nodes vanish without warning: the cluster and its jobs are gone (resolves once its servers closed). */
  preempt(name: string): Promise<void> {
    return this.remove(this.get(name), 'preempted');
  }

  /** The run's process dies: its running jobs end FAILED, the cluster stays UP. */
  crash(name: string, exitCode = 1): Promise<void> {
    const c = this.get(name);
    return Promise.all(c.jobs.filter((j) => !TERMINAL_JOB_STATUSES.includes(j.job.status)).map((j) => this.end(name, j, 'FAILED', exitCode))).then(
      () => undefined,
    );
  }

  async launch(taskOrFile: Task | TaskFile, options: LaunchOptions = {}): Promise<LaunchResult> {
    const task = 'tasks' in taskOrFile ? taskOrFile.tasks[0] : taskOrFile;
    const name = options.clusterName;
    if (!name) throw new Error('the fake cluster engine needs a cluster name for each launch');
    const pinned = task.resources.base.infra?.region ?? task.resources.candidates.find((c) => c.infra?.region)?.infra?.region;
    const useSpot = !!task.resources.base.useSpot;
    const call: LaunchCall = {
      clusterName: name,
      blocked: options.blocked ?? [],
      useSpot,
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
          resources: { cloud: 'fake', region, instanceType: 'fake-1', useSpot, diskSizeGb: 10, ports: [], pricePerHour: 0 },
          numNodes: 1,
          nodes: [{ id: 'n0', rank: 0, state: 'running', internalIp: loopbackAddress() }],
          launchedAt: Date.now(),
          accumulatedUpSeconds: 0,
          ...(options.owner ? { owner: options.owner } : {}),
        },
        jobs: [],
        healthy: this.healthyOnLaunch,
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
    if (this.options.serveHttp) {
      try {
        await this.serve(cluster, fj, task, this.options.serveHttp.port);
      } catch (e) {
        // The run could not bind its port: it exits at once, as a real server would.
        await this.end(name, fj, 'FAILED', 1);
        throw e;
      }
    }
    this.runScript(name, fj, this.script(task, env, this.launches.filter((l) => !l.error).length - 1));
    return { cluster: cluster.record, jobId: id };
  }

  /** The job's server: answers on the head node's address until the job ends. */
  private serve(c: FakeCluster, fj: FakeJob, task: Task, port: number): Promise<void> {
    const server = http.createServer((_req, res) => {
      res.writeHead(c.healthy ? 200 : 503).end(JSON.stringify({ cluster: c.record.name, v: task.envs.V ?? null }));
    });
    fj.server = server;
    return new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, c.record.nodes[0].internalIp, () => resolve());
    });
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
      if (script.untilStopped) return;
      void this.end(cluster, fj, script.exitCode === 0 ? 'SUCCEEDED' : 'FAILED', script.exitCode);
    };
    fj.timer = setTimeout(step, script.lineMs ?? 5);
  }

  /** The job ends: its timers stop, its server closes, followers see the final status. */
  private end(cluster: string, fj: FakeJob, status: ClusterJobStatus, exitCode?: number): Promise<void> {
    clearTimeout(fj.timer);
    fj.job.status = status;
    if (exitCode !== undefined) fj.job.exitCode = exitCode;
    fj.job.endedAt = Date.now();
    const closed = closeServer(fj);
    this.events.emit(`data:${cluster}:${fj.job.id}`);
    this.events.emit('ended', cluster, fj.job);
    return closed;
  }

  async exec(): Promise<LaunchResult> {
    throw new Error('exec is not modelled by the fake cluster engine');
  }

  async status(options: { refresh?: boolean; names?: string[] } = {}): Promise<ClusterRecord[]> {
    return [...this.clusters.values()].map((c) => c.record).filter((r) => !options.names || options.names.includes(r.name));
  }

  private get(name: string): FakeCluster {
    const c = this.clusters.get(name);
    if (!c) throw new NotFoundError(`Cluster '${name}'`);
    return c;
  }

  /** As the engine's: newest first; `record` spares the caller's read of the cluster table. */
  async queue(name: string, options: { skipFinished?: boolean; record?: ClusterRecord } = {}): Promise<ClusterJob[]> {
    this.queueCalls.push({ name, record: options.record });
    const jobs = this.get(name).jobs.map((j) => ({ ...j.job }));
    const list = options.skipFinished ? jobs.filter((j) => !TERMINAL_JOB_STATUSES.includes(j.status)) : jobs;
    return list.sort((a, b) => b.id - a.id);
  }

  tailLogs(
    name: string,
    jobId: number | undefined,
    options: { follow: boolean; onData: (chunk: string) => void; signal?: AbortSignal; offset?: number; record?: ClusterRecord },
  ): Promise<ClusterJobStatus | undefined> {
    this.tailCalls.push({ name, follow: options.follow, offset: options.offset ?? 0 });
    let c: FakeCluster;
    try {
      c = this.get(name);
    } catch (e) {
      return Promise.reject(e as Error);
    }
    // No job id: the newest job, as the engine does; no job at all: nothing to show.
    const id = jobId ?? c.jobs.reduce<number | undefined>((m, j) => (m === undefined || j.job.id > m ? j.job.id : m), undefined);
    if (id === undefined) return Promise.resolve(undefined);
    const fj = c.jobs.find((j) => j.job.id === id);
    if (!fj) return Promise.reject(new NotFoundError(`Job ${id} on ${name}`));
    // `offset` is in bytes, as the agent's; the output is sent from there on.
    let sent = Buffer.from(fj.output, 'utf8')
      .subarray(0, options.offset ?? 0)
      .toString('utf8').length;
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
    const closing: Promise<void>[] = [];
    for (const j of c.jobs) {
      if ((jobIds === 'all' || jobIds.includes(j.job.id)) && !TERMINAL_JOB_STATUSES.includes(j.job.status)) {
        done.push(j.job.id);
        closing.push(this.end(name, j, 'CANCELLED'));
      }
    }
    await Promise.all(closing);
    return done;
  }

  async stop(): Promise<void> {
    throw new Error('stop is not modelled by the fake cluster engine');
  }

  async start(): Promise<ClusterRecord> {
    throw new Error('start is not modelled by the fake cluster engine');
  }

  /** As the engine's: a cluster it does not know is NotFoundError. */
  async down(name: string): Promise<void> {
    const c = this.get(name);
    this.downs.push(name);
    await this.remove(c, 'down');
  }

  async autostop(): Promise<void> {
    throw new Error('autostop is not modelled by the fake cluster engine');
  }

  /** The cluster is gone at once; the promise resolves once its jobs' servers closed. */
  private remove(c: FakeCluster, event: 'preempted' | 'down'): Promise<void> {
    for (const j of c.jobs) clearTimeout(j.timer);
    this.clusters.delete(c.record.name);
    this.events.emit(event, c.record.name);
    return Promise.all(c.jobs.map(closeServer)).then(() => undefined);
  }

  /** Test teardown: every timer cleared, every server closed, every cluster forgotten. */
  async close(): Promise<void> {
    await Promise.all([...this.clusters.values()].map((c) => this.remove(c, 'down')));
  }
}

function closeServer(fj: FakeJob): Promise<void> {
  const s = fj.server;
  fj.server = undefined;
  if (!s) return Promise.resolve();
  return new Promise((resolve) => {
    s.closeAllConnections();
    // A server whose listen failed is not running: close reports that, nothing to wait for.
    s.close(() => resolve());
  });
}
