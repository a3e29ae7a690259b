/** How clusters look in tables and JSON (SkyPilot's status/queue columns). */
import type { ClusterJob, ClusterRecord, LaunchedResources } from './types';

const INFRA_NAMES: Record<string, string> = { local: 'Local', ssh: 'SSH', kubernetes: 'Kubernetes', aws: 'AWS', gcp: 'GCP', azure: 'Azure' };

/** `AWS (us-east-1)`, `SSH (pool)`, `Local`. */
export function formatInfra(r: LaunchedResources): string {
  const name = INFRA_NAMES[r.cloud] ?? r.cloud;
  if (r.cloud === 'local') return name;
  return `${name} (${r.zone ?? r.region})`;
}

/**
 * `2x(cpus=4, local)`, `1x[spot](gpus=A100:1, a2-highgpu-1g)`: SkyPilot's format_resource.
 * `full` (status -v): the instance type untruncated, plus the disk size and ports.
 */
export function formatResources(r: LaunchedResources, numNodes: number, options: { full?: boolean } = {}): string {
  const parts: string[] = [];
  if (r.accelerators) parts.push(`gpus=${r.accelerators.name}:${r.accelerators.count}`);
  if (r.cpus !== undefined) parts.push(`cpus=${r.cpus}`);
  if (r.memoryGb !== undefined) parts.push(`mem=${r.memoryGb}`);
  if (r.cloud !== 'kubernetes' && r.instanceType)
    parts.push(r.instanceType.length > 15 && !options.full ? `${r.instanceType.slice(0, 15)}...` : r.instanceType);
  if (options.full) {
    if (r.diskSizeGb) parts.push(`disk=${r.diskSizeGb}`);
    if (r.ports?.length) parts.push(`ports=[${r.ports.join(', ')}]`);
  }
  return `${numNodes}x${r.useSpot ? '[spot]' : ''}(${parts.join(', ')})`;
}

/**
 * A job's RESOURCES in the queue (SkyPilot's job resources string): what the job demands on
 * each of its nodes, `1x[A100:1]`, or `1x[CPU:0.5]` for a job without accelerators.
 */
export function formatJobResources(numNodes: number, accelerators: { name: string; count: number } | undefined, cpusPerNode: number): string {
  return `${numNodes}x[${accelerators ? `${accelerators.name}:${accelerators.count}` : `CPU:${cpusPerNode}`}]`;
}

/** `-`, `10m`, `2h`, ` (down)` suffix. */
export function formatAutostop(a: ClusterRecord['autostop']): string {
  if (!a || a.idleMinutes < 0) return '-';
  const t = a.idleMinutes >= 60 && a.idleMinutes % 60 === 0 ? `${a.idleMinutes / 60}h` : `${a.idleMinutes}m`;
  return a.down ? `${t} (down)` : t;
}

export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${s % 60}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h ${m % 60}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

export function formatAgo(epochMs: number, now = Date.now()): string {
  const s = Math.max(0, Math.floor((now - epochMs) / 1000));
  if (s < 5) return 'just now';
  if (s < 60) return `${s} secs ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min${s >= 120 ? 's' : ''} ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} hr${s >= 7200 ? 's' : ''} ago`;
  return `${Math.floor(s / 86400)} day${s >= 172800 ? 's' : ''} ago`;
}

/** Seconds the cluster has been UP in total (for cost) and since its last start (uptime). */
export function upSeconds(rec: ClusterRecord, now = Date.now()): { total: number; current: number } {
  const current = rec.status === 'UP' && rec.startedAt ? (now - rec.startedAt) / 1000 : 0;
  return { total: rec.accumulatedUpSeconds + current, current };
}

export function costSoFar(rec: ClusterRecord, now = Date.now()): number {
  return (upSeconds(rec, now).total / 3600) * rec.resources.pricePerHour * rec.numNodes;
}

/** `status --json` rows: stable field names. */
export interface ClusterStatusJson {
  name: string;
  status: string;
  infra: string;
  cloud: string;
  region: string;
  zone: string | null;
  resources: string;
  numNodes: number;
  launchedAt: string;
  uptimeSeconds: number;
  costPerHour: number;
  costSoFar: number;
  autostop: { idleMinutes: number; down: boolean } | null;
  headIp: string | null;
  nodeIps: string[];
  lastError: string | null;
  owner: string | null;
}

export function statusJson(rec: ClusterRecord, now = Date.now()): ClusterStatusJson {
  const head = rec.nodes.find((n) => n.rank === 0);
  return {
    name: rec.name,
    status: rec.status,
    infra: rec.resources.cloud === 'local' ? 'local' : `${rec.resources.cloud}/${rec.resources.region}${rec.resources.zone ? `/${rec.resources.zone}` : ''}`,
    cloud: rec.resources.cloud,
    region: rec.resources.region,
    zone: rec.resources.zone ?? null,
    resources: formatResources(rec.resources, rec.numNodes),
    numNodes: rec.numNodes,
    launchedAt: new Date(rec.launchedAt).toISOString(),
    uptimeSeconds: Math.floor(upSeconds(rec, now).current),
    costPerHour: rec.resources.pricePerHour * rec.numNodes,
    costSoFar: Number(costSoFar(rec, now).toFixed(6)),
    autostop: rec.autostop && rec.autostop.idleMinutes >= 0 ? rec.autostop : null,
    headIp: head?.internalIp ?? null,
    nodeIps: [...rec.nodes].sort((a, b) => a.rank - b.rank).map((n) => n.internalIp),
    lastError: rec.lastError ?? null,
    owner: rec.owner ?? null,
  };
}

export interface JobJson {
  id: number;
  name: string | null;
  user: string;
  status: string;
  submittedAt: string;
  startedAt: string | null;
  endedAt: string | null;
  durationSeconds: number | null;
  exitCode: number | null;
  resources: string;
  logDir: string;
}

export function jobJson(j: ClusterJob, now = Date.now()): JobJson {
  return {
    id: j.id,
    name: j.name ?? null,
    user: j.user,
    status: j.status,
    submittedAt: new Date(j.submittedAt).toISOString(),
    startedAt: j.startedAt ? new Date(j.startedAt).toISOString() : null,
    endedAt: j.endedAt ? new Date(j.endedAt).toISOString() : null,
    durationSeconds: j.startedAt ? Math.round(((j.endedAt ?? now) - j.startedAt) / 1000) : null,
    exitCode: j.exitCode ?? null,
    resources: j.resources,
    logDir: j.logDir,
  };
}

/** A plain-text table with left-aligned columns (SkyPilot's prettytable style without borders). */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}
