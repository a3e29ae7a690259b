/**
 * Commands accept what their caller has: a tree node (context menu), a plain name (the
 * palette, other extensions, tests), or nothing (then a quick pick asks).
 */
import * as vscode from 'vscode';
import type { ClusterRecord } from '../../engine/cluster/types';
import { clusterQueue, listClusters, listManagedJobs, listServices } from '../engine/index';
import { ClusterJobNode, ClusterMachineNode, ClusterNode } from '../views/clusters';
import { ManagedJobNode, ReplicaNode, ServiceNode } from '../views/others';

function cancelled(what: string): Error {
  return Object.assign(new Error(`No ${what} chosen.`), { name: 'CancelledError', code: 'CANCELLED' });
}

export async function pickCluster(
  arg: unknown,
  filter: (c: ClusterRecord) => boolean = () => true,
  verb = 'Choose a cluster',
): Promise<{ record: ClusterRecord; rank: number }> {
  if (arg instanceof ClusterNode) return { record: arg.record, rank: 0 };
  if (arg instanceof ClusterMachineNode) return { record: arg.cluster, rank: arg.node.rank };
  const clusters = await listClusters();
  const name = typeof arg === 'string' ? arg : arg instanceof ClusterJobNode ? arg.clusterName : undefined;
  if (name) {
    const record = clusters.find((c) => c.name === name);
    if (!record) throw Object.assign(new Error(`Cluster ${name} not found.`), { code: 'NOT_FOUND', hint: 'Refresh the Clusters view to see what exists.' });
    return { record, rank: 0 };
  }
  const candidates = clusters.filter(filter);
  if (!candidates.length) throw Object.assign(new Error('No cluster fits. Launch one from a task file first.'), { code: 'NOT_FOUND' });
  const pick = await vscode.window.showQuickPick(
    candidates.map((c) => ({ label: c.name, description: `${c.status} · ${c.resources?.cloud ?? ''}`, record: c })),
    { title: verb },
  );
  if (!pick) throw cancelled('cluster');
  return { record: pick.record, rank: 0 };
}

export async function pickClusterJob(arg: unknown): Promise<{ cluster: string; jobId?: number }> {
  if (arg instanceof ClusterJobNode) return { cluster: arg.clusterName, jobId: arg.job.id };
  if (typeof arg === 'object' && arg !== null && 'cluster' in arg) {
    const a = arg as { cluster: string; jobId?: number };
    return { cluster: a.cluster, jobId: a.jobId };
  }
  const { record } = await pickCluster(arg, (c) => c.status === 'UP', 'Logs of which cluster?');
  const jobs = await clusterQueue(record.name).catch(() => []);
  if (jobs.length <= 1) return { cluster: record.name, jobId: jobs[0]?.id };
  const pick = await vscode.window.showQuickPick(
    jobs.sort((a, b) => b.id - a.id).map((j) => ({ label: `#${j.id}${j.name ? ` ${j.name}` : ''}`, description: j.status, id: j.id })),
    { title: `Job on ${record.name}` },
  );
  if (!pick) throw cancelled('job');
  return { cluster: record.name, jobId: pick.id };
}

export async function pickManagedJob(arg: unknown): Promise<number> {
  if (arg instanceof ManagedJobNode) return arg.job.id;
  if (typeof arg === 'number') return arg;
  if (typeof arg === 'string' && /^\d+$/.test(arg)) return Number(arg);
  const jobs = await listManagedJobs();
  if (!jobs.length) throw Object.assign(new Error('No managed jobs yet.'), { code: 'NOT_FOUND' });
  const pick = await vscode.window.showQuickPick(
    jobs.map((j) => ({ label: `#${j.id}${j.name ? ` ${j.name}` : ''}`, description: `${j.status} · ${j.recoveries} recoveries`, id: j.id })),
    { title: 'Managed job' },
  );
  if (!pick) throw cancelled('managed job');
  return pick.id;
}

export async function pickService(arg: unknown): Promise<string> {
  if (arg instanceof ServiceNode) return arg.service.name;
  if (arg instanceof ReplicaNode) return arg.serviceName;
  if (typeof arg === 'string') return arg;
  const services = await listServices();
  if (!services.length) throw Object.assign(new Error('No services yet.'), { code: 'NOT_FOUND' });
  const pick = await vscode.window.showQuickPick(
    services.map((s) => ({ label: s.name, description: `${s.status} · ${s.endpoint ?? ''}` })),
    { title: 'Service' },
  );
  if (!pick) throw cancelled('service');
  return pick.label;
}

/** Asks before something destructive. Modal, so it is never missed. */
export async function confirm(message: string, action: string): Promise<boolean> {
  const choice = await vscode.window.showWarningMessage(message, { modal: true }, action);
  return choice === action;
}
