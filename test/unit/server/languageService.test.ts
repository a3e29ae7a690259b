// The pure language service: no LSP, no VS Code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TaskLanguageService, type TextDocumentLike } from '../../../server/service/languageService';
import type { Insights, ResourcesSite } from '../../../engine/optimizer/insightTypes';

let version = 0;
/** A document from text with one `|` marking the cursor. */
function doc(textWithCursor: string, uri = 'file:///w/task.yaml'): { d: TextDocumentLike; pos: { line: number; character: number } } {
  const at = textWithCursor.indexOf('|');
  const text = at >= 0 ? textWithCursor.slice(0, at) + textWithCursor.slice(at + 1) : textWithCursor;
  const before = text.slice(0, Math.max(0, at)).split('\n');
  const v = ++version;
  return { d: { uri, version: v, getText: () => text }, pos: { line: before.length - 1, character: before[before.length - 1].length } };
}

const labels = (items: { label: string }[]) => items.map((i) => i.label);

test('diagnostics: LSP shape, cached per version, none for files that are not tasks', () => {
  const s = new TaskLanguageService();
  const { d } = doc('resources:\n  spot_recovery: FAILOVER\nrun: x\n');
  const diags = s.diagnostics(d);
  assert.equal(diags.length, 1);
  assert.deepEqual(diags[0].range, { start: { line: 1, character: 2 }, end: { line: 1, character: 15 } });
  assert.equal(diags[0].severity, 1);
  assert.equal(diags[0].code, 'spot-recovery-removed');
  assert.equal(diags[0].source, 'skydeck');
  assert.equal(s.diagnostics(d), diags, 'same version -> cached');
  assert.deepEqual(s.diagnostics(doc('apiVersion: v1\nkind: Pod\nspec: {}\n').d), []);
  assert.deepEqual(s.diagnostics(doc('# skydeck: ignore\nrun: [1]\n').d), []);
});

test('settings: skydeck.taskFiles claims files whatever their content', () => {
  const s = new TaskLanguageService({ settings: { taskFiles: ['**/jobs/*.yaml'] } });
  assert.equal(s.diagnostics(doc('foo: 1\n', 'file:///w/jobs/a.yaml').d).length, 1);
  assert.equal(s.diagnostics(doc('foo: 1\n', 'file:///w/other/a.yaml').d).length, 0);
});

test('completion: top-level keys with docs, snippets, existing keys left out', () => {
  const s = new TaskLanguageService();
  const { d, pos } = doc('run: echo\n|');
  const items = s.complete(d, pos);
  const names = labels(items);
  for (const k of ['resources', 'setup', 'envs', 'file_mounts', 'service', 'num_nodes']) assert.ok(names.includes(k), k);
  assert.ok(!names.includes('run'));
  assert.ok(!names.includes('_metadata'));
  const res = items.find((i) => i.label === 'resources');
  assert.match(String((res?.documentation as { value: string }).value), /any_of/);
  assert.equal((res?.textEdit as { newText: string }).newText, 'resources:\n  $0');
  assert.ok(names.includes('task: GPU job'));
  assert.equal((items.find((i) => i.label === 'setup')?.textEdit as { newText: string }).newText, 'setup: |\n  $0');
});

test('completion: nested keys, any_of items, enum values, accelerators, clouds', () => {
  const s = new TaskLanguageService();
  const at = (t: string) => {
    const { d, pos } = doc(t);
    return labels(s.complete(d, pos));
  };
  const res = at('resources:\n  accelerators: A100\n  |\nrun: x\n');
  assert.ok(res.includes('infra') && res.includes('use_spot') && res.includes('any_of'));
  assert.ok(!res.includes('accelerators'));
  assert.ok(!res.includes('spot_recovery'));
  const item = at('resources:\n  any_of:\n    - infra: aws\n      |\nrun: x\n');
  assert.ok(item.includes('accelerators') && !item.includes('any_of'));
  assert.deepEqual(at('resources:\n  disk_tier: |\nrun: x\n'), ['low', 'medium', 'high', 'ultra', 'best']);
  assert.deepEqual(at('service:\n  load_balancing_policy: |\nrun: x\n'), ['round_robin', 'least_load', 'instance_aware_least_load']);
  assert.ok(at('resources:\n  accelerators: |\nrun: x\n').includes('H100:1'));
  assert.ok(at('resources:\n  accelerators: {A100:1, |}\nrun: x\n').includes('H100'));
  const clouds = at('resources:\n  infra: |\nrun: x\n');
  assert.ok(clouds.includes('aws') && clouds.includes('k8s') && clouds.includes('local'));
  assert.deepEqual(at('resources:\n  use_spot: |\nrun: x\n'), ['true', 'false']);
  assert.ok(at('service:\n  readiness_probe:\n    |\n').includes('initial_delay_seconds'));
  assert.deepEqual(at('run: x\n# a comment |\n'), []);
});

test('hover: docs from the schema on keys, deprecation notes', () => {
  const s = new TaskLanguageService();
  const { d } = doc('resources:\n  accelerators: A100:8\n  cloud: aws\nrun: x\n');
  const h = s.hover(d, { line: 1, character: 4 });
  assert.ok(h);
  assert.match((h.contents as { value: string }).value, /^\*\*resources\.accelerators\*\*/);
  assert.deepEqual(h.range, { start: { line: 1, character: 2 }, end: { line: 1, character: 14 } });
  const dep = s.hover(d, { line: 2, character: 3 });
  assert.match((dep?.contents as { value: string }).value, /deprecated/);
  assert.equal(s.hover(d, { line: 3, character: 0 })?.range?.start.line, 3);
});

test('outline: keys as a hierarchy, pipelines per document', () => {
  const s = new TaskLanguageService();
  const syms = s.documentSymbols(doc('name: t\nresources:\n  cpus: 4\n  any_of:\n    - infra: aws\nrun: x\n').d);
  assert.deepEqual(
    syms.map((x) => x.name),
    ['name', 'resources', 'run'],
  );
  assert.deepEqual(
    syms[1].children?.map((x) => x.name),
    ['cpus', 'any_of'],
  );
  assert.deepEqual(
    syms[1].children?.[1].children?.map((x) => x.name),
    ['infra: aws'],
  );
  assert.equal(syms[0].detail, 't');
  const pipe = s.documentSymbols(doc('name: p\n---\nname: a\nrun: x\n---\nname: b\nrun: y\n').d);
  assert.deepEqual(
    pipe.map((x) => x.name),
    ['pipeline p', 'a', 'b'],
  );
});

test('quick fixes: spot_recovery -> job_recovery, unknown key -> suggestion', () => {
  const s = new TaskLanguageService();
  const { d } = doc('resources:\n  spot_recovery: FAILOVER\nsetups: x\n');
  const actions = s.codeActions(d, { start: { line: 1, character: 5 }, end: { line: 1, character: 5 } });
  assert.equal(actions.length, 1);
  assert.equal(actions[0].title, "Rename 'spot_recovery' to 'job_recovery'");
  assert.equal(actions[0].kind, 'quickfix');
  assert.deepEqual(actions[0].edit?.changes?.[d.uri], [
    { range: { start: { line: 1, character: 2 }, end: { line: 1, character: 15 } }, newText: 'job_recovery' },
  ]);
  const rename = s.codeActions(d, { start: { line: 2, character: 0 }, end: { line: 2, character: 6 } });
  assert.deepEqual(
    rename.map((a) => a.title),
    ["Rename 'setups' to 'setup'"],
  );
});

/** Insights with fixed data: every spec costs $1/h on AWS us-east-1; the sites a lens pass saw are recorded. */
function fakeInsights(record: { sites?: ResourcesSite[] }): Insights {
  const row = {
    cloud: 'aws',
    region: 'us-east-1',
    infra: 'aws/us-east-1',
    instanceType: 'p4d.24xlarge',
    vCPUs: 96,
    memoryGb: 1152,
    accelerators: { A100: 8 },
    onDemand: 1,
    spot: null,
    perGpuHour: 0.125,
    spotPerGpuHour: null,
  };
  return {
    specCost: () => ({ byCloud: { aws: { onDemand: { price: 1, cloud: 'aws', region: 'us-east-1' } } }, regions: 1 }),
    offerRows: () => [row],
    infraStates: () => [],
    freeGpus: () => [],
    diagnostics: (sites) => {
      record.sites = sites;
      return sites
        .filter((s) => s.valueRanges.accelerators)
        .map((s) => ({
          range: s.valueRanges.accelerators as ResourcesSite['range'],
          severity: 'warning',
          message: 'No offer for this accelerator.',
          code: 'no-offer',
          fixes: [{ title: 'Use H100', range: s.valueRanges.accelerators as ResourcesSite['range'], newText: 'H100:8' }],
        }));
    },
    acceleratorOffers: (name, count) => ({ name: `${name} x${count ?? 1}`, count, counts: [8], regions: 1, rows: [row] }),
    instanceTypeOffers: (name) => [{ name, cloud: 'aws', vcpus: 96, memoryGb: 1152, regions: 1, rows: [row] }],
    catalogOrigins: () => 'aws (test)',
    completeAccelerators: () => [{ label: 'H100:8', detail: '$20/h', sortText: '0' }],
    completeInstanceTypes: () => [{ label: 'p4d.24xlarge', detail: '$32/h' }],
    completeRegions: (cloud) => [{ label: `${cloud === 'aws' ? 'us-east-1' : 'us-central1'}`, detail: '$1/h' }],
  };
}

test('insights: sites for resources and any_of items, lenses, diagnostics, hovers, priced completions', () => {
  const record: { sites?: ResourcesSite[] } = {};
  const s = new TaskLanguageService();
  const { d } = doc(
    'num_nodes: 2\nresources:\n  accelerators: A100:8\n  instance_type: p4d.24xlarge\n  any_of:\n    - infra: aws\n    - infra: gcp/us-central1\nrun: x\n',
  );
  assert.deepEqual(s.codeLenses(d), [], 'no insights yet');
  s.setInsights(fakeInsights(record));
  const lenses = s.codeLenses(d);
  assert.deepEqual(
    lenses.map((l) => l.command?.title),
    Array(3).fill('2× $1.00 = $2.00/h on-demand (aws us-east-1) · 1 region'),
  );
  s.diagnostics(d);
  const sites = record.sites as ResourcesSite[];
  assert.deepEqual(sites[0].range, { start: { line: 1, character: 0 }, end: { line: 1, character: 9 } });
  assert.deepEqual(sites[0].valueRanges.accelerators, { start: { line: 2, character: 16 }, end: { line: 2, character: 22 } });
  assert.equal(sites[1].candidateIndex, 0);
  assert.deepEqual(sites[2].resources.infra, { cloud: 'gcp', region: 'us-central1' });
  assert.deepEqual(sites[2].resources.accelerators, [{ name: 'A100', count: 8 }]);
  assert.deepEqual(sites[1].range, { start: { line: 5, character: 6 }, end: { line: 5, character: 16 } });
  const diags = s.diagnostics(d);
  assert.ok(diags.some((x) => x.code === 'no-offer' && x.severity === 2));
  const fix = s.codeActions(d, { start: { line: 2, character: 17 }, end: { line: 2, character: 17 } });
  assert.deepEqual(
    fix.map((a) => a.title),
    ['Use H100'],
  );
  assert.match((s.hover(d, { line: 2, character: 18 })?.contents as { value: string }).value, /\*\*A100 x8:8\*\*/);
  assert.match((s.hover(d, { line: 3, character: 20 })?.contents as { value: string }).value, /p4d\.24xlarge/);
  const { d: d2, pos } = doc('resources:\n  accelerators: |\n');
  assert.deepEqual(labels(s.complete(d2, pos)), ['H100:8']);
  const { d: d3, pos: p3 } = doc('resources:\n  infra: aws/|\n');
  assert.deepEqual(labels(s.complete(d3, p3)), ['aws/us-east-1']);
});

test('insights: disk_tier, image_id and ports values carry their ranges (constraint diagnostics land on them)', () => {
  const record: { sites?: ResourcesSite[] } = {};
  const s = new TaskLanguageService();
  s.setInsights(fakeInsights(record));
  const { d } = doc('resources:\n  disk_tier: ultra\n  image_id:\n    us-east-1: ami-0abc\n  ports: 8080\nrun: x\n');
  s.diagnostics(d);
  const r = (record.sites as ResourcesSite[])[0].valueRanges;
  assert.deepEqual(r.disk_tier, { start: { line: 1, character: 13 }, end: { line: 1, character: 18 } });
  assert.equal(r.image_id?.start.line, 3);
  assert.deepEqual(r.ports, { start: { line: 4, character: 9 }, end: { line: 4, character: 13 } });
});

test('a throwing insights provider never breaks the service', () => {
  const s = new TaskLanguageService();
  const boom = () => {
    throw new Error('catalog down');
  };
  s.setInsights({
    specCost: boom,
    offerRows: boom,
    infraStates: boom,
    freeGpus: boom,
    diagnostics: boom,
    acceleratorOffers: boom,
    instanceTypeOffers: boom,
    catalogOrigins: boom,
    completeAccelerators: boom,
    completeInstanceTypes: boom,
    completeRegions: boom,
  });
  const { d, pos } = doc('resources:\n  accelerators: |A100\nrun: x\n');
  assert.deepEqual(s.diagnostics(d), []);
  assert.deepEqual(
    s.codeLenses(d).map((l) => l.command?.title),
    ['Cost unavailable: catalog down'],
    'the site says why instead of vanishing',
  );
  assert.ok(s.complete(d, pos).length > 0);
  assert.ok(s.hover(d, { line: 1, character: 17 }));
});
