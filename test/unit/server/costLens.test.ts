// The cost lens says only what it knows: prices from clouds not set up are marked (with a lens
// leading to the set-up), Kubernetes never shows "$0", services multiply by replicas, and one
// site that cannot be priced leaves the other lenses in place.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadCatalogDir } from '../../../engine/catalog/sources';
import type { InfraDetection } from '../../../engine/infra/detection';
import { createInsights } from '../../../engine/optimizer/insights';
import { optimize } from '../../../engine/optimizer/index';
import { TaskLanguageService } from '../../../server/service/languageService';
import { gpu, REFERENCE_CATALOGS, task } from '../optimizer/helpers';

const cat = loadCatalogDir(REFERENCE_CATALOGS);
const none: InfraDetection[] = [
  { infra: 'local', enabled: true, reason: 'This machine.' },
  { infra: 'aws', enabled: false, reason: 'No AWS credentials found. Run `aws configure`.' },
  { infra: 'gcp', enabled: false, reason: 'No GCP credentials. Run `gcloud auth application-default login`.' },
  { infra: 'azure', enabled: false, reason: 'No Azure login found. Run `az login`.' },
  { infra: 'kubernetes', enabled: false, reason: 'No kubeconfig found (KUBECONFIG or ~/.kube/config).' },
];
const withGcp = none.map((d) => (d.infra === 'gcp' ? { ...d, enabled: true, reason: 'ADC.' } : d));

let version = 0;
function lenses(text: string, infra: InfraDetection[] = withGcp) {
  const s = new TaskLanguageService({ insights: createInsights({ catalog: () => cat, liveAvailability: false, infra: () => infra }) });
  return s.codeLenses({ uri: 'file:///w/task.yaml', version: ++version, getText: () => text }).map((l) => l.command!);
}
const money = (x: number) => `$${x < 10 ? x.toFixed(2) : x.toFixed(1)}`;
const re = (s: string) => s.replace(/[$()*.+?[\]\\]/g, '\\$&');

test('prices x num_nodes from a cloud that is set up; the offers view is one click away', () => {
  const [lens, ...rest] = lenses('num_nodes: 2\nresources:\n  accelerators: A100:8\nrun: x\n');
  const best = optimize(task(gpu('A100', 8)), { enabledInfra: ['gcp'], allInfra: false }).chosen;
  assert.match(lens.title, new RegExp(`^2× ${re(money(best.pricePerHour))} = ${re(money(2 * best.pricePerHour))}/h on-demand \\(gcp ${best.region}\\)`));
  assert.match(lens.title, /\/h spot/);
  assert.doesNotMatch(lens.title.split(' · ')[0], /not set up/);
  assert.equal(lens.command, 'skydeck.showOffers');
  const arg = lens.arguments![0] as { uri: string; numNodes: number; resources: unknown };
  assert.equal(arg.uri, 'file:///w/task.yaml');
  assert.equal(arg.numNodes, 2);
  assert.deepEqual(rest, []);
});

test('a cloud that is not set up: its prices are marked, and a lens says how to set it up', () => {
  const [price, setUp] = lenses('resources:\n  accelerators: A100:8\n  infra: aws\nrun: x\n');
  assert.match(price.title, /on-demand \(aws [a-z0-9-]+, not set up\)/);
  assert.equal(setUp.command, 'skydeck.checkInfra');
  assert.match(setUp.title, /^Set up AWS: a launch there fails until then$/);
  assert.match(setUp.tooltip!, /aws configure/);
  // Nothing set up at all: still the catalog's prices, marked, and the set-up lens.
  const unpinned = lenses('resources:\n  accelerators: A100:8\nrun: x\n', none);
  assert.match(unpinned[0].title, /, not set up\)/);
  assert.equal(unpinned[1].command, 'skydeck.checkInfra');
});

test('Kubernetes without a kubeconfig: no "$0.00/h", a set-up lens instead; with one: no catalog price', () => {
  const [k8s] = lenses('resources:\n  accelerators: H100:1\n  infra: k8s\nrun: x\n');
  assert.doesNotMatch(k8s.title, /\$0/);
  assert.equal(k8s.command, 'skydeck.checkInfra');
  assert.match(k8s.tooltip!, /No kubeconfig/);
  const withCtx = [...withGcp.filter((d) => d.infra !== 'kubernetes'), { infra: 'k8s/dev', enabled: true, reason: "Context 'dev'." }];
  const [dev] = lenses('resources:\n  accelerators: H100:1\n  infra: k8s/dev\nrun: x\n', withCtx);
  assert.equal(dev.title, 'k8s/dev: no catalog price (your cluster)');
  assert.equal(dev.command, 'skydeck.showOffers');
  assert.match(lenses('resources:\n  infra: local\nrun: x\n')[0].title, /^\$0\.00\/h on local/);
});

test('services: the price per replica and for the replica range', () => {
  const fixed = lenses('service:\n  readiness_probe: /\n  replicas: 3\nresources:\n  accelerators: L4:1\n  ports: 8080\nrun: x\n')[0].title;
  const m = /^(\$[\d.]+)\/h × 3 replicas = (\$[\d.]+)\/h on-demand/.exec(fixed);
  assert.ok(m, fixed);
  assert.ok(Math.abs(Number(m[1].slice(1)) * 3 - Number(m[2].slice(1))) < 0.02, fixed);
  const range = lenses(
    'service:\n  readiness_probe: /\n  replica_policy:\n    min_replicas: 1\n    max_replicas: 4\nresources:\n  accelerators: L4:1\n  ports: 8080\nrun: x\n',
  )[0].title;
  assert.match(range, /^\$[\d.]+\/h per replica, \$[\d.]+–\$[\d.]+\/h for 1–4 replicas on-demand/);
});

test('an accelerator set names the chosen one; a bad any_of item leaves the other items their lenses', () => {
  const [set] = lenses('resources:\n  accelerators: {A100:8, H100:8}\nrun: x\n');
  assert.match(set.title, /on-demand \((A100|H100):8 on gcp /);
  const titles = lenses(
    'resources:\n  any_of:\n    - accelerators: A100:8\n    - accelerators: A100:8\n      cpus: lots\n    - accelerators: L4:1\nrun: x\n',
  ).map((l) => l.title);
  assert.equal(titles.length, 2, titles.join('\n'));
  for (const t of titles) assert.match(t, /on-demand \(gcp /);
});
