import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Catalog } from '../../../engine/catalog/catalog';
import { parseAwsOfferLines } from '../../../engine/catalog/fetchers/aws';
import { azurePrices } from '../../../engine/catalog/fetchers/azure';
import { refreshFromPriceSources, type FetchResponseLike } from '../../../engine/catalog/fetchers/index';
import { splitCsvLine, writeVmsCsv } from '../../../engine/catalog/fetchers/writer';
import { loadCatalogDir } from '../../../engine/catalog/sources';
import { matchOffers } from '../../../engine/catalog/query';

const PRICES = path.join(__dirname, 'fixtures', 'prices');
const read = (f: string) => fs.readFileSync(path.join(PRICES, f));

/** Serves the fixture responses (hand-written, see fixtures/README.md) by URL; records what was asked. AWS comes as a chunked body. */
function fixtureFetch(asked: string[]) {
  return async (url: string): Promise<FetchResponseLike> => {
    asked.push(url);
    const ok = (text: string | Buffer, chunked = false): FetchResponseLike => ({
      ok: true,
      status: 200,
      text: async () => text.toString(),
      body: chunked
        ? (async function* () {
            const buf = Buffer.from(text);
            for (let i = 0; i < buf.length; i += 97) yield buf.subarray(i, i + 97); // odd chunk size splits lines and UTF-8
          })()
        : null,
    });
    if (url.includes('/AmazonEC2/current/us-east-1/index.csv')) return ok(read('aws-offer-us-east-1.csv'), true);
    if (url.startsWith('https://prices.azure.com') && url.includes('$skip=100')) return ok(read('azure-eastus-2.json'));
    if (url.startsWith('https://prices.azure.com')) return ok(read('azure-eastus-1.json'));
    if (url.includes('cloudbilling.googleapis.com') && url.includes('pageToken=page2')) return ok(read('gcp-skus-2.json'));
    if (url.includes('cloudbilling.googleapis.com')) return ok(read('gcp-skus.json'));
    return { ok: false, status: 404, text: async () => 'not found' };
  };
}

function tmpDir(t: { after: (fn: () => void) => void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skydeck-fetch-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('AWS offer file: only Linux on-demand shared/host rows in use, no pre-installed software', async () => {
  const lines = read('aws-offer-us-east-1.csv').toString().split('\n');
  const prices = await parseAwsOfferLines(lines);
  const byType = Object.fromEntries(prices.map((p) => [p.instanceType, p]));
  assert.deepEqual(Object.keys(byType).sort(), ['g5.xlarge', 'm6g.medium', 'm6i.2xlarge', 'p4d.24xlarge']);
  assert.equal(byType['m6i.2xlarge'].price, 0.384, 'Windows, reserved, dedicated and unused-reservation rates are ignored');
  assert.equal(byType['g5.xlarge'].price, 1.006, 'SQL Std pre-installed rate is ignored');
  assert.equal(byType['p4d.24xlarge'].gpuCount, 8);
  assert.equal(byType['p4d.24xlarge'].memoryGb, 1152);
  assert.equal(byType['m6g.medium'].arch, 'arm64');
});

test('catalog refresh --cloud aws writes a v8 vms.csv the loader reads (streamed body)', async (t) => {
  const out = tmpDir(t);
  const asked: string[] = [];
  const [r] = await refreshFromPriceSources(['aws'], { regions: ['us-east-1'], fetch: fixtureFetch(asked), outDir: out, base: new Catalog() });
  assert.equal(r.ok, true, r.error);
  assert.equal(r.rows, 4);
  assert.deepEqual(asked, ['https://pricing.us-east-1.amazonaws.com/offers/v1.0/aws/AmazonEC2/current/us-east-1/index.csv']);
  const text = fs.readFileSync(path.join(out, 'aws', 'vms.csv'), 'utf8');
  assert.equal(text.split('\n')[0], 'InstanceType,AcceleratorName,AcceleratorCount,vCPUs,MemoryGiB,GpuInfo,Price,SpotPrice,Region,AvailabilityZone,Arch');
  const cat = loadCatalogDir(out);
  const p4d = cat.clouds.get('aws')!.types.get('p4d.24xlarge')!;
  assert.deepEqual(p4d.accelerator, { name: 'A100', count: 8 });
  assert.equal(p4d.gpuMemoryGb, 40);
  const offers = matchOffers(cat, 'aws', { accelerator: { name: 'A10G', count: 1 } }).offers;
  assert.deepEqual(
    offers.map((o) => [o.instanceType, o.region, o.price]),
    [['g5.xlarge', 'us-east-1', 1.006]],
  );
  assert.ok(Number.isNaN(offers[0].spotPrice), 'spot is unknown without credentials');
});

test('Azure retail prices: paging, spot SKUs, Windows/Low Priority skipped, shapes from the base catalog', async (t) => {
  const out = tmpDir(t);
  const asked: string[] = [];
  const base = new Catalog();
  base.addCloud(
    'azure',
    Buffer.from(
      'InstanceType,AcceleratorName,AcceleratorCount,vCPUs,MemoryGiB,GpuInfo,Price,SpotPrice,Region,Generation\n' +
        'Standard_D8s_v5,,,8,32,,0.1,0.01,westus,"V1,V2"\n' +
        'Standard_NC4as_T4_v3,T4,1,4,28,T4,0.1,0.01,westus,"V1,V2"\n',
    ),
    'test',
  );
  const [r] = await refreshFromPriceSources(['azure'], { regions: ['eastus'], fetch: fixtureFetch(asked), outDir: out, base });
  assert.equal(r.ok, true, r.error);
  assert.equal(asked.length, 2, 'follows NextPageLink to the end');
  assert.match(asked[0], /armRegionName%20eq%20'eastus'|armRegionName%20eq%20%27eastus%27/);
  assert.ok(
    r.notes.some((n) => /1 priced size/.test(n)),
    'Standard_XY9_v9 has no known shape',
  );
  const cat = loadCatalogDir(out);
  const d8 = matchOffers(cat, 'azure', { instanceType: 'Standard_D8s_v5' }).offers[0];
  assert.equal(d8.price, 0.384);
  assert.equal(d8.spotPrice, 0.0768);
  const t4 = matchOffers(cat, 'azure', { accelerator: { name: 'T4', count: 1 }, useSpot: true }).offers[0];
  assert.equal(t4.spotPrice, 0.0526);
  // The same filter, directly.
  const prices = azurePrices([JSON.parse(read('azure-eastus-1.json').toString())]);
  assert.deepEqual(prices.get('Standard_D8s_v5'), { price: 0.384, spotPrice: 0.0768 });
});

test('GCP billing catalog: VM = vCPU SKU x vCPUs + RAM SKU x GiB, GPU rows by GPU SKU, API key required', async (t) => {
  const out = tmpDir(t);
  const base = new Catalog();
  base.addCloud('gcp', read('gcp-base.csv'), 'test');
  const noKey = await refreshFromPriceSources(['gcp'], { fetch: fixtureFetch([]), outDir: out, base, gcpApiKey: '' });
  assert.equal(noKey[0].ok, false);
  assert.match(noKey[0].error ?? '', /API key/);
  const asked: string[] = [];
  const [r] = await refreshFromPriceSources(['gcp'], { fetch: fixtureFetch(asked), outDir: out, base, gcpApiKey: 'test-key' });
  assert.equal(r.ok, true, r.error);
  assert.equal(asked.length, 2, 'follows nextPageToken');
  assert.ok(asked.every((u) => u.includes('key=test-key')));
  const cat = loadCatalogDir(out);
  const n2 = matchOffers(cat, 'gcp', { instanceType: 'n2-standard-8', region: 'us-central1' }).offers[0];
  assert.equal(n2.price, 0.38847); // 8 x 0.031611 + 32 x 0.004237, rounded to 5 digits
  assert.equal(n2.spotPrice, 0.094); // 8 x 0.00765 + 32 x 0.001025
  const eu = matchOffers(cat, 'gcp', { instanceType: 'n2-standard-8', region: 'europe-west4' }).offers[0];
  assert.equal(eu.price, 0.5, 'no SKU for the region: the previous price is kept');
  const gpuRow = cat.clouds.get('gcp')!.attachable.get('t4')![0].rows[0];
  assert.equal(cat.clouds.get('gcp')!.table.price[gpuRow], 0.35);
  assert.equal(cat.clouds.get('gcp')!.table.spotPrice[gpuRow], 0.14);
  assert.ok(cat.clouds.get('gcp')!.attachable.get('tpu-v5p-8'), 'TPU rows are kept');
});

test('failures are reported per cloud and leave the catalog in use untouched', async (t) => {
  const out = tmpDir(t);
  const failing = async (): Promise<FetchResponseLike> => ({ ok: false, status: 503, text: async () => 'unavailable' });
  const [r] = await refreshFromPriceSources(['aws'], { regions: ['us-east-1'], fetch: failing, outDir: out, base: new Catalog() });
  assert.equal(r.ok, false);
  assert.match(r.error ?? '', /HTTP 503/);
  assert.equal(fs.existsSync(path.join(out, 'aws', 'vms.csv')), false);
});

test('writer quotes what needs quoting and round-trips through the CSV reader', () => {
  const text = writeVmsCsv('azure', [{ instanceType: 'Standard_X', vcpus: 4, memoryGb: 16, price: 0.123456789, region: 'eastus', generation: 'V1,V2' }]);
  assert.equal(text.split('\n')[1], 'Standard_X,,,4.0,16.0,,0.12346,,eastus,"V1,V2"');
  assert.deepEqual(splitCsvLine('a,"b,""c""",,d'), ['a', 'b,"c"', '', 'd']);
});
