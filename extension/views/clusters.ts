/** The Clusters view: cluster -> nodes and jobs, with status, resources, uptime and cost so far. */
import * as vscode from 'vscode';
import type { ClusterJob, ClusterRecord } from '../../engine/cluster/types';
import type { NodeInfo } from '../../engine/infra/provider';
import { clusterQueue, listClusters } from '../engine/index';
import { duration, MessageNode, money, statusIcon, type TreeNode } from './treeNode';

/** Seconds the cluster has been UP in total (for cost so far). */
function upSeconds(c: ClusterRecord, now = Date.now()): number {
  const current = c.status === 'UP' || c.status === 'AUTOSTOPPING' ? (now - (c.startedAt ?? c.launchedAt)) / 1000 : 0;
  return (c.accumulatedUpSeconds ?? 0) + Math.max(0, current);
}

export function costPerHour(c: ClusterRecord): number {
  return (c.resources?.pricePerHour ?? 0) * (c.numNodes ?? 1);
}

function resourcesLabel(c: ClusterRecord): string {
  const r = c.resources;
  if (!r) return '';
  const acc = r.accelerators ? `${r.accelerators.name}:${r.accelerators.count}` : r.instanceType;
  const where = r.region && r.region !== r.cloud ? `${r.cloud}/${r.region}` : r.cloud;
  return `${c.numNodes}x ${where}${acc && acc !== where ? ` ${acc}` : ''}${r.useSpot ? ' [spot]' : ''}`;
}

/**
 * Whether SSH (terminal, Remote-SSH) can reach the cluster: `local` clusters run as processes
 * on this machine, with no host to connect to, and a cluster whose recorded nodes have no SSH
 * endpoint (a Kubernetes pod without its proxy entry) has none either. Such tree items end in
 * `.local` so the menus (package.json) leave those actions out.
 */
export function sshReachable(c: ClusterRecord): boolean {
  return c.resources?.cloud !== 'local' && (!c.nodes?.length || c.nodes.some((n) => n.ssh));
}

function infraSuffix(c: ClusterRecord, node?: NodeInfo): string {
  // A node without an endpoint in a cluster whose other nodes have one is not reachable either.
  const nodeReachable = !node || node.ssh || !c.nodes?.some((n) => n.ssh);
  return sshReachable(c) && nodeReachable ? '' : '.local';
}

export class ClusterNode implements TreeNode {
  readonly id: string;
  constructor(readonly record: ClusterRecord) {
    this.id = `cluster/${record.name}`;
  }

  getTreeItem(): vscode.TreeItem {
    const c = this.record;
    const item = new vscode.TreeItem(c.name, vscode.TreeItemCollapsibleState.Collapsed);
    const up = upSeconds(c);
    const parts = [c.status, resourcesLabel(c)];
    if (c.status === 'UP' || c.status === 'AUTOSTOPPING') parts.push(`up ${duration(up)}`);
    parts.push(`${money((costPerHour(c) * up) / 3600)} so far`);
    item.iconPath = statusIcon(c.status);
    // A managed job's cluster belongs to its controller (which recovers and tears it down): no lifecycle actions.
    item.contextValue = c.owner ? `skydeck.ownedCluster.${c.status.toLowerCase()}` : `skydeck.cluster.${c.status.toLowerCase()}${infraSuffix(c)}`;
    if (c.owner) parts.push(`owned by ${c.owner.replace(':', ' ')}`);
    item.description = parts.filter(Boolean).join(' · ');
    const md = new vscode.MarkdownString(undefined, true);
    md.appendMarkdown(`**${c.name}** — ${c.status}\n\n`);
    md.appendMarkdown(`| | |\n|---|---|\n`);
    md.appendMarkdown(`| Resources | ${resourcesLabel(c)} |\n`);
    md.appendMarkdown(`| Price | ${money(costPerHour(c))}/h |\n`);
    md.appendMarkdown(`| Uptime | ${duration(up)} |\n`);
    md.appendMarkdown(`| Launched | ${new Date(c.launchedAt).toLocaleString()} |\n`);
    if (c.autostop) md.appendMarkdown(`| Autostop | ${c.autostop.idleMinutes} min idle${c.autostop.down ? ' (down)' : ''} |\n`);
    if (c.owner) md.appendMarkdown(`| Owner | ${c.owner} |\n`);
    if (c.lastError) md.appendMarkdown(`\n$(warning) ${c.lastError}\n`);
    item.tooltip = md;
    return item;
  }

  async getChildren(): Promise<TreeNode[]> {
    const nodes: TreeNode[] = (this.record.nodes ?? []).map((n) => new ClusterMachineNode(this.record, n));
    if (this.record.status !== 'UP' && this.record.status !== 'AUTOSTOPPING') return nodes;
    let jobs: ClusterJob[];
    try {
      jobs = await clusterQueue(this.record.name);
    } catch (err) {
      return [...nodes, new MessageNode(`${this.id}/jobs-error`, `Jobs unavailable: ${err instanceof Error ? err.message : String(err)}`, 'warning')];
    }
    const jobNodes = jobs.sort((a, b) => b.id - a.id).map((j) => new ClusterJobNode(this.record.name, j));
    return [...nodes, ...(jobNodes.length ? jobNodes : [new MessageNode(`${this.id}/no-jobs`, 'No jobs yet', 'info')])];
  }
}

export class ClusterMachineNode implements TreeNode {
  readonly id: string;
  constructor(
    readonly cluster: ClusterRecord,
    readonly node: NodeInfo,
  ) {
    this.id = `cluster/${cluster.name}/node/${node.rank}`;
  }
  getTreeItem(): vscode.TreeItem {
    const n = this.node;
    const item = new vscode.TreeItem(n.rank === 0 ? 'head' : `worker${n.rank}`, vscode.TreeItemCollapsibleState.None);
    item.description = [n.externalIp ?? n.internalIp, n.state].filter(Boolean).join(' · ');
    item.iconPath = new vscode.ThemeIcon('server');
    item.contextValue = `skydeck.node.${String(n.state).toLowerCase()}${infraSuffix(this.cluster, n)}`;
    item.tooltip = `${n.id}\ninternal ${n.internalIp}${n.externalIp ? `\nexternal ${n.externalIp}` : ''}`;
    return item;
  }
}

export class ClusterJobNode implements TreeNode {
  readonly id: string;
  constructor(
    readonly clusterName: string,
    readonly job: ClusterJob,
  ) {
    this.id = `cluster/${clusterName}/job/${job.id}`;
  }
  getTreeItem(): vscode.TreeItem {
    const j = this.job;
    const item = new vscode.TreeItem(`#${j.id}${j.name ? ` ${j.name}` : ''}`, vscode.TreeItemCollapsibleState.None);
    const end = j.endedAt ?? Date.now();
    item.description = [j.status, j.startedAt ? duration((end - j.startedAt) / 1000) : undefined].filter(Boolean).join(' · ');
    item.iconPath = statusIcon(j.status);
    item.contextValue = `skydeck.clusterJob.${j.status.toLowerCase()}`;
    item.command = { command: 'skydeck.logs', title: 'Open Log', arguments: [this] };
    item.tooltip = `Job ${j.id} on ${this.clusterName}: ${j.status}${j.exitCode !== undefined ? ` (exit ${j.exitCode})` : ''}\nClick to open its log.`;
    return item;
  }
}

export async function clusterRoots(): Promise<TreeNode[]> {
  // A service's replica clusters are listed under the service (Services view), where its controller manages them.
  const records = (await listClusters()).filter((r) => !r.owner?.startsWith('service:'));
  return records.sort((a, b) => a.name.localeCompare(b.name)).map((r) => new ClusterNode(r));
}
