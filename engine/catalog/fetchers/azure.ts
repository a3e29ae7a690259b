/**
 * Azure prices from the public Retail Prices API (no credentials), paginated by
 * NextPageLink, filtered as SkyPilot's fetch_azure.py: Linux consumption prices
 * (productName without " Windows", " Cloud Services"), unitPrice > 0; " Spot" SKUs give
 * the spot price, " Low Priority" ones are skipped. Sizes (vCPUs, memory, GPUs) need an
 * Azure subscription to list, so they come from the catalog already in use: the refresh
 * re-prices known sizes and reports the ones it could not shape.
 */
import type { VmRow } from './writer';

const AZURE_PRICES_URL = 'https://prices.azure.com/api/retail/prices';
export const AZURE_DEFAULT_REGIONS = ['centralus', 'eastus', 'eastus2', 'northcentralus', 'southcentralus', 'westcentralus', 'westus', 'westus2', 'westus3'];

export interface AzurePriceItem {
  armSkuName?: string;
  armRegionName?: string;
  skuName?: string;
  productName?: string;
  unitPrice?: number;
  type?: string;
  unitOfMeasure?: string;
}

export interface AzurePricePage {
  Items?: AzurePriceItem[];
  NextPageLink?: string | null;
}

export function azurePriceUrl(region: string): string {
  const filter = `serviceName eq 'Virtual Machines' and priceType eq 'Consumption' and armRegionName eq '${region}'`;
  return `${AZURE_PRICES_URL}?$filter=${encodeURIComponent(filter)}`;
}

/** armSkuName -> {price, spot} for one region's pages. */
export function azurePrices(pages: AzurePricePage[]): Map<string, { price?: number; spotPrice?: number }> {
  const out = new Map<string, { price?: number; spotPrice?: number }>();
  for (const page of pages) {
    for (const it of page.Items ?? []) {
      const product = it.productName ?? '';
      const sku = it.skuName ?? '';
      if (!it.armSkuName || !(Number(it.unitPrice) > 0)) continue;
      if (/ Win| Cloud Services| CloudServices/.test(product)) continue;
      if (sku.includes(' Low Priority')) continue;
      if (it.type && it.type !== 'Consumption') continue;
      const e = out.get(it.armSkuName) ?? {};
      if (sku.includes(' Spot')) e.spotPrice = e.spotPrice === undefined ? it.unitPrice : Math.min(e.spotPrice, it.unitPrice!);
      else e.price = e.price === undefined ? it.unitPrice : Math.min(e.price, it.unitPrice!);
      out.set(it.armSkuName, e);
    }
  }
  return out;
}

export interface AzureShape {
  vcpus: number;
  memoryGb: number;
  acceleratorName?: string;
  acceleratorCount?: number;
  generation?: string;
}

export function azureRows(
  region: string,
  prices: Map<string, { price?: number; spotPrice?: number }>,
  shapes: Map<string, AzureShape>,
): { rows: VmRow[]; unshaped: string[] } {
  const rows: VmRow[] = [];
  const unshaped: string[] = [];
  for (const [size, p] of prices) {
    const shape = shapes.get(size);
    if (!shape) {
      unshaped.push(size);
      continue;
    }
    if (p.price === undefined && p.spotPrice === undefined) continue;
    rows.push({
      instanceType: size,
      acceleratorName: shape.acceleratorName,
      acceleratorCount: shape.acceleratorCount,
      vcpus: shape.vcpus,
      memoryGb: shape.memoryGb,
      gpuInfo: shape.acceleratorName,
      price: p.price,
      spotPrice: p.spotPrice,
      region,
      generation: shape.generation ?? 'V1,V2',
    });
  }
  return { rows, unshaped: unshaped.sort() };
}
