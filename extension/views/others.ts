/** Managed Jobs, Services, GPUs and Infra views (data through the CLI's JSON contract). */
import * as vscode from 'vscode';
import {
  checkInfra,
  listManagedJobs,
  listServices,
  showGpus,
  type GpuOfferJson,
  type ManagedJobJson,
  type ReplicaJson,
  type ServiceJson,
  type ShowGpusJson,
} from '../engine/index';
import { setUpStep } from './infraSetup';
import { duration, MessageNode, money, statusIcon, type TreeNode } from './treeNode';

export class ManagedJobNode implements TreeNode {
  readonly id: string;
  constructor(readonly job: ManagedJobJson) {
    this.id = `managed-job/${job.id}`;
  }
  getTreeItem(): vscode.TreeItem {
    const j = this.job;
    // Pipelines and job groups list their tasks under the job (a group's run at once).
    const hasTasks = (j.tasks?.length ?? 0) > 1;
    const item = new vscode.TreeItem(
      `#${j.id}${j.name ? ` ${j.name}` : ''}`,
      hasTasks ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None,
    );
    // SkyPilot's JOB DURATION: time spent running, over every run; nothing before the first run.
    const ran = j.jobDurationSeconds > 0 ? duration(j.jobDurationSeconds) : undefined;
    const kind = hasTasks ? (j.execution === 'parallel' ? `group of ${j.tasks!.length}` : `pipeline of ${j.tasks!.length}`) : undefined;
    item.description = [j.status, kind, `${j.recoveries} recoveries`, ran, j.infra].filter(Boolean).join(' · ');
    item.iconPath = statusIcon(j.status);
    item.contextValue = `skydeck.managedJob.${j.status.toLowerCase()}`;
    item.command = { command: 'skydeck.jobs.logs', title: 'Open Log', arguments: [this] };
    item.tooltip = [
      `Managed job ${j.id}: ${j.status}${j.cluster ? ` on ${j.cluster}` : ''}`,
      `running ${duration(j.jobDurationSeconds)} of ${duration(j.totalDurationSeconds)} since submission`,
      j.failureReason,
    ]
      .filter(Boolean)
      .join('\n');
    return item;
  }

  getChildren(): TreeNode[] {
    const tasks = this.job.tasks ?? [];
    return tasks.length > 1 ? tasks.map((t) => new ManagedJobTaskNode(this.job, t)) : [];
  }
}

/** One task of a pipeline or job group, under its managed job. */
export class ManagedJobTaskNode implements TreeNode {
  readonly id: string;
  constructor(
    readonly job: ManagedJobJson,
    readonly task: ManagedJobJson,
  ) {
    this.id = `managed-job/${job.id}/task/${task.task ?? 0}`;
  }
  getTreeItem(): vscode.TreeItem {
    const t = this.task;
    const item = new vscode.TreeItem(`${t.task ?? 0}: ${t.name || 'task'}`, vscode.TreeItemCollapsibleState.None);
    const role = t.primary === undefined ? undefined : t.primary ? 'primary' : 'auxiliary';
    const ran = t.jobDurationSeconds > 0 ? duration(t.jobDurationSeconds) : undefined;
    const cluster = t.cluster && t.clusterKept ? `${t.cluster} (kept until the group ends)` : t.cluster || undefined;
    item.description = [t.status, role, t.recoveries ? `${t.recoveries} recoveries` : undefined, ran, cluster].filter(Boolean).join(' · ');
    item.iconPath = statusIcon(t.status);
    item.contextValue = 'skydeck.managedJobTask';
    item.tooltip = [`Task ${t.task ?? 0} of managed job ${this.job.id}: ${t.status}${t.cluster ? ` on ${t.cluster}` : ''}`, t.failureReason]
      .filter(Boolean)
      .join('\n');
    return item;
  }
}

export class ServiceNode implements TreeNode {
  readonly id: string;
  constructor(readonly service: ServiceJson) {
    this.id = `service/${service.name}`;
  }
  getTreeItem(): vscode.TreeItem {
    const s = this.service;
    const item = new vscode.TreeItem(s.name, vscode.TreeItemCollapsibleState.Expanded);
    const ready = s.replicas.filter((r) => r.status === 'READY').length;
    item.description = [s.status, s.endpoint ?? 'no endpoint yet', `${ready}/${s.replicas.length} ready`].join(' · ');
    item.iconPath = statusIcon(s.status);
    item.contextValue = `skydeck.service.${s.status.toLowerCase()}`;
    item.tooltip = `${s.name}: ${s.status}\nendpoint ${s.endpoint ?? '—'}`;
    return item;
  }
  getChildren(): TreeNode[] {
    const replicas: TreeNode[] = this.service.replicas.map((r) => new ReplicaNode(this.service.name, r));
    return replicas.length ? replicas : [new MessageNode(`${this.id}/none`, 'No replicas yet')];
  }
}

export class ReplicaNode implements TreeNode {
  readonly id: string;
  constructor(
    readonly serviceName: string,
    readonly replica: ReplicaJson,
  ) {
    this.id = `service/${serviceName}/replica/${replica.id}`;
  }
  getTreeItem(): vscode.TreeItem {
    const r = this.replica;
    const item = new vscode.TreeItem(`replica ${r.id}`, vscode.TreeItemCollapsibleState.None);
    item.description = [r.status, r.cluster, r.version !== undefined ? `v${r.version}` : undefined].filter(Boolean).join(' · ');
    item.iconPath = statusIcon(r.status);
    item.contextValue = `skydeck.replica.${r.status.toLowerCase()}`;
    item.command = { command: 'skydeck.serve.logs', title: 'Open Log', arguments: [this] };
    return item;
  }
}

class GpuNode implements TreeNode {
  readonly id: string;
  constructor(
    readonly accelerator: ShowGpusJson['accelerators'][number],
    private readonly available: ShowGpusJson['available'],
  ) {
    this.id = `gpu/${accelerator.name}`;
  }
  getTreeItem(): vscode.TreeItem {
    const a = this.accelerator;
    const item = new vscode.TreeItem(a.name, vscode.TreeItemCollapsibleState.Collapsed);
    const free = this.available.reduce((s, x) => s + x.free, 0);
    item.description = [`x${a.quantities.join(', ')}`, a.clouds.join(', '), this.available.length ? `${free} free now` : undefined].filter(Boolean).join(' · ');
    item.iconPath = new vscode.ThemeIcon('chip');
    item.contextValue = 'skydeck.gpu';
    item.tooltip = `${a.name}: counts ${a.quantities.join(', ')} on ${a.clouds.join(', ')}. Expand for the cheapest offer per cloud and region.`;
    return item;
  }
  async getChildren(): Promise<TreeNode[]> {
    const json = await showGpus(this.accelerator.name);
    const pools: TreeNode[] = json.available.filter((x) => x.accelerator === this.accelerator.name).map((x) => new GpuPoolNode(x));
    return [
      ...pools,
      ...cheapestPerRegion(json.offers.filter((o) => o.accelerator === this.accelerator.name)).map((o) => new GpuOfferNode(this.accelerator.name, o)),
    ];
  }
}

/** The cheapest offer (per GPU-hour) in each cloud/region, cheapest first. */
function cheapestPerRegion(offers: GpuOfferJson[]): GpuOfferJson[] {
  const perGpu = (o: GpuOfferJson): number => (o.price ?? Infinity) / Math.max(1, o.count);
  const best = new Map<string, GpuOfferJson>();
  for (const o of offers) {
    const key = `${o.cloud}/${o.region ?? ''}`;
    const cur = best.get(key);
    if (!cur || perGpu(o) < perGpu(cur)) best.set(key, o);
  }
  return [...best.values()].sort((a, b) => perGpu(a) - perGpu(b)).slice(0, 50);
}

export class GpuOfferNode implements TreeNode {
  readonly id: string;
  constructor(
    accelerator: string,
    readonly offer: GpuOfferJson,
  ) {
    this.id = `gpu/${accelerator}/${offer.cloud}/${offer.region ?? '-'}`;
  }
  getTreeItem(): vscode.TreeItem {
    const o = this.offer;
    const item = new vscode.TreeItem(o.region ? `${o.cloud}/${o.region}` : o.cloud, vscode.TreeItemCollapsibleState.None);
    item.description = [
      o.price !== null ? `${money(o.price / Math.max(1, o.count))}/GPU-h` : undefined,
      // An empty catalog cell means unknown, never free.
      `spot ${o.spotPrice !== null ? money(o.spotPrice / Math.max(1, o.count)) : '—'}`,
      `${o.instanceType ?? ''} x${o.count}`,
    ]
      .filter(Boolean)
      .join(' · ');
    item.tooltip = `${o.instanceType ?? ''}: ${o.count} GPU, ${o.vcpus ?? '?'} vCPUs, ${o.memoryGb ?? '?'} GB\non-demand ${money(o.price ?? undefined)}/h, spot ${money(o.spotPrice ?? undefined)}/h`;
    item.iconPath = new vscode.ThemeIcon('cloud');
    item.contextValue = 'skydeck.gpuOffer';
    return item;
  }
}

class GpuPoolNode implements TreeNode {
  readonly id: string;
  constructor(readonly row: ShowGpusJson['available'][number]) {
    this.id = `gpu/${row.accelerator}/pool/${row.infra}`;
  }
  getTreeItem(): vscode.TreeItem {
    const r = this.row;
    const item = new vscode.TreeItem(r.infra, vscode.TreeItemCollapsibleState.None);
    item.description = `${r.free} of ${r.total} free now`;
    item.iconPath = new vscode.ThemeIcon('server-environment', r.free > 0 ? new vscode.ThemeColor('testing.iconPassed') : undefined);
    item.contextValue = 'skydeck.gpuPool';
    return item;
  }
}

export class InfraNode implements TreeNode {
  readonly id: string;
  constructor(
    readonly name: string,
    readonly enabled: boolean,
    readonly reason?: string,
  ) {
    this.id = `infra/${name}`;
  }
  getTreeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem(this.name, vscode.TreeItemCollapsibleState.None);
    item.description = this.enabled ? 'enabled' : (this.reason ?? 'disabled');
    // The step that enables this row's cloud; a disabled row without one gets no Set Up… action.
    const step = this.enabled ? undefined : setUpStep(this.name, 'ssh_node_pools.yaml');
    item.tooltip = [
      this.reason ? `${this.name}: ${this.enabled ? 'enabled' : 'disabled'}\n${this.reason}` : this.name,
      step ? `Set Up…: ${step.title}` : undefined,
    ]
      .filter(Boolean)
      .join('\n');
    item.iconPath = this.enabled ? new vscode.ThemeIcon('pass', new vscode.ThemeColor('testing.iconPassed')) : new vscode.ThemeIcon('circle-slash');
    item.contextValue = this.enabled ? 'skydeck.infra.enabled' : step ? 'skydeck.infra.disabled' : 'skydeck.infra.disabled.nostep';
    return item;
  }
}

export async function managedJobRoots(): Promise<TreeNode[]> {
  return (await listManagedJobs()).sort((a, b) => b.id - a.id).map((j) => new ManagedJobNode(j));
}

export async function serviceRoots(): Promise<TreeNode[]> {
  return (await listServices()).map((s) => new ServiceNode(s));
}

export async function gpuRoots(): Promise<TreeNode[]> {
  const json = await showGpus();
  return json.accelerators.map(
    (a) =>
      new GpuNode(
        a,
        json.available.filter((x) => x.accelerator === a.name),
      ),
  );
}

export async function infraRoots(): Promise<TreeNode[]> {
  return (await checkInfra()).map((r) => new InfraNode(r.infra, r.enabled, r.reason));
}
