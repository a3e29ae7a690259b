import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ResourcesUnavailableError } from '../../../engine/errors';
import { loadCatalogDir, setCatalogOverride } from '../../../engine/catalog/sources';
import { imageCloud, isAzureSSeries, rejectInfra } from '../../../engine/optimizer/constraints';
import { optimizeDetailed } from '../../../engine/optimizer/index';
import { createInsights } from '../../../engine/optimizer/insights';
import { offersForSpec } from '../../../engine/optimizer/offers';
import type { ResourcesSpec } from '../../../engine/task/types';
import { gpu, REFERENCE_CATALOGS, task } from './helpers';

// The reference catalogs (GCP + Azure vms.csv and images.csv) for both the offers and the image tags.
process.env.SKYDECK_CATALOG_DIR = REFERENCE_CATALOGS;
const cat = loadCatalogDir(REFERENCE_CATALOGS);
setCatalogOverride(cat);
const ALL = { enabledInfra: [], allInfra: true };

const clouds = (spec: ResourcesSpec, options = ALL) => new Set(optimizeDetailed(task(spec), options, cat).candidates.map((c) => c.cloud));

/** Asserts planning fails and the error names every reason given. */
function assertUnavailable(spec: ResourcesSpec, options: { enabledInfra: string[]; allInfra?: boolean }, ...reasons: RegExp[]): void {
  assert.throws(
    () => optimizeDetailed(task(spec), options, cat),
    (e: unknown) => {
      assert.ok(e instanceof ResourcesUnavailableError, String(e));
      for (const r of reasons) assert.match(e.message, r);
      return true;
    },
  );
}

test('disk_tier ultra: Azure is not a candidate, GCP and AWS still are, and the plan says why', () => {
  const plan = optimizeDetailed(task({ ...gpu('T4'), diskTier: 'ultra' }), ALL, cat);
  assert.deepEqual(new Set(plan.candidates.map((c) => c.cloud)), new Set(['gcp', 'aws']));
  assert.ok(
    plan.notes.some((n) => /Not considered: Azure: Azure does not support disk_tier: ultra.*\(disk_tier\)/.test(n)),
    plan.notes.join('\n'),
  );
  assert.ok(
    plan.notes.some((n) => /disk_tier: ultra .* about \$2\/h more/.test(n)),
    'the cost warning',
  );
  // Without the tier all three clouds compete; `best` and case do not matter.
  assert.deepEqual(clouds(gpu('T4')), new Set(['gcp', 'azure', 'aws']));
  assert.deepEqual(clouds({ ...gpu('T4'), diskTier: 'BEST' }), new Set(['gcp', 'azure', 'aws']));
  assertUnavailable(
    { ...gpu('T4'), diskTier: 'Ultra', infra: { cloud: 'azure' } },
    ALL,
    /Azure: removed by disk_tier: Azure does not support disk_tier: ultra/,
  );
  assertUnavailable({ ...gpu('T4'), diskTier: 'fastest' }, ALL, /disk_tier 'fastest' is not one of low, medium, high, ultra, best/);
});

test('Azure premium disk tiers (medium, high) need an S-series instance type; low does not', () => {
  assert.equal(isAzureSSeries('Standard_D8s_v5'), true);
  assert.equal(isAzureSSeries('Standard_NC24ads_A100_v4'), true);
  assert.equal(isAzureSSeries('Standard_E4-2s_v3'), true);
  assert.equal(isAzureSSeries('Standard_D12_v2'), false);
  assert.equal(isAzureSSeries('Standard_A2m_v2'), false);
  assert.equal(isAzureSSeries('n2-standard-8'), undefined);
  const pinned = { instanceType: 'Standard_D12_v2', infra: { cloud: 'azure' } };
  assertUnavailable({ ...pinned, diskTier: 'medium' }, ALL, /premium SSDs \(disk_tier: medium\) need an S-series instance type.*Standard_D12_v2 is not one/);
  assertUnavailable({ ...pinned, diskTier: 'high' }, ALL, /disk_tier: high/);
  assert.equal(optimizeDetailed(task({ ...pinned, diskTier: 'low' }), ALL, cat).chosen.instanceType, 'Standard_D12_v2');
  // GCP takes every tier (it maps the tier to a disk type the series supports).
  assert.equal(
    optimizeDetailed(task({ instanceType: 'n1-standard-8', diskTier: 'ultra', infra: { cloud: 'gcp' } }), ALL, cat).chosen.instanceType,
    'n1-standard-8',
  );
  // Without an instance type, only S-series types compete: the plan is never a non-S type.
  const cpu = optimizeDetailed(task({ cpus: { value: 2, orMore: true }, diskTier: 'medium', infra: { cloud: 'azure' } }), ALL, cat);
  assert.ok(cpu.candidates.every((c) => isAzureSSeries(c.instanceType) !== false));
});

test('Kubernetes has no custom disk tiers (best is fine); local and SSH pools have none either', () => {
  const enabled = { enabledInfra: ['local', 'k8s/dev', 'ssh/lab'] };
  assertUnavailable(
    { diskTier: 'high', infra: { cloud: 'kubernetes', region: 'dev' } },
    enabled,
    /Kubernetes: removed by disk_tier: Kubernetes does not support custom disk tiers/,
  );
  assert.equal(optimizeDetailed(task({ diskTier: 'best', infra: { cloud: 'kubernetes', region: 'dev' } }), enabled, cat).chosen.infra, 'k8s/dev');
  assertUnavailable(
    { diskTier: 'low' },
    enabled,
    /Local: removed by disk_tier: Local nodes use this machine's disks as they are/,
    /SSH: removed by disk_tier: SSH node pools use their machines' disks/,
    /Kubernetes: removed by disk_tier/,
  );
});

test('ports: every infra opens ports except the local kind cluster', () => {
  const enabled = { enabledInfra: ['local', 'k8s/kind-skypilot', 'k8s/prod', 'ssh/lab'] };
  const plan = optimizeDetailed(task({ ...gpu('L4'), ports: ['8080'] }), enabled, cat);
  assert.deepEqual(new Set(plan.candidates.map((c) => c.infra)), new Set(['k8s/prod', 'ssh/lab']));
  assert.ok(plan.notes.some((n) => /Kubernetes cannot open ports on the local kind cluster \(kind-skypilot\).*\(ports\)/.test(n)));
  assert.deepEqual(
    new Set(optimizeDetailed(task(gpu('L4')), enabled, cat).candidates.map((c) => c.infra)),
    new Set(['k8s/kind-skypilot', 'k8s/prod', 'ssh/lab']),
  );
  // Clouds with a catalog all open ports: the same candidates with and without.
  const n = (spec: ResourcesSpec) => optimizeDetailed(task(spec), ALL, cat).candidates.length;
  assert.equal(n({ ...gpu('T4'), ports: ['8000-8010'] }), n(gpu('T4')));
  assert.equal(optimizeDetailed(task({ ports: ['8080'] }), { enabledInfra: ['local'] }, cat).chosen.cloud, 'local');
});

test('image_id per region keeps only those regions; the other clouds are not considered', () => {
  const spec: ResourcesSpec = { ...gpu('T4'), imageId: { 'us-central1': 'projects/p/global/images/a', 'europe-west4': 'projects/p/global/images/b' } };
  const plan = optimizeDetailed(task(spec), ALL, cat);
  assert.ok(plan.candidates.length > 0);
  assert.deepEqual(new Set(plan.candidates.map((c) => c.region)), new Set(['us-central1', 'europe-west4']));
  assert.ok(
    plan.notes.some((n) => /Not considered: Azure: image_id names images for us-central1, europe-west4 only/.test(n)),
    plan.notes.join('\n'),
  );
  assert.ok(
    plan.notes.some((n) => /Not considered: AWS: image_id names images for us-central1, europe-west4 only/.test(n)),
    plan.notes.join('\n'),
  );
  // A docker key alone restricts nothing.
  assert.deepEqual(clouds({ ...gpu('T4'), imageId: { docker: 'nvcr.io/nvidia/pytorch:24.01-py3' } }), new Set(['gcp', 'azure', 'aws']));
});

test('image_id strings: the image form picks the cloud; tags must be in that cloud images.csv', () => {
  assert.equal(imageCloud('ami-0abc123def4567890'), 'aws');
  assert.equal(imageCloud('projects/deeplearning-platform-release/global/images/common-cu121'), 'gcp');
  assert.equal(imageCloud('microsoft-dsvm:ubuntu-hpc:2204:latest'), 'azure');
  assert.equal(imageCloud('/CommunityGalleries/skypilot-x/Images/skypilot-gpu-gen2'), 'azure');
  assert.equal(imageCloud('skypilot:gpu-ubuntu-2204'), undefined);
  assert.deepEqual(clouds({ ...gpu('T4'), imageId: 'projects/deeplearning-platform-release/global/images/common-cu121' }), new Set(['gcp']));
  assert.deepEqual(clouds({ ...gpu('T4'), imageId: 'microsoft-dsvm:ubuntu-hpc:2204:22.04.2023080201' }), new Set(['azure']));
  // Tags: skypilot:gpu-debian-11 is only in gcp/images.csv, skypilot:custom-gpu-ubuntu-v2 only in azure's.
  assert.deepEqual(clouds({ ...gpu('T4'), imageId: 'skypilot:gpu-debian-11' }), new Set(['gcp']));
  assert.deepEqual(clouds({ ...gpu('T4'), imageId: 'skypilot:custom-gpu-ubuntu-v2' }), new Set(['azure']));
  assertUnavailable(
    { ...gpu('T4'), imageId: 'skypilot:no-such-tag' },
    ALL,
    /GCP: removed by image_id: image tag skypilot:no-such-tag is not in GCP's images.csv/,
    /Azure: removed by image_id/,
  );
  // An AMI: neither catalog cloud here; pinned to AWS it still needs a region.
  assertUnavailable({ ...gpu('T4'), imageId: 'ami-0abc123def4567890' }, ALL, /GCP: removed by image_id: image_id ami-0abc123def4567890 is a AWS image/);
  assert.match(
    rejectInfra({ imageId: 'ami-0abc123def4567890', infra: { cloud: 'aws' } }, 'aws')?.message ?? '',
    /exists in one region: pin infra to aws\/<region>/,
  );
  assert.equal(rejectInfra({ imageId: 'ami-0abc123def4567890', infra: { cloud: 'aws', region: 'us-east-1' } }, 'aws'), undefined);
  // A form SkyDeck cannot place needs a pinned cloud (SkyPilot requires the cloud with a VM image).
  assertUnavailable({ ...gpu('T4'), imageId: 'my-golden-image' }, ALL, /does not say which cloud it is for/);
  assert.deepEqual(clouds({ ...gpu('T4'), imageId: 'my-golden-image', infra: { cloud: 'gcp' } }), new Set(['gcp']));
});

test('images on infra without VM images: a docker: image runs in a container on local, SSH pools and Kubernetes; a VM image is refused there', () => {
  const enabled = { enabledInfra: ['local', 'ssh/lab', 'k8s/dev'] };
  const plan = optimizeDetailed(task({ imageId: 'docker:ubuntu:22.04' }), enabled, cat);
  assert.deepEqual(plan.candidates.map((c) => c.infra).sort(), ['k8s/dev', 'local/local', 'ssh/lab']);
  const vm = optimizeDetailed(task({ imageId: 'skypilot:gpu-ubuntu-2204' }), enabled, cat);
  assert.ok(
    vm.notes.some((n) => /Not considered: Local: Local nodes use this machine's system as it is: no VM image_id/.test(n)),
    vm.notes.join('\n'),
  );
  assertUnavailable({ imageId: 'skypilot:gpu-ubuntu-2204', infra: { cloud: 'local' } }, enabled, /Local: removed by image_id/);
});

test('the editor: offers and the no-offer diagnostic honour the same constraints', () => {
  const spec: ResourcesSpec = { ...gpu('T4'), diskTier: 'ultra', infra: { cloud: 'azure' } };
  const offers = offersForSpec(spec, cat);
  assert.equal(offers.offers.length, 0);
  assert.deepEqual(
    offers.reasons.map((r) => r.reason.kind),
    ['constraint'],
  );
  const ultra = offersForSpec({ ...gpu('T4'), diskTier: 'ultra' }, cat).offers;
  assert.deepEqual(new Set(ultra.map((o) => o.cloud)), new Set(['gcp', 'aws']), 'AWS has ultra disks (io2), Azure not');
  const range = { start: { line: 3, character: 2 }, end: { line: 3, character: 20 } };
  const diskRange = { start: { line: 5, character: 13 }, end: { line: 5, character: 18 } };
  const ins = createInsights({ catalog: () => cat, liveAvailability: false });
  const [d] = ins.diagnostics([{ range, resources: spec, numNodes: 1, valueRanges: { disk_tier: diskRange } }]);
  assert.ok(d, 'a diagnostic');
  assert.equal(d.code, 'constraint');
  assert.deepEqual(d.range, diskRange);
  assert.match(d.message, /Azure: Azure does not support disk_tier: ultra/);
});
