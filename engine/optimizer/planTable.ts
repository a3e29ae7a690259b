/**
 * The plan as SkyPilot prints it (print_optimized_plan): "Considered resources (N nodes):"
 * with INFRA | INSTANCE | vCPUs | Mem(GB) | GPUS | COST ($) | CHOSEN, one row per
 * (cloud, accelerators, spot) group showing its cheapest member (Kubernetes and SSH per
 * context/pool), the chosen row always present and marked; "Best plan:" for pipelines.
 */
import type { DetailedPlan } from './index';
import { cloudLabel } from './index';
import type { Candidate } from './types';

export function renderTable(header: string[], rows: string[][], align: ('l' | 'r')[] = []): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (align[i] === 'r' ? c.padStart(widths[i]) : c.padEnd(widths[i])))
      .join('   ')
      .trimEnd();
  const out = [line(header), ...rows.map(line)];
  return out.join('\n');
}

function middleTruncate(s: string, max: number): string {
  if (s.length <= max) return s;
  const keep = max - 3;
  return `${s.slice(0, Math.ceil(keep / 2))}...${s.slice(s.length - Math.floor(keep / 2))}`;
}

function infraLabel(c: Candidate): string {
  if (c.cloud === 'local') return 'Local';
  if (c.cloud === 'kubernetes') return middleTruncate(`Kubernetes (${c.region})`, 25);
  if (c.cloud === 'ssh') return middleTruncate(`SSH (${c.region})`, 25);
  return middleTruncate(`${cloudLabel(c.cloud)} (${c.zone ?? c.region})`, 25);
}

function gpusLabel(c: Candidate): string {
  if (!c.accelerators) return '-';
  return Object.entries(c.accelerators)
    .map(([n, k]) => `${n}:${k}`)
    .join(', ');
}

function num(x: number | undefined): string {
  if (x === undefined || Number.isNaN(x)) return '-';
  return Number.isInteger(x) ? String(x) : String(Math.round(x * 10) / 10);
}

/** One row per (cloud, accelerators, spot) group, plus the chosen candidate. */
function groupRows(plan: DetailedPlan): Candidate[] {
  const seen = new Map<string, Candidate>();
  const rows: Candidate[] = [];
  for (const c of plan.candidates) {
    const key = [c.cloud, gpusLabel(c), c.spot, c.cloud === 'kubernetes' || c.cloud === 'ssh' ? c.region : '', c.resourcesIndex ?? ''].join('|');
    if (seen.has(key)) continue;
    seen.set(key, c);
    rows.push(c);
  }
  if (!rows.includes(plan.chosen)) rows.unshift(plan.chosen);
  return rows;
}

function formatPlanTable(plan: DetailedPlan, taskName?: string): string {
  const nodes = plan.chosen.nodes;
  const rows = groupRows(plan).map((c) => [
    infraLabel(c),
    c.cloud === 'kubernetes' || c.cloud === 'ssh' ? '-' : `${c.instanceType}${c.spot ? '[Spot]' : ''}`,
    num(c.cpus),
    num(c.memoryGb),
    gpusLabel(c),
    c.costPerHour.toFixed(2),
    c === plan.chosen ? '✔' : '',
  ]);
  const table = renderTable(['INFRA', 'INSTANCE', 'vCPUs', 'Mem(GB)', 'GPUS', 'COST ($)', 'CHOSEN'], rows, ['l', 'l', 'l', 'l', 'l', 'r', 'l']);
  const width = Math.max(...table.split('\n').map((l) => l.length));
  const rule = '-'.repeat(width);
  const [head, ...body] = table.split('\n');
  const title = `Considered resources${taskName ? ` for task '${taskName}'` : ''} (${nodes} node${nodes === 1 ? '' : 's'}):`;
  return [title, rule, head, rule, ...body, rule].join('\n');
}

export interface PlannedTask {
  name?: string;
  plan: DetailedPlan;
}

export function formatPlan(tasks: PlannedTask[]): string {
  const out: string[] = [];
  const single = tasks.length === 1;
  if (tasks.some((t) => t.plan.candidates.length > 1)) out.push('Target: minimizing cost');
  if (single) {
    const c = tasks[0].plan.chosen;
    out.push(`Estimated cost: $${c.costPerHour.toFixed(1)} / hour`, '');
  } else {
    const total = tasks.reduce((s, t) => s + t.plan.chosen.costPerHour, 0);
    out.push(`Estimated total cost: $${total.toFixed(1)} / hour (all tasks running)`, '', 'Best plan:');
    const rows = tasks.map((t, i) => {
      const c = t.plan.chosen;
      return [t.name ?? `task-${i}`, String(c.nodes), infraLabel(c), c.instanceType, num(c.cpus), num(c.memoryGb), gpusLabel(c)];
    });
    out.push(renderTable(['TASK', '#NODES', 'INFRA', 'INSTANCE', 'vCPUs', 'Mem(GB)', 'GPUS'], rows), '');
  }
  tasks.forEach((t, i) => {
    for (const n of t.plan.notes) out.push(n);
    out.push(formatPlanTable(t.plan, single ? undefined : (t.name ?? `task-${i}`)), '');
  });
  return out.join('\n');
}
