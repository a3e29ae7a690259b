/**
 * Catalog insights for the language service (contract: ./insightTypes.ts), as data: the
 * cheapest offers of a resources spec per cloud, offer rows, which infra is set up, free GPUs,
 * priced completions and resource diagnostics. The language server builds the lens titles and
 * hover text from this data (server/service/costLens.ts, offerHovers.ts). The catalog loads on
 * first use (never at server start); results per resources spec are memoized, so a lens pass
 * over a typical file costs well under a millisecond once warm.
 *
 * GPUs free on configured Kubernetes contexts / SSH node pools are fetched in the background
 * (providers' ReportsGpuAvailability) and reported once known.
 */
import { cmpPrice, isCatalogCloud, type Catalog, type CatalogCloud } from '../catalog/catalog';
import { COMMON_GPUS } from '../catalog/listAccelerators';
import type { NoOfferReason, Offer } from '../catalog/query';
import { getCatalog } from '../catalog/sources';
import { closeMatches } from '../task/difflib';
import type { ResourcesSpec } from '../task/types';
import { liveGpuAvailability, summarizeAvailability } from './availability';
import { detectInfra, type InfraDetection } from '../infra/detection';
import { cloudLabel } from './index';
import type {
  AcceleratorOffers,
  GpuFree,
  InfraState,
  InsightDiagnostic,
  InsightRange,
  Insights,
  InstanceTypeOffers,
  PriceAt,
  PricedCompletion,
  ResourcesSite,
  SpecCost,
} from './insightTypes';
import { cheapestForSpec, offersForSpec, toOfferRows, type OfferRow, type SpecOffers } from './offers';

export interface InsightsOptions {
  /** Catalog provider (tests pass a fixed one); default: the resolved sources. */
  catalog?: () => Catalog;
  /** Look for Kubernetes / SSH GPU availability (default true; tests turn it off). */
  liveAvailability?: boolean;
  /** Which infra is set up (tests pass a fixed list); default: engine/optimizer/enabledInfra.ts. */
  infra?: () => InfraDetection[];
}

/** How often the set-up infra and the free GPUs are looked at again. */
const RECHECK_MS = 60_000;

function money(x: number): string {
  return `$${x < 10 ? x.toFixed(2) : x.toFixed(1)}`;
}

function accText(a: { name: string; count: number }): string {
  return `${a.name}:${a.count}`;
}

function priceAt(o: Offer, price: number): PriceAt {
  return { price, cloud: o.cloud, region: o.region, ...(o.accelerator ? { accelerator: { name: o.accelerator.name, count: o.accelerator.count } } : {}) };
}

class CatalogInsights implements Insights {
  private readonly costs = new Map<string, SpecCost>();
  private readonly rowsMemo = new Map<string, OfferRow[]>();
  private catalogRef: Catalog | undefined;
  private availability: GpuFree[] = [];
  private availabilityAt = 0;
  private infra: InfraState[] | undefined;
  private infraAt = 0;

  constructor(private readonly options: InsightsOptions) {}

  private cat(): Catalog {
    const c = (this.options.catalog ?? getCatalog)();
    if (c !== this.catalogRef) {
      this.catalogRef = c;
      this.costs.clear();
      this.rowsMemo.clear();
    }
    return c;
  }

  specCost(spec: ResourcesSpec): SpecCost {
    const cat = this.cat();
    const key = JSON.stringify(spec);
    const hit = this.costs.get(key);
    if (hit) return hit;
    // On-demand and spot side by side, per cloud.
    const byCloud: SpecCost['byCloud'] = {};
    let regions = 0;
    for (const [cloud, c] of cheapestForSpec(spec, cat)) {
      byCloud[cloud] = {
        ...(c.onDemand ? { onDemand: priceAt(c.onDemand, c.onDemand.price) } : {}),
        ...(c.spot ? { spot: priceAt(c.spot, c.spot.spotPrice) } : {}),
      };
      regions += c.regions.size;
    }
    const cost: SpecCost = { byCloud, regions };
    if (this.costs.size > 500) this.costs.clear();
    this.costs.set(key, cost);
    return cost;
  }

  offerRows(spec: ResourcesSpec, limit = 200): OfferRow[] {
    const cat = this.cat();
    const key = JSON.stringify(spec);
    let rows = this.rowsMemo.get(key);
    if (!rows) {
      const base: ResourcesSpec = { ...spec, useSpot: false, maxHourlyCost: undefined };
      rows = toOfferRows(offersForSpec(base, cat, { anyPrice: true }).offers);
      if (spec.useSpot) rows.sort((a, b) => cmpPrice(a.spot ?? NaN, b.spot ?? NaN) || cmpPrice(a.onDemand ?? NaN, b.onDemand ?? NaN));
      if (this.rowsMemo.size > 100) this.rowsMemo.clear();
      this.rowsMemo.set(key, rows);
    }
    return rows.slice(0, limit);
  }

  infraStates(): InfraState[] {
    const now = Date.now();
    if (!this.infra || now - this.infraAt >= RECHECK_MS) {
      this.infraAt = now;
      try {
        this.infra = (this.options.infra ?? detectInfra)();
      } catch {
        this.infra ??= [];
      }
      this.maybeRefreshAvailability(this.infra);
    }
    return this.infra;
  }

  freeGpus(): GpuFree[] {
    return this.availability;
  }

  private maybeRefreshAvailability(states: InfraState[]): void {
    if (this.options.liveAvailability === false) return;
    const now = Date.now();
    if (now - this.availabilityAt < RECHECK_MS) return;
    this.availabilityAt = now;
    const pods = states.filter((d) => d.enabled && (d.infra.startsWith('k8s/') || d.infra.startsWith('ssh/'))).map((d) => d.infra);
    if (!pods.length) return;
    void liveGpuAvailability(pods)
      .then((rows) => {
        this.availability = summarizeAvailability(rows);
      })
      .catch(() => undefined);
  }

  catalogOrigins(): string {
    return [...this.cat().clouds.values()].map((c) => `${c.cloud} (${c.source.split(':')[0]})`).join(', ');
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
    // An accelerator no catalog knows (a typo such as A1000): say which names are close.
    const unknownAccs = real.accelerators.filter((a) => !a.name.toLowerCase().startsWith('tpu-') && !knownAccelerator(cat, a.name));
    if (spec.accelerators?.length && unknownAccs.length && unknownAccs.length === real.accelerators.length) {
      const names = cat.allAcceleratorNames();
      const byLower = new Map(names.map((n) => [n.toLowerCase(), n]));
      const a = unknownAccs[0];
      const close = closeMatches(a.name.toLowerCase(), byLower.keys(), 3, 0.6).map((n) => byLower.get(n) ?? n);
      const single = real.accelerators.length === 1;
      return {
        range: range('accelerators'),
        severity: 'warning',
        code: 'unknown-accelerator',
        message: `Unknown accelerator '${a.name}': no catalog (${[...cat.clouds.keys()].map(cloudLabel).join(', ')}) offers it.${close.length ? ` Did you mean ${close.join(', ')}?` : ''}`,
        // A fix only where the name is offered at the count asked for, so applying it leaves no problem.
        fixes: single
          ? close
              .filter((c) => offersForSpec({ ...spec, accelerators: [{ name: c, count: a.count }] }, cat).offers.length > 0)
              .map((c) => ({ title: `Use ${c}`, range: range('accelerators'), newText: a.count === 1 ? c : `${c}:${a.count}` }))
          : [],
      };
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

  acceleratorOffers(name: string, count?: number): AcceleratorOffers | undefined {
    const cat = this.cat();
    const canonical = offersForSpec({ accelerators: [{ name, count: count ?? 1 }] }, cat).accelerators[0]?.name ?? name;
    const counts = new Set<number>();
    for (const cc of cat.clouds.values()) {
      const key = canonical.toLowerCase();
      for (const t of cc.typesByAccelerator.get(key) ?? []) counts.add(t.accelerator!.count);
      for (const g of cc.attachable.get(key) ?? []) counts.add(g.count);
    }
    const sortedCounts = [...counts].sort((a, b) => a - b);
    const seen = new Set<string>();
    let rows: OfferRow[];
    let regions: number;
    if (count === undefined) {
      // Without a count: one cheapest row per (cloud, count).
      const all = sortedCounts.flatMap((c) => this.offerRows({ accelerators: [{ name, count: c }] }, Infinity));
      rows = all.filter((r) => {
        const k = `${r.cloud}|${JSON.stringify(r.accelerators)}`;
        return !seen.has(k) && !!seen.add(k);
      });
      regions = new Set(all.filter((r) => r.onDemand !== null).map((r) => r.infra)).size;
    } else {
      const all = this.offerRows({ accelerators: [{ name, count }] }, Infinity);
      rows = all.filter((r) => {
        const k = `${r.cloud}|${r.instanceType}`;
        return !seen.has(k) && !!seen.add(k);
      });
      regions = this.specCost({ accelerators: [{ name, count }] }).regions;
    }
    if (!rows.length) return undefined;
    return { name: canonical, count, counts: sortedCounts, regions, rows };
  }

  instanceTypeOffers(name: string): InstanceTypeOffers[] {
    return this.cat()
      .findInstanceType(name)
      .map((info) => {
        const spec: ResourcesSpec = { instanceType: info.name, infra: { cloud: info.cloud } };
        return {
          name: info.name,
          cloud: info.cloud,
          vcpus: info.vcpus,
          memoryGb: info.memoryGb,
          ...(info.accelerator ? { accelerator: { name: info.accelerator.name, count: info.accelerator.count } } : {}),
          regions: this.specCost(spec).regions,
          rows: this.offerRows(spec, Infinity),
        };
      });
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

function cloudsText(spec: ResourcesSpec): string {
  const c = spec.infra?.cloud;
  const where = [c && c !== '*' ? cloudLabel(c) : 'any cloud', spec.infra?.region, spec.infra?.zone].filter(Boolean).join('/');
  return where;
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

function knownAccelerator(cat: Catalog, name: string): boolean {
  const lower = name.toLowerCase();
  return cat.allAcceleratorNames().some((n) => n.toLowerCase() === lower);
}
