/**
 * Offer rows for one resources spec, for the editor: the cost lens, hovers and the
 * offers detail view (a webview the extension renders: sortable table, pin infra in one
 * click, price per GPU-hour chart). Unlike the optimizer, which keeps only the cheapest
 * instance type per cloud, this lists every matching instance type in every region of
 * every catalog cloud the spec allows, as if all had credentials.
 *
 * `offerRows(spec)` is the function the view calls; each row's `infra` is the exact
 * string to write into `resources.infra` to pin it.
 */
import { canonicalizeAccelerator } from '../catalog/accelerators';
import { CATALOG_CLOUDS, cmpAscii, cmpPrice, isCatalogCloud, type Catalog, type CatalogCloud } from '../catalog/catalog';
import { gpusWithMemory } from '../catalog/gpuMetadata';
import { cheapestOffers, matchOffers, type CheapestOffers, type NoOfferReason, type Offer, type OfferQuery, type Rejection } from '../catalog/query';
import { getCatalog } from '../catalog/sources';
import type { AcceleratorRequest, ResourcesSpec } from '../task/types';
import { queryFilters, rejectInfra } from './constraints';

export interface OfferRow {
  cloud: string;
  region: string;
  /** The cheapest zone of the region for this instance type (GCP, AWS); none on Azure. */
  zone?: string;
  /** 'cloud/region': what to write in `infra:` to pin this row. */
  infra: string;
  instanceType: string;
  vCPUs: number | null;
  memoryGb: number | null;
  accelerators: Record<string, number> | null;
  /** USD per node-hour; null when the catalog has no price. */
  onDemand: number | null;
  spot: number | null;
  /** onDemand / GPU count (null without GPUs or price); spot likewise in spotPerGpuHour. */
  perGpuHour: number | null;
  spotPerGpuHour: number | null;
}

export interface SpecOffers {
  offers: Offer[];
  /** Per cloud, why it has none (only for clouds that were tried and gave nothing). */
  reasons: { cloud: CatalogCloud; reason: NoOfferReason }[];
  /** The accelerator requests as canonicalized. */
  accelerators: { name: string; count: number }[];
}

function expand(cat: Catalog, acc: AcceleratorRequest, cloud?: string): { name: string; count: number }[] {
  if (acc.memory) return gpusWithMemory(acc.memory.gb, acc.memory.orMore, acc.memory.manufacturer).map((name) => ({ name, count: acc.count }));
  try {
    return [{ name: canonicalizeAccelerator(cat, acc.name, cloud && isCatalogCloud(cloud) ? cloud : undefined), count: acc.count }];
  } catch {
    return [{ name: acc.name, count: acc.count }];
  }
}

/** The catalog queries of a spec, per cloud it allows: one per accelerator it accepts, or why the cloud is ruled out. */
function cloudQueries(
  spec: ResourcesSpec,
  cat: Catalog,
  options: { anyPrice?: boolean },
): { accelerators: { name: string; count: number }[]; clouds: { cloud: CatalogCloud; rejected?: Rejection; queries: OfferQuery[] }[] } {
  const pinned = spec.infra?.cloud && spec.infra.cloud !== '*' ? spec.infra.cloud : undefined;
  const clouds: CatalogCloud[] = pinned ? (isCatalogCloud(pinned) ? [pinned] : []) : [...CATALOG_CLOUDS].filter((c) => cat.clouds.has(c));
  const accs = (spec.accelerators ?? []).flatMap((a) => expand(cat, a, pinned));
  const requests: ({ name: string; count: number } | undefined)[] = accs.length ? accs : [undefined];
  return {
    accelerators: accs,
    clouds: clouds.map((cloud) => {
      const rejected = rejectInfra(spec, cloud);
      if (rejected) return { cloud, rejected, queries: [] };
      const filters = queryFilters(spec, cloud);
      return {
        cloud,
        queries: requests.map((acc) => ({
          accelerator: acc,
          instanceType: spec.instanceType,
          cpus: spec.cpus,
          memory: spec.memory,
          region: spec.infra?.region,
          zone: spec.infra?.zone,
          useSpot: spec.useSpot,
          maxHourlyCost: spec.maxHourlyCost,
          anyPrice: options.anyPrice,
          ...filters,
        })),
      };
    }),
  };
}

/**
 * Every catalog offer the spec allows (price filters applied for the spec's purchase option;
 * with anyPrice, offers with either price known, for showing on-demand and spot together).
 */
export function offersForSpec(spec: ResourcesSpec, cat: Catalog = getCatalog(), options: { anyPrice?: boolean } = {}): SpecOffers {
  const { accelerators, clouds } = cloudQueries(spec, cat, options);
  const offers: Offer[] = [];
  const reasons: SpecOffers['reasons'] = [];
  for (const { cloud, rejected, queries } of clouds) {
    if (rejected) {
      if (cat.clouds.has(cloud)) reasons.push({ cloud, reason: { kind: 'constraint', ...rejected } });
      continue;
    }
    let found = false;
    let firstReason: NoOfferReason | undefined;
    for (const q of queries) {
      const res = matchOffers(cat, cloud, q, 'perZone');
      if (res.offers.length) {
        found = true;
        offers.push(...res.offers);
      } else firstReason ??= res.reason;
    }
    if (!found && firstReason) reasons.push({ cloud, reason: firstReason });
  }
  return { offers, reasons, accelerators };
}

/**
 * Per cloud, the cheapest on-demand and spot offer of a spec (either purchase option, price cap
 * ignored) and the regions with an on-demand price: what offersForSpec(anyPrice) reduces to, without
 * building every offer (the cost lens runs this on every edit of a resources block).
 */
export function cheapestForSpec(spec: ResourcesSpec, cat: Catalog = getCatalog()): Map<CatalogCloud, CheapestOffers> {
  const base: ResourcesSpec = { ...spec, useSpot: false, maxHourlyCost: undefined };
  const out = new Map<CatalogCloud, CheapestOffers>();
  for (const { cloud, rejected, queries } of cloudQueries(base, cat, { anyPrice: true }).clouds) {
    if (rejected) continue;
    for (const q of queries) {
      const c = cheapestOffers(cat, cloud, q);
      if (!c.onDemand && !c.spot) continue;
      const prev = out.get(cloud);
      if (!prev) {
        out.set(cloud, c);
        continue;
      }
      for (const r of c.regions) prev.regions.add(r);
      if (c.onDemand && (!prev.onDemand || cmpPrice(c.onDemand.price, prev.onDemand.price) < 0)) prev.onDemand = c.onDemand;
      if (c.spot && (!prev.spot || c.spot.spotPrice < prev.spot.spotPrice)) prev.spot = c.spot;
    }
  }
  return out;
}

function nn(x: number): number | null {
  return Number.isNaN(x) ? null : x;
}

/** Collapses zone offers to one row per (cloud, region, instance type, accelerators). */
export function toOfferRows(offers: Offer[]): OfferRow[] {
  const rows = new Map<string, OfferRow>();
  for (const o of offers) {
    const accKey = o.accelerator ? `${o.accelerator.name}:${o.accelerator.count}` : '';
    const key = `${o.cloud}|${o.region}|${o.instanceType}|${accKey}`;
    const prev = rows.get(key);
    if (!prev) {
      rows.set(key, {
        cloud: o.cloud,
        region: o.region,
        zone: o.zone,
        infra: `${o.cloud}/${o.region}`,
        instanceType: o.instanceType,
        vCPUs: nn(o.vcpus),
        memoryGb: nn(o.memoryGb),
        accelerators: o.accelerator ? { [o.accelerator.name]: o.accelerator.count } : null,
        onDemand: nn(o.price),
        spot: nn(o.spotPrice),
        perGpuHour: null,
        spotPerGpuHour: null,
      });
      continue;
    }
    if (cmpPrice(o.price, prev.onDemand ?? NaN) < 0) {
      prev.onDemand = o.price;
      prev.zone = o.zone;
    }
    if (cmpPrice(o.spotPrice, prev.spot ?? NaN) < 0) prev.spot = o.spotPrice;
  }
  const out = [...rows.values()];
  for (const r of out) {
    const gpus = r.accelerators ? Object.values(r.accelerators)[0] : 0;
    r.perGpuHour = gpus > 0 && r.onDemand !== null ? r.onDemand / gpus : null;
    r.spotPerGpuHour = gpus > 0 && r.spot !== null ? r.spot / gpus : null;
  }
  out.sort(
    (a, b) =>
      cmpPrice(a.onDemand ?? NaN, b.onDemand ?? NaN) || cmpPrice(a.spot ?? NaN, b.spot ?? NaN) || cmpAscii(a.cloud, b.cloud) || cmpAscii(a.region, b.region),
  );
  return out;
}

/**
 * The offers detail view's rows for a resources spec, cheapest on-demand first (spot
 * order when the spec asks for spot). `limit` defaults to 200 rows.
 */
export function offerRows(spec: ResourcesSpec, options: { limit?: number; catalog?: Catalog } = {}): OfferRow[] {
  const rows = toOfferRows(offersForSpec(spec, options.catalog ?? getCatalog()).offers);
  if (spec.useSpot) rows.sort((a, b) => cmpPrice(a.spot ?? NaN, b.spot ?? NaN) || cmpPrice(a.onDemand ?? NaN, b.onDemand ?? NaN));
  return rows.slice(0, options.limit ?? 200);
}
