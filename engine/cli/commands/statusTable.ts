/**
 * What `skydeck status` prints for the stored clusters, shared by the full command
 * (./cluster.ts) and its start-up fast path (./statusFast.ts), so both print the same bytes.
 * Imports only the store's readers and the formatters: the fast path's bundle is this closure.
 */
import { costSoFar, formatAgo, formatAutostop, formatDuration, formatInfra, formatResources, table, upSeconds } from '../../cluster/format';
import type { ClusterRecord } from '../../cluster/types';

export const JOBS_HEADING = '\nManaged jobs\n';
export const NO_JOBS_IN_PROGRESS = 'No in-progress managed jobs.';
export const SERVICES_HEADING = '\nServices\n';
export const NO_LIVE_SERVICES = 'No live services.';

export function headIp(rec: ClusterRecord): string | undefined {
  const head = rec.nodes.find((n) => n.rank === 0) ?? rec.nodes[0];
  return head ? (head.externalIp ?? head.internalIp) : undefined;
}

/** The cluster table (SkyPilot's columns; `verbose`: untruncated resources and HEAD_IP), then each cluster's last error. */
export function statusText(recs: ClusterRecord[], verbose: boolean): string {
  if (recs.length === 0) return 'No existing clusters.\n';
  const now = Date.now();
  const rows = recs.map((r) => [
    r.name,
    formatInfra(r.resources),
    formatResources(r.resources, r.numNodes, { full: verbose }),
    r.status,
    formatAutostop(r.autostop),
    formatAgo(r.launchedAt, now),
    ...(verbose ? [headIp(r) ?? '-'] : []),
    r.status === 'UP' ? formatDuration(upSeconds(r, now).current) : '-',
    `$${costSoFar(r, now).toFixed(2)}`,
  ]);
  const headers = ['NAME', 'INFRA', 'RESOURCES', 'STATUS', 'AUTOSTOP', 'LAUNCHED', ...(verbose ? ['HEAD_IP'] : []), 'UPTIME', 'COST (est.)'];
  let out = `${table(headers, rows)}\n`;
  for (const r of recs) if (r.lastError) out += `  ${r.name}: ${r.lastError}\n`;
  return out;
}
