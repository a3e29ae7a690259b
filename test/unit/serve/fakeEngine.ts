/**
 * A fake ClusterEngine for controller tests: "launching" a cluster starts a real HTTP
 * server on its own loopback address (as the local provider's nodes do), so probes and
 * the load balancer run for real; preempt/kill/down are instant and observable.
 */
import * as http from 'node:http';
import type { ClusterEngine, ClusterJob, ClusterRecord, LaunchOptions, LaunchResult } from '../../../engine/cluster/types';
import type { Task, TaskFile } from '../../../engine/task/types';
import { NotFoundError } from '../../../engine/errors';

export interface FakeCluster {
  record: ClusterRecord;
  task: Task;
  options: LaunchOptions;
  server?: http.Server;
  /** 200 from every path when true; 503 otherwise. */
  healthy: boolean;
  jobStatus: ClusterJob['status'];
}

let nextIp = 10;

export class FakeEngine implements ClusterEngine {
  readonly clusters = new Map<string, FakeCluster>();
  readonly launches: { name: string; useSpot: boolean; envs: Record<string, string> }[] = [];
  readonly downs: string[] = [];
  /** Whether new replicas answer their probe (per launch). */
  healthyOnLaunch = true;

  constructor(private readonly port: number) {}

  async launch(t: Task | TaskFile, options: LaunchOptions = {}): Promise<LaunchResult> {
    const task = 'tasks' in t ? t.tasks[0] : t;
    const name = options.clusterName!;
    const ip = `127.0.0.${nextIp++}`;
    const useSpot = !!task.resources.base.useSpot;
    this.launches.push({ name, useSpot, envs: options.internalEnvs ?? {} });
    const record: ClusterRecord = {
      name,
      status: 'UP',
      handle: { clusterName: name, nameOnCloud: name, provider: 'local', region: 'local', data: {} },
      resources: { cloud: 'local', region: 'local', instanceType: 'local', useSpot, diskSizeGb: 0, ports: [], pricePerHour: 0 },
      numNodes: 1,
      nodes: [{ id: 'n0', rank: 0, state: 'running', internalIp: ip }],
      launchedAt: Date.now(),
      accumulatedUpSeconds: 0,
      owner: options.owner,
    };
    const c: FakeCluster = { record, task, options, healthy: this.healthyOnLaunch, jobStatus: 'RUNNING' };
    c.server = http.createServer((_req, res) => {
      res.writeHead(c.healthy ? 200 : 503).end(JSON.stringify({ cluster: name, v: task.envs.V ?? null }));
    });
    await new Promise<void>((r) => c.server!.listen(this.port, ip, () => r()));
    this.clusters.set(name, c);
    return { cluster: record, jobId: 1 };
  }

  async exec(): Promise<LaunchResult> {
    throw new Error('not used');
  }

  async status(options: { refresh?: boolean; names?: string[] } = {}): Promise<ClusterRecord[]> {
    return [...this.clusters.values()].map((c) => c.record).filter((r) => !options.names || options.names.includes(r.name));
  }

  async queue(name: string): Promise<ClusterJob[]> {
    const c = this.clusters.get(name);
    if (!c) throw new NotFoundError(`Cluster '${name}'`);
    return [{ id: 1, user: 'u', status: c.jobStatus, submittedAt: 0, resources: '', logDir: '' }];
  }

  async tailLogs(): Promise<undefined> {
    return undefined;
  }
  async cancel(): Promise<number[]> {
    return [];
  }
  async stop(): Promise<void> {}
  async start(): Promise<ClusterRecord> {
    throw new Error('not used');
  }
  async autostop(): Promise<void> {}

  async down(name: string): Promise<void> {
    const c = this.clusters.get(name);
    if (!c) throw new NotFoundError(`Cluster '${name}'`);
    this.downs.push(name);
    await this.stopServer(c);
    this.clusters.delete(name);
  }

  /** The cluster's nodes vanish (spot preemption). */
  async preempt(name: string): Promise<void> {
    const c = this.clusters.get(name)!;
    await this.stopServer(c);
    this.clusters.delete(name);
  }

  /** The replica's process dies: its job fails, the cluster stays UP. */
  async crash(name: string): Promise<void> {
    const c = this.clusters.get(name)!;
    c.jobStatus = 'FAILED';
    await this.stopServer(c);
  }

  private stopServer(c: FakeCluster): Promise<void> {
    const s = c.server;
    c.server = undefined;
    if (!s) return Promise.resolve();
    return new Promise((r) => {
      s.closeAllConnections();
      s.close(() => r());
    });
  }

  async closeAll(): Promise<void> {
    for (const c of this.clusters.values()) await this.stopServer(c);
  }
}
