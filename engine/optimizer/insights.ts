/**
 * Catalog insights for the language service (contract: ./insightTypes.ts): cost lenses,
 * offer hovers, priced completions and resource diagnostics. The catalog loads on first
 * use (never at server start); results per resources spec are memoized, so a lens pass
 * over a typical file costs well under a millisecond once warm.
 *
 * GPUs free on configured Kubernetes contexts / SSH node pools are fetched in the
 * background (providers' ReportsGpuAvailability) and appear in lenses and hovers once known.
 */
import { cmpPrice, isCatalogCloud, type Catalog, type CatalogCloud } from '../catalog/catalog';
import { COMMON_GPUS } from '../catalog/listAccelerators';
import type { NoOfferReason, Offer } from '../catalog/query';
import { getCatalog } from '../catalog/sources';
import type { ResourcesSpec } from '../task/types';
import { liveGpuAvailability, summarizeAvailability } from './availability';
import { detectInfra } from '../infra/detection';
import { cloudLabel } from './index';
import type { CostLens, InsightDiagnostic, InsightRange, Insights, PricedCompletion, ResourcesSite } from './insightTypes';
import { offersForSpec, toOfferRows, type OfferRow, type SpecOffers } from './offers';

export const SHOW_OFFERS_COMMAND = 'skydeck.showOffers';

export interface InsightsOptions {
  /** Catalog provider (tests pass a fixed one); default: the resolved sources. */
  catalog?: () => Catalog;
  /** Look for Kubernetes / SSH GPU availability (default true; tests turn it off). */
  liveAvailability?: boolean;
}

interface Summary {
  offers: SpecOffers;
  rows: OfferRow[];
  cheapest?: Offer;
  cheapestSpot?: Offer;
  regions: number;
  /** The offers view's rows per node count, built once (the lens is re-rendered on every keystroke). */
  views?: Map<number, Record<string, unknown>[]>;
}

function money(x: number): string {
  return `$${x < 10 ? x.toFixed(2) : x.toFixed(1)}`;
}

function where(o: Offer): string {
  return `${o.cloud} ${o.region}`;
}

function accText(a: { name: string; count: number }): string {
  return `${a.name}:${Number.isInteger(a.count) ? a.count : a.count}`;
}

/** View rows in the shape extension/cost/offersView.ts renders (and our own field names). */
function viewRows(rows: OfferRow[], nodes: number): Record<string, unknown>[] {
  return rows.map((r) => {
    const [gpu, gpuCount] = r.accelerators ? Object.entries(r.accelerators)[0] : [undefined, 0];
    return { ...r, vcpus: r.vCPUs ?? undefined, gpu, gpuCount, price: r.onDemand ?? undefined, spotPrice: r.spot ?? undefined, nodes };
  });
}

class CatalogInsights implements Insights {
  private readonly cache = new Map<string, Summary>();
  private catalogRef: Catalog | undefined;
  private availability: { infra: string; accelerator: string; free: number; total: number }[] = [];
  private availabilityAt = 0;

  constructor(private readonly options: InsightsOptions) {}

  private cat(): Catalog {
    const c = (this.options.catalog ?? getCatalog)();
    if (c !== this.catalogRef) {
      this.catalogRef = c;
      this.cache.clear();
    }
    return c;
  }

  private summary(spec: ResourcesSpec): Summary {
    const cat = this.cat();
    const key = JSON.stringify(spec);
    const hit = this.cache.get(key);
    if (hit) return hit;
    // Prices for both purchase options: the lens shows on-demand and spot side by side.
    const base: ResourcesSpec = { ...spec, useSpot: false, maxHourlyCost: undefined };
    // One query for both: offers with either price known (on-demand ones are those with a price).
    const both = offersForSpec(base, cat, { anyPrice: true });
    const offers: SpecOffers = { ...both, offers: both.offers.filter((o) => !Number.isNaN(o.price)) };
    let cheapest: Offer | undefined;
    for (const o of offers.offers) if (!cheapest || cmpPrice(o.price, cheapest.price) < 0) cheapest = o;
    let cheapestSpot: Offer | undefined;
    for (const o of both.offers) if (!Number.isNaN(o.spotPrice) && (!cheapestSpot || o.spotPrice < cheapestSpot.spotPrice)) cheapestSpot = o;
    const regions = new Set(offers.offers.map((o) => `${o.cloud}/${o.region}`)).size;
    const s: Summary = { offers, rows: toOfferRows(both.offers), cheapest, cheapestSpot, regions };
    if (this.cache.size > 500) this.cache.clear();
    this.cache.set(key, s);
    return s;
  }

  private maybeRefreshAvailability(): void {
    if (this.options.liveAvailability === false) return;
    const now = Date.now();
    if (now - this.availabilityAt < 60_000) return;
    this.availabilityAt = now;
    let pods: string[];
    try {
      pods = detectInfra()
        .filter((d) => d.enabled && (d.infra.startsWith('k8s/') || d.infra.startsWith('ssh/')))
        .map((d) => d.infra);
    } catch {
      return;
    }
    if (!pods.length) return;
    void liveGpuAvailability(pods).then((rows) => {
      this.availability = summarizeAvailability(rows);
    });
  }

  private freeText(spec: ResourcesSpec): string | undefined {
    const accs = spec.accelerators ?? [];
    if (!accs.length || !this.availability.length) return undefined;
    const names = new Set(accs.map((a) => a.name.toLowerCase()));
    const parts = this.availability.filter((a) => names.has(a.accelerator.toLowerCase())).map((a) => `${a.infra}: ${a.free}/${a.total} ${a.accelerator} free`);
    return parts.length ? parts.join(' · ') : undefined;
  }

  costLenses(sites: ResourcesSite[]): CostLens[] {
    this.maybeRefreshAvailability();
    const lenses: CostLens[] = [];
    for (const site of sites) {
      const spec = site.resources;
      const nodes = Math.max(1, site.numNodes || 1);
      const pinned = spec.infra?.cloud;
      let title: string;
      let rows: OfferRow[] = [];
      let views = (r: OfferRow[], n: number) => viewRows(r.slice(0, 200), n);
      if (pinned === 'local' || pinned === 'kubernetes' || pinned === 'ssh') {
        const label =
          pinned === 'local' ? 'local (this machine)' : `${pinned === 'kubernetes' ? 'k8s' : 'ssh'}${spec.infra?.region ? `/${spec.infra.region}` : ''}`;
        title = `$0.00/h on ${label}`;
        const free = this.freeText(spec);
        if (free) title += ` · ${free}`;
      } else {
        const s = this.summary(spec);
        rows = s.rows;
        views = (r, n) => {
          const memo = (s.views ??= new Map());
          let v = memo.get(n);
          if (!v) memo.set(n, (v = viewRows(r.slice(0, 200), n)));
          return v;
        };
        const parts: string[] = [];
        const mult = (p: number) => (nodes > 1 ? `${nodes}× ${money(p)} = ${money(p * nodes)}/h` : `${money(p)}/h`);
        if (s.cheapest) parts.push(`${mult(s.cheapest.price)} on-demand (${where(s.cheapest)})`);
        if (s.cheapestSpot)
          parts.push(
            `${money(s.cheapestSpot.spotPrice * nodes)}/h spot${s.cheapest && where(s.cheapest) === where(s.cheapestSpot) ? '' : ` (${where(s.cheapestSpot)})`}`,
          );
        if (spec.useSpot && parts.length === 2) parts.reverse();
        if (parts.length) parts.push(`${s.regions} region${s.regions === 1 ? '' : 's'}`);
        const free = this.freeText(spec);
        if (free) parts.push(free);
        title = parts.length ? parts.join(' · ') : 'No catalog offer matches these resources';
      }
      lenses.push({
        range: site.range,
        title,
        command: {
          command: SHOW_OFFERS_COMMAND,
          arguments: [
            {
              title: `Offers: ${describeSpec(spec)}${nodes > 1 ? ` × ${nodes} nodes` : ''}`,
              candidateIndex: site.candidateIndex,
              numNodes: nodes,
              resources: spec,
              offers: views(rows, nodes),
            },
          ],
        },
      });
    }
    return lenses;
  }

  diagnostics(sites: ResourcesSite[]): InsightDiagnostic[] {
    const out: InsightDiagnostic[] = [];
    for (const site of sites) {
      const spec = site.resources;
      const cloud = spec.infra?.cloud;
      if (cloud && cloud !== '*' && !isCatalogCloud(cloud)) continue; // local, k8s, ssh, clouds without a catalog
      const cat = this.cat();
      if (cloud && isCatalogCloud(cloud) && !cat.clouds.has(cloud)) continue;
      const real = offersForSpec(spec, cat);
      if (real.offers.length) continue;
      const d = this.explain(site, real, cat);
      if (d) out.push(d);
    }
    return out;
  }

  /** One diagnostic for a site with no offer: the most specific reason, nearest offers, quick fixes. */
  private explain(site: ResourcesSite, real: SpecOffers, cat: Catalog): InsightDiagnostic | undefined {
    const spec = site.resources;
    const r = site.valueRanges;
    const reasons = real.reasons.map((x) => x.reason);
    const has = (k: NoOfferReason['kind']) => reasons.find((x) => x.kind === k);
    const range = (k: keyof ResourcesSite['valueRanges']): InsightRange => r[k] ?? site.range;
    // Unknown instance type: in no cloud at all.
    const unknown = has('unknown-instance-type');
    if (spec.instanceType && unknown && unknown.kind === 'unknown-instance-type' && cat.findInstanceType(spec.instanceType).length === 0) {
      const closest = [...new Set(real.reasons.flatMap((x) => (x.reason.kind === 'unknown-instance-type' ? x.reason.closest : [])))].slice(0, 5);
      return {
        range: range('instance_type'),
        severity: 'warning',
        code: 'unknown-instance-type',
        message: `Instance type '${spec.instanceType}' is not in ${spec.infra?.cloud ? `the ${cloudLabel(spec.infra.cloud)} catalog` : 'any catalog'}.${closest.length ? ` Did you mean: ${closest.join(', ')}?` : ''}`,
        fixes: closest.map((c) => ({ title: `Use ${c}`, range: range('instance_type'), newText: c })),
      };
    }
    // Removed by disk_tier / image_id / ports on every cloud that had offers for the rest.
    const constraints = real.reasons.filter(
      (x): x is { cloud: CatalogCloud; reason: Extract<NoOfferReason, { kind: 'constraint' }> } => x.reason.kind === 'constraint',
    );
    if (constraints.length && constraints.length === real.reasons.length) {
      const field = constraints[0].reason.field as keyof ResourcesSite['valueRanges'];
      return {
        range: range(field),
        severity: 'warning',
        code: 'constraint',
        message: `No offer can take these resources: ${constraints.map((x) => `${cloudLabel(x.cloud)}: ${x.reason.message}`).join('; ')}.`,
      };
    }
    // Price cap below every offer.
    const cap = has('price-cap');
    if (spec.maxHourlyCost !== undefined && cap && cap.kind === 'price-cap') {
      const cheapest = Math.min(...reasons.filter((x): x is Extract<NoOfferReason, { kind: 'price-cap' }> => x.kind === 'price-cap').map((x) => x.cheapest));
      const fix = (Math.ceil(cheapest * 100) / 100).toFixed(2);
      return {
        range: range('max_hourly_cost'),
        severity: 'warning',
        code: 'price-cap-too-low',
        message: `max_hourly_cost ${spec.maxHourlyCost} is below every offer: the cheapest ${spec.useSpot ? 'spot' : 'on-demand'} offer costs $${cheapest.toFixed(3)}/h.`,
        fixes: [{ title: `Raise max_hourly_cost to ${fix}`, range: range('max_hourly_cost'), newText: fix }],
      };
    }
    // Offered elsewhere but not in the pinned cloud / region / zone.
    const unpinned: ResourcesSpec = { ...spec, infra: undefined, maxHourlyCost: undefined };
    const pinnedSomething = !!(spec.infra?.cloud || spec.infra?.region || spec.infra?.zone);
    if (pinnedSomething) {
      const elsewhere = offersForSpec(unpinned, cat);
      if (elsewhere.offers.length) {
        const rows = toOfferRows(elsewhere.offers).filter((x) => x.onDemand !== null || x.spot !== null);
        const sameCloud = spec.infra?.cloud ? rows.filter((x) => x.cloud === spec.infra?.cloud) : [];
        const nearest = (sameCloud.length ? sameCloud : rows).slice(0, 3);
        const what = spec.accelerators?.length ? spec.accelerators.map(accText).join(' or ') : (spec.instanceType ?? 'These resources');
        const pin = [spec.infra?.cloud, spec.infra?.region, spec.infra?.zone].filter(Boolean).join('/');
        return {
          range: range('infra'),
          severity: 'warning',
          code: spec.accelerators?.length ? 'accelerator-not-in-region' : 'not-offered-in-infra',
          message: `${what} is not offered in ${pin}. Nearest offers: ${nearest.map((x) => `${x.infra} ${x.instanceType} ${x.onDemand !== null ? money(x.onDemand) : money(x.spot ?? NaN)}/h`).join('; ')}.`,
          fixes: nearest.map((x) => ({ title: `Pin infra: ${x.infra}`, range: range('infra'), newText: x.infra })),
        };
      }
    }
    // Accelerator/count not offered anywhere: suggest offered counts of the same name.
    const notOffered = reasons.filter((x): x is Extract<NoOfferReason, { kind: 'accelerator-not-offered' }> => x.kind === 'accelerator-not-offered');
    if (spec.accelerators?.length && notOffered.length === reasons.length && notOffered.length) {
      const offered = [...new Set(notOffered.flatMap((x) => x.offered))].slice(0, 5);
      return {
        range: range('accelerators'),
        severity: 'warning',
        code: 'no-offer',
        message: `No catalog offer matches ${spec.accelerators.map(accText).join(' or ')} in ${cloudsText(spec)}.${offered.length ? ` Offered: ${offered.join(', ')}.` : ''}`,
        fixes: offered.slice(0, 3).map((o) => ({ title: `Use ${o}`, range: range('accelerators'), newText: o })),
      };
    }
    // cpus / memory too tight.
    if (has('cpus-memory') && (spec.cpus || spec.memory)) {
      const fixes: InsightDiagnostic['fixes'] = [];
      if (spec.cpus && !spec.cpus.orMore) fixes.push({ title: `Allow more vCPUs: ${spec.cpus.value}+`, range: range('cpus'), newText: `${spec.cpus.value}+` });
      if (spec.memory && !spec.memory.orMore && !spec.memory.perCpu)
        fixes.push({ title: `Allow more memory: ${spec.memory.value}+`, range: range('memory'), newText: `${spec.memory.value}+` });
      return {
        range: spec.cpus ? range('cpus') : range('memory'),
        severity: 'warning',
        code: 'no-offer',
        message: `No instance type in ${cloudsText(spec)} has exactly ${[spec.cpus ? `${spec.cpus.value}${spec.cpus.orMore ? '+' : ''} vCPUs` : '', spec.memory ? `${spec.memory.value}${spec.memory.perCpu ? 'x' : spec.memory.orMore ? '+' : ''} GB memory` : ''].filter(Boolean).join(' and ')}${spec.accelerators?.length ? ` with ${spec.accelerators.map(accText).join(' or ')}` : ''}. Add '+' to allow larger ones.`,
        fixes,
      };
    }
    const why = real.reasons.map((x) => explainShort(x.cloud, x.reason)).join(' ');
    return { range: site.range, severity: 'warning', code: 'no-offer', message: `No catalog offer matches these resources. ${why}`.trim() };
  }

  hoverAccelerator(name: string, count?: number): string | undefined {
    const cat = this.cat();
    const s = this.summary({ accelerators: [{ name, count: count ?? 1 }] });
    let rows = s.rows;
    let heading = `**${accText({ name: s.offers.accelerators[0]?.name ?? name, count: count ?? 1 })}**`;
    if (count === undefined) {
      // Without a count: one cheapest row per (cloud, count).
      const all: OfferRow[] = [];
      const counts = new Set<number>();
      for (const cc of cat.clouds.values()) {
        const key = (s.offers.accelerators[0]?.name ?? name).toLowerCase();
        for (const t of cc.typesByAccelerator.get(key) ?? []) counts.add(t.accelerator!.count);
        for (const g of cc.attachable.get(key) ?? []) counts.add(g.count);
      }
      for (const c of [...counts].sort((a, b) => a - b)) all.push(...this.summary({ accelerators: [{ name, count: c }] }).rows);
      if (!all.length) return undefined;
      const seen = new Set<string>();
      rows = all.filter((r) => {
        const k = `${r.cloud}|${JSON.stringify(r.accelerators)}`;
        if (seen.has(k)) return false;
        seen.add(k);
        return true;
      });
      heading = `**${s.offers.accelerators[0]?.name ?? name}**: counts ${[...counts].sort((a, b) => a - b).join(', ')}`;
    } else {
      const seen = new Set<string>();
      rows = rows.filter((r) => {
        const k = `${r.cloud}|${r.instanceType}`;
        if (seen.has(k)) return false;
        seen.add(k);
        return true;
      });
    }
    if (!rows.length) return undefined;
    const lines = [
      `${heading} — cheapest offers per hour (${s.regions || rows.length} region${s.regions === 1 ? '' : 's'})`,
      '',
      offersTable(rows.slice(0, 8)),
    ];
    const free = this.availability.filter((a) => a.accelerator.toLowerCase() === name.toLowerCase());
    if (free.length) lines.push('', `Available now: ${free.map((a) => `${a.infra} ${a.free}/${a.total} free`).join(', ')}`);
    lines.push('', `_Catalog: ${catalogOrigins(cat)}. \`skydeck show-gpus ${name}\` for all._`);
    return lines.join('\n');
  }

  hoverInstanceType(name: string): string | undefined {
    const cat = this.cat();
    const infos = cat.findInstanceType(name);
    if (!infos.length) return undefined;
    const out: string[] = [];
    for (const info of infos) {
      const s = this.summary({ instanceType: info.name, infra: { cloud: info.cloud } });
      const shape = [`${info.vcpus} vCPUs`, `${info.memoryGb} GB`, info.accelerator ? accText(info.accelerator) : ''].filter(Boolean).join(', ');
      out.push(
        `**${info.name}** (${cloudLabel(info.cloud)}): ${shape} — ${s.regions} region${s.regions === 1 ? '' : 's'}`,
        '',
        offersTable(s.rows.slice(0, 8), false),
        '',
      );
    }
    out.push(`_Catalog: ${catalogOrigins(cat)}._`);
    return out.join('\n');
  }

  completeAccelerators(): PricedCompletion[] {
    const cat = this.cat();
    const out: PricedCompletion[] = [];
    for (const name of cat.allAcceleratorNames()) {
      const counts = new Set<number>();
      let min = NaN;
      for (const cc of cat.clouds.values()) {
        for (const t of cc.typesByAccelerator.get(name.toLowerCase()) ?? []) {
          counts.add(t.accelerator!.count);
          if (!t.acceleratorPricedApart && cmpPrice(t.minPrice / Math.max(t.accelerator!.count, 1e-9), min) < 0) min = t.minPrice / t.accelerator!.count;
        }
        for (const g of cc.attachable.get(name.toLowerCase()) ?? []) {
          counts.add(g.count);
          for (const r of g.rows) if (cmpPrice(cc.table.price[r] / g.count, min) < 0) min = cc.table.price[r] / g.count;
        }
      }
      if (!counts.size) continue;
      const common = COMMON_GPUS.includes(name);
      out.push({
        label: name,
        detail: `${Number.isNaN(min) ? '' : `from ${money(min)}/GPU-h · `}counts ${[...counts].sort((a, b) => a - b).join(', ')}`,
        sortText: `${common ? '0' : name.startsWith('tpu-') ? '2' : '1'}${name}`,
      });
    }
    return out;
  }

  completeInstanceTypes(cloud?: string): PricedCompletion[] {
    const cat = this.cat();
    const out: PricedCompletion[] = [];
    for (const cc of cat.clouds.values()) {
      if (cloud && cc.cloud !== cloud) continue;
      for (const t of cc.types.values()) {
        const price = t.minPrice;
        out.push({
          label: t.name,
          detail: [
            `${t.vcpus} vCPU`,
            `${t.memoryGb} GB`,
            t.accelerator ? accText(t.accelerator) : '',
            Number.isNaN(price) || t.acceleratorPricedApart ? '' : `from ${money(price)}/h`,
            cloud ? '' : cloudLabel(cc.cloud),
          ]
            .filter(Boolean)
            .join(' · '),
          sortText: `${String(Math.round((Number.isNaN(price) ? 1e6 : price) * 1000)).padStart(10, '0')}${t.name}`,
        });
      }
    }
    return out;
  }

  completeRegions(cloud: string): PricedCompletion[] {
    const cc = this.cat().cloud(cloud);
    if (!cc) return [];
    return [...cc.regions.entries()].map(([region, zones]) => ({
      label: region,
      detail: zones.length ? `${cloudLabel(cloud)} · ${zones.length} zone${zones.length === 1 ? '' : 's'}` : cloudLabel(cloud),
      documentation: zones.length ? `Zones: ${zones.join(', ')}` : undefined,
    }));
  }
}

function offersTable(rows: OfferRow[], withInstance = true): string {
  const head = withInstance ? '| Cloud | Region | Instance | vCPUs | Mem (GB) | GPUs | On-demand | Spot |' : '| Cloud | Region | On-demand | Spot |';
  const sep = withInstance ? '|---|---|---|--:|--:|---|--:|--:|' : '|---|---|--:|--:|';
  const fmt = (x: number | null) => (x === null ? '—' : money(x));
  const body = rows.map((r) =>
    withInstance
      ? `| ${cloudLabel(r.cloud)} | ${r.region} | ${r.instanceType} | ${r.vCPUs ?? '—'} | ${r.memoryGb ?? '—'} | ${
          r.accelerators
            ? Object.entries(r.accelerators)
                .map(([n, c]) => `${n}:${c}`)
                .join(', ')
            : '—'
        } | ${fmt(r.onDemand)} | ${fmt(r.spot)} |`
      : `| ${cloudLabel(r.cloud)} | ${r.region} | ${fmt(r.onDemand)} | ${fmt(r.spot)} |`,
  );
  return [head, sep, ...body].join('\n');
}

function catalogOrigins(cat: Catalog): string {
  return [...cat.clouds.values()].map((c) => `${c.cloud} (${c.source.split(':')[0]})`).join(', ');
}

function cloudsText(spec: ResourcesSpec): string {
  const c = spec.infra?.cloud;
  const where = [c && c !== '*' ? cloudLabel(c) : 'any cloud', spec.infra?.region, spec.infra?.zone].filter(Boolean).join('/');
  return where;
}

function describeSpec(spec: ResourcesSpec): string {
  const parts: string[] = [];
  if (spec.accelerators?.length) parts.push(spec.accelerators.map(accText).join(' | '));
  if (spec.instanceType) parts.push(spec.instanceType);
  if (spec.cpus) parts.push(`${spec.cpus.value}${spec.cpus.orMore ? '+' : ''} vCPUs`);
  if (spec.memory) parts.push(`${spec.memory.value}${spec.memory.perCpu ? 'x' : spec.memory.orMore ? '+' : ''} GB`);
  if (spec.infra?.cloud) parts.push([spec.infra.cloud, spec.infra.region, spec.infra.zone].filter(Boolean).join('/'));
  if (spec.useSpot) parts.push('spot');
  return parts.length ? parts.join(', ') : 'default CPU instance';
}

function explainShort(cloud: string, reason: NoOfferReason): string {
  switch (reason.kind) {
    case 'location':
      return `${cloudLabel(cloud)}: not in the pinned location.`;
    case 'no-price':
      return `${cloudLabel(cloud)}: no ${reason.spot ? 'spot ' : ''}price.`;
    case 'cpus-memory':
      return `${cloudLabel(cloud)}: cpus/memory do not fit.`;
    case 'mismatch':
      return `${cloudLabel(cloud)}: ${reason.message}`;
    default:
      return '';
  }
}

export function createInsights(options: InsightsOptions = {}): Insights {
  return new CatalogInsights(options);
}
