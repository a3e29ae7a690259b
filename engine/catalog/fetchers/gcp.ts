/**
 * GCP prices from the Cloud Billing Catalog API (services 6F81-5844-456A Compute Engine),
 * which needs an API key (SKYDECK_GCP_API_KEY or GOOGLE_API_KEY). As in SkyPilot's
 * fetch_gcp.py: a VM costs (per-vCPU SKU x vCPUs) + (per-GiB RAM SKU x memory), SKUs
 * chosen by the series in their description ("N2 Instance Core", "N1 Predefined Instance
 * Ram", ...); GPU rows cost the GPU SKU x count; OnDemand gives Price, Preemptible gives
 * SpotPrice; a SKU applies to the regions in its serviceRegions. Machine shapes, zones and
 * GPU availability need a project and OAuth, so they come from the catalog in use: this
 * re-prices its rows (rows whose SKUs are not found keep their previous price).
 */
import type { VmRow } from './writer';

export const GCP_COMPUTE_SKUS_URL = 'https://cloudbilling.googleapis.com/v1/services/6F81-5844-456A/skus';

export interface GcpSku {
  description?: string;
  category?: { resourceFamily?: string; resourceGroup?: string; usageType?: string };
  serviceRegions?: string[];
  pricingInfo?: { pricingExpression?: { tieredRates?: { unitPrice?: { units?: string; nanos?: number } }[] } }[];
}

export interface GcpSkuPage {
  skus?: GcpSku[];
  nextPageToken?: string;
}

interface SkuPrice {
  description: string;
  regions: Set<string>;
  price: number;
  spot: boolean;
}

const EXCLUDED = /custom|premium|reserved|sole tenancy|commitment|extended/i;

/** GPU name -> description fragments of its SKU. */
const GPU_SKU_NAMES: Record<string, RegExp> = {
  'A100-80GB': /A100 80GB GPU/i,
  A100: /Tesla A100 GPU|Nvidia A100 GPU/i,
  'H100-MEGA': /H100 (80GB Mega|Mega 80GB|80GB Plus) GPU/i,
  H100: /H100 80GB GPU/i,
  H200: /H200 141GB GPU/i,
  B200: /B200 \(1 gpu slice\)/i,
  L4: /Nvidia L4 GPU/i,
  T4: /Tesla T4 GPU/i,
  V100: /Tesla V100 GPU/i,
  P100: /Tesla P100 GPU/i,
  P4: /Tesla P4 GPU/i,
  K80: /Tesla K80 GPU/i,
};

function unitPrice(sku: GcpSku): number {
  const rate = sku.pricingInfo?.[0]?.pricingExpression?.tieredRates?.slice(-1)[0]?.unitPrice;
  if (!rate) return NaN;
  return Number(rate.units ?? 0) + (rate.nanos ?? 0) / 1e9;
}

export class GcpSkuIndex {
  private readonly skus: SkuPrice[] = [];

  constructor(pages: GcpSkuPage[]) {
    for (const page of pages) {
      for (const s of page.skus ?? []) {
        const cat = s.category ?? {};
        if (cat.resourceFamily !== 'Compute') continue;
        if (cat.usageType !== 'OnDemand' && cat.usageType !== 'Preemptible') continue;
        const description = s.description ?? '';
        if (EXCLUDED.test(description)) continue;
        const price = unitPrice(s);
        if (!(price >= 0)) continue;
        this.skus.push({ description, regions: new Set(s.serviceRegions ?? []), price, spot: cat.usageType === 'Preemptible' });
      }
    }
  }

  private find(re: RegExp, region: string, spot: boolean): number | undefined {
    for (const s of this.skus) if (s.spot === spot && s.regions.has(region) && re.test(s.description)) return s.price;
    return undefined;
  }

  /** Per-vCPU and per-GiB prices of a machine series ('n2', 'n1', 'a2', ...) in a region. */
  vmPrice(instanceType: string, vcpus: number, memoryGb: number, region: string, spot: boolean): number | undefined {
    const series = instanceType.split('-')[0].toUpperCase();
    if (series === 'A4') return 0; // the B200 SKU includes the VM
    const predefined = series === 'N1' ? 'Predefined ' : '';
    const core = this.find(new RegExp(`^(Spot Preemptible )?(Preemptible )?${series} ${predefined}Instance Core`, 'i'), region, spot);
    const ram = this.find(new RegExp(`^(Spot Preemptible )?(Preemptible )?${series} ${predefined}Instance Ram`, 'i'), region, spot);
    if (core === undefined || ram === undefined) return undefined;
    return core * vcpus + ram * memoryGb;
  }

  gpuPrice(name: string, count: number, region: string, spot: boolean): number | undefined {
    const re = GPU_SKU_NAMES[name];
    if (!re) return undefined;
    const unit = this.find(re, region, spot);
    return unit === undefined ? undefined : unit * count;
  }
}

/** Re-prices GCP rows (VM rows by series SKUs, GPU rows by GPU SKUs); TPU rows are kept. */
export function repriceGcpRows(rows: VmRow[], index: GcpSkuIndex): { rows: VmRow[]; repriced: number; kept: number } {
  let repriced = 0;
  let kept = 0;
  const out = rows.map((r) => {
    let price: number | undefined;
    let spot: number | undefined;
    if (r.instanceType) {
      if (r.vcpus === undefined || r.memoryGb === undefined) return r;
      price = index.vmPrice(r.instanceType, r.vcpus, r.memoryGb, r.region, false);
      spot = index.vmPrice(r.instanceType, r.vcpus, r.memoryGb, r.region, true);
    } else if (r.acceleratorName && !r.acceleratorName.startsWith('tpu-')) {
      price = index.gpuPrice(r.acceleratorName, r.acceleratorCount ?? 1, r.region, false);
      spot = index.gpuPrice(r.acceleratorName, r.acceleratorCount ?? 1, r.region, true);
    }
    if (price === undefined && spot === undefined) {
      kept++;
      return r;
    }
    repriced++;
    return { ...r, price: price ?? r.price, spotPrice: spot ?? r.spotPrice };
  });
  return { rows: out, repriced, kept };
}
