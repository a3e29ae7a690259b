/**
 * Builds the bundled catalog snapshot (catalogs/) — run by hand when the snapshot is
 * refreshed, never at run time:
 *
 *   node --import tsx engine/catalog/snapshot/build.ts <reference-catalogs dir> [out dir]
 *
 * GCP and Azure rows are a subset of the given real catalogs (main regions; GPU offers,
 * their host VMs and the default CPU families), copied line for line, unchanged. AWS rows
 * come from ./awsListPrices.ts: values written from memory, never fetched or checked (see
 * there). common/accelerators.csv is copied as is. SOURCES.json beside the files says, per
 * file, where its rows come from and how they were made (catalogs/README.md in prose).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { gpuInfoLiteral, splitCsvLine, writeVmsCsv, type VmRow } from '../fetchers/writer';
import { AWS_LIST_PRICES, AWS_SNAPSHOT_REGIONS } from './awsListPrices';

export const GCP_REGIONS = ['us-central1', 'us-east1', 'us-east4', 'us-west1', 'europe-west4', 'asia-east1'];
export const AZURE_REGIONS = ['eastus', 'eastus2', 'westus2', 'westus3', 'southcentralus', 'westeurope'];

const GCP_TYPES = /^(a2-|a3-|a4-|g2-|n1-(standard|highmem|highcpu)-|n2-(standard|highmem|highcpu)-|n4-(standard|highmem|highcpu)-|e2-standard-)/;
const AZURE_TYPES = /^Standard_(D\d+s_v5|E\d+s_v5|F\d+s_v2|D\d+as_v5)$/;

function filterLines(file: string, keep: (row: Record<string, string>) => boolean): string {
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  const header = splitCsvLine(lines[0]);
  const out = [lines[0]];
  for (const line of lines.slice(1)) {
    if (!line) continue;
    const cells = splitCsvLine(line);
    const row = Object.fromEntries(header.map((h, i) => [h, cells[i] ?? '']));
    if (keep(row)) out.push(line);
  }
  return `${out.join('\n')}\n`;
}

export function buildSnapshot(referenceDir: string, outDir: string): Record<string, number> {
  const sizes: Record<string, number> = {};
  const write = (rel: string, text: string) => {
    const p = path.join(outDir, rel);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, text);
    sizes[rel] = Buffer.byteLength(text);
  };
  write(
    'gcp/vms.csv',
    filterLines(path.join(referenceDir, 'gcp', 'vms.csv'), (r) => GCP_REGIONS.includes(r.Region) && (r.InstanceType === '' ? r.AcceleratorName !== '' : GCP_TYPES.test(r.InstanceType))),
  );
  write('azure/vms.csv', filterLines(path.join(referenceDir, 'azure', 'vms.csv'), (r) => AZURE_REGIONS.includes(r.Region) && (r.AcceleratorName !== '' || AZURE_TYPES.test(r.InstanceType))));
  const aws: VmRow[] = [];
  for (const region of AWS_SNAPSHOT_REGIONS) {
    for (const p of AWS_LIST_PRICES) {
      aws.push({
        instanceType: p.type,
        acceleratorName: p.gpu?.[0],
        acceleratorCount: p.gpu?.[1],
        vcpus: p.vcpus,
        memoryGb: p.memoryGb,
        gpuInfo: p.gpu ? gpuInfoLiteral(p.gpu[0], 'NVIDIA', p.gpu[1], p.gpu[2]) : undefined,
        price: p.usEast1,
        region,
        arch: 'x86_64',
      });
    }
  }
  write('aws/vms.csv', writeVmsCsv('aws', aws));
  write('common/accelerators.csv', fs.readFileSync(path.join(referenceDir, 'common', 'accelerators.csv'), 'utf8'));
  const files = Object.fromEntries(
    Object.entries(SNAPSHOT_SOURCES).map(([rel, meta]) => {
      const text = fs.readFileSync(path.join(outDir, rel), 'utf8');
      return [rel, { rows: text.split('\n').filter((l) => l.length).length - 1, bytes: sizes[rel], ...meta }];
    }),
  );
  write('SOURCES.json', `${JSON.stringify({ schema: 'skydeck-catalog-snapshot/1', catalogFormat: 'skypilot-v8', files }, null, 2)}\n`);
  return sizes;
}

/** Provenance of each snapshot file, written to catalogs/SOURCES.json. */
export const SNAPSHOT_SOURCES: Record<string, { method: string; realData: boolean; dataDate: string | null; source: string; notes: string }> = {
  'gcp/vms.csv': {
    method: 'subset-of-real-data',
    realData: true,
    dataDate: '2026-05-20',
    source: 'gcp/vms.csv of anycloud-sh/catalog at commit 62ff0a987e0c257a89235415d2877812fb1aaf29 (a third-party repository in the SkyPilot v8 format whose bot refreshes GCP prices; not the official SkyPilot catalog), byte-identical in the shared reference catalogs',
    notes: `Rows copied line for line, unchanged: regions ${GCP_REGIONS.join(', ')}; every GPU and TPU row, the GPU host series and the default CPU families.`,
  },
  'azure/vms.csv': {
    method: 'subset-of-real-data',
    realData: true,
    dataDate: '2026-05-20',
    source: 'azure/vms.csv of anycloud-sh/catalog at commit 62ff0a987e0c257a89235415d2877812fb1aaf29 (a third-party repository in the SkyPilot v8 format whose bot refreshes Azure prices; not the official SkyPilot catalog), with the one normalisation the README of the shared reference catalogs describes',
    notes: `Rows copied line for line, unchanged: regions ${AZURE_REGIONS.join(', ')}; every GPU size and the default CPU families.`,
  },
  'aws/vms.csv': {
    method: 'written-from-memory-unverified',
    realData: false,
    dataDate: null,
    source: 'none: engine/catalog/snapshot/awsListPrices.ts, written by the session that built this snapshot without network access, from memory of AWS EC2 on-demand Linux list prices and instance specifications',
    notes:
      'Not fetched, not checked against AWS: any price or shape may be wrong. Same price used for us-east-1 and us-west-2; spot prices and zones empty (unknown). Replace with `skydeck catalog refresh --cloud aws` (AWS public offer files) or the hosted SkyPilot catalog.',
  },
  'common/accelerators.csv': {
    method: 'upstream-unchanged',
    realData: true,
    dataDate: null,
    source: 'catalogs/v8/common/accelerators.csv of skypilot-org/skypilot-catalog at commit 001ca549',
    notes: 'Copied as is.',
  },
};

if (require.main === module) {
  const [ref, out = path.resolve(__dirname, '../../../catalogs')] = process.argv.slice(2);
  if (!ref) {
    process.stderr.write('usage: node --import tsx engine/catalog/snapshot/build.ts <reference-catalogs dir> [out dir]\n');
    process.exit(2);
  }
  const sizes = buildSnapshot(ref, out);
  for (const [f, n] of Object.entries(sizes)) process.stdout.write(`${f}: ${n} bytes\n`);
}
