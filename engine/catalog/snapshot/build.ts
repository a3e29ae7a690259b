/**
 * Builds the bundled catalog snapshot (catalogs/) — run by hand when the snapshot is
 * refreshed, never at run time:
 *
 *   node --import tsx engine/catalog/snapshot/build.ts <reference-catalogs dir> [out dir]
 *
 * vms.csv rows are a subset of the given real catalogs, copied line for line, unchanged:
 * GPU and accelerator offers (with GCP's host VMs) and the default CPU families. GCP and
 * Azure keep six main regions. AWS keeps every region of its GPU and accelerator rows
 * (GPU families are sparse and regional: B300 is in one region, trn2.3xlarge in none of
 * the six CPU regions, and spot prices differ most between regions, so fewer regions would
 * plan GPUs differently from SkyPilot) and the six CPU regions for its CPU families.
 * images.csv (SkyPilot's image tags per region) and common/accelerators.csv are copied as
 * is. SOURCES.json beside the files says, per file, where its rows come from and how they
 * were made (catalogs/README.md in prose).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { splitCsvLine } from '../fetchers/writer';

const GCP_REGIONS = ['us-central1', 'us-east1', 'us-east4', 'us-west1', 'europe-west4', 'asia-east1'];
const AZURE_REGIONS = ['eastus', 'eastus2', 'westus2', 'westus3', 'southcentralus', 'westeurope'];
/** Regions of the AWS CPU rows (every region is kept for GPU and accelerator rows). */
const AWS_CPU_REGIONS = ['us-east-1', 'us-east-2', 'us-west-2', 'eu-west-1', 'eu-central-1', 'ap-northeast-1'];

const GCP_TYPES = /^(a2-|a3-|a4-|g2-|n1-(standard|highmem|highcpu)-|n2-(standard|highmem|highcpu)-|n4-(standard|highmem|highcpu)-|e2-standard-)/;
const AZURE_TYPES = /^Standard_(D\d+s_v5|E\d+s_v5|F\d+s_v2|D\d+as_v5)$/;
// AWS GPU and accelerator families (the `.` keeps g6. from matching g6e./g6f.), and
// SkyPilot's default CPU families.
const AWS_ACCELERATOR_TYPES = /^(g4dn|g5|g6|g6e|gr6|p3|p3dn|p4d|p4de|p5|p5e|p5en|inf2|trn1|trn1n|trn2)\.|^p6-/;
const AWS_CPU_TYPES = /^(m6i|c6i|r6i|m7i|c7i|r7i)\./;
/** SkyPilot's image tags per region: copied whole (a few KB), so every region of a refreshed vms.csv finds its image. */
const IMAGE_FILES = ['aws/images.csv', 'gcp/images.csv', 'azure/images.csv'];

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
    filterLines(
      path.join(referenceDir, 'gcp', 'vms.csv'),
      (r) => GCP_REGIONS.includes(r.Region) && (r.InstanceType === '' ? r.AcceleratorName !== '' : GCP_TYPES.test(r.InstanceType)),
    ),
  );
  write(
    'azure/vms.csv',
    filterLines(
      path.join(referenceDir, 'azure', 'vms.csv'),
      (r) => AZURE_REGIONS.includes(r.Region) && (r.AcceleratorName !== '' || AZURE_TYPES.test(r.InstanceType)),
    ),
  );
  write(
    'aws/vms.csv',
    filterLines(
      path.join(referenceDir, 'aws', 'vms.csv'),
      (r) => AWS_ACCELERATOR_TYPES.test(r.InstanceType) || (AWS_CPU_TYPES.test(r.InstanceType) && AWS_CPU_REGIONS.includes(r.Region)),
    ),
  );
  for (const f of IMAGE_FILES) write(f, fs.readFileSync(path.join(referenceDir, f), 'utf8'));
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
const SNAPSHOT_SOURCES: Record<string, { method: string; realData: boolean; dataDate: string | null; source: string; notes: string }> = {
  'gcp/vms.csv': {
    method: 'subset-of-real-data',
    realData: true,
    dataDate: '2026-05-20',
    source:
      'gcp/vms.csv of anycloud-sh/catalog at commit 62ff0a987e0c257a89235415d2877812fb1aaf29 (a third-party repository in the SkyPilot v8 format whose bot refreshes GCP prices; not the official SkyPilot catalog), byte-identical in the shared reference catalogs',
    notes: `Rows copied line for line, unchanged: regions ${GCP_REGIONS.join(', ')}; every GPU and TPU row, the GPU host series and the default CPU families.`,
  },
  'azure/vms.csv': {
    method: 'subset-of-real-data',
    realData: true,
    dataDate: '2026-05-20',
    source:
      'azure/vms.csv of anycloud-sh/catalog at commit 62ff0a987e0c257a89235415d2877812fb1aaf29 (a third-party repository in the SkyPilot v8 format whose bot refreshes Azure prices; not the official SkyPilot catalog), with the one normalisation the README of the shared reference catalogs describes',
    notes: `Rows copied line for line, unchanged: regions ${AZURE_REGIONS.join(', ')}; every GPU size and the default CPU families.`,
  },
  'aws/vms.csv': {
    method: 'subset-of-real-data',
    realData: true,
    dataDate: null,
    source:
      "catalogs/v8/aws/vms.csv of skypilot-org/skypilot-catalog (SkyPilot's official AWS catalog) at commit 00148f2af3672e2229b4f7bf8157d5a3f36e3c35, read 2026-12-06 (the commit's own date was not recorded), through the subset in the shared reference catalogs",
    notes: `Rows copied line for line, unchanged: every GPU and accelerator family (g4dn, g5, g6, g6e, gr6, p3, p3dn, p4d, p4de, p5, p5e, p5en, p6-, inf2, trn1, trn1n, trn2) in every region the reference has; the default CPU families (m6i, c6i, r6i, m7i, c7i, r7i) in ${AWS_CPU_REGIONS.join(', ')}. Zones and spot prices as SkyPilot has them.`,
  },
  'aws/images.csv': {
    method: 'upstream-unchanged',
    realData: true,
    dataDate: null,
    source: 'catalogs/v8/aws/images.csv of skypilot-org/skypilot-catalog at commit 0e45ae8fc38f4ae3995ba26cac943f124a2b72dd, read 2026-12-06',
    notes: "Copied whole: SkyPilot's image tags (skypilot:custom-cpu-ubuntu, skypilot:custom-gpu-ubuntu, ...) and their AMI per region.",
  },
  'gcp/images.csv': {
    method: 'upstream-unchanged',
    realData: true,
    dataDate: null,
    source: 'catalogs/v8/gcp/images.csv of skypilot-org/skypilot-catalog at commit 44a39249a15fb6bb22474eaba0e72082273e47c9',
    notes: "Copied whole: SkyPilot's image tags and their global GCP images.",
  },
  'azure/images.csv': {
    method: 'upstream-unchanged',
    realData: true,
    dataDate: null,
    source:
      'catalogs/v9/azure/images.csv of skypilot-org/skypilot-catalog at commit a5be53865774cac59df537ba1842e45ffc8be722 (no v8 copy was available; same columns)',
    notes: "Copied whole: SkyPilot's image tags and their Azure marketplace or community-gallery images.",
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
