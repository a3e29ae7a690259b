/**
 * The loaded catalog: one VmTable per cloud plus indexes built once at load, so that the
 * questions the optimizer and the editor ask (offers for an accelerator and count, for
 * cpus/memory bounds, for an instance type, in a cloud/region/zone, on-demand or spot)
 * touch only the rows that can answer them.
 */
import { Interner } from './csv';
import { parseVmsCsv, type TableSummary, type VmTable } from './table';
import { GCP_INSTANCE_TYPE_TO_ACC } from './gcpHosts';

export const CATALOG_CLOUDS = ['aws', 'gcp', 'azure'] as const;
export type CatalogCloud = (typeof CATALOG_CLOUDS)[number];

export function isCatalogCloud(cloud: string): cloud is CatalogCloud {
  return (CATALOG_CLOUDS as readonly string[]).includes(cloud);
}

/** One instance type of one cloud, with the rows (region/zone offers) that list it. */
export interface InstanceTypeInfo {
  cloud: CatalogCloud;
  name: string;
  vcpus: number;
  memoryGb: number;
  /** GPUs that come with the type (GCP host types carry theirs per gcpHosts.ts). */
  accelerator?: { name: string; count: number };
  gpuMemoryGb?: number;
  /** true when the GPUs are priced in separate (GCP) rows. */
  acceleratorPricedApart: boolean;
  hasGpuInfo: boolean;
  arch?: string;
  /** Row indexes into the cloud's table (a view of one shared array). */
  rows: Int32Array;
  /** Cheapest known on-demand / spot price over all rows (NaN when none is known). */
  minPrice: number;
  minSpot: number;
}

/** GCP accelerator rows without an instance type (attachable GPUs and TPUs), per name and count. */
export interface AttachableGroup {
  name: string;
  count: number;
  rows: Int32Array;
  gpuMemoryGb?: number;
}

export interface CloudCatalog {
  cloud: CatalogCloud;
  table: VmTable;
  /** Exact instance type name -> info; plus a lower-case index for lookups from user input. */
  types: Map<string, InstanceTypeInfo>;
  typesLower: Map<string, InstanceTypeInfo>;
  /** lower-case accelerator name -> instance types carrying it (any count). */
  typesByAccelerator: Map<string, InstanceTypeInfo[]>;
  /** lower-case accelerator name -> attachable groups (GCP). */
  attachable: Map<string, AttachableGroup[]>;
  /** Instance types without accelerators, ascending by vCPUs then memory (cpus/memory queries). */
  cpuTypes: InstanceTypeInfo[];
  /** region -> zones (sorted); Azure has no zones. */
  regions: Map<string, string[]>;
  /** Canonical accelerator names offered by this cloud. */
  acceleratorNames: Set<string>;
  /** Where the file came from. */
  source: string;
}

export interface AcceleratorListing {
  name: string;
  clouds: string[];
}

export class Catalog {
  readonly strings: Interner;
  readonly clouds = new Map<CatalogCloud, CloudCatalog>();
  /** From common/accelerators.csv (name -> clouds), when present. */
  readonly knownAccelerators = new Map<string, AcceleratorListing>();

  private acceleratorNamesCache: string[] | undefined;

  constructor(strings = new Interner()) {
    this.strings = strings;
  }

  addCloud(cloud: CatalogCloud, csv: Uint8Array, source: string): CloudCatalog {
    return this.addTable(cloud, parseVmsCsv(cloud, csv, this.strings), source);
  }

  /** Adds an already parsed table (its string ids must come from this catalog's interner). */
  addTable(cloud: CatalogCloud, table: VmTable, source: string): CloudCatalog {
    const cc: CloudCatalog = { cloud, table, source, ...indexTable(cloud, table, this.strings) };
    this.clouds.set(cloud, cc);
    this.acceleratorNamesCache = undefined;
    return cc;
  }

  /** Parses `AcceleratorName,Clouds` (Clouds is a Python list literal). */
  addAcceleratorList(text: string): void {
    for (const line of text.split(/\r?\n/).slice(1)) {
      if (!line.trim()) continue;
      const comma = line.indexOf(',');
      const name = line.slice(0, comma).trim();
      const clouds = [...line.slice(comma + 1).matchAll(/'([^']+)'/g)].map((m) => m[1]);
      if (name) this.knownAccelerators.set(name.toLowerCase(), { name, clouds });
    }
    this.acceleratorNamesCache = undefined;
  }

  cloud(cloud: string): CloudCatalog | undefined {
    return isCatalogCloud(cloud) ? this.clouds.get(cloud) : undefined;
  }

  str(id: number): string {
    return this.strings.get(id);
  }

  /** Every accelerator name we know: the catalogs' own plus common/accelerators.csv. */
  allAcceleratorNames(): string[] {
    if (this.acceleratorNamesCache) return this.acceleratorNamesCache;
    const names = new Map<string, string>();
    for (const a of this.knownAccelerators.values()) names.set(a.name.toLowerCase(), a.name);
    for (const cc of this.clouds.values()) for (const n of cc.acceleratorNames) names.set(n.toLowerCase(), n);
    this.acceleratorNamesCache = [...names.values()].sort();
    return this.acceleratorNamesCache;
  }

  findInstanceType(name: string, cloud?: string): InstanceTypeInfo[] {
    const out: InstanceTypeInfo[] = [];
    for (const cc of this.clouds.values()) {
      if (cloud && cc.cloud !== cloud) continue;
      const t = cc.types.get(name) ?? cc.typesLower.get(name.toLowerCase());
      if (t) out.push(t);
    }
    return out;
  }
}

type CloudIndex = Omit<CloudCatalog, 'cloud' | 'table' | 'source'>;

/**
 * The per-row pass of the index in JavaScript, for tables from the JavaScript parser or the
 * index cache (the WebAssembly parser does the same pass itself: csvColumns.wat summarize).
 * No allocation per row: rows are grouped per instance type by a counting sort into one
 * Int32Array, regions/zones and accelerator names are marked in arrays indexed by string id.
 */
function summarizeTable(t: VmTable, nIds: number): TableSummary {
  const n = t.size;
  const typeCount = new Int32Array(nIds);
  const firstRow = new Int32Array(nIds).fill(-1);
  const minPrice = new Float64Array(nIds).fill(NaN);
  const minSpot = new Float64Array(nIds).fill(NaN);
  const zoneRegion = new Int32Array(nIds).fill(-1);
  const seen = new Uint8Array(nIds);
  const attach: number[] = [];
  const { instanceType, accName, region, zone, price, spotPrice } = t;
  for (let r = 0; r < n; r++) {
    const reg = region[r];
    if (reg >= 0) {
      seen[reg] |= 1;
      const z = zone[r];
      if (z >= 0) zoneRegion[z] = reg;
    }
    const it = instanceType[r];
    const acc = accName[r];
    if (acc >= 0) seen[acc] |= 2;
    if (it >= 0) {
      if (typeCount[it]++ === 0) firstRow[it] = r;
      const p = price[r];
      if (p === p && !(minPrice[it] <= p)) minPrice[it] = p;
      const sp = spotPrice[r];
      if (sp === sp && !(minSpot[it] <= sp)) minSpot[it] = sp;
    } else if (acc >= 0) attach.push(r);
  }
  // Counting sort of rows by instance type: one Int32Array, a view per type.
  const start = new Int32Array(nIds + 1);
  for (let id = 0; id < nIds; id++) start[id + 1] = start[id] + typeCount[id];
  const fill = start.slice(0, nIds);
  const sorted = new Int32Array(start[nIds]);
  for (let r = 0; r < n; r++) {
    const it = instanceType[r];
    if (it >= 0) sorted[fill[it]++] = r;
  }
  return { nIds, typeCount, firstRow, minPrice, minSpot, zoneRegion, seen, start, sorted, attachRows: Int32Array.from(attach) };
}

/** Builds the indexes from the per-row summary: only per-type and per-group objects are created. */
function indexTable(cloud: CatalogCloud, t: VmTable, strings: Interner): CloudIndex {
  const s = t.summary ?? summarizeTable(t, strings.values.length);
  const { nIds, typeCount, firstRow, minPrice, minSpot, zoneRegion, seen, start, sorted: sortedRows } = s;
  const { accName, accCount } = t;
  const attachableByKey = new Map<string, { name: string; count: number; rows: number[]; gpuMemoryGb?: number }>();
  for (const r of s.attachRows) {
    const acc = accName[r];
    const count = accCount[r];
    const key = `${acc}|${count}`;
    let g = attachableByKey.get(key);
    if (!g) {
      g = { name: strings.get(acc), count, rows: [], gpuMemoryGb: Number.isNaN(t.gpuMemoryGb[r]) ? undefined : t.gpuMemoryGb[r] };
      attachableByKey.set(key, g);
    }
    g.rows.push(r);
  }
  const types = new Map<string, InstanceTypeInfo>();
  for (let id = 0; id < nIds; id++) {
    if (typeCount[id] === 0) continue;
    const r = firstRow[id];
    const name = strings.get(id);
    const acc = accName[r];
    const hostAcc = cloud === 'gcp' ? GCP_INSTANCE_TYPE_TO_ACC[name] : undefined;
    types.set(name, {
      cloud,
      name,
      vcpus: t.vcpus[r],
      memoryGb: t.memoryGb[r],
      accelerator: acc >= 0 && !Number.isNaN(accCount[r]) ? { name: strings.get(acc), count: accCount[r] } : hostAcc ? { ...hostAcc } : undefined,
      gpuMemoryGb: Number.isNaN(t.gpuMemoryGb[r]) ? undefined : t.gpuMemoryGb[r],
      acceleratorPricedApart: !!hostAcc && acc < 0,
      hasGpuInfo: t.hasGpuInfo[r] === 1,
      arch: t.arch[r] >= 0 ? strings.get(t.arch[r]) : undefined,
      rows: sortedRows.subarray(start[id], start[id + 1]),
      minPrice: minPrice[id],
      minSpot: minSpot[id],
    });
  }
  const acceleratorNames = new Set<string>();
  for (let id = 0; id < nIds; id++) if (seen[id] & 2) acceleratorNames.add(strings.get(id));
  const typesLower = new Map<string, InstanceTypeInfo>();
  const typesByAccelerator = new Map<string, InstanceTypeInfo[]>();
  const cpuTypes: InstanceTypeInfo[] = [];
  for (const info of types.values()) {
    typesLower.set(info.name.toLowerCase(), info);
    if (info.accelerator) {
      const k = info.accelerator.name.toLowerCase();
      let list = typesByAccelerator.get(k);
      if (!list) typesByAccelerator.set(k, (list = []));
      list.push(info);
    } else cpuTypes.push(info);
  }
  for (const list of typesByAccelerator.values()) list.sort((a, b) => a.accelerator!.count - b.accelerator!.count || cmpPrice(a.minPrice, b.minPrice));
  cpuTypes.sort((a, b) => a.vcpus - b.vcpus || a.memoryGb - b.memoryGb);
  const attachable = new Map<string, AttachableGroup[]>();
  for (const g of attachableByKey.values()) {
    const k = g.name.toLowerCase();
    let list = attachable.get(k);
    if (!list) attachable.set(k, (list = []));
    list.push({ ...g, rows: Int32Array.from(g.rows) });
  }
  for (const list of attachable.values()) list.sort((a, b) => a.count - b.count);
  const zonesOf = new Map<number, string[]>();
  for (let id = 0; id < nIds; id++) {
    const reg = zoneRegion[id];
    if (reg < 0) continue;
    let zs = zonesOf.get(reg);
    if (!zs) zonesOf.set(reg, (zs = []));
    zs.push(strings.get(id));
  }
  const regionNames: [string, number][] = [];
  for (let id = 0; id < nIds; id++) if (seen[id] & 1) regionNames.push([strings.get(id), id]);
  regionNames.sort((a, b) => cmpAscii(a[0], b[0]));
  const regions = new Map<string, string[]>();
  for (const [name, id] of regionNames) regions.set(name, (zonesOf.get(id) ?? []).sort());
  return { types, typesLower, typesByAccelerator, attachable, cpuTypes, regions, acceleratorNames };
}

/** The row of an instance type in a zone (or region, for clouds without zones); -1 if none. Lazily indexed. */
export function rowAtPlace(cc: CloudCatalog, info: InstanceTypeInfo, place: number): number {
  let m = placeIndex.get(info);
  if (!m) {
    m = new Map();
    const t = cc.table;
    for (const r of info.rows) {
      const p = t.zone[r] >= 0 ? t.zone[r] : t.region[r];
      if (!m.has(p)) m.set(p, r);
    }
    placeIndex.set(info, m);
  }
  return m.get(place) ?? -1;
}

const placeIndex = new WeakMap<InstanceTypeInfo, Map<number, number>>();

/**
 * Code-unit order, for cloud, region and zone names (lower-case ASCII, where it agrees with
 * localeCompare): the first localeCompare call in a process loads ICU's collator, which
 * cost the first cost lens several milliseconds.
 */
export function cmpAscii(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Ascending price order with unknown (NaN) prices last. */
export function cmpPrice(a: number, b: number): number {
  const an = Number.isNaN(a);
  const bn = Number.isNaN(b);
  if (an || bn) return an === bn ? 0 : an ? 1 : -1;
  return a - b;
}
