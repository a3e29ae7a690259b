/** `skydeck jobs queue` as SkyPilot prints it (sky/jobs/utils.py columns). */
import { formatAgo as ago, formatDuration as duration } from '../cluster/format';
import type { QueueRow } from './api';

const QUEUE_HEADERS = ['ID', 'TASK', 'NAME', 'RESOURCES', 'SUBMITTED', 'TOT. DURATION', 'JOB DURATION', '#RECOVERIES', 'STATUS'];

function cells(r: QueueRow, now: number, sub: boolean): string[] {
  return [
    sub ? '' : String(r.id),
    r.task === undefined ? '-' : String(r.task),
    sub ? ` ↳ ${r.name}` : r.name,
    r.resources,
    sub ? '' : ago(r.submittedAt, now),
    duration(r.totalDurationSeconds),
    r.jobDurationSeconds > 0 ? duration(r.jobDurationSeconds) : '-',
    String(r.recoveries),
    r.status,
  ];
}

export function formatQueue(rows: QueueRow[], now = Date.now()): string {
  if (rows.length === 0) return 'No managed jobs found.';
  const lines = rows.flatMap((r) => [cells(r, now, false), ...(r.tasks ?? []).map((t) => cells(t, now, true))]);
  const widths = QUEUE_HEADERS.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const fmt = (l: string[]) =>
    l
      .map((c, i) => (i === l.length - 1 ? c : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  const out = [fmt(QUEUE_HEADERS), ...lines.map(fmt)];
  const counts = new Map<string, number>();
  for (const r of rows) counts.set(r.status, (counts.get(r.status) ?? 0) + 1);
  const active = rows.filter((r) => ['PENDING', 'STARTING', 'RUNNING', 'RECOVERING', 'CANCELLING'].includes(r.status)).length;
  return `Managed jobs\nIn progress tasks: ${
    active === 0
      ? 'none'
      : [...counts]
          .filter(([s]) => ['PENDING', 'STARTING', 'RUNNING', 'RECOVERING', 'CANCELLING'].includes(s))
          .map(([s, n]) => `${n} ${s}`)
          .join(', ')
  }\n${out.join('\n')}`;
}
