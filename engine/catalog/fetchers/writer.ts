/**
 * Writes rows as SkyPilot v8 vms.csv, with each cloud's own column order, so files we
 * build read exactly like the hosted ones (by us and by SkyPilot).
 */
export interface VmRow {
  instanceType: string; // '' for GCP accelerator rows
  acceleratorName?: string;
  acceleratorCount?: number;
  vcpus?: number;
  memoryGb?: number;
  gpuInfo?: string;
  price?: number;
  spotPrice?: number;
  region: string;
  zone?: string;
  arch?: string;
  generation?: string; // Azure
}

const VMS_HEADERS: Record<string, string[]> = {
  aws: ['InstanceType', 'AcceleratorName', 'AcceleratorCount', 'vCPUs', 'MemoryGiB', 'GpuInfo', 'Price', 'SpotPrice', 'Region', 'AvailabilityZone', 'Arch'],
  gcp: ['InstanceType', 'vCPUs', 'MemoryGiB', 'AcceleratorName', 'AcceleratorCount', 'GpuInfo', 'Region', 'AvailabilityZone', 'Price', 'SpotPrice'],
  azure: ['InstanceType', 'AcceleratorName', 'AcceleratorCount', 'vCPUs', 'MemoryGiB', 'GpuInfo', 'Price', 'SpotPrice', 'Region', 'Generation'],
};

function cell(v: string | number | undefined): string {
  if (v === undefined || (typeof v === 'number' && Number.isNaN(v))) return '';
  const s = typeof v === 'number' ? formatNumber(v) : v;
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function formatNumber(n: number): string {
  // Prices rounded to 5 decimals as SkyPilot's fetchers do; shapes as floats (4.0).
  const r = Math.round(n * 1e5) / 1e5;
  return Number.isInteger(r) ? `${r}.0` : String(r);
}

function value(row: VmRow, column: string): string | number | undefined {
  switch (column) {
    case 'InstanceType':
      return row.instanceType;
    case 'AcceleratorName':
      return row.acceleratorName;
    case 'AcceleratorCount':
      return row.acceleratorCount;
    case 'vCPUs':
      return row.vcpus;
    case 'MemoryGiB':
      return row.memoryGb;
    case 'GpuInfo':
      return row.gpuInfo;
    case 'Price':
      return row.price;
    case 'SpotPrice':
      return row.spotPrice;
    case 'Region':
      return row.region;
    case 'AvailabilityZone':
      return row.zone;
    case 'Arch':
      return row.arch;
    case 'Generation':
      return row.generation;
    default:
      return undefined;
  }
}

export function writeVmsCsv(cloud: string, rows: VmRow[]): string {
  const header = VMS_HEADERS[cloud];
  if (!header) throw new Error(`No vms.csv layout for cloud '${cloud}'`);
  const sorted = [...rows].sort(
    (a, b) =>
      a.instanceType.localeCompare(b.instanceType) ||
      (a.acceleratorName ?? '').localeCompare(b.acceleratorName ?? '') ||
      (a.acceleratorCount ?? 0) - (b.acceleratorCount ?? 0) ||
      a.region.localeCompare(b.region) ||
      (a.zone ?? '').localeCompare(b.zone ?? ''),
  );
  const lines = [header.join(',')];
  for (const r of sorted) lines.push(header.map((c) => cell(value(r, c))).join(','));
  return `${lines.join('\n')}\n`;
}

/** SkyPilot's GpuInfo as a Python literal (the part the loader reads: name, count, memory). */
export function gpuInfoLiteral(name: string, manufacturer: string, count: number, memoryMiB: number): string {
  return `{'Gpus': [{'Name': '${name}', 'Manufacturer': '${manufacturer}', 'Count': ${count}, 'MemoryInfo': {'SizeInMiB': ${memoryMiB}}}], 'TotalGpuMemoryInMiB': ${Math.round(memoryMiB * count)}}`;
}

/** Splits one CSV line (quoted fields, "" escapes). For line-streamed sources such as AWS offer files. */
export function splitCsvLine(line: string): string[] {
  const out: string[] = [];
  let i = 0;
  const n = line.length;
  while (i <= n) {
    if (line[i] === '"') {
      let j = i + 1;
      let s = '';
      for (;;) {
        const q = line.indexOf('"', j);
        if (q < 0) {
          s += line.slice(j);
          j = n;
          break;
        }
        s += line.slice(j, q);
        if (line[q + 1] === '"') {
          s += '"';
          j = q + 2;
          continue;
        }
        j = q + 1;
        break;
      }
      out.push(s);
      i = j + 1; // skip comma
    } else {
      let j = line.indexOf(',', i);
      if (j < 0) j = n;
      out.push(line.slice(i, j).replace(/\r$/, ''));
      i = j + 1;
    }
  }
  return out;
}
