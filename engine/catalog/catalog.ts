/**
 * The loaded catalog: one VmTable per cloud plus indexes built once at load, so that the
 * questions the optimizer and the editor ask (offers for an accelerator and count, for
 * cpus/memory bounds, for an instance type, in a cloud/region/zone, on-demand or spot)
 * touch only the rows that can answer them.
 */
import { Interner } from './csv';
import { parseVmsCsv, type VmTable } from './table';
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
  rows: number[];
  /** Cheapest known on-demand / spot price over all rows (NaN when none is known). */
  minPrice: number;
  minSpot: number;
  /** zone (or region when the cloud has no zones) string id -> row. */
  rowByPlace: Map<number, number>;
}

/** GCP accelerator rows without an instance type (attachable GPUs and TPUs), per name and count. */
export interface AttachableGroup {
  name: string;
  count: number;
  rows: number[];
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
    const table = parseVmsCsv(cloud, csv, this.strings);
    const cc = indexTable(cloud, table, this.strings, source);
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

function minIgnoringNaN(a: number, b: number): number {
  if (Number.isNaN(a)) return b;
  if (Number.isNaN(b)) return a;
  return a < b ? a : b;
}

function indexTable(cloud: CatalogCloud, t: VmTable, strings: Interner, source: string): CloudCatalog {
  const byId: (InstanceTypeInfo | undefined)[] = [];
  const types = new Map<string, InstanceTypeInfo>();
  const attachableByKey = new Map<string, AttachableGroup>();
  const regionZones = new Map<number, Set<number>>();
  const acceleratorNames = new Set<string>();
  for (let r = 0; r < t.size; r++) {
    const reg = t.region[r];
    if (reg >= 0) {
      let zs = regionZones.get(reg);
      if (!zs) regionZones.set(reg, (zs = new Set()));
      if (t.zone[r] >= 0) zs.add(t.zone[r]);
    }
    const it = t.instanceType[r];
    const acc = t.accName[r];
    if (acc >= 0) acceleratorNames.add(strings.get(acc));
    if (it >= 0) {
      let info = byId[it];
      if (!info) {
        const name = strings.get(it);
        const hostAcc = cloud === 'gcp' ? GCP_INSTANCE_TYPE_TO_ACC[name] : undefined;
        info = {
          cloud,
          name,
          vcpus: t.vcpus[r],
          memoryGb: t.memoryGb[r],
          accelerator: acc >= 0 && !Number.isNaN(t.accCount[r]) ? { name: strings.get(acc), count: t.accCount[r] } : hostAcc ? { ...hostAcc } : undefined,
          gpuMemoryGb: Number.isNaN(t.gpuMemoryGb[r]) ? undefined : t.gpuMemoryGb[r],
          acceleratorPricedApart: !!hostAcc && acc < 0,
          hasGpuInfo: t.hasGpuInfo[r] === 1,
          arch: t.arch[r] >= 0 ? strings.get(t.arch[r]) : undefined,
          rows: [],
          minPrice: NaN,
          minSpot: NaN,
          rowByPlace: new Map(),
        };
        byId[it] = info;
        types.set(name, info);
      }
      info.rows.push(r);
      info.minPrice = minIgnoringNaN(info.minPrice, t.price[r]);
      info.minSpot = minIgnoringNaN(info.minSpot, t.spotPrice[r]);
      const place = t.zone[r] >= 0 ? t.zone[r] : reg;
      if (!info.rowByPlace.has(place)) info.rowByPlace.set(place, r);
    } else if (acc >= 0) {
      const name = strings.get(acc);
      const count = t.accCount[r];
      const key = `${name.toLowerCase()}\u0000${count}`;
      let g = attachableByKey.get(key);
      if (!g) {
        g = { name, count, rows: [], gpuMemoryGb: Number.isNaN(t.gpuMemoryGb[r]) ? undefined : t.gpuMemoryGb[r] };
        attachableByKey.set(key, g);
      }
      g.rows.push(r);
    }
  }
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
    list.push(g);
  }
  for (const list of attachable.values()) list.sort((a, b) => a.count - b.count);
  const regions = new Map<string, string[]>();
  for (const [reg, zs] of [...regionZones.entries()].sort((a, b) => strings.get(a[0]).localeCompare(strings.get(b[0])))) {
    regions.set(strings.get(reg), [...zs].map((z) => strings.get(z)).sort());
  }
  return { cloud, table: t, types, typesLower, typesByAccelerator, attachable, cpuTypes, regions, acceleratorNames, source };
}

/** Ascending price order with unknown (NaN) prices last. */
export function cmpPrice(a: number, b: number): number {
  const an = Number.isNaN(a);
  const bn = Number.isNaN(b);
  if (an || bn) return an === bn ? 0 : an ? 1 : -1;
  return a - b;
}
