/**
 * `skydeck catalog refresh [--cloud X] [--regions ...]`: rebuild <cloud>/vms.csv in
 * SKYDECK_HOME/catalogs/v8 from each cloud's public price source. The file is written
 * without a recorded md5, so (as in SkyPilot) the background hosted-catalog refresh treats
 * it as the user's own and does not overwrite it; `catalog refresh --hosted --force`
 * goes back to the hosted catalog.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Catalog, CatalogCloud } from '../catalog';
import { cacheCatalogDir } from '../locations';
import { getCatalog } from '../sources';
import { AWS_DEFAULT_REGIONS, AWS_OFFER_URL, awsRows, parseAwsOfferLines, responseLines } from './aws';
import { AZURE_DEFAULT_REGIONS, azurePrices, azurePriceUrl, azureRows, type AzurePricePage, type AzureShape } from './azure';
import { GCP_COMPUTE_SKUS_URL, GcpSkuIndex, repriceGcpRows, type GcpSkuPage } from './gcp';
import { writeVmsCsv, type VmRow } from './writer';

export interface FetchResponseLike {
  ok: boolean;
  status: number;
  text(): Promise<string>;
  body?: AsyncIterable<Uint8Array> | null;
}

export type PriceFetch = (url: string) => Promise<FetchResponseLike>;

export interface PriceRefreshOptions {
  regions?: string[];
  fetch?: PriceFetch;
  /** GCP Cloud Billing API key (default SKYDECK_GCP_API_KEY or GOOGLE_API_KEY). */
  gcpApiKey?: string;
  /** Catalog that supplies shapes for Azure and GCP (default: the one in use). */
  base?: Catalog;
  /** Where to write <cloud>/vms.csv (default SKYDECK_HOME/catalogs/v8). */
  outDir?: string;
  onProgress?: (message: string) => void;
}

export interface PriceRefreshResult {
  cloud: CatalogCloud;
  ok: boolean;
  rows: number;
  path?: string;
  error?: string;
  notes: string[];
}

const defaultFetch: PriceFetch = async (url) => {
  const res = await fetch(url, { signal: AbortSignal.timeout(300_000) });
  return { ok: res.ok, status: res.status, text: () => res.text(), body: res.body as unknown as AsyncIterable<Uint8Array> | null };
};

/** The rows of a loaded catalog table, back as VmRow (shapes for re-pricing). */
export function tableRows(cat: Catalog, cloud: CatalogCloud): VmRow[] {
  const cc = cat.clouds.get(cloud);
  if (!cc) return [];
  const t = cc.table;
  const rows: VmRow[] = [];
  const num = (x: number) => (Number.isNaN(x) ? undefined : x);
  for (let r = 0; r < t.size; r++) {
    const acc = t.accName[r] >= 0 ? cat.str(t.accName[r]) : undefined;
    rows.push({
      instanceType: cat.str(t.instanceType[r]),
      acceleratorName: acc,
      acceleratorCount: num(t.accCount[r]),
      vcpus: num(t.vcpus[r]),
      memoryGb: num(t.memoryGb[r]),
      gpuInfo: acc ? (Number.isNaN(t.gpuMemoryGb[r]) ? acc : `{'Gpus': [{'MemoryInfo': {'SizeInMiB': ${Math.round(t.gpuMemoryGb[r] * 1024)}}}]}`) : undefined,
      price: num(t.price[r]),
      spotPrice: num(t.spotPrice[r]),
      region: cat.str(t.region[r]),
      zone: t.zone[r] >= 0 ? cat.str(t.zone[r]) : undefined,
      arch: t.arch[r] >= 0 ? cat.str(t.arch[r]) : undefined,
    });
  }
  return rows;
}

async function getJson<T>(fetchImpl: PriceFetch, url: string): Promise<T> {
  const res = await fetchImpl(url);
  if (!res.ok) throw new Error(`HTTP ${res.status} from ${url.replace(/key=[^&]+/, 'key=***')}`);
  return JSON.parse(await res.text()) as T;
}

async function refreshAws(o: Required<Pick<PriceRefreshOptions, 'fetch'>> & PriceRefreshOptions): Promise<{ rows: VmRow[]; notes: string[] }> {
  const rows: VmRow[] = [];
  const notes = ['AWS offer files give no zones or spot prices without credentials: offers are per region, spot is unknown.'];
  for (const region of o.regions ?? AWS_DEFAULT_REGIONS) {
    o.onProgress?.(`aws: reading the EC2 offer file for ${region} ...`);
    const res = await o.fetch(`${AWS_OFFER_URL}/${region}/index.csv`);
    if (!res.ok) throw new Error(`HTTP ${res.status} for the ${region} offer file`);
    const lines = res.body ? responseLines(res.body) : (await res.text()).split(/\r?\n/);
    rows.push(...awsRows(region, await parseAwsOfferLines(lines)));
  }
  return { rows, notes };
}

async function refreshAzure(o: Required<Pick<PriceRefreshOptions, 'fetch' | 'base'>> & PriceRefreshOptions): Promise<{ rows: VmRow[]; notes: string[] }> {
  const shapes = new Map<string, AzureShape>();
  for (const r of tableRows(o.base, 'azure')) {
    if (!shapes.has(r.instanceType) && r.vcpus !== undefined && r.memoryGb !== undefined) {
      shapes.set(r.instanceType, { vcpus: r.vcpus, memoryGb: r.memoryGb, acceleratorName: r.acceleratorName, acceleratorCount: r.acceleratorCount });
    }
  }
  const rows: VmRow[] = [];
  const notes: string[] = [];
  for (const region of o.regions ?? AZURE_DEFAULT_REGIONS) {
    o.onProgress?.(`azure: retail prices for ${region} ...`);
    const pages: AzurePricePage[] = [];
    let url: string | null | undefined = azurePriceUrl(region);
    for (let i = 0; url && i < 500; i++) {
      const page: AzurePricePage = await getJson<AzurePricePage>(o.fetch, url);
      pages.push(page);
      url = page.NextPageLink;
    }
    const { rows: r, unshaped } = azureRows(region, azurePrices(pages), shapes);
    rows.push(...r);
    if (unshaped.length)
      notes.push(`azure ${region}: ${unshaped.length} priced size(s) not in the base catalog were skipped (sizes need an Azure subscription to list).`);
  }
  return { rows, notes };
}

async function refreshGcp(o: Required<Pick<PriceRefreshOptions, 'fetch' | 'base'>> & PriceRefreshOptions): Promise<{ rows: VmRow[]; notes: string[] }> {
  const key = o.gcpApiKey ?? process.env.SKYDECK_GCP_API_KEY ?? process.env.GOOGLE_API_KEY;
  if (!key) throw new Error('GCP prices need a Cloud Billing API key: set SKYDECK_GCP_API_KEY (or GOOGLE_API_KEY).');
  const pages: GcpSkuPage[] = [];
  let token: string | undefined = '';
  for (let i = 0; token !== undefined && i < 500; i++) {
    o.onProgress?.(`gcp: billing catalog page ${i + 1} ...`);
    const url: string = `${GCP_COMPUTE_SKUS_URL}?key=${encodeURIComponent(key)}&pageSize=5000${token ? `&pageToken=${encodeURIComponent(token)}` : ''}`;
    const page: GcpSkuPage = await getJson<GcpSkuPage>(o.fetch, url);
    pages.push(page);
    token = page.nextPageToken || undefined;
  }
  let base = tableRows(o.base, 'gcp');
  if (o.regions) base = base.filter((r) => o.regions!.includes(r.region));
  const { rows, repriced, kept } = repriceGcpRows(base, new GcpSkuIndex(pages));
  return { rows, notes: [`gcp: ${repriced} rows re-priced, ${kept} kept their previous price (no matching SKU).`] };
}

export async function refreshFromPriceSources(clouds: CatalogCloud[], options: PriceRefreshOptions = {}): Promise<PriceRefreshResult[]> {
  const fetchImpl = options.fetch ?? defaultFetch;
  const outDir = options.outDir ?? cacheCatalogDir();
  const results: PriceRefreshResult[] = [];
  for (const cloud of clouds) {
    try {
      const base = options.base ?? getCatalog();
      const o = { ...options, fetch: fetchImpl, base };
      const { rows, notes } = cloud === 'aws' ? await refreshAws(o) : cloud === 'azure' ? await refreshAzure(o) : await refreshGcp(o);
      if (rows.length === 0) throw new Error('no priced rows came back; the catalog in use is left as it was');
      const file = path.join(outDir, cloud, 'vms.csv');
      fs.mkdirSync(path.dirname(file), { recursive: true });
      const tmp = `${file}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, writeVmsCsv(cloud, rows));
      fs.renameSync(tmp, file);
      fs.rmSync(path.join(outDir, '.meta', cloud, 'vms.csv.md5'), { force: true });
      results.push({ cloud, ok: true, rows: rows.length, path: file, notes });
    } catch (err) {
      results.push({ cloud, ok: false, rows: 0, error: err instanceof Error ? err.message : String(err), notes: [] });
    }
  }
  return results;
}
