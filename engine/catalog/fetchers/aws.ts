/**
 * AWS on-demand prices from the public EC2 bulk offer files (no credentials):
 *   https://pricing.us-east-1.amazonaws.com/offers/v1.0/aws/AmazonEC2/current/<region>/index.csv
 * Filtered as SkyPilot's fetch_aws.py does: OnDemand, Linux, no pre-installed software,
 * CapacityStatus Used, Shared/Host tenancy, price > 0. The file gives vCPU, memory and a GPU
 * count but no GPU model, zones or spot prices (those need AWS credentials), so GPU names
 * come from a family table, zones are left empty (region-level offers) and spot is unknown.
 * The files are large (hundreds of MB): they are read line by line, never held whole.
 */
import { gpuInfoLiteral, splitCsvLine, type VmRow } from './writer';

export const AWS_OFFER_URL = 'https://pricing.us-east-1.amazonaws.com/offers/v1.0/aws/AmazonEC2/current';
export const AWS_DEFAULT_REGIONS = [
  'us-east-1',
  'us-east-2',
  'us-west-1',
  'us-west-2',
  'ca-central-1',
  'eu-west-1',
  'eu-central-1',
  'eu-north-1',
  'ap-northeast-1',
  'ap-southeast-1',
  'ap-southeast-2',
  'ap-south-1',
];

/** Instance family -> accelerator (AWS names the model only in the EC2 API, which needs credentials). */
const AWS_FAMILY_ACCELERATORS: Record<string, { name: string; memoryMiB: number; manufacturer: string }> = {
  'p6-b200': { name: 'B200', memoryMiB: 184320, manufacturer: 'NVIDIA' },
  p5en: { name: 'H200', memoryMiB: 144384, manufacturer: 'NVIDIA' },
  p5e: { name: 'H200', memoryMiB: 144384, manufacturer: 'NVIDIA' },
  p5: { name: 'H100', memoryMiB: 81920, manufacturer: 'NVIDIA' },
  p4de: { name: 'A100-80GB', memoryMiB: 81920, manufacturer: 'NVIDIA' },
  p4d: { name: 'A100', memoryMiB: 40960, manufacturer: 'NVIDIA' },
  p3dn: { name: 'V100-32GB', memoryMiB: 32768, manufacturer: 'NVIDIA' },
  p3: { name: 'V100', memoryMiB: 16384, manufacturer: 'NVIDIA' },
  g6e: { name: 'L40S', memoryMiB: 45776, manufacturer: 'NVIDIA' },
  g6: { name: 'L4', memoryMiB: 22888, manufacturer: 'NVIDIA' },
  gr6: { name: 'L4', memoryMiB: 22888, manufacturer: 'NVIDIA' },
  g5g: { name: 'T4g', memoryMiB: 16384, manufacturer: 'NVIDIA' },
  g5: { name: 'A10G', memoryMiB: 24576, manufacturer: 'NVIDIA' },
  g4dn: { name: 'T4', memoryMiB: 16384, manufacturer: 'NVIDIA' },
  g4ad: { name: 'Radeon Pro V520', memoryMiB: 8192, manufacturer: 'AMD' },
  dl1: { name: 'Gaudi HL-205', memoryMiB: 32768, manufacturer: 'Habana' },
};

export interface AwsPrice {
  instanceType: string;
  vcpus: number;
  memoryGb: number;
  gpuCount: number;
  price: number;
  arch: string;
}

function parseGiB(s: string): number {
  const m = /([0-9.,]+)\s*GiB/i.exec(s);
  return m ? Number(m[1].replace(/,/g, '')) : NaN;
}

/**
 * Reads an offer file's lines: metadata lines first, then a header starting with "SKU".
 * Keeps one price per instance type (the cheapest matching on-demand rate).
 */
export async function parseAwsOfferLines(lines: AsyncIterable<string> | Iterable<string>): Promise<AwsPrice[]> {
  let header: string[] | undefined;
  const col: Record<string, number> = {};
  const out = new Map<string, AwsPrice>();
  const want = [
    'TermType',
    'PricePerUnit',
    'Instance Type',
    'vCPU',
    'Memory',
    'GPU',
    'Operating System',
    'Pre Installed S/W',
    'CapacityStatus',
    'Tenancy',
    'Product Family',
    'Processor Architecture',
  ];
  for await (const line of lines) {
    if (!header) {
      if (line.startsWith('"SKU"') || line.startsWith('SKU,')) {
        header = splitCsvLine(line);
        for (const w of want) col[w] = header.indexOf(w);
      }
      continue;
    }
    if (!line) continue;
    const f = splitCsvLine(line);
    const get = (k: string) => (col[k] >= 0 ? (f[col[k]] ?? '') : '');
    if (get('TermType') !== 'OnDemand') continue;
    if (get('Product Family') && get('Product Family') !== 'Compute Instance') continue;
    if (get('Operating System') !== 'Linux') continue;
    const sw = get('Pre Installed S/W');
    if (sw && sw !== 'NA') continue;
    if (get('CapacityStatus') && get('CapacityStatus') !== 'Used') continue;
    if (!['Shared', 'Host'].includes(get('Tenancy'))) continue;
    const price = Number(get('PricePerUnit'));
    if (!(price > 0)) continue;
    const instanceType = get('Instance Type');
    if (!instanceType) continue;
    const gpu = Number(get('GPU'));
    const row: AwsPrice = {
      instanceType,
      vcpus: Number(get('vCPU')),
      memoryGb: parseGiB(get('Memory')),
      gpuCount: Number.isFinite(gpu) ? gpu : 0,
      price,
      arch: /arm/i.test(get('Processor Architecture')) ? 'arm64' : 'x86_64',
    };
    const prev = out.get(instanceType);
    if (!prev || row.price < prev.price) out.set(instanceType, row);
  }
  return [...out.values()];
}

export function awsRows(region: string, prices: AwsPrice[]): VmRow[] {
  return prices.map((p) => {
    const family = p.instanceType.split('.')[0];
    const acc = p.gpuCount > 0 ? AWS_FAMILY_ACCELERATORS[family] : undefined;
    return {
      instanceType: p.instanceType,
      acceleratorName: acc?.name,
      acceleratorCount: acc ? p.gpuCount : undefined,
      vcpus: p.vcpus,
      memoryGb: p.memoryGb,
      gpuInfo: acc ? gpuInfoLiteral(acc.name, acc.manufacturer, p.gpuCount, acc.memoryMiB) : undefined,
      price: p.price,
      region,
      arch: p.arch,
    };
  });
}

/** Yields the lines of a fetch Response body without buffering the whole file. */
export async function* responseLines(body: AsyncIterable<Uint8Array>): AsyncIterable<string> {
  const decoder = new TextDecoder();
  let rest = '';
  for await (const chunk of body) {
    rest += decoder.decode(chunk, { stream: true });
    let nl = rest.indexOf('\n');
    while (nl >= 0) {
      yield rest.slice(0, nl).replace(/\r$/, '');
      rest = rest.slice(nl + 1);
      nl = rest.indexOf('\n');
    }
  }
  rest += decoder.decode();
  if (rest) yield rest;
}
