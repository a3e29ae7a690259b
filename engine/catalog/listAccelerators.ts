/**
 * What `skydeck show-gpus` lists (SkyPilot's `sky gpus list`, list_accelerators_impl):
 * accelerators and the counts each cloud offers them in; for a NAME[:COUNT], one row per
 * instance type with its cheapest region (or per region with allRegions), GCP GPUs on
 * their cheapest host in each zone, TPUs as TPU-VM.
 */
import { cmpAscii, cmpPrice, type Catalog, type CatalogCloud } from './catalog';
import { GPU_METADATA } from './gpuMetadata';
import { matchOffers, type Offer } from './query';

export const COMMON_GPUS = ['A10', 'A10G', 'A100', 'A100-80GB', 'B200', 'H100', 'H200', 'L4', 'L40S', 'RTX5090', 'T4', 'V100', 'V100-32GB'];
export const COMMON_TPUS = [
  'tpu-v2-8',
  'tpu-v3-8',
  'tpu-v4-8',
  'tpu-v4-16',
  'tpu-v4-32',
  'tpu-v5litepod-1',
  'tpu-v5litepod-4',
  'tpu-v5litepod-8',
  'tpu-v5p-8',
  'tpu-v5p-16',
  'tpu-v5p-32',
  'tpu-v6e-1',
  'tpu-v6e-4',
  'tpu-v6e-8',
];

export interface ListFilter {
  /** Case-insensitive regular expression matched anywhere in the name (SkyPilot's str.contains). */
  name?: string;
  count?: number;
  cloud?: string;
  /** Case-insensitive regular expression on the region. */
  region?: string;
  allRegions?: boolean;
}

export interface GpuOfferRow {
  accelerator: string;
  count: number;
  cloud: CatalogCloud;
  instanceType: string;
  deviceMemoryGb: number | null;
  vcpus: number | null;
  memoryGb: number | null;
  price: number | null;
  spotPrice: number | null;
  region: string;
}

export interface AcceleratorCounts {
  name: string;
  quantities: number[];
  clouds: string[];
}

function regexOf(pattern: string | undefined): RegExp | undefined {
  if (!pattern) return undefined;
  try {
    return new RegExp(pattern, 'i');
  } catch {
    return new RegExp(pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'i');
  }
}

function nanToNull(x: number | undefined): number | null {
  return x === undefined || Number.isNaN(x) ? null : x;
}

/** Per (accelerator, count) offers of one cloud before collapsing regions. */
function cloudOffers(cat: Catalog, cloud: CatalogCloud, nameRe: RegExp | undefined, count: number | undefined): Offer[] {
  const cc = cat.clouds.get(cloud);
  if (!cc) return [];
  const out: Offer[] = [];
  const countOk = (c: number) => count === undefined || Math.abs(c - count) <= 0.01;
  for (const list of cc.typesByAccelerator.values()) {
    for (const info of list) {
      if (info.acceleratorPricedApart || !info.hasGpuInfo) continue;
      const acc = info.accelerator!;
      if ((nameRe && !nameRe.test(acc.name)) || !countOk(acc.count)) continue;
      for (const r of info.rows) {
        out.push({
          cloud,
          instanceType: info.name,
          accelerator: acc,
          vcpus: info.vcpus,
          memoryGb: info.memoryGb,
          gpuMemoryGb: info.gpuMemoryGb,
          region: cat.str(cc.table.region[r]),
          zone: cc.table.zone[r] >= 0 ? cat.str(cc.table.zone[r]) : undefined,
          price: cc.table.price[r],
          spotPrice: cc.table.spotPrice[r],
        });
      }
    }
  }
  for (const groups of cc.attachable.values()) {
    for (const g of groups) {
      if ((nameRe && !nameRe.test(g.name)) || !countOk(g.count)) continue;
      const res = matchOffers(cat, cloud, { accelerator: { name: g.name, count: g.count } }, 'perZone');
      out.push(...res.offers);
    }
  }
  return out;
}

export function listAcceleratorOffers(cat: Catalog, filter: ListFilter = {}): GpuOfferRow[] {
  const nameRe = regexOf(filter.name);
  const regionRe = regexOf(filter.region);
  const rows: GpuOfferRow[] = [];
  for (const cloud of cat.clouds.keys()) {
    if (filter.cloud && filter.cloud !== cloud) continue;
    const offers = cloudOffers(cat, cloud, nameRe, filter.count).filter((o) => !regionRe || regionRe.test(o.region));
    // Cheapest row per instance type (per region with allRegions): sort by price, spot, then keep first.
    offers.sort((a, b) => cmpPrice(a.price, b.price) || cmpPrice(a.spotPrice, b.spotPrice) || cmpAscii(a.region, b.region));
    const seen = new Set<string>();
    for (const o of offers) {
      const key = `${o.accelerator!.name}|${o.accelerator!.count}|${o.instanceType}|${filter.allRegions ? o.region : ''}`;
      if (seen.has(key)) continue;
      seen.add(key);
      rows.push({
        accelerator: o.accelerator!.name,
        count: o.accelerator!.count,
        cloud,
        instanceType: o.instanceType,
        deviceMemoryGb: nanToNull(o.gpuMemoryGb) ?? GPU_METADATA[o.accelerator!.name]?.memoryGb ?? null,
        vcpus: nanToNull(o.vcpus),
        memoryGb: nanToNull(o.memoryGb),
        price: nanToNull(o.price),
        spotPrice: nanToNull(o.spotPrice),
        region: o.region,
      });
    }
  }
  // Group by accelerator; clouds by (min price, min spot); rows by count, price, spot.
  const cloudKey = new Map<string, [number, number]>();
  for (const r of rows) {
    const k = `${r.accelerator}|${r.cloud}`;
    const prev = cloudKey.get(k) ?? [NaN, NaN];
    cloudKey.set(k, [minN(prev[0], r.price), minN(prev[1], r.spotPrice)]);
  }
  rows.sort((a, b) => {
    if (a.accelerator !== b.accelerator) return a.accelerator.localeCompare(b.accelerator);
    if (a.cloud !== b.cloud) {
      const ka = cloudKey.get(`${a.accelerator}|${a.cloud}`)!;
      const kb = cloudKey.get(`${b.accelerator}|${b.cloud}`)!;
      return cmpPrice(ka[0], kb[0]) || cmpPrice(ka[1], kb[1]) || cmpAscii(a.cloud, b.cloud);
    }
    return a.count - b.count || cmpPrice(a.price ?? NaN, b.price ?? NaN) || cmpPrice(a.spotPrice ?? NaN, b.spotPrice ?? NaN) || cmpAscii(a.region, b.region);
  });
  return rows;
}

function minN(a: number, b: number | null): number {
  if (b === null) return a;
  return Number.isNaN(a) || b < a ? b : a;
}

/** Accelerator names with the counts offered (any cloud passing the filter). */
export function listAcceleratorCounts(cat: Catalog, filter: ListFilter = {}): AcceleratorCounts[] {
  const nameRe = regexOf(filter.name);
  const regionRe = regexOf(filter.region);
  const byName = new Map<string, { q: Set<number>; clouds: Set<string> }>();
  const add = (name: string, count: number, cloud: string) => {
    if (nameRe && !nameRe.test(name)) return;
    if (filter.count !== undefined && Math.abs(count - filter.count) > 0.01) return;
    let e = byName.get(name);
    if (!e) byName.set(name, (e = { q: new Set(), clouds: new Set() }));
    e.q.add(count);
    e.clouds.add(cloud);
  };
  for (const cc of cat.clouds.values()) {
    if (filter.cloud && filter.cloud !== cc.cloud) continue;
    const inRegion = (rows: Int32Array) => !regionRe || rows.some((r) => regionRe.test(cat.str(cc.table.region[r])));
    for (const list of cc.typesByAccelerator.values())
      for (const info of list)
        if (!info.acceleratorPricedApart && info.hasGpuInfo && inRegion(info.rows)) add(info.accelerator!.name, info.accelerator!.count, cc.cloud);
    for (const groups of cc.attachable.values()) for (const g of groups) if (inRegion(g.rows)) add(g.name, g.count, cc.cloud);
  }
  return [...byName.entries()]
    .map(([name, e]) => ({ name, quantities: [...e.q].sort((a, b) => a - b), clouds: [...e.clouds].sort() }))
    .sort((a, b) => a.name.localeCompare(b.name));
}
