import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadCatalogDir } from '../../../engine/catalog/sources';
import { createInsights } from '../../../engine/optimizer/insights';
import type { InsightRange, ResourcesSite } from '../../../engine/optimizer/insightTypes';
import { cheapestForSpec, offerRows, offersForSpec } from '../../../engine/optimizer/offers';
import { cmpPrice } from '../../../engine/catalog/catalog';
import { optimize } from '../../../engine/optimizer/index';
import type { ResourcesSpec } from '../../../engine/task/types';
import { gpu, REFERENCE_CATALOGS, task } from './helpers';

const cat = loadCatalogDir(REFERENCE_CATALOGS);
const insights = createInsights({ catalog: () => cat, liveAvailability: false });

const at = (line: number, from = 2, to = 14): InsightRange => ({ start: { line, character: from }, end: { line, character: to } });
function site(resources: ResourcesSpec, numNodes = 1, valueRanges: ResourcesSite['valueRanges'] = {}): ResourcesSite {
  return { range: at(1, 0, 9), resources, numNodes, valueRanges };
}

test('spec cost: the cheapest on-demand and spot offer per cloud, and how many regions', () => {
  const cost = insights.specCost(gpu('A100', 8));
  const plan = optimize(task(gpu('A100', 8)), { enabledInfra: [], allInfra: true });
  const cheapest = Object.values(cost.byCloud)
    .map((c) => c.onDemand!)
    .filter(Boolean)
    .sort((a, b) => a.price - b.price)[0];
  assert.equal(cheapest.price, plan.chosen.pricePerHour);
  assert.equal(cheapest.cloud, plan.chosen.cloud);
  assert.deepEqual(cheapest.accelerator, { name: 'A100', count: 8 });
  assert.ok(Object.values(cost.byCloud).some((c) => c.spot && c.spot.price < cheapest.price));
  assert.ok(cost.regions > 3);
  assert.equal(insights.specCost(gpu('A100', 8)), cost, 'memoized per spec');
  const rows = insights.offerRows(gpu('A100', 8));
  assert.ok(rows.length > 3);
  assert.deepEqual(rows[0].accelerators, { A100: 8 });
});

test('infra states come from detection (injected here), re-read at most once a minute', () => {
  let calls = 0;
  const ins = createInsights({
    catalog: () => cat,
    liveAvailability: false,
    infra: () => {
      calls++;
      return [{ infra: 'aws', enabled: false, reason: 'No AWS credentials found.' }];
    },
  });
  assert.deepEqual(ins.infraStates(), [{ infra: 'aws', enabled: false, reason: 'No AWS credentials found.' }]);
  ins.infraStates();
  assert.equal(calls, 1);
});

test('offer rows for the detail view: every matching type and region, per-GPU-hour, infra to pin', () => {
  const rows = offerRows(gpu('A100', 8), { catalog: cat });
  assert.ok(rows.length > 5);
  for (let i = 1; i < rows.length; i++) assert.ok((rows[i - 1].onDemand ?? Infinity) <= (rows[i].onDemand ?? Infinity));
  const r = rows[0];
  assert.deepEqual(Object.keys(r), [
    'cloud',
    'region',
    'zone',
    'infra',
    'instanceType',
    'vCPUs',
    'memoryGb',
    'accelerators',
    'onDemand',
    'spot',
    'perGpuHour',
    'spotPerGpuHour',
  ]);
  assert.equal(r.infra, `${r.cloud}/${r.region}`);
  assert.ok(Math.abs(r.perGpuHour! - r.onDemand! / 8) < 1e-9);
  assert.deepEqual(new Set(rows.map((x) => x.cloud)), new Set(['gcp', 'azure', 'aws']));
  // AWS: SkyPilot's p4d.24xlarge price, per region (cheapest: us-east-2 and us-west-2 at $21.95764/h).
  const p4d = rows.filter((x) => x.instanceType === 'p4d.24xlarge');
  assert.ok(p4d.length > 1, 'one row per region');
  assert.deepEqual(new Set(p4d.filter((x) => x.onDemand === 21.95764).map((x) => x.region)), new Set(['us-east-2', 'us-west-2']));
  assert.equal(p4d[0].onDemand, 21.95764);
  const spotFirst = offerRows({ ...gpu('T4'), useSpot: true }, { catalog: cat });
  for (let i = 1; i < spotFirst.length; i++) assert.ok((spotFirst[i - 1].spot ?? Infinity) <= (spotFirst[i].spot ?? Infinity));
});

test('diagnostics: accelerator not offered in the pinned region, with nearest offers as quick fixes', () => {
  const infraRange = at(3, 9, 30);
  const [d] = insights.diagnostics([site({ ...gpu('T4'), infra: { cloud: 'gcp', region: 'me-central2' } }, 1, { infra: infraRange })]);
  assert.equal(d.code, 'accelerator-not-in-region');
  assert.deepEqual(d.range, infraRange);
  assert.match(d.message, /T4:1 is not offered in gcp\/me-central2/);
  assert.ok(d.fixes!.length >= 1);
  assert.match(d.fixes![0].newText, /^gcp\/[a-z0-9-]+$/);
  // The fix really resolves it.
  const fixed = insights.diagnostics([site({ ...gpu('T4'), infra: { cloud: 'gcp', region: d.fixes![0].newText.split('/')[1] } })]);
  assert.deepEqual(fixed, []);
});

test('diagnostics: no offer (count not offered), unknown instance type, price cap, cpus too tight; none when fine', () => {
  const none = insights.diagnostics([site(gpu('A100', 3), 1, { accelerators: at(2) })])[0];
  assert.equal(none.code, 'no-offer');
  assert.match(none.message, /A100:3/);
  assert.ok(none.fixes!.some((f) => f.newText === 'A100:4'));
  const unknown = insights.diagnostics([site({ instanceType: 'n9-mega-1' }, 1, { instance_type: at(4) })])[0];
  assert.equal(unknown.code, 'unknown-instance-type');
  const cap = insights.diagnostics([site({ ...gpu('V100'), maxHourlyCost: 0.1 }, 1, { max_hourly_cost: at(5) })])[0];
  assert.equal(cap.code, 'price-cap-too-low');
  assert.ok(Number(cap.fixes![0].newText) > 0.1);
  assert.deepEqual(insights.diagnostics([site({ ...gpu('V100'), maxHourlyCost: Number(cap.fixes![0].newText) })]), [], 'the suggested cap works');
  const cpus = insights.diagnostics([site({ cpus: { value: 3, orMore: false } }, 1, { cpus: at(6) })])[0];
  assert.equal(cpus.code, 'no-offer');
  assert.equal(cpus.fixes![0].newText, '3+');
  assert.deepEqual(insights.diagnostics([site(gpu('L4')), site({}), site({ infra: { cloud: 'kubernetes' }, ...gpu('MyCustomGPU') })]), []);
});

test('offers per accelerator and instance type (what hovers show) and priced completions', () => {
  const a100 = insights.acceleratorOffers('a100', 8)!;
  assert.equal(a100.name, 'A100');
  assert.ok(a100.rows.some((r) => r.instanceType === 'a2-highgpu-8g'));
  assert.deepEqual(insights.acceleratorOffers('L4')!.counts, [1, 2, 4, 8]);
  assert.equal(insights.acceleratorOffers('NoSuchGPU'), undefined);
  const [nc4] = insights.instanceTypeOffers('Standard_NC4as_T4_v3');
  assert.deepEqual([nc4.vcpus, nc4.memoryGb, nc4.accelerator], [4, 28, { name: 'T4', count: 1 }]);
  assert.deepEqual(insights.instanceTypeOffers('nope'), []);
  const accs = insights.completeAccelerators();
  const a100c = accs.find((c) => c.label === 'A100')!;
  assert.match(a100c.detail!, /from \$[\d.]+\/GPU-h · counts 1, 2, 4, 8, 16/);
  assert.ok(a100c.sortText! < accs.find((c) => c.label === 'tpu-v5p-8')!.sortText!);
  const types = insights.completeInstanceTypes('gcp');
  assert.equal(types.length, 385);
  assert.match(types.find((t) => t.label === 'n2-standard-8')!.detail!, /8 vCPU · 32 GB · from \$/);
  const regions = insights.completeRegions('gcp');
  assert.equal(regions.length, 44);
  assert.match(regions.find((r) => r.label === 'us-central1')!.detail!, /GCP · 4 zones/);
  assert.deepEqual(insights.completeRegions('lambda'), []);
});

test('diagnostics: an accelerator no catalog knows, with "did you mean" and a fix that validates', () => {
  const range = at(2, 16, 23);
  const [d] = insights.diagnostics([site(gpu('A1000', 8), 1, { accelerators: range })]);
  assert.equal(d.code, 'unknown-accelerator');
  assert.deepEqual(d.range, range);
  assert.match(d.message, /Unknown accelerator 'A1000'.*Did you mean A100\b/);
  assert.equal(d.fixes![0].newText, 'A100:8');
  assert.deepEqual(insights.diagnostics([site(gpu('A100', 8))]), [], 'the fix resolves it');
  assert.deepEqual(insights.diagnostics([site({ ...gpu('A1000'), infra: { cloud: 'kubernetes' } })]), [], 'a custom label on Kubernetes is fine');
});

test('cheapestForSpec gives what reducing every offer gives (the lens skips building them)', () => {
  const specs: ResourcesSpec[] = [
    {},
    { cpus: { value: 1, orMore: true } },
    { cpus: { value: 4, orMore: true }, memory: { value: 8, orMore: true } },
    gpu('A100', 8),
    gpu('T4'),
    { ...gpu('L4'), infra: { cloud: 'gcp', region: 'us-central1' } },
    {
      accelerators: [
        { name: 'T4', count: 1 },
        { name: 'L4', count: 1 },
      ],
      memory: { value: 32, orMore: true },
    },
    { instanceType: 'n2-standard-8' },
    { ...gpu('V100'), useSpot: true, maxHourlyCost: 0.5 },
    { diskTier: 'high', cpus: { value: 2, orMore: true } },
  ];
  for (const spec of specs) {
    const fast = cheapestForSpec(spec, cat);
    const all = offersForSpec({ ...spec, useSpot: false, maxHourlyCost: undefined }, cat, { anyPrice: true }).offers;
    const clouds = new Set(all.map((o) => o.cloud));
    assert.deepEqual(new Set(fast.keys()), clouds, JSON.stringify(spec));
    for (const cloud of clouds) {
      const mine = all.filter((o) => o.cloud === cloud);
      const od = mine.filter((o) => !Number.isNaN(o.price)).sort((a, b) => cmpPrice(a.price, b.price))[0];
      const sp = mine.filter((o) => !Number.isNaN(o.spotPrice)).sort((a, b) => a.spotPrice - b.spotPrice)[0];
      const got = fast.get(cloud)!;
      assert.equal(got.onDemand?.price, od?.price, `${cloud} ${JSON.stringify(spec)}`);
      assert.equal(got.spot?.spotPrice, sp?.spotPrice, `${cloud} ${JSON.stringify(spec)}`);
      assert.deepEqual(got.regions, new Set(mine.filter((o) => !Number.isNaN(o.price)).map((o) => o.region)));
    }
  }
});
