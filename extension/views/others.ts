/** Managed Jobs, Services, GPUs and Infra views (data through the CLI's JSON contract). */
import * as vscode from 'vscode';
import { checkInfra, listGpus, listManagedJobs, listServices, type GpuOffer, type ManagedJobRow, type ServiceRow } from '../engine/index';
import { duration, MessageNode, money, statusIcon, type TreeNode } from './treeNode';

export class ManagedJobNode implements TreeNode {
  readonly id: string;
  constructor(readonly job: ManagedJobRow) {
    this.id = `managed-job/${job.id}`;
  }
  getTreeItem(): vscode.TreeItem {
    const j = this.job;
    const item = new vscode.TreeItem(`#${j.id}${j.name ? ` ${j.name}` : ''}`, vscode.TreeItemCollapsibleState.None);
    const secs = j.durationSeconds ?? (j.startedAt ? ((j.endedAt ?? Date.now()) - j.startedAt) / 1000 : undefined);
    item.description = [j.status, `${j.recoveries ?? 0} recoveries`, secs !== undefined ? duration(secs) : undefined, j.infra].filter(Boolean).join(' · ');
    item.iconPath = statusIcon(j.status);
    item.contextValue = `skydeck.managedJob.${j.status.toLowerCase()}`;
    item.command = { command: 'skydeck.jobs.logs', title: 'Open Log', arguments: [this] };
    item.tooltip = `Managed job ${j.id}: ${j.status}${j.cluster ? ` on ${j.cluster}` : ''}${j.failureReason ? `\n${j.failureReason}` : ''}`;
    return item;
  }
}

export class ServiceNode implements TreeNode {
  readonly id: string;
  constructor(readonly service: ServiceRow) {
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
    readonly replica: ServiceRow['replicas'][number],
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

export class GpuNode implements TreeNode {
  readonly id: string;
  constructor(
    readonly accelerator: string,
    private readonly offers: GpuOffer[],
  ) {
    this.id = `gpu/${accelerator}`;
  }
  getTreeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem(this.accelerator, vscode.TreeItemCollapsibleState.Collapsed);
    const priced = this.offers.filter((o) => o.price !== undefined).map((o) => (o.price ?? 0) / Math.max(1, o.count));
    const counts = [...new Set(this.offers.map((o) => o.count))].sort((a, b) => a - b);
    const free = this.offers.filter((o) => o.available !== undefined).reduce((s, o) => s + (o.available ?? 0), 0);
    item.description = [
      counts.length ? `x${counts.join(',')}` : undefined,
      priced.length ? `from ${money(Math.min(...priced))}/GPU-h` : undefined,
      free ? `${free} free now` : undefined,
    ]
      .filter(Boolean)
      .join(' · ');
    item.iconPath = new vscode.ThemeIcon('chip');
    item.contextValue = 'skydeck.gpu';
    return item;
  }
  async getChildren(): Promise<TreeNode[]> {
    const offers = this.offers.some((o) => o.region) ? this.offers : await listGpus(this.accelerator);
    // Cheapest offer per cloud/region (per GPU-hour), cheapest first.
    const best = new Map<string, GpuOffer>();
    for (const o of offers) {
      if (o.accelerator !== this.accelerator) continue;
      const key = `${o.cloud}/${o.region ?? ''}`;
      const per = (o.price ?? Infinity) / Math.max(1, o.count);
      const cur = best.get(key);
      if (!cur || per < (cur.price ?? Infinity) / Math.max(1, cur.count)) best.set(key, o);
    }
    const rows = [...best.values()].sort((a, b) => (a.price ?? Infinity) / a.count - (b.price ?? Infinity) / b.count);
    return rows.length ? rows.slice(0, 50).map((o) => new GpuOfferNode(this.accelerator, o)) : [new MessageNode(`${this.id}/none`, 'No offers')];
  }
}

export class GpuOfferNode implements TreeNode {
  readonly id: string;
  constructor(
    accelerator: string,
    readonly offer: GpuOffer,
  ) {
    this.id = `gpu/${accelerator}/${offer.cloud}/${offer.region ?? '-'}/${offer.instanceType ?? offer.count}`;
  }
  getTreeItem(): vscode.TreeItem {
    const o = this.offer;
    const item = new vscode.TreeItem(o.region ? `${o.cloud}/${o.region}` : o.cloud, vscode.TreeItemCollapsibleState.None);
    item.description = [
      `x${o.count}`,
      o.instanceType,
      o.price !== undefined ? `${money(o.price)}/h` : undefined,
      o.spotPrice !== undefined ? `spot ${money(o.spotPrice)}/h` : undefined,
      o.available !== undefined ? `${o.available}${o.total !== undefined ? `/${o.total}` : ''} free` : undefined,
    ]
      .filter(Boolean)
      .join(' · ');
    item.iconPath = new vscode.ThemeIcon(o.available !== undefined ? 'server-environment' : 'cloud');
    item.contextValue = 'skydeck.gpuOffer';
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
    item.tooltip = this.reason ? `${this.name}: ${this.enabled ? 'enabled' : 'disabled'}\n${this.reason}` : this.name;
    item.iconPath = this.enabled ? new vscode.ThemeIcon('pass', new vscode.ThemeColor('testing.iconPassed')) : new vscode.ThemeIcon('circle-slash');
    item.contextValue = `skydeck.infra.${this.enabled ? 'enabled' : 'disabled'}`;
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
  const offers = await listGpus();
  const by = new Map<string, GpuOffer[]>();
  for (const o of offers) by.set(o.accelerator, [...(by.get(o.accelerator) ?? []), o]);
  return [...by.entries()].sort((a, b) => a[0].localeCompare(b[0])).map(([name, list]) => new GpuNode(name, list));
}

export async function infraRoots(): Promise<TreeNode[]> {
  return (await checkInfra()).map((r) => new InfraNode(r.name, r.enabled, r.reason));
}
