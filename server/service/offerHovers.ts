/**
 * Hover text for an accelerator or instance type value: a Markdown table of the cheapest
 * offers per hour, from the catalog's data (engine/optimizer/insights.ts). Clouds that are
 * not set up here are marked in the table.
 */
import type { InfraState, Insights, OfferRow } from '../../engine/optimizer/insightTypes';
import { cloudLabel, isSetUp, money } from './costLens';

function offersTable(rows: OfferRow[], states: InfraState[], withInstance = true): string {
  const head = withInstance ? '| Cloud | Region | Instance | vCPUs | Mem (GB) | GPUs | On-demand | Spot |' : '| Cloud | Region | On-demand | Spot |';
  const sep = withInstance ? '|---|---|---|--:|--:|---|--:|--:|' : '|---|---|--:|--:|';
  const fmt = (x: number | null) => (x === null ? '—' : money(x));
  const cloud = (c: string) => `${cloudLabel(c)}${isSetUp(states, c) === false ? ' (not set up)' : ''}`;
  const body = rows.map((r) =>
    withInstance
      ? `| ${cloud(r.cloud)} | ${r.region} | ${r.instanceType} | ${r.vCPUs ?? '—'} | ${r.memoryGb ?? '—'} | ${
          r.accelerators
            ? Object.entries(r.accelerators)
                .map(([n, c]) => `${n}:${c}`)
                .join(', ')
            : '—'
        } | ${fmt(r.onDemand)} | ${fmt(r.spot)} |`
      : `| ${cloud(r.cloud)} | ${r.region} | ${fmt(r.onDemand)} | ${fmt(r.spot)} |`,
  );
  return [head, sep, ...body].join('\n');
}

/** Markdown for an accelerator value (with or without a count), or undefined if no catalog knows it. */
export function acceleratorHover(insights: Insights, name: string, count?: number): string | undefined {
  const offers = insights.acceleratorOffers(name, count);
  if (!offers) return undefined;
  const states = insights.infraStates();
  const heading = count === undefined ? `**${offers.name}**: counts ${offers.counts.join(', ')}` : `**${offers.name}:${count}**`;
  const lines = [
    `${heading} — cheapest offers per hour (${offers.regions || offers.rows.length} region${offers.regions === 1 ? '' : 's'})`,
    '',
    offersTable(offers.rows.slice(0, 8), states),
  ];
  const free = insights.freeGpus().filter((a) => a.accelerator.toLowerCase() === name.toLowerCase());
  if (free.length) lines.push('', `Available now: ${free.map((a) => `${a.infra} ${a.free}/${a.total} free`).join(', ')}`);
  lines.push('', `_Catalog: ${insights.catalogOrigins()}. \`skydeck show-gpus ${name}\` for all._`);
  return lines.join('\n');
}

/** Markdown for an instance type value, one section per cloud that has it, or undefined. */
export function instanceTypeHover(insights: Insights, name: string): string | undefined {
  const infos = insights.instanceTypeOffers(name);
  if (!infos.length) return undefined;
  const states = insights.infraStates();
  const out: string[] = [];
  for (const info of infos) {
    const shape = [`${info.vcpus} vCPUs`, `${info.memoryGb} GB`, info.accelerator ? `${info.accelerator.name}:${info.accelerator.count}` : '']
      .filter(Boolean)
      .join(', ');
    out.push(
      `**${info.name}** (${cloudLabel(info.cloud)}): ${shape} — ${info.regions} region${info.regions === 1 ? '' : 's'}`,
      '',
      offersTable(info.rows.slice(0, 8), states, false),
      '',
    );
  }
  out.push(`_Catalog: ${insights.catalogOrigins()}._`);
  return out.join('\n');
}
