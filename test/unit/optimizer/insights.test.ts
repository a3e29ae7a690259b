import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadCatalogDir } from '../../../engine/catalog/sources';
import { createInsights, SHOW_OFFERS_COMMAND } from '../../../engine/optimizer/insights';
import type { InsightRange, ResourcesSite } from '../../../engine/optimizer/insightTypes';
import { offerRows } from '../../../engine/optimizer/offers';
import { optimize } from '../../../engine/optimizer/index';
import type { ResourcesSpec } from '../../../engine/task/types';
import { gpu, REFERENCE_CATALOGS, task } from './helpers';

const cat = loadCatalogDir(REFERENCE_CATALOGS);
const insights = createInsights({ catalog: () => cat, liveAvailability: false });

const at = (line: number, from = 2, to = 14): InsightRange => ({ start: { line, character: from }, end: { line, character: to } });
function site(resources: ResourcesSpec, numNodes = 1, valueRanges: ResourcesSite['valueRanges'] = {}): ResourcesSite {
  return { range: at(1, 0, 9), resources, numNodes, valueRanges };
}

test('cost lens: cheapest on-demand and spot, where, how many regions, x num_nodes', () => {
  const [lens] = insights.costLenses([site(gpu('A100', 8), 2)]);
  const plan = optimize(task(gpu('A100', 8)), { enabledInfra: [], allInfra: true });
  const best = plan.chosen.pricePerHour;
  const money = (x: number) => `$${x < 10 ? x.toFixed(2) : x.toFixed(1)}`;
  assert.match(
    lens.title,
    new RegExp(`^2× ${money(best).replace('$', '\\$')} = ${money(2 * best).replace('$', '\\$')}/h on-demand \\(${plan.chosen.cloud} ${plan.chosen.region}\\)`),
  );
  assert.match(lens.title, /\/h spot/);
  assert.match(lens.title, /· \d+ regions$/);
  assert.equal(lens.command?.command, SHOW_OFFERS_COMMAND);
  const arg = lens.command?.arguments[0] as { offers: { cloud: string; price?: number; gpu?: string; gpuCount: number }[]; numNodes: number };
  assert.equal(arg.numNodes, 2);
  assert.ok(arg.offers.length > 3);
  assert.equal(arg.offers[0].gpu, 'A100');
  assert.equal(arg.offers[0].gpuCount, 8);
  const local = insights.costLenses([site({ infra: { cloud: 'local' } })])[0];
  assert.match(local.title, /\$0\.00\/h on local/);
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

test('hovers and priced completions', () => {
  const h = insights.hoverAccelerator('a100', 8)!;
  assert.match(h, /^\*\*A100:8\*\*/);
  assert.match(h, /\| Cloud \| Region \| Instance \|/);
  assert.match(h, /a2-highgpu-8g/);
  const counts = insights.hoverAccelerator('L4')!;
  assert.match(counts, /counts 1, 2, 4, 8/);
  assert.equal(insights.hoverAccelerator('NoSuchGPU'), undefined);
  const it = insights.hoverInstanceType('Standard_NC4as_T4_v3')!;
  assert.match(it, /4 vCPUs, 28 GB, T4:1/);
  assert.equal(insights.hoverInstanceType('nope'), undefined);
  const accs = insights.completeAccelerators();
  const a100 = accs.find((c) => c.label === 'A100')!;
  assert.match(a100.detail!, /from \$[\d.]+\/GPU-h · counts 1, 2, 4, 8, 16/);
  assert.ok(a100.sortText! < accs.find((c) => c.label === 'tpu-v5p-8')!.sortText!);
  const types = insights.completeInstanceTypes('gcp');
  assert.equal(types.length, 385);
  assert.match(types.find((t) => t.label === 'n2-standard-8')!.detail!, /8 vCPU · 32 GB · from \$/);
  const regions = insights.completeRegions('gcp');
  assert.equal(regions.length, 44);
  assert.match(regions.find((r) => r.label === 'us-central1')!.detail!, /GCP · 4 zones/);
  assert.deepEqual(insights.completeRegions('lambda'), []);
});
