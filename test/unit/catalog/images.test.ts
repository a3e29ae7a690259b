/**
 * SkyPilot's VM images: which `skypilot:` tag an instance boots (sky/clouds/{aws,gcp,azure}.py),
 * how a tag resolves per region through images.csv (bundled, hosted cache, SKYDECK_CATALOG_DIR),
 * and the error, scoped for failover, when a region has no image.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AddressInfo } from 'node:net';
import { refreshHosted, HOSTED_FILES } from '../../../engine/catalog/hosted';
import { imageIdForTag, imageTable, tagRegions } from '../../../engine/catalog/images';
import { instanceFacts } from '../../../engine/catalog/instanceFacts';
import { bundledCatalogDir } from '../../../engine/catalog/locations';
import { chooseVmImage, defaultImageTags } from '../../../engine/vmShared/images';
import { isProvisionError } from '../../../engine/infra/provider';

const BUNDLED = bundledCatalogDir()!;

/** A fresh SKYDECK_HOME (empty cache) and SKYDECK_CATALOG_DIR as given; both restored after the test. */
function sources(t: { after: (fn: () => void) => void }, catalogDir?: string): string {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'skydeck-images-'));
  const saved = { home: process.env.SKYDECK_HOME, dir: process.env.SKYDECK_CATALOG_DIR };
  process.env.SKYDECK_HOME = home;
  if (catalogDir === undefined) delete process.env.SKYDECK_CATALOG_DIR;
  else process.env.SKYDECK_CATALOG_DIR = catalogDir;
  t.after(() => {
    for (const [k, v] of [
      ['SKYDECK_HOME', saved.home],
      ['SKYDECK_CATALOG_DIR', saved.dir],
    ] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    fs.rmSync(home, { recursive: true, force: true });
  });
  return home;
}

/** The AMI SkyPilot's aws/images.csv lists for `tag` in `region` (read independently of the code under test). */
function amiFromFile(tag: string, region: string): string {
  const line = fs
    .readFileSync(path.join(BUNDLED, 'aws', 'images.csv'), 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${tag},${region},`));
  assert.ok(line, `${tag} ${region} in the file`);
  return line.split(',')[4];
}

test('AWS: GPU (CUDA 13, CUDA 12 before Turing), CPU and Neuron instances get SkyPilot default tags, from the catalog row of the type', (t) => {
  sources(t);
  const tags = (instanceType: string) => defaultImageTags('aws', { region: 'us-east-1', instanceType });
  assert.deepEqual(tags('p4d.24xlarge'), ['skypilot:custom-gpu-ubuntu-cuda13', 'skypilot:custom-gpu-ubuntu']);
  assert.deepEqual(tags('g5.xlarge'), ['skypilot:custom-gpu-ubuntu-cuda13', 'skypilot:custom-gpu-ubuntu']);
  assert.deepEqual(tags('p3.2xlarge'), ['skypilot:custom-gpu-ubuntu'], 'V100 is pre-Turing: the proprietary-driver image');
  assert.deepEqual(tags('m6i.2xlarge'), ['skypilot:custom-cpu-ubuntu']);
  assert.deepEqual(tags('inf2.xlarge'), ['skypilot:neuron-ubuntu-2204']);
  assert.deepEqual(tags('trn1.32xlarge'), ['skypilot:neuron-ubuntu-2204']);
  // Not in the snapshot: arm64 by its Graviton family name, GPU-less as the catalog cannot say otherwise.
  assert.deepEqual(tags('m7g.large'), ['skypilot:custom-cpu-ubuntu-arm64']);
  assert.deepEqual(instanceFacts('aws', 'p5.48xlarge'), { acceleratorName: 'H100', acceleratorCount: 8, arch: 'x86_64', generation: undefined });
});

test('AWS: tags resolve per region (AMIs are regional); a region without the image is a region-scoped error', (t) => {
  sources(t);
  // The bundled aws/images.csv predates SkyPilot's CUDA 13 images: its CUDA 12 GPU image stands in.
  const east = chooseVmImage('aws', { region: 'us-east-1', instanceType: 'p4d.24xlarge' });
  const west = chooseVmImage('aws', { region: 'eu-west-1', instanceType: 'p4d.24xlarge' });
  assert.deepEqual(east, { imageId: amiFromFile('skypilot:custom-gpu-ubuntu', 'us-east-1'), tag: 'skypilot:custom-gpu-ubuntu' });
  assert.deepEqual(west, { imageId: amiFromFile('skypilot:custom-gpu-ubuntu', 'eu-west-1'), tag: 'skypilot:custom-gpu-ubuntu' });
  assert.notEqual(east.imageId, west.imageId);
  assert.equal(chooseVmImage('aws', { region: 'us-east-1', instanceType: 'm6i.2xlarge' }).imageId, amiFromFile('skypilot:custom-cpu-ubuntu', 'us-east-1'));
  // Explicit tags resolve the same way; a docker: image runs inside the default VM image; an AMI is used as given.
  assert.equal(
    chooseVmImage('aws', { region: 'eu-west-1', instanceType: 'm6i.2xlarge', imageId: 'skypilot:gpu-ubuntu-2004' }).imageId,
    amiFromFile('skypilot:gpu-ubuntu-2004', 'eu-west-1'),
  );
  assert.equal(
    chooseVmImage('aws', { region: 'us-east-1', instanceType: 'g5.xlarge', imageId: 'docker:nvcr.io/nvidia/pytorch:24.01-py3' }).tag,
    'skypilot:custom-gpu-ubuntu',
  );
  assert.deepEqual(chooseVmImage('aws', { region: 'us-east-1', instanceType: 'g5.xlarge', imageId: 'ami-0123456789abcdef0' }), {
    imageId: 'ami-0123456789abcdef0',
  });
  // SkyPilot's catalog has trn1.32xlarge in ap-southeast-4 but no Neuron image there: failover must skip the region.
  assert.equal(tagRegions('aws', 'skypilot:neuron-ubuntu-2204') instanceof Set, true);
  assert.equal((tagRegions('aws', 'skypilot:neuron-ubuntu-2204') as Set<string>).has('ap-southeast-4'), false);
  assert.throws(
    () => chooseVmImage('aws', { region: 'ap-southeast-4', instanceType: 'trn1.32xlarge' }),
    (e: unknown) => {
      assert.ok(isProvisionError(e), String(e));
      assert.equal(e.scope, 'region');
      assert.equal(e.kind, 'config');
      assert.match(
        e.message,
        /AWS ap-southeast-4: no image for SkyPilot's default image 'skypilot:neuron-ubuntu-2204' in this region in .*aws\/images\.csv \(bundled\)/,
      );
      return true;
    },
  );
  assert.throws(
    () => chooseVmImage('aws', { region: 'us-east-1', instanceType: 'g5.xlarge', imageId: 'skypilot:no-such-tag' }),
    (e: unknown) => isProvisionError(e) && e.scope === 'region' && /the image_id tag 'skypilot:no-such-tag'/.test(e.message),
  );
});

test('GCP: SkyPilot GPU image with accelerators (CUDA 13; CUDA 12 before Turing; K80 its own), CPU image without; images are global', (t) => {
  sources(t);
  const gpu = chooseVmImage('gcp', { region: 'us-central1', instanceType: 'n1-standard-8', accelerators: { name: 'T4', count: 1 } });
  assert.deepEqual(gpu, { imageId: 'projects/sky-dev-465/global/images/skypilot-gcp-gpu-ubuntu-260603', tag: 'skypilot:custom-gpu-ubuntu-2204-cuda13' });
  assert.deepEqual(chooseVmImage('gcp', { region: 'us-central1', instanceType: 'n1-standard-8', accelerators: { name: 'V100', count: 1 } }), {
    imageId: 'projects/sky-dev-465/global/images/skypilot-gcp-gpu-ubuntu-241030',
    tag: 'skypilot:custom-gpu-ubuntu-2204',
  });
  assert.equal(chooseVmImage('gcp', { region: 'europe-west4', instanceType: 'n1-standard-8', accelerators: { name: 'T4', count: 1 } }).imageId, gpu.imageId);
  assert.equal(
    chooseVmImage('gcp', { region: 'us-east1', instanceType: 'n2-standard-8' }).imageId,
    'projects/sky-dev-465/global/images/skypilot-gcp-cpu-ubuntu-241030',
  );
  assert.deepEqual(defaultImageTags('gcp', { region: 'us-central1', instanceType: 'n1-standard-4', accelerators: { name: 'K80', count: 1 } }), [
    'skypilot:k80-debian-10',
  ]);
  assert.equal(
    chooseVmImage('gcp', { region: 'us-central1', instanceType: 'n2-standard-8', imageId: 'projects/p/global/images/mine' }).imageId,
    'projects/p/global/images/mine',
  );
  assert.throws(
    () => chooseVmImage('gcp', { region: 'us-central1', instanceType: 'n2-standard-8', imageId: 'skypilot:no-such-tag' }),
    (e: unknown) => isProvisionError(e) && e.scope === 'cloud',
  );
});

test('Azure: GPU, A10 (grid driver), Gen1 and CPU tags; community images outside their regions fall back to the marketplace GPU image', (t) => {
  sources(t);
  const image = (instanceType: string, region = 'eastus') => chooseVmImage('azure', { region, instanceType });
  assert.deepEqual(image('Standard_NC24ads_A100_v4'), {
    imageId: '/CommunityGalleries/skypilot-fc3311ab-d34c-4589-b2fb-a95b8a84ceb1/Images/skypilot-gpu-gen2',
    tag: 'skypilot:custom-gpu-ubuntu-v2',
  });
  assert.equal(image('Standard_NC16ads_A10_v4').tag, 'skypilot:custom-gpu-ubuntu-v2-grid');
  assert.deepEqual(image('Standard_D4s_v5'), {
    imageId: '/CommunityGalleries/skypilot-fc3311ab-d34c-4589-b2fb-a95b8a84ceb1/Images/skypilot-cpu-gen2',
    tag: 'skypilot:custom-cpu-ubuntu-v2',
  });
  // westeurope has no copy of SkyPilot's community gallery images.
  assert.equal(image('Standard_D4s_v5', 'westeurope').imageId, 'microsoft-dsvm:ubuntu-hpc:2204:22.04.2023080201');
  // A Gen1-only size (Generation V1) boots the Gen1 GPU image: a catalog folder with prices only, images from the snapshot.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skydeck-azure-v1-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.mkdirSync(path.join(dir, 'azure'));
  fs.writeFileSync(
    path.join(dir, 'azure', 'vms.csv'),
    'InstanceType,AcceleratorName,AcceleratorCount,vCPUs,MemoryGiB,GpuInfo,Price,SpotPrice,Region,Generation\nStandard_NV6,M60,1,6,56,M60,1.14,0.228,eastus,V1\n',
  );
  process.env.SKYDECK_CATALOG_DIR = dir;
  assert.deepEqual(image('Standard_NV6'), {
    imageId: '/CommunityGalleries/skypilot-5c783dcb-c1d8-48ca-a5eb-0cee59e165fd/Images/skypilot-gpu-gen1',
    tag: 'skypilot:custom-gpu-ubuntu-v1',
  });
  assert.equal(imageTable('azure')?.file.origin, 'bundled', 'images fall through a folder that has none');
});

test('images.csv source order: SKYDECK_CATALOG_DIR (when it has one), else the hosted cache, else the snapshot', async (t) => {
  const home = sources(t);
  assert.equal(imageTable('aws')?.file.origin, 'bundled');
  // The hosted refresh fetches images.csv beside vms.csv (SkyPilot's read_catalog does the same for both).
  assert.ok(['aws/images.csv', 'gcp/images.csv', 'azure/images.csv'].every((f) => HOSTED_FILES.includes(f)));
  const hosted = [
    'Tag,Region,OS,OSVersion,ImageId,CreationDate,BaseImageId',
    'skypilot:custom-gpu-ubuntu,us-east-1,ubuntu,22.04,ami-00000000000000001,20261201,ami-0',
    'skypilot:custom-gpu-ubuntu-cuda13,us-east-1,ubuntu,22.04,ami-00000000000000013,20261201,ami-0',
    '',
  ].join('\n');
  const hits: string[] = [];
  const server = http.createServer((req, res) => {
    hits.push(req.url ?? '');
    const ok = req.url === '/v8/aws/images.csv';
    res.writeHead(ok ? 200 : 404, { 'content-type': 'text/csv' });
    res.end(ok ? hosted : '');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const results = await refreshHosted({ baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
  assert.deepEqual(
    results.filter((r) => r.file.endsWith('images.csv')).map((r) => [r.file, r.outcome]),
    [
      ['aws/images.csv', 'updated'],
      ['gcp/images.csv', 'not-found'],
      ['azure/images.csv', 'not-found'],
    ],
  );
  assert.ok(hits.includes('/v8/aws/images.csv'));
  assert.equal(fs.readFileSync(path.join(home, 'catalogs', 'v8', 'aws', 'images.csv'), 'utf8'), hosted);
  assert.equal(imageTable('aws')?.file.origin, 'cache');
  assert.equal(imageIdForTag('aws', 'skypilot:custom-gpu-ubuntu', 'us-east-1'), 'ami-00000000000000001');
  assert.equal(imageIdForTag('aws', 'skypilot:custom-gpu-ubuntu', 'us-west-2'), undefined, 'the cached file is the one used, whole');
  // A file with SkyPilot's CUDA 13 images: Turing and later boot them, V100 keeps CUDA 12.
  assert.deepEqual(chooseVmImage('aws', { region: 'us-east-1', instanceType: 'p4d.24xlarge' }), {
    imageId: 'ami-00000000000000013',
    tag: 'skypilot:custom-gpu-ubuntu-cuda13',
  });
  assert.equal(chooseVmImage('aws', { region: 'us-east-1', instanceType: 'p3.2xlarge' }).imageId, 'ami-00000000000000001');
  assert.throws(
    () => chooseVmImage('aws', { region: 'us-west-2', instanceType: 'p4d.24xlarge' }),
    (e: unknown) => isProvisionError(e) && e.scope === 'region',
    'CUDA 13 tag known, not for us-west-2: no stand-in',
  );
  assert.equal(imageTable('gcp')?.file.origin, 'bundled', 'per file: GCP still from the snapshot');
  process.env.SKYDECK_CATALOG_DIR = BUNDLED;
  assert.equal(imageTable('aws')?.file.origin, 'env');
});

test('a malformed images.csv is an error naming the file', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skydeck-bad-images-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.mkdirSync(path.join(dir, 'gcp'));
  fs.writeFileSync(path.join(dir, 'gcp', 'images.csv'), 'Name,Image\nx,y\n');
  sources(t, dir);
  assert.throws(() => imageTable('gcp'), /gcp\/images\.csv: the header needs Tag, Region and ImageId columns/);
});
