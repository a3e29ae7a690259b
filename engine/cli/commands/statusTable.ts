/**
 * What `skydeck status` prints for the stored clusters, shared by the full command
 * (./cluster.ts) and its start-up fast path (./statusFast.ts), so both print the same bytes.
 * Imports only the store's readers and the formatters: the fast path's bundle is this closure.
 */
import { costSoFar, formatAgo, formatAutostop, formatDuration, formatInfra, formatResources, upSeconds } from '../../cluster/format';
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
  const headers = ['NAME', 'INFRA', 'RESOURCES', 'STATUS', 'AUTOSTOP', 'LAUNCHED', ...(verbose ? ['HEAD_IP'] : []), 'UPTIME', 'COST (est.)'];
  const n = headers.length;
  const cells: string[] = new Array<string>(recs.length * n);
  let k = 0;
  for (const r of recs) {
    cells[k++] = r.name;
    cells[k++] = formatInfra(r.resources);
    cells[k++] = formatResources(r.resources, r.numNodes, { full: verbose });
    cells[k++] = r.status;
    cells[k++] = formatAutostop(r.autostop);
    cells[k++] = formatAgo(r.launchedAt, now);
    if (verbose) cells[k++] = headIp(r) ?? '-';
    cells[k++] = r.status === 'UP' ? formatDuration(upSeconds(r, now).current) : '-';
    cells[k++] = `$${costSoFar(r, now).toFixed(2)}`;
  }
  let out = `${alignedTable(headers, cells)}\n`;
  for (const r of recs) if (r.lastError) out += `  ${r.name}: ${r.lastError}\n`;
  return out;
}

/**
 * The same text as format.ts's table(headers, rows) for full rows given one after another in
 * `cells` (row-major), built in one join: no padded copy of each cell and no string per line,
 * which for a thousand clusters allocated several times the table's size (the garbage
 * collections that came with it were most of what formatting cost).
 */
export function alignedTable(headers: string[], cells: string[]): string {
  const n = headers.length;
  const widths = headers.map((h) => h.length);
  for (let i = 0; i < cells.length; i++) if (cells[i].length > widths[i % n]) widths[i % n] = cells[i].length;
  // Padding plus the two-space column gap, one string per width in use.
  const gaps: string[] = [];
  const gap = (size: number) => (gaps[size] ??= ' '.repeat(size));
  // Sized once: the pieces of every line (each cell and its gap, and the line break).
  const parts: string[] = new Array<string>(2 * n * (cells.length / n + 1));
  let k = 0;
  const addLine = (row: string[] | undefined, first: number) => {
    const cell = (i: number) => (row ? row[i] : cells[first + i]);
    const last = cell(n - 1);
    // table() trims each line's end: only a last cell that is empty or ends in whitespace lets that remove anything.
    if (last.length === 0 || last.trimEnd() !== last) {
      let line = '';
      for (let i = 0; i < n - 1; i++) line += cell(i) + gap(widths[i] - cell(i).length + 2);
      parts[k++] = (line + last).trimEnd();
      return;
    }
    for (let i = 0; i < n - 1; i++) {
      parts[k++] = cell(i);
      parts[k++] = gap(widths[i] - cell(i).length + 2);
    }
    parts[k++] = last;
  };
  addLine(headers, 0);
  for (let first = 0; first < cells.length; first += n) {
    parts[k++] = '\n';
    addLine(undefined, first);
  }
  parts.length = k;
  return parts.join('');
}
