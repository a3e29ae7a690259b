/**
 * The image each VM cloud is asked to boot, as SkyPilot picks it: SkyPilot's GPU image for a
 * GPU instance and its CPU image otherwise, resolved per region through the bundled
 * images.csv, read from the request the cloud received (GCP insert, Azure VM create, EC2
 * RunInstances through moto); and a region without the image refused before any VM exists.
 */
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { startFakeGcp, type FakeGcp } from '../../helpers/fakes/gcp';
import { startFakeAzure, type FakeAzure } from '../../helpers/fakes/azure';
import { motoInstalled, startMoto, type MotoServer } from '../../helpers/moto';
import { createProvider as createGcp } from '../../../engine/infra/gcp/index';
import { createProvider as createAzure } from '../../../engine/infra/azure/index';
import { createProvider as createAws } from '../../../engine/infra/aws/index';
import { isProvisionError, type LaunchRequest } from '../../../engine/infra/provider';
import { bundledCatalogDir } from '../../../engine/catalog/locations';
import { launchRequest, recordingSshWaiter, useProviderEnv, useMotoProviderEnv } from '../../helpers/providerHarness';
import { requirePrerequisite } from '../../helpers/prerequisites';

const ssh = recordingSshWaiter();

/** The row of the bundled images.csv for `tag` (in `region` for AWS), read independently: the ImageId column. */
function bundledImage(cloud: string, tag: string, region = ''): string {
  const lines = fs.readFileSync(path.join(bundledCatalogDir()!, cloud, 'images.csv'), 'utf8').split('\n');
  const header = lines[0].split(',');
  const line = lines.find((l) => l.startsWith(`${tag},${region},`));
  assert.ok(line, `${cloud} ${tag} ${region || '(global)'} in the bundled images.csv`);
  return line.split(',')[header.indexOf('ImageId')];
}

// Images come from the bundled snapshot in every case below: no SKYDECK_CATALOG_DIR, an empty cache.
const unsetCatalog = ['SKYDECK_CATALOG_DIR', 'SKYDECK_TEST_ADDRESS_MAP'];

describe('GCP: the image in instances.insert', { timeout: 300_000 }, () => {
  let gcp: FakeGcp;
  let env: { restore: () => void } | undefined;
  before(async () => {
    gcp = await startFakeGcp({ project: 'skydeck-test' });
    env = useProviderEnv(
      'gcp-images',
      (home) => ({
        SKYDECK_GCP_ENDPOINT: gcp.url,
        SKYDECK_GCP_ACCESS_TOKEN: 'fake-token',
        GOOGLE_CLOUD_PROJECT: 'skydeck-test',
        CLOUDSDK_CONFIG: path.join(home, 'gcloud'),
      }),
      ['GOOGLE_APPLICATION_CREDENTIALS', ...unsetCatalog],
    );
  });
  after(async () => {
    await gcp?.close();
    env?.restore();
  });
  beforeEach(() => gcp.reset());

  const cases: [string, Partial<LaunchRequest>, string][] = [
    ['us-central1', { instanceType: 'n1-standard-8', accelerators: { name: 'T4', count: 1 } }, 'skypilot:custom-gpu-ubuntu-2204-cuda13'],
    ['europe-west4', { instanceType: 'g2-standard-4', accelerators: { name: 'L4', count: 1 } }, 'skypilot:custom-gpu-ubuntu-2204-cuda13'],
    ['europe-west4', { instanceType: 'n1-standard-8', accelerators: { name: 'V100', count: 1 } }, 'skypilot:custom-gpu-ubuntu-2204'],
    ['us-central1', { instanceType: 'n2-standard-8' }, 'skypilot:custom-cpu-ubuntu-2204'],
    ['europe-west4', { instanceType: 'n2-standard-8' }, 'skypilot:custom-cpu-ubuntu-2204'],
  ];
  for (const [region, over, tag] of cases) {
    it(`${over.accelerators ? 'GPU' : 'CPU'} ${over.instanceType} in ${region} boots ${tag}`, async () => {
      const p = createGcp({ pollIntervalMs: 20, waitForSsh: ssh.waitForSsh });
      const nameOnCloud = `img-${region.replace(/[^a-z0-9]/g, '')}-${over.accelerators ? 'g' : 'c'}`;
      const handle = await p.launch(launchRequest({ clusterName: 'img', nameOnCloud, region, zones: [`${region}-a`], instanceType: over.instanceType! }, over));
      const [inst] = [...gcp.instances.values()].filter((i) => (i.labels as Record<string, string>)['skydeck-cluster'] === nameOnCloud);
      const disk = (inst.disks as { initializeParams: { sourceImage: string } }[])[0];
      assert.equal(disk.initializeParams.sourceImage, bundledImage('gcp', tag));
      await p.terminate(handle);
    });
  }
});

describe('Azure: the image in the VM create body', { timeout: 300_000 }, () => {
  let az: FakeAzure;
  let env: { restore: () => void } | undefined;
  before(async () => {
    az = await startFakeAzure();
    env = useProviderEnv(
      'azure-images',
      (home) => ({
        SKYDECK_AZURE_ENDPOINT: az.url,
        SKYDECK_AZURE_CA_FILE: az.certFile,
        SKYDECK_AZURE_ACCESS_TOKEN: 'fake-token',
        AZURE_SUBSCRIPTION_ID: az.subscription,
        AZURE_CONFIG_DIR: path.join(home, 'azure'),
      }),
      ['AZURE_CLIENT_ID', 'AZURE_TENANT_ID', 'AZURE_CLIENT_SECRET', ...unsetCatalog],
    );
  });
  after(async () => {
    await az?.close();
    env?.restore();
  });
  beforeEach(() => az.reset());

  const cases: [string, string, Record<string, string>][] = [
    ['eastus', 'Standard_NC4as_T4_v3', { communityGalleryImageId: bundledImage('azure', 'skypilot:custom-gpu-ubuntu-v2') }],
    ['westus2', 'Standard_NC4as_T4_v3', { communityGalleryImageId: bundledImage('azure', 'skypilot:custom-gpu-ubuntu-v2') }],
    ['eastus', 'Standard_D4s_v5', { communityGalleryImageId: bundledImage('azure', 'skypilot:custom-cpu-ubuntu-v2') }],
    ['westus2', 'Standard_D4s_v5', { communityGalleryImageId: bundledImage('azure', 'skypilot:custom-cpu-ubuntu-v2') }],
    // SkyPilot's gallery is not replicated to westeurope: its marketplace GPU image instead.
    ['westeurope', 'Standard_D4s_v5', { publisher: 'microsoft-dsvm', offer: 'ubuntu-hpc', sku: '2204', version: '22.04.2023080201' }],
  ];
  for (const [region, instanceType, reference] of cases) {
    it(`${instanceType} in ${region}`, async () => {
      const p = createAzure({ pollIntervalMs: 10, waitForSsh: ssh.waitForSsh });
      const nameOnCloud = `img-${region}-${instanceType.length}`;
      const accelerators = instanceType.includes('T4') ? { name: 'T4', count: 1 } : undefined;
      const handle = await p.launch(launchRequest({ clusterName: 'img', nameOnCloud, region, zones: [], instanceType }, { accelerators }));
      const vm = [...az.resources.entries()].find(
        ([k]) => k.includes(`/resourcegroups/skydeck-${nameOnCloud}/`) && k.endsWith(`/virtualmachines/${nameOnCloud}-head`),
      )?.[1] as { properties: { storageProfile: { imageReference: Record<string, string> } } } | undefined;
      assert.ok(vm, 'the head VM was created');
      assert.deepEqual(vm.properties.storageProfile.imageReference, reference);
      await p.terminate(handle);
    });
  }
});

describe('AWS: the AMI in RunInstances (moto)', { timeout: 300_000, skip: requirePrerequisite(!motoInstalled() && 'moto (scripts/setup/30-moto.sh)') }, () => {
  let moto: MotoServer;
  let env: { home: string; restore: () => void } | undefined;
  before(async () => {
    moto = await startMoto();
    env = useMotoProviderEnv('aws-images', moto.proxyUrl, unsetCatalog);
  });
  after(async () => {
    await moto?.stop();
    env?.restore();
  });
  beforeEach(async () => moto.reset());

  // The bundled aws/images.csv has no CUDA 13 images yet: SkyPilot's CUDA 12 GPU image stands in.
  const cases: [string, string, string][] = [
    ['us-east-1', 'g5.xlarge', 'skypilot:custom-gpu-ubuntu'],
    ['eu-west-1', 'g5.xlarge', 'skypilot:custom-gpu-ubuntu'],
    ['us-east-1', 'm6i.2xlarge', 'skypilot:custom-cpu-ubuntu'],
    ['eu-west-1', 'm6i.2xlarge', 'skypilot:custom-cpu-ubuntu'],
  ];
  for (const [region, instanceType, tag] of cases) {
    it(`${instanceType} in ${region} boots ${tag} of that region`, async () => {
      const p = createAws({ pollIntervalMs: 30, waitForSsh: ssh.waitForSsh });
      const nameOnCloud = `img-${region}-${instanceType.split('.')[0]}`;
      const handle = await p.launch(launchRequest({ clusterName: 'img', nameOnCloud, region, zones: [`${region}a`], instanceType }));
      const ec2 = new EC2Client({ region, endpoint: moto.url, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
      const r = await ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'tag:skydeck-cluster', Values: [nameOnCloud] }] }));
      const images = (r.Reservations ?? []).flatMap((x) => x.Instances ?? []).map((i) => i.ImageId);
      assert.deepEqual(images, [bundledImage('aws', tag, region)]);
      assert.ok(!moto.calls.some((c) => c.action === 'DescribeImages'), "SkyPilot's images are not looked up in EC2");
      await p.terminate(handle);
    });
  }

  it('a region without the image is refused before any instance is requested, scoped to the region', async () => {
    // eu-south-2 has SkyPilot's custom images only; gpu-ubuntu-2004 is not built there.
    const p = createAws({ pollIntervalMs: 30, waitForSsh: ssh.waitForSsh });
    await assert.rejects(
      p.launch(
        launchRequest(
          { clusterName: 'img', nameOnCloud: 'img-missing', region: 'eu-south-2', zones: ['eu-south-2a'], instanceType: 'g5.xlarge' },
          { imageId: 'skypilot:gpu-ubuntu-2004' },
        ),
      ),
      (e: unknown) => isProvisionError(e) && e.scope === 'region' && /eu-south-2: no image for the image_id tag 'skypilot:gpu-ubuntu-2004'/.test(e.message),
    );
    assert.ok(!moto.calls.some((c) => c.action === 'RunInstances'));
  });
});
