/**
 * The service controller: one detached process per service (`skydeck serve controller
 * NAME`), restartable, with its state in the store. It runs the load balancer in-process
 * (no hop between controller and LB: the ready set changes the moment a probe does) and
 * the replica manager:
 *
 * - each replica is a cluster `<service>-<id>` launched through the cluster engine
 *   (owner `service:<name>`, env SKYPILOT_SERVE_REPLICA_ID), at most 4 launches at once;
 * - readiness probes move replicas STARTING -> READY <-> NOT_READY, or fail them
 *   (FAILED_INITIAL_DELAY, FAILED_PROBING); a failed probe first checks the cluster
 *   (gone or not UP -> PREEMPTED) and the replica's job (ended -> FAILED);
 * - failed and preempted replicas are torn down and replaced; the autoscaler's target
 *   (spot / on-demand split with fallback) decides how many run;
 * - updates: rolling (old replicas leave as new ones become ready) or blue_green (traffic
 *   switches once the new version has min_replicas ready); replicas leaving are drained
 *   (no new requests, in-flight ones finish) before their cluster goes down.
 */
import * as fs from 'node:fs';
import { errorMessage } from '../errors';
import type { ClusterEngine } from '../cluster/types';
import { TERMINAL_JOB_STATUSES } from '../cluster/types';
import { formatInfra, formatResources } from '../cluster/format';
import { identify, isAlive } from '../util/detached';
import { LoadBalancer } from './lb/loadBalancer';
import { RateWindow } from './rate';
import { RequestRateAutoscaler, type ScaleDecision } from './autoscaler';
import { applyProbe, probeReplica } from './probe';
import { loadServiceTask, sameExceptService, withSpot, type ServiceTask } from './task';
import { deriveServiceStatus, findService, loadBalancerLogPath, patchService, removeService, replicaLaunchLogPath } from './state';
import { SCALE_DOWN_ORDER, isFailedReplica, isTerminalReplica, type ReplicaRecord, type ReplicaStatus, type ServiceRecord } from './types';

export interface ControllerOptions {
  engine: ClusterEngine;
  now?: () => number;
  /** Controller loop period (default 1000 ms; SKYDECK_SERVE_TICK_MS). */
  tickMs?: number;
  /** Request-rate window of the autoscaler (SkyPilot: 60 s; SKYDECK_SERVE_QPS_WINDOW_SECONDS). */
  qpsWindowSeconds?: number;
  log?: (line: string) => void;
  /** Address the load balancer listens on (default 127.0.0.1, the address the endpoint advertises; SKYDECK_SERVE_LB_HOST). */
  lbHost?: string;
  /** Ports tried for the load balancer (SkyPilot: 30001-30020; we try up to 30100). */
  lbPorts?: [number, number];
  maxConcurrentLaunches?: number;
  /** Longest wait for in-flight requests before a leaving replica goes down. */
  drainTimeoutMs?: number;
  /** Retry period while the recorded load-balancer port is held by another process (default 2000 ms). */
  lbRetryMs?: number;
}

const MAX_FAILED_KEPT = 5;

function envNumber(name: string): number | undefined {
  const v = process.env[name];
  return v && Number.isFinite(Number(v)) ? Number(v) : undefined;
}

export class ServiceController {
  private record!: ServiceRecord;
  private readonly versions = new Map<number, ServiceTask>();
  private latest = 0;
  private lb!: LoadBalancer;
  private autoscaler!: RequestRateAutoscaler;
  private readonly requests: RateWindow;
  private readonly launches = new Map<number, { abort: AbortController; done: Promise<void> }>();
  private readonly probing = new Set<number>();
  private readonly nextProbe = new Map<number, number>();
  private readonly lastHealthCheck = new Map<number, number>();
  private readonly background = new Set<Promise<void>>();
  /** A version whose replicas failed before any became ready: stop launching it (crash loop). */
  private crashLoopVersion?: number;
  private stopped = false;
  private lastPersisted = '';
  private lastDecisionKind = '';
  private readonly now: () => number;
  private readonly tickMs: number;
  private readonly log: (line: string) => void;
  private lbLog?: fs.WriteStream;
  private wake?: () => void;
  private lastLbStats = 0;
  private lastLbTotals = new Map<number, number>();
  private lbRetry?: NodeJS.Timeout;

  constructor(
    readonly name: string,
    private readonly options: ControllerOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.tickMs = options.tickMs ?? envNumber('SKYDECK_SERVE_TICK_MS') ?? 1000;
    this.requests = new RateWindow(options.qpsWindowSeconds ?? envNumber('SKYDECK_SERVE_QPS_WINDOW_SECONDS') ?? 60);
    this.log = options.log ?? ((line) => process.stdout.write(`${new Date().toISOString()} ${line}\n`));
  }

  /**
   * Runs until `serve down` (or the record disappears). A first start that fails is
   * recorded for `serve up` to report and ends normally (so the supervisor does not
   * retry a broken task); a failed restart throws (the supervisor retries it).
   */
  async run(): Promise<void> {
    try {
      if (!(await this.start())) return;
    } catch (e) {
      const rec = await findService(this.name);
      if (!rec || rec.endpoint) throw e;
      this.log(`controller could not start: ${errorMessage(e)}`);
      await patchService(this.name, (s) => void (s.startError = errorMessage(e)));
      return;
    }
    while (!this.stopped) {
      try {
        await this.tick();
      } catch (e) {
        this.log(`controller tick failed: ${errorMessage(e)}`);
      }
      if (this.stopped) break;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        setTimeout(resolve, this.tickMs);
      });
    }
  }

  get endpointPort(): number {
    return this.lb.port;
  }

  private get spec() {
    return this.versions.get(this.latest)!.spec;
  }

  /** False when there is nothing to run: the service is gone, or another controller runs it. */
  async start(): Promise<boolean> {
    const rec = await findService(this.name);
    if (!rec) {
      this.log(`service '${this.name}' is not in the store (it was taken down); nothing to run`);
      return false;
    }
    if (rec.controller && rec.controller.pid !== process.pid && isAlive(rec.controller)) {
      this.log(`another controller (pid ${rec.controller.pid}) runs service '${this.name}'; exiting`);
      return false;
    }
    this.record = rec;
    this.loadNewVersions();
    const first = this.versions.get(this.latest);
    if (!first) throw new Error(`Service '${this.name}' has no loadable version.`);
    this.autoscaler = new RequestRateAutoscaler(first.spec, this.requests, this.now);
    if (rec.autoscalerTarget !== undefined) this.autoscaler.restoreTarget(rec.autoscalerTarget);
    await this.startLoadBalancer();
    // Replicas left mid-launch by a previous controller: their cluster may be half made; start over.
    for (const r of this.record.replicas) {
      if (r.status === 'PROVISIONING') {
        this.log(`replica ${r.id}: launch was interrupted by a controller restart; relaunching`);
        await this.options.engine.down(r.cluster).catch(() => undefined);
        r.status = 'PENDING';
      } else if (r.status === 'SHUTTING_DOWN') {
        this.track(this.teardown(r));
      } else if (r.status === 'STARTING' || r.status === 'READY' || r.status === 'NOT_READY') {
        this.nextProbe.set(r.id, this.now());
      }
    }
    this.record.controller = identify(process.pid);
    this.log(`controller for service '${this.name}' started (pid ${process.pid}); endpoint ${this.record.endpoint}; ${this.autoscaler.describe()}`);
    this.updateLb();
    await this.persist(true);
    return true;
  }

  private async startLoadBalancer(): Promise<void> {
    const spec = this.spec;
    this.lbLog = fs.createWriteStream(loadBalancerLogPath(this.name), { flags: 'a' });
    const tls = spec.tls ? { key: fs.readFileSync(spec.tls.keyfile), cert: fs.readFileSync(spec.tls.certfile) } : undefined;
    const host = this.options.lbHost ?? process.env.SKYDECK_SERVE_LB_HOST ?? '127.0.0.1';
    // On a controller cluster the balancer listens on every address and the endpoint names the node as clients reach it.
    const advertised = process.env.SKYDECK_SERVE_ENDPOINT_HOST || host;
    const make = (port: number) =>
      new LoadBalancer({
        serviceName: this.name,
        policy: spec.loadBalancingPolicy,
        host,
        port,
        tls,
        streamTimeoutSeconds: spec.streamTimeoutSeconds,
        requests: this.requests,
        log: (line) => this.lbLog?.write(`${new Date().toISOString()} ${line}\n`),
        now: this.now,
      });
    this.record.tls = !!tls;
    this.record.loadBalancingPolicy = spec.loadBalancingPolicy;
    if (this.record.lbPort) {
      // Users hold the endpoint: a restarted controller keeps its port, and waits for it if another process took it.
      this.lb = make(this.record.lbPort);
      this.record.endpoint = endpointUrl(advertised, this.record.lbPort, !!tls);
      await this.listenOnRecordedPort(host);
      return;
    }
    const [lo, hi] = this.options.lbPorts ?? [30001, 30100];
    let lastError: unknown;
    for (let port = lo; port <= hi; port++) {
      const lb = make(port);
      try {
        await lb.listen();
        this.lb = lb;
        this.record.lbPort = lb.port;
        this.record.endpoint = endpointUrl(advertised, lb.port, !!tls);
        this.logListening(host);
        return;
      } catch (e) {
        lastError = e;
        await lb.close().catch(() => undefined);
      }
    }
    throw new Error(`No free load-balancer port in ${lo}-${hi}: ${errorMessage(lastError)}`);
  }

  private logListening(host: string): void {
    const { total, perClient } = this.lb.limits;
    const line = `load balancer (${this.spec.loadBalancingPolicy}) listening on ${this.record.endpoint}${host !== hostOf(this.record.endpoint!) ? ` (bound to ${host})` : ''}; up to ${total} connections, ${perClient} per client address`;
    this.lbLog?.write(`${new Date().toISOString()} ${line}\n`);
  }

  /** Binds the recorded port; while another process holds it, says so (log, `serve status`) and retries. */
  private async listenOnRecordedPort(host: string): Promise<void> {
    this.lbRetry = undefined;
    const port = this.record.lbPort!;
    try {
      await this.lb.listen();
    } catch (e) {
      const why = (e as NodeJS.ErrnoException).code === 'EADDRINUSE' ? `port ${port} is in use by another process` : errorMessage(e);
      const retryMs = this.options.lbRetryMs ?? 2000;
      const message = `load balancer cannot listen on ${host}:${port}: ${why}; the endpoint keeps this port, retrying every ${retryMs / 1000}s (free the port, or \`skydeck serve down ${this.name}\`)`;
      if (message !== this.record.lbError) this.log(message);
      this.record.lbError = message;
      if (!this.stopped) this.lbRetry = setTimeout(() => void this.listenOnRecordedPort(host), retryMs);
      return;
    }
    if (this.record.lbError) {
      this.log(`load balancer listening on ${this.record.endpoint} again`);
      this.record.lbError = undefined;
      this.poke();
    }
    this.logListening(host);
  }

  private loadNewVersions(): void {
    for (const v of [...this.record.versions].sort((a, b) => a.version - b.version)) {
      if (this.versions.has(v.version)) continue;
      let loaded: ServiceTask;
      try {
        loaded = loadServiceTask(v.taskFile);
      } catch (e) {
        this.log(`version ${v.version}: cannot load ${v.taskFile}: ${errorMessage(e)}`);
        continue;
      }
      this.versions.set(v.version, loaded);
      if (v.version <= this.latest) continue;
      const prev = this.versions.get(this.latest);
      this.latest = v.version;
      if (!prev) continue;
      this.crashLoopVersion = undefined;
      this.autoscaler?.updateSpec(loaded.spec);
      if (prev.spec.loadBalancingPolicy !== loaded.spec.loadBalancingPolicy || JSON.stringify(prev.spec.tls) !== JSON.stringify(loaded.spec.tls)) {
        this.log(`version ${v.version}: changes to load_balancing_policy or tls are ignored by updates (as in SkyPilot)`);
      }
      if (sameExceptService(prev.task, loaded.task)) {
        const moved = this.alive().filter((r) => r.version < v.version);
        for (const r of moved) r.version = v.version;
        this.log(`version ${v.version}: only the service section changed; relabelled replicas ${moved.map((r) => r.id).join(', ') || '(none)'}`);
      } else {
        this.log(`version ${v.version}: ${v.mode} update started`);
      }
    }
  }

  private alive(): ReplicaRecord[] {
    return this.record.replicas.filter((r) => !isTerminalReplica(r.status));
  }

  async tick(): Promise<void> {
    const stored = await findService(this.name);
    if (!stored || stored.downRequested) {
      await this.shutdown();
      return;
    }
    this.record.versions = stored.versions;
    this.loadNewVersions();
    this.probeDue();
    const decision = this.autoscaler.evaluate();
    this.logDecision(decision);
    this.reconcile(decision);
    this.updateLb();
    this.logLbStats(decision.qps);
    await this.persist();
  }

  /** Once a minute: requests per replica since the last line (load-balancer log). */
  private logLbStats(qps: number): void {
    const now = this.now();
    if (now - this.lastLbStats < 60_000) return;
    this.lastLbStats = now;
    const parts: string[] = [];
    for (const st of this.lb.stats()) {
      const prev = this.lastLbTotals.get(st.id) ?? 0;
      this.lastLbTotals.set(st.id, st.total);
      parts.push(`replica ${st.id}: ${st.total - prev} requests, ${st.inflight} in flight, ${st.failures} failures`);
    }
    this.lbLog?.write(`${new Date(now).toISOString()} ${qps.toFixed(2)} qps; ${parts.join('; ') || 'no replicas'}\n`);
  }

  private logDecision(d: ScaleDecision): void {
    const kind = d.reason.split(':')[0];
    if (d.changed || kind !== this.lastDecisionKind) this.log(`autoscaler: ${d.reason}`);
    this.lastDecisionKind = kind;
  }

  // ---- probes ------------------------------------------------------------------------

  private probeDue(): void {
    const now = this.now();
    for (const r of this.record.replicas) {
      if (r.status !== 'STARTING' && r.status !== 'READY' && r.status !== 'NOT_READY') continue;
      if (this.probing.has(r.id) || (this.nextProbe.get(r.id) ?? 0) > now || !r.url) continue;
      this.probing.add(r.id);
      this.track(this.probe(r).finally(() => this.probing.delete(r.id)));
    }
  }

  private async probe(r: ReplicaRecord): Promise<void> {
    const spec = (this.versions.get(r.version) ?? this.versions.get(this.latest)!).spec.probe;
    const result = await probeReplica(r.url!, spec);
    this.nextProbe.set(r.id, this.now() + spec.intervalSeconds * 1000);
    if (r.status !== 'STARTING' && r.status !== 'READY' && r.status !== 'NOT_READY') return;
    if (!result.ok) {
      const health = await this.checkHealth(r);
      if (r.status !== 'STARTING' && r.status !== 'READY' && r.status !== 'NOT_READY') return;
      if (health) {
        this.fail(r, health.status, health.reason);
        return;
      }
    }
    const before = r.status;
    const status = applyProbe(r, result.ok, this.now(), spec);
    if (status === 'FAILED_INITIAL_DELAY' || status === 'FAILED_PROBING') {
      const why =
        status === 'FAILED_INITIAL_DELAY'
          ? `not ready within initial_delay_seconds (${spec.initialDelaySeconds}s): ${result.error ?? `HTTP ${result.status}`}`
          : `readiness probe failing for ${spec.failureThresholdSeconds}s: ${result.error ?? `HTTP ${result.status}`}`;
      this.fail(r, status, why);
      return;
    }
    r.status = status;
    if (status !== before) {
      this.log(`replica ${r.id}: ${before} -> ${status}${result.ok ? '' : ` (${result.error ?? `HTTP ${result.status}`})`}`);
      if (status === 'READY' && (this.record.activeVersion ?? 0) < r.version) this.record.activeVersion = r.version;
      this.updateLb();
      this.poke();
    }
  }

  /** After a failed probe: is the cluster gone (preempted) or has the replica's job ended? */
  private async checkHealth(r: ReplicaRecord): Promise<{ status: ReplicaStatus; reason: string } | undefined> {
    const now = this.now();
    if (now - (this.lastHealthCheck.get(r.id) ?? 0) < 2000) return undefined;
    this.lastHealthCheck.set(r.id, now);
    try {
      const [c] = await this.options.engine.status({ refresh: true, names: [r.cluster] });
      if (!c || c.name !== r.cluster || c.status !== 'UP') return { status: 'PREEMPTED', reason: `cluster ${r.cluster} is ${c ? c.status : 'gone'}` };
      if (r.jobId !== undefined) {
        const job = (await this.options.engine.queue(r.cluster)).find((j) => j.id === r.jobId);
        if (job && TERMINAL_JOB_STATUSES.includes(job.status))
          return { status: 'FAILED', reason: `the replica's run command ended (job ${job.id} ${job.status})` };
      }
    } catch (e) {
      this.log(`replica ${r.id}: health check failed: ${errorMessage(e)}`);
    }
    return undefined;
  }

  // ---- replica lifecycle -------------------------------------------------------------

  private fail(r: ReplicaRecord, status: ReplicaStatus, reason: string): void {
    this.log(`replica ${r.id}: ${r.status} -> ${status}: ${reason}`);
    r.status = status;
    r.failureReason = reason;
    if (isFailedReplica(status) && r.version === this.latest && (this.record.activeVersion ?? 0) < r.version && status !== 'FAILED_CLEANUP') {
      this.crashLoopVersion = r.version;
      this.log(`version ${r.version} failed before any replica became ready; not launching more of it (fix the task and run \`skydeck serve update\`)`);
    }
    this.updateLb();
    this.track(this.cleanup(r));
    this.poke();
  }

  /** Tears down a failed or preempted replica's cluster; preempted ones leave the table. */
  private async cleanup(r: ReplicaRecord): Promise<void> {
    await this.launches.get(r.id)?.done;
    try {
      await this.options.engine.down(r.cluster);
    } catch (e) {
      if ((e as { code?: string }).code !== 'NOT_FOUND') {
        this.log(`replica ${r.id}: cleanup failed: ${errorMessage(e)}`);
        r.status = 'FAILED_CLEANUP';
        return;
      }
    }
    if (r.status === 'PREEMPTED') this.removeReplica(r);
    const failed = this.record.replicas.filter((x) => isFailedReplica(x.status));
    for (const old of failed.slice(0, Math.max(0, failed.length - MAX_FAILED_KEPT))) this.removeReplica(old);
  }

  private removeReplica(r: ReplicaRecord): void {
    this.record.replicas = this.record.replicas.filter((x) => x !== r);
    this.nextProbe.delete(r.id);
    this.lastHealthCheck.delete(r.id);
  }

  private addReplica(version: number, useSpot: boolean): void {
    const id = this.record.nextReplicaId++;
    this.record.replicas.push({ id, version, cluster: `${this.name}-${id}`, status: 'PENDING', useSpot });
    this.log(`replica ${id}: added (version ${version}${this.spec.useSpot ? `, ${useSpot ? 'spot' : 'on-demand'}` : ''})`);
  }

  private startLaunch(r: ReplicaRecord): void {
    const v = this.versions.get(r.version)!;
    r.status = 'PROVISIONING';
    r.launchedAt = this.now();
    const abort = new AbortController();
    const logFile = fs.createWriteStream(replicaLaunchLogPath(this.name, r.id), { flags: 'a' });
    const task = v.spec.useSpot ? withSpot(v.task, r.useSpot) : v.task;
    const done = (async () => {
      try {
        const res = await this.options.engine.launch(task, {
          clusterName: r.cluster,
          detachRun: true,
          owner: `service:${this.name}`,
          internalEnvs: { SKYPILOT_SERVE_REPLICA_ID: String(r.id) },
          signal: abort.signal,
          onProgress: (e) => logFile.write(`[${e.stage}] ${e.message}\n`),
        });
        if (r.status !== 'PROVISIONING') return;
        const head = res.cluster.nodes.find((n) => n.rank === 0) ?? res.cluster.nodes[0];
        r.url = `http://${head?.internalIp ?? '127.0.0.1'}:${v.spec.port}`;
        r.jobId = res.jobId;
        r.infra = formatInfra(res.cluster.resources);
        r.resources = formatResources(res.cluster.resources, res.cluster.numNodes);
        r.status = 'STARTING';
        this.nextProbe.set(r.id, this.now());
        this.log(`replica ${r.id}: PROVISIONING -> STARTING at ${r.url}`);
      } catch (e) {
        logFile.write(`launch failed: ${errorMessage(e)}\n`);
        if (r.status === 'PROVISIONING') this.fail(r, 'FAILED_PROVISION', errorMessage(e));
      } finally {
        logFile.end();
        this.launches.delete(r.id);
        this.poke();
      }
    })();
    this.launches.set(r.id, { abort, done });
  }

  /** Scale-down: stop sending traffic, let in-flight requests finish, then down the cluster. */
  private scaleDown(r: ReplicaRecord, why: string): void {
    this.log(`replica ${r.id}: ${r.status} -> SHUTTING_DOWN (${why})`);
    r.status = 'SHUTTING_DOWN';
    r.scaleDown = true;
    this.launches.get(r.id)?.abort.abort();
    this.updateLb();
    this.track(this.teardown(r));
  }

  private async teardown(r: ReplicaRecord): Promise<void> {
    await this.launches.get(r.id)?.done;
    const deadline = this.now() + (this.options.drainTimeoutMs ?? 30_000);
    while (this.lb && this.lb.inflight(r.id) > 0 && this.now() < deadline) await new Promise((res) => setTimeout(res, 50));
    try {
      await this.options.engine.down(r.cluster);
    } catch (e) {
      if ((e as { code?: string }).code !== 'NOT_FOUND') {
        this.log(`replica ${r.id}: down failed: ${errorMessage(e)}`);
        r.status = 'FAILED_CLEANUP';
        return;
      }
    }
    this.log(`replica ${r.id}: terminated`);
    this.removeReplica(r);
    this.poke();
  }

  /** Picks `n` replicas to remove, least useful first (SkyPilot's order), newest first within a state. */
  private pickForScaleDown(from: ReplicaRecord[], n: number): ReplicaRecord[] {
    const rank = (r: ReplicaRecord) => SCALE_DOWN_ORDER.indexOf(r.status);
    return [...from].sort((a, b) => rank(a) - rank(b) || b.id - a.id).slice(0, n);
  }

  private reconcile(decision: ScaleDecision): void {
    const latest = this.latest;
    const spec = this.spec;
    this.record.autoscalerTarget = decision.target;
    this.record.autoscalingPolicy = this.autoscaler.describe();
    const alive = this.alive();
    const current = alive.filter((r) => r.version === latest);
    const old = alive.filter((r) => r.version < latest);
    if (this.crashLoopVersion !== latest) {
      const readySpot = current.filter((r) => r.useSpot && r.status === 'READY').length;
      const split = this.autoscaler.split(decision.total, readySpot);
      for (const [useSpot, wanted] of [
        [true, split.spot],
        [false, split.onDemand],
      ] as const) {
        const have = current.filter((r) => r.useSpot === useSpot);
        for (let i = have.length; i < wanted; i++) this.addReplica(latest, useSpot);
        if (have.length > wanted)
          for (const r of this.pickForScaleDown(have, have.length - wanted)) this.scaleDown(r, `autoscaler target ${wanted} ${useSpot ? 'spot' : 'on-demand'}`);
      }
    }
    if (old.length) {
      const readyNew = current.filter((r) => r.status === 'READY').length;
      const mode = this.record.versions.find((v) => v.version === latest)?.mode ?? 'rolling';
      if (mode === 'blue_green') {
        if (readyNew >= Math.max(1, spec.minReplicas)) for (const r of old) this.scaleDown(r, `blue-green: version ${latest} is ready`);
      } else {
        const keep = Math.max(0, decision.total - readyNew);
        if (old.length > keep)
          for (const r of this.pickForScaleDown(old, old.length - keep)) this.scaleDown(r, `rolling update: ${readyNew} replica(s) of version ${latest} ready`);
      }
    }
    const max = this.options.maxConcurrentLaunches ?? 4;
    let launching = this.record.replicas.filter((r) => r.status === 'PROVISIONING').length;
    for (const r of this.record.replicas) {
      if (launching >= max) break;
      if (r.status !== 'PENDING') continue;
      this.startLaunch(r);
      launching++;
    }
  }

  /** Ready replicas get traffic; blue-green keeps the old version's until the new one is ready. */
  private updateLb(): void {
    if (!this.lb) return;
    let ready = this.record.replicas.filter((r) => r.status === 'READY' && r.url);
    const mode = this.record.versions.find((v) => v.version === this.latest)?.mode;
    if (mode === 'blue_green') {
      const newest = ready.filter((r) => r.version === this.latest);
      if (newest.length >= Math.max(1, this.spec.minReplicas)) ready = newest;
    }
    this.lb.setReplicas(ready.map((r) => ({ id: r.id, url: r.url! })));
  }

  // ---- persistence and shutdown ------------------------------------------------------

  private async persist(force = false): Promise<void> {
    if (!this.stopped) this.record.status = deriveServiceStatus({ replicas: this.record.replicas, downRequested: false });
    const mine = {
      status: this.record.status,
      replicas: this.record.replicas,
      nextReplicaId: this.record.nextReplicaId,
      controller: this.record.controller,
      lbPort: this.record.lbPort,
      lbError: this.record.lbError,
      endpoint: this.record.endpoint,
      tls: this.record.tls,
      activeVersion: this.record.activeVersion,
      autoscalerTarget: this.record.autoscalerTarget,
      loadBalancingPolicy: this.record.loadBalancingPolicy,
      autoscalingPolicy: this.record.autoscalingPolicy,
      failureReason: this.record.failureReason,
    };
    // Snapshot now: probes may change replicas while we wait for the store's lock.
    const text = JSON.stringify(mine);
    if (!force && text === this.lastPersisted) return;
    this.lastPersisted = text;
    const snapshot = JSON.parse(text) as typeof mine;
    await patchService(this.name, (s) => {
      Object.assign(s, snapshot);
      if (snapshot.lbError === undefined) delete s.lbError;
    });
  }

  private track(p: Promise<void>): void {
    this.background.add(p);
    void p.catch((e) => this.log(`background task failed: ${errorMessage(e)}`)).finally(() => this.background.delete(p));
  }

  /** Runs the next tick now (a replica changed state). */
  private poke(): void {
    this.wake?.();
  }

  /** `serve down`: stop the endpoint, tear every replica down, remove the service. */
  async shutdown(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.log('shutting down: stopping the load balancer and tearing down all replicas');
    this.record.status = 'SHUTTING_DOWN';
    await this.persist(true).catch(() => undefined);
    for (const l of this.launches.values()) l.abort.abort();
    clearTimeout(this.lbRetry);
    await this.lb?.close();
    await Promise.allSettled([...this.launches.values()].map((l) => l.done));
    await Promise.allSettled([...this.background]);
    const owned = await this.options.engine.status({}).then(
      (cs) => cs.filter((c) => c.owner === `service:${this.name}`).map((c) => c.name),
      () => [] as string[],
    );
    const names = new Set([...this.record.replicas.map((r) => r.cluster), ...owned]);
    const results = await Promise.allSettled([...names].map((n) => this.options.engine.down(n)));
    const failures = results.flatMap((res, i) =>
      res.status === 'rejected' && (res.reason as { code?: string }).code !== 'NOT_FOUND' ? [`${[...names][i]}: ${errorMessage(res.reason)}`] : [],
    );
    if (failures.length) {
      this.log(`cleanup failed: ${failures.join('; ')}`);
      await patchService(this.name, (s) => {
        s.status = 'FAILED_CLEANUP';
        s.failureReason = failures.join('; ');
      });
    } else {
      await removeService(this.name);
      this.log('service removed');
    }
    this.lbLog?.end();
    this.wake?.();
  }
}

/** The URL users reach the load balancer at: its own address, or loopback when it listens on every address. */
function endpointUrl(host: string, port: number, tls: boolean): string {
  const h = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  return `${tls ? 'https' : 'http'}://${h}:${port}`;
}

function hostOf(url: string): string {
  return new URL(url).hostname.replace(/^\[|\]$/g, '');
}

/** Entry point of `skydeck serve controller NAME` (started and restarted by the supervisor). */
export async function runController(name: string, options: ControllerOptions): Promise<void> {
  const c = new ServiceController(name, options);
  // SIGTERM is a crash-like stop: the state stays, and the next serve verb restarts us.
  process.once('SIGTERM', () => process.exit(0));
  await c.run();
}
