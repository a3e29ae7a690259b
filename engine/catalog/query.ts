/**
 * Offers: which (instance type, region, zone) of one cloud satisfy a resources request,
 * at what on-demand and spot price. Follows SkyPilot's catalog lookups
 * (sky/catalog/common.py, gcp_catalog.py): exact case-insensitive accelerator match with
 * |count - requested| <= 0.01, cpus/memory (`+` = at least, `x` = GiB per vCPU), default
 * CPU families when nothing is asked for, GCP GPUs paired with host VMs zone by zone.
 */
import type { QuantitySpec } from '../task/types';
import { cmpPrice, rowAtPlace, type Catalog, type CatalogCloud, type CloudCatalog, type InstanceTypeInfo } from './catalog';
import {
  DEFAULT_MEMORY_CPU_RATIO,
  DEFAULT_NUM_VCPUS,
  GCP_ACC_INSTANCE_TYPES,
  GCP_GPU_MEMORY_CPU_RATIO,
  GCP_HOST_FAMILIES,
  gcpDefaultHostCpus,
  isDefaultCpuFamily,
} from './gcpHosts';

export interface OfferQuery {
  accelerator?: { name: string; count: number };
  instanceType?: string;
  cpus?: QuantitySpec;
  memory?: QuantitySpec & { perCpu?: boolean };
  region?: string;
  zone?: string;
  useSpot?: boolean;
  maxHourlyCost?: number;
  /**
   * Constraints beyond the catalog columns (the optimizer's disk_tier and image_id rules):
   * a reason string removes the instance type / region, undefined keeps it.
   */
  /** Keep offers with either price known (on-demand or spot), ignoring useSpot and maxHourlyCost (the editor prices both at once). */
  anyPrice?: boolean;
  rejectType?: (instanceType: string) => Rejection | undefined;
  rejectRegion?: (region: string) => Rejection | undefined;
}

/** Why a constraint removes something: the YAML key responsible and a sentence for the user. */
export interface Rejection {
  field: string;
  message: string;
}

export interface Offer {
  cloud: CatalogCloud;
  instanceType: string;
  /** Shared with the instance type and other offers: never mutate it. */
  accelerator?: Readonly<{ name: string; count: number }>;
  vcpus: number;
  memoryGb: number;
  gpuMemoryGb?: number;
  region: string;
  /** Zone (AWS: zone id such as use1-az1, as the catalog stores it); none on Azure. */
  zone?: string;
  /** Per node-hour, USD; NaN when the catalog does not know it. GCP: host + GPUs. */
  price: number;
  spotPrice: number;
}

/** Why a cloud has no offer, from the first filter that emptied the list. */
export type NoOfferReason =
  | { kind: 'no-catalog' }
  | { kind: 'unknown-instance-type'; instanceType: string; closest: string[] }
  | { kind: 'accelerator-not-offered'; accelerator: string; count: number; offered: string[] }
  | { kind: 'mismatch'; message: string }
  | { kind: 'cpus-memory' }
  | { kind: 'location'; region?: string; zone?: string }
  | { kind: 'no-price'; spot: boolean }
  | { kind: 'price-cap'; cheapest: number }
  /** Removed by a resources constraint (disk_tier, image_id, ports): `field` is the YAML key. */
  | { kind: 'constraint'; field: string; message: string };

export interface OfferResult {
  offers: Offer[];
  reason?: NoOfferReason;
  /** With cheapestTypeOnly: every instance type that fits, cheapest first (only the first got offers). */
  fittingTypes?: string[];
}

/**
 * How GCP chooses the host VM for GPUs priced apart: 'global' = SkyPilot's optimizer (the
 * host type that is cheapest anywhere, then every zone that has both), 'perZone' = its
 * `gpus list` (the cheapest fitting host in each zone), 'all' = every fitting host.
 */
export type HostSelection = 'global' | 'perZone' | 'all';

function fitsQuantity(value: number, q: QuantitySpec | undefined): boolean {
  if (!q) return true;
  if (Number.isNaN(value)) return false;
  return q.orMore ? value >= q.value - 1e-9 : Math.abs(value - q.value) < 1e-6;
}

function fitsMemory(memoryGb: number, vcpus: number, q: (QuantitySpec & { perCpu?: boolean }) | undefined): boolean {
  if (!q) return true;
  if (Number.isNaN(memoryGb)) return false;
  if (q.perCpu) return memoryGb >= vcpus * q.value - 1e-9;
  return fitsQuantity(memoryGb, q);
}

function sameCount(a: number, b: number): boolean {
  return Math.abs(a - b) <= 0.01;
}

function rowOffer(cat: Catalog, cc: CloudCatalog, info: InstanceTypeInfo, r: number, gpuRow = -1, acc = info.accelerator): Offer {
  const t = cc.table;
  const zone = t.zone[r];
  return {
    cloud: cc.cloud,
    instanceType: info.name,
    accelerator: acc, // shared, read-only: one object per instance type, not one per offer
    vcpus: info.vcpus,
    memoryGb: info.memoryGb,
    gpuMemoryGb: gpuRow >= 0 && !Number.isNaN(t.gpuMemoryGb[gpuRow]) ? t.gpuMemoryGb[gpuRow] : info.gpuMemoryGb,
    region: cat.str(t.region[r]),
    zone: zone >= 0 ? cat.str(zone) : undefined,
    price: gpuRow >= 0 ? t.price[r] + t.price[gpuRow] : t.price[r],
    spotPrice: gpuRow >= 0 ? t.spotPrice[r] + t.spotPrice[gpuRow] : t.spotPrice[r],
  };
}

/** A pinned region/zone as string ids (case-insensitive), so rows are matched without building strings. */
interface Place {
  region: number;
  zone: number;
}

const ANY = -1;
const NONE = -2;

const ANY_PLACE: Place = { region: ANY, zone: ANY };

function placeOf(cat: Catalog, cc: CloudCatalog, region?: string, zone?: string): Place {
  const pinned = (name: string | undefined) => !!name && name !== '*';
  if (!pinned(region) && !pinned(zone)) return ANY_PLACE;
  const idOf = (name: string | undefined, names: () => Iterable<string>): number => {
    if (!pinned(name)) return ANY;
    const lower = name!.toLowerCase();
    for (const n of names()) if (n.toLowerCase() === lower) return cat.strings.lookup(n);
    return NONE;
  };
  return { region: idOf(region, () => cc.regions.keys()), zone: idOf(zone, () => [...cc.regions.values()].flat()) };
}

function placeMatches(cc: CloudCatalog, r: number, place: Place): boolean {
  if (place.region !== ANY && cc.table.region[r] !== place.region) return false;
  if (place.zone !== ANY && cc.table.zone[r] !== place.zone) return false;
  return true;
}

/** GPU (attachable) rows of one name and count in a GCP catalog. */
function attachableRows(cc: CloudCatalog, name: string, count: number): Int32Array | undefined {
  const groups = cc.attachable.get(name.toLowerCase());
  const g = groups?.find((x) => sameCount(x.count, count));
  return g?.rows;
}

/** Accelerators offered under a (fuzzy) name, as 'NAME:COUNT' (SkyPilot's "Did you mean"). */
function offeredAccelerators(cc: CloudCatalog, name: string, minCount = 0): string[] {
  const needle = name.toLowerCase();
  const out = new Map<string, number>();
  const add = (n: string, c: number, price: number) => {
    if (!n.toLowerCase().includes(needle) || c < minCount) return;
    const k = `${n}:${Number.isInteger(c) ? c : c.toFixed(2)}`;
    const prev = out.get(k);
    if (prev === undefined || cmpPrice(price, prev) < 0) out.set(k, price);
  };
  for (const list of cc.typesByAccelerator.values())
    for (const info of list) if (!info.acceleratorPricedApart) add(info.accelerator!.name, info.accelerator!.count, info.minPrice);
  for (const groups of cc.attachable.values()) {
    for (const g of groups) {
      let min = NaN;
      for (const r of g.rows) if (!(cc.table.price[r] >= min)) min = cc.table.price[r];
      add(g.name, g.count, min);
    }
  }
  return [...out.entries()].sort((a, b) => cmpPrice(a[1], b[1])).map(([k]) => k);
}

/** Instance types to consider for the request (before location and price filters). */
function shapeCandidates(cc: CloudCatalog, q: OfferQuery): { types: InstanceTypeInfo[]; gpuRows?: Int32Array; reason?: NoOfferReason } {
  const acc = q.accelerator;
  if (q.instanceType) {
    const info = cc.types.get(q.instanceType) ?? cc.typesLower.get(q.instanceType.toLowerCase());
    if (!info) return { types: [], reason: { kind: 'unknown-instance-type', instanceType: q.instanceType, closest: closestNames(cc, q.instanceType) } };
    let gpuRows: Int32Array | undefined;
    if (acc) {
      if (info.accelerator) {
        if (info.accelerator.name.toLowerCase() !== acc.name.toLowerCase() || !sameCount(info.accelerator.count, acc.count)) {
          return {
            types: [],
            reason: { kind: 'mismatch', message: `${info.name} comes with ${info.accelerator.name}:${info.accelerator.count}, not ${acc.name}:${acc.count}.` },
          };
        }
      } else if (cc.cloud === 'gcp' && info.name.startsWith('n1-')) {
        gpuRows = attachableRows(cc, acc.name, acc.count);
        if (!gpuRows)
          return {
            types: [],
            reason: { kind: 'accelerator-not-offered', accelerator: acc.name, count: acc.count, offered: offeredAccelerators(cc, acc.name, acc.count) },
          };
      } else {
        return { types: [], reason: { kind: 'mismatch', message: `${info.name} has no ${acc.name} GPUs.` } };
      }
    }
    if (!fitsQuantity(info.vcpus, q.cpus) || !fitsMemory(info.memoryGb, info.vcpus, q.memory)) return { types: [], reason: { kind: 'cpus-memory' } };
    if (info.acceleratorPricedApart && info.accelerator) gpuRows = attachableRows(cc, info.accelerator.name, info.accelerator.count);
    return { types: [info], gpuRows };
  }
  if (acc) {
    if (cc.cloud === 'gcp') {
      const gpuRows = attachableRows(cc, acc.name, acc.count);
      if (!gpuRows)
        return {
          types: [],
          reason: { kind: 'accelerator-not-offered', accelerator: acc.name, count: acc.count, offered: offeredAccelerators(cc, acc.name, acc.count) },
        };
      if (acc.name.toLowerCase().startsWith('tpu-')) return { types: [], gpuRows };
      const canonical = Object.keys(GCP_ACC_INSTANCE_TYPES).find((k) => k.toLowerCase() === acc.name.toLowerCase());
      let types: InstanceTypeInfo[];
      if (canonical) {
        const names = GCP_ACC_INSTANCE_TYPES[canonical][acc.count] ?? [];
        types = names.map((n) => cc.types.get(n)).filter((x): x is InstanceTypeInfo => !!x);
        types = types.filter((t) => fitsQuantity(t.vcpus, q.cpus) && fitsMemory(t.memoryGb, t.vcpus, q.memory));
      } else {
        let cpus = q.cpus;
        let memory = q.memory;
        const def = gcpDefaultHostCpus(acc.name, acc.count);
        if (!cpus && !memory) {
          if (def === undefined) return { types: [], reason: { kind: 'mismatch', message: `${acc.name}:${acc.count} is not launchable on GCP.` } };
          cpus = { value: def, orMore: true };
        }
        if (!memory && cpus) memory = { value: cpus.value * GCP_GPU_MEMORY_CPU_RATIO, orMore: true };
        types = cc.cpuTypes.filter(
          (t) => GCP_HOST_FAMILIES.some((p) => t.name.startsWith(p)) && fitsQuantity(t.vcpus, cpus) && fitsMemory(t.memoryGb, t.vcpus, memory),
        );
      }
      if (types.length === 0) return { types, reason: { kind: 'cpus-memory' } };
      return { types, gpuRows };
    }
    const carrying = cc.typesByAccelerator.get(acc.name.toLowerCase())?.filter((t) => sameCount(t.accelerator!.count, acc.count)) ?? [];
    if (carrying.length === 0)
      return {
        types: [],
        reason: { kind: 'accelerator-not-offered', accelerator: acc.name, count: acc.count, offered: offeredAccelerators(cc, acc.name, acc.count) },
      };
    const types = carrying.filter((t) => fitsQuantity(t.vcpus, q.cpus) && fitsMemory(t.memoryGb, t.vcpus, q.memory));
    return types.length ? { types } : { types, reason: { kind: 'cpus-memory' } };
  }
  // No accelerators, no instance type: SkyPilot's default instance rules.
  let cpus = q.cpus;
  const memory = q.memory ?? { value: DEFAULT_MEMORY_CPU_RATIO, orMore: true, perCpu: true };
  if (!q.cpus && !q.memory) cpus = { value: DEFAULT_NUM_VCPUS, orMore: true };
  const types = defaultCpuTypes(cc).filter((t) => fitsQuantity(t.vcpus, cpus) && fitsMemory(t.memoryGb, t.vcpus, memory));
  return types.length ? { types } : { types, reason: { kind: 'cpus-memory' } };
}

const defaultCpuIndex = new WeakMap<CloudCatalog, InstanceTypeInfo[]>();

/** The CPU types of SkyPilot's default families (in cpuTypes order), found once per catalog. */
function defaultCpuTypes(cc: CloudCatalog): InstanceTypeInfo[] {
  let types = defaultCpuIndex.get(cc);
  if (!types) {
    types = cc.cpuTypes.filter((t) => isDefaultCpuFamily(cc.cloud, t.name));
    defaultCpuIndex.set(cc, types);
  }
  return types;
}

function closestNames(cc: CloudCatalog, name: string): string[] {
  const lower = name.toLowerCase();
  const prefix = lower.slice(
    0,
    Math.max(2, lower.indexOf('.') > 0 ? lower.indexOf('.') : lower.lastIndexOf('-') > 0 ? lower.lastIndexOf('-') : lower.length - 1),
  );
  return [...cc.types.keys()]
    .filter((n) => n.toLowerCase().startsWith(prefix))
    .sort()
    .slice(0, 5);
}

/** Zone/region offers of one cloud for a request, with the reason when there are none. */
export function matchOffers(cat: Catalog, cloud: CatalogCloud, q: OfferQuery, hostSelection: HostSelection = 'all', cheapestTypeOnly = false): OfferResult {
  const cc = cat.clouds.get(cloud);
  if (!cc) return { offers: [], reason: { kind: 'no-catalog' } };
  const shape = shapeCandidates(cc, q);
  if (shape.reason) return { offers: [], reason: shape.reason };
  if (q.rejectType && shape.types.length) {
    // SkyPilot filters the fitting instance types (e.g. Azure's check_disk_tier) before choosing the cheapest.
    let why: Rejection | undefined;
    const kept = shape.types.filter((info) => {
      const r = q.rejectType!(info.name);
      why ??= r;
      return !r;
    });
    if (kept.length === 0) return { offers: [], reason: { kind: 'constraint', ...(why ?? { field: 'resources', message: 'no instance type is allowed' }) } };
    shape.types = kept;
  }
  let fittingTypes: string[] | undefined;
  if (cheapestTypeOnly && !shape.gpuRows && !q.region && !q.zone && shape.types.length > 1) {
    // The optimizer keeps only the cheapest type; without a location pin its per-type minimum
    // price (computed at load) decides, so only that type's rows become offers.
    const key = (t: InstanceTypeInfo) => (q.useSpot ? t.minSpot : t.minPrice);
    const ranked = shape.types.filter((t) => !Number.isNaN(key(t))).sort((a, b) => key(a) - key(b));
    if (ranked.length) {
      fittingTypes = ranked.map((t) => t.name);
      shape.types = [ranked[0]];
    }
  }
  const t = cc.table;
  const place = placeOf(cat, cc, q.region, q.zone);
  const offers: Offer[] = [];
  let located = 0;
  const gpuRows = shape.gpuRows;
  if (gpuRows && shape.types.length === 0) {
    // GCP TPU: the TPU VM host is free; the TPU row is the offer.
    for (const g of gpuRows) {
      if (!placeMatches(cc, g, place)) continue;
      located++;
      offers.push({
        cloud,
        instanceType: 'TPU-VM',
        accelerator: { name: cat.str(t.accName[g]), count: t.accCount[g] },
        vcpus: NaN,
        memoryGb: NaN,
        region: cat.str(t.region[g]),
        zone: t.zone[g] >= 0 ? cat.str(t.zone[g]) : undefined,
        price: t.price[g],
        spotPrice: t.spotPrice[g],
      });
    }
  } else if (gpuRows) {
    // GCP GPUs priced apart: pair each GPU row with the host rows of the same zone.
    const acc = { name: cat.str(t.accName[gpuRows[0]]), count: t.accCount[gpuRows[0]] };
    let hosts = shape.types;
    if (hostSelection === 'global' && hosts.length > 1) {
      // SkyPilot: the cheapest host type by its own price (within the pinned region/zone).
      let best: InstanceTypeInfo | undefined;
      let bestPrice = NaN;
      for (const h of hosts) {
        for (const r of h.rows) {
          if (!placeMatches(cc, r, place)) continue;
          if (cmpPrice(t.price[r], bestPrice) < 0 || !best) {
            if (Number.isNaN(t.price[r]) && best) continue;
            best = h;
            bestPrice = t.price[r];
          }
        }
      }
      hosts = best ? [best] : [];
    }
    for (const g of gpuRows) {
      if (!placeMatches(cc, g, place)) continue;
      const at = t.zone[g] >= 0 ? t.zone[g] : t.region[g];
      let bestOffer: Offer | undefined;
      for (const h of hosts) {
        const r = rowAtPlace(cc, h, at);
        if (r < 0) continue;
        located++;
        const o = rowOffer(cat, cc, h, r, g, acc);
        if (hostSelection === 'perZone') {
          if (Number.isNaN(t.price[r])) continue;
          if (!bestOffer || cmpPrice(o.price, bestOffer.price) < 0) bestOffer = o;
        } else offers.push(o);
      }
      if (bestOffer) offers.push(bestOffer);
    }
  } else {
    for (const info of shape.types) {
      for (const r of info.rows) {
        if (!placeMatches(cc, r, place)) continue;
        located++;
        offers.push(rowOffer(cat, cc, info, r));
      }
    }
  }
  if (located === 0) return { offers: [], reason: { kind: 'location', region: q.region, zone: q.zone } };
  if (q.rejectRegion) {
    let why: Rejection | undefined;
    const kept = offers.filter((o) => {
      const r = q.rejectRegion!(o.region);
      why ??= r;
      return !r;
    });
    if (kept.length === 0) return { offers: [], reason: { kind: 'constraint', ...(why ?? { field: 'resources', message: 'no region is allowed' }) } };
    offers.length = 0;
    offers.push(...kept);
  }
  const priced = q.anyPrice
    ? offers.filter((o) => !Number.isNaN(o.price) || !Number.isNaN(o.spotPrice))
    : offers.filter((o) => !Number.isNaN(q.useSpot ? o.spotPrice : o.price));
  if (priced.length === 0) return { offers: [], reason: { kind: 'no-price', spot: !!q.useSpot } };
  if (q.anyPrice) return { offers: priced, fittingTypes };
  if (q.maxHourlyCost !== undefined) {
    const cap = q.maxHourlyCost;
    const under = priced.filter((o) => (q.useSpot ? o.spotPrice : o.price) <= cap + 1e-9);
    if (under.length === 0) {
      const cheapest = Math.min(...priced.map((o) => (q.useSpot ? o.spotPrice : o.price)));
      return { offers: [], reason: { kind: 'price-cap', cheapest } };
    }
    return { offers: under, fittingTypes };
  }
  return { offers: priced, fittingTypes };
}

/** The offer's price for the purchase option asked for. */
export function offerPrice(o: Offer, spot: boolean): number {
  return spot ? o.spotPrice : o.price;
}

/** The cheapest on-demand and spot offer of one cloud for a request, and the regions with an on-demand price. */
export interface CheapestOffers {
  onDemand?: Offer;
  spot?: Offer;
  regions: Set<string>;
}

/** Per instance type: its first cheapest on-demand and spot rows (-1: no price) and the regions with an on-demand price. */
interface TypeCheapest {
  onDemandRow: number;
  spotRow: number;
  pricedRegions: Int32Array;
}

const cheapestIndex = new WeakMap<InstanceTypeInfo, TypeCheapest>();

/**
 * Built on first use per type and kept with the (immutable) catalog. The first row wins a tie,
 * as when every row is scanned in order, so answers do not change.
 */
function typeCheapest(cc: CloudCatalog, info: InstanceTypeInfo): TypeCheapest {
  let s = cheapestIndex.get(info);
  if (s) return s;
  const { price, spotPrice, region } = cc.table;
  let onDemandRow = -1;
  let spotRow = -1;
  const regions: number[] = [];
  const rows = info.rows;
  for (let k = 0; k < rows.length; k++) {
    const r = rows[k];
    const p = price[r];
    if (p === p) {
      if (onDemandRow < 0 || p < price[onDemandRow]) onDemandRow = r;
      const reg = region[r];
      // Rows of a type come region by region, so the last one seen catches most repeats.
      if (regions[regions.length - 1] !== reg && !regions.includes(reg)) regions.push(reg);
    }
    const sp = spotPrice[r];
    if (sp === sp && (spotRow < 0 || sp < spotPrice[spotRow])) spotRow = r;
  }
  s = { onDemandRow, spotRow, pricedRegions: Int32Array.from(regions) };
  cheapestIndex.set(info, s);
  return s;
}

/** A candidate offer: host row r (+ GPU row g when GCP prices the GPUs apart) and its price. */
interface Pick {
  info: InstanceTypeInfo;
  r: number;
  g: number;
  price: number;
}

/**
 * The cheapest on-demand and spot candidates seen so far and the regions with an on-demand
 * price. One class, so every pass below sees objects of one shape.
 */
class Picks {
  od: Pick | undefined = undefined;
  spot: Pick | undefined = undefined;
  readonly regionIds = new Set<number>();

  consider(t: CloudCatalog['table'], info: InstanceTypeInfo, r: number, g: number): void {
    const price = g >= 0 ? t.price[r] + t.price[g] : t.price[r];
    if (!Number.isNaN(price)) {
      this.regionIds.add(t.region[r]);
      if (!this.od || cmpPrice(price, this.od.price) < 0) this.od = { info, r, g, price };
    }
    const sp = g >= 0 ? t.spotPrice[r] + t.spotPrice[g] : t.spotPrice[r];
    if (!Number.isNaN(sp) && (!this.spot || sp < this.spot.price)) this.spot = { info, r, g, price: sp };
  }
}

/** The cheapest of matchOffers' offers (first cheapest wins) and their priced regions. */
function reduceOffers(offers: Offer[]): CheapestOffers {
  const out: CheapestOffers = { regions: new Set() };
  for (const o of offers) {
    if (!Number.isNaN(o.price)) {
      out.regions.add(o.region);
      if (!out.onDemand || cmpPrice(o.price, out.onDemand.price) < 0) out.onDemand = o;
    }
    if (!Number.isNaN(o.spotPrice) && (!out.spot || o.spotPrice < out.spot.spotPrice)) out.spot = o;
  }
  return out;
}

/** As matchOffers 'perZone': per GPU row, the host with the cheapest on-demand price in its zone. */
function pickPerGpuZone(cc: CloudCatalog, gpuRows: Int32Array, types: InstanceTypeInfo[], place: Place, picks: Picks): void {
  const t = cc.table;
  for (const g of gpuRows) {
    if (!placeMatches(cc, g, place)) continue;
    const at = t.zone[g] >= 0 ? t.zone[g] : t.region[g];
    let bestInfo: InstanceTypeInfo | undefined;
    let bestRow = -1;
    for (const h of types) {
      const r = rowAtPlace(cc, h, at);
      if (r < 0 || Number.isNaN(t.price[r])) continue;
      if (!bestInfo || cmpPrice(t.price[r] + t.price[g], t.price[bestRow] + t.price[g]) < 0) {
        bestInfo = h;
        bestRow = r;
      }
    }
    if (bestInfo) picks.consider(t, bestInfo, bestRow, g);
  }
}

/**
 * No location pin: each type's cheapest rows and priced regions come from its index, so a CPU
 * request over hundreds of types reads a few numbers per type instead of every row.
 */
function pickByTypeIndex(cc: CloudCatalog, types: InstanceTypeInfo[], picks: Picks): void {
  const t = cc.table;
  for (const info of types) {
    const s = typeCheapest(cc, info);
    for (const id of s.pricedRegions) picks.regionIds.add(id);
    if (s.onDemandRow >= 0) {
      const price = t.price[s.onDemandRow];
      if (!picks.od || cmpPrice(price, picks.od.price) < 0) picks.od = { info, r: s.onDemandRow, g: -1, price };
    }
    if (s.spotRow >= 0) {
      const sp = t.spotPrice[s.spotRow];
      if (!picks.spot || sp < picks.spot.price) picks.spot = { info, r: s.spotRow, g: -1, price: sp };
    }
  }
}

/** A region or zone pin: every row of each type at that place. */
function pickAtPlace(cc: CloudCatalog, types: InstanceTypeInfo[], place: Place, picks: Picks): void {
  for (const info of types) for (const r of info.rows) if (placeMatches(cc, r, place)) picks.consider(cc.table, info, r, -1);
}

/** Whether a GPU request by name (not a TPU, no instance type) is offered here at its count. */
function acceleratorOffered(cc: CloudCatalog, acc: { name: string; count: number }): boolean {
  const key = acc.name.toLowerCase();
  return !!(
    cc.typesByAccelerator.get(key)?.some((t) => sameCount(t.accelerator!.count, acc.count)) ||
    cc.attachable.get(key)?.some((g) => sameCount(g.count, acc.count))
  );
}

/**
 * What the cost lens needs from matchOffers(q, 'perZone') with anyPrice, without building an
 * offer per row: a CPU request such as `cpus: 1+` fits hundreds of instance types in every
 * zone. Same answer as reducing those offers (first cheapest wins); requests with GPUs priced
 * apart or a region filter take matchOffers itself. Kept as small functions: every lens calls
 * this, so the optimizing compiler takes it up within a few files, and one large function with
 * closures cost it tens of milliseconds (counted in whichever lens pass it ran beside).
 */
export function cheapestOffers(cat: Catalog, cloud: CatalogCloud, q: OfferQuery): CheapestOffers {
  const cc = cat.clouds.get(cloud);
  if (!cc) return { regions: new Set() };
  const acc = q.accelerator;
  // Not offered here at this count: skip the "did you mean" list shapeCandidates would build.
  if (acc && !q.instanceType && !acc.name.toLowerCase().startsWith('tpu-') && !acceleratorOffered(cc, acc)) return { regions: new Set() };
  const shape = shapeCandidates(cc, q);
  if (shape.reason) return { regions: new Set() };
  if (q.rejectRegion || (shape.gpuRows && shape.types.length === 0)) return reduceOffers(matchOffers(cat, cloud, { ...q, anyPrice: true }, 'perZone').offers);
  const types = q.rejectType ? shape.types.filter((info) => !q.rejectType!(info.name)) : shape.types;
  const place = placeOf(cat, cc, q.region, q.zone);
  const picks = new Picks();
  const gpuRows = shape.gpuRows;
  if (gpuRows) pickPerGpuZone(cc, gpuRows, types, place, picks);
  else if (place === ANY_PLACE) pickByTypeIndex(cc, types, picks);
  else pickAtPlace(cc, types, place, picks);
  const t = cc.table;
  const gpu = gpuRows ? { name: cat.str(t.accName[gpuRows[0]]), count: t.accCount[gpuRows[0]] } : undefined;
  const offer = (c: Pick) => (c.g >= 0 ? rowOffer(cat, cc, c.info, c.r, c.g, gpu) : rowOffer(cat, cc, c.info, c.r));
  return {
    onDemand: picks.od && offer(picks.od),
    spot: picks.spot && offer(picks.spot),
    regions: new Set([...picks.regionIds].map((id) => cat.str(id))),
  };
}
