/** `launch --dryrun` and `show-gpus` through the built CLI (node dist/cli.js), over the reference catalogs. */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { REFERENCE_CATALOGS } from './helpers';

const ROOT = path.resolve(__dirname, '../../..');
const CLI = path.join(ROOT, 'dist', 'cli.js');
const CORPUS = path.resolve(ROOT, '../shared/corpus/skypilot-examples/tasks');
const CANDIDATE_KEYS = ['infra', 'cloud', 'region', 'zone', 'instanceType', 'accelerators', 'spot', 'nodes', 'pricePerHour', 'costPerHour'];

let home: string;
before(() => {
  if (!fs.existsSync(CLI)) {
    const b = spawnSync('npm', ['run', '-s', 'build'], { cwd: ROOT, stdio: 'inherit' });
    assert.equal(b.status, 0, 'build failed');
  }
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'skydeck-cli-'));
  process.on('exit', () => fs.rmSync(home, { recursive: true, force: true }));
});

function run(args: string[], extraEnv: Record<string, string> = {}) {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: home,
    SKYDECK_HOME: path.join(home, '.skydeck'),
    SKYDECK_CATALOG_DIR: REFERENCE_CATALOGS,
    SKYDECK_TEST: '1',
    ...extraEnv,
  };
  const r = spawnSync(process.execPath, [CLI, ...args], { env, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function writeTask(name: string, text: string): string {
  const p = path.join(home, name);
  fs.writeFileSync(p, text);
  return p;
}

test('launch --dryrun --json: the contract shape, one chosen per task of a pipeline', () => {
  const file = path.join(CORPUS, 'llm/gpt-2/gpt2-pipeline.yaml');
  const r = run(['launch', file, '--dryrun', '--json', '--all-infra']);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { chosen: Record<string, unknown>[]; candidates: Record<string, unknown>[] };
  assert.deepEqual(Object.keys(out), ['chosen', 'candidates']);
  assert.equal(out.chosen.length, 2);
  for (const c of [...out.chosen, ...out.candidates]) assert.deepEqual(Object.keys(c), CANDIDATE_KEYS);
  assert.equal(out.chosen[0].accelerators, null, 'the data task is CPU-only (cpus: 8+)');
  assert.deepEqual(out.chosen[1].accelerators, { A100: 8 });
  const c1 = out.chosen[1] as { cloud: string; region: string; zone: string | null; infra: string; pricePerHour: number; costPerHour: number; nodes: number };
  assert.equal(c1.infra, [c1.cloud, c1.region, c1.zone].filter(Boolean).join('/'));
  assert.equal(c1.costPerHour, c1.pricePerHour * c1.nodes);
});

test('launch --dryrun prints the plan table; without credentials a CPU task plans onto local', () => {
  const file = writeTask('cpu.yaml', 'resources:\n  cpus: 2+\nrun: echo hi\n');
  const table = run(['launch', file, '--dryrun', '--all-infra']);
  assert.equal(table.code, 0, table.stderr);
  assert.match(table.stdout, /Considered resources \(1 node\):/);
  assert.match(table.stdout, /INFRA\s+INSTANCE\s+vCPUs\s+Mem\(GB\)\s+GPUS\s+COST \(\$\)\s+CHOSEN/);
  assert.match(table.stdout, /✔/);
  const local = JSON.parse(run(['launch', file, '--dryrun', '--json']).stdout);
  assert.equal(local.chosen[0].infra, 'local/local');
  assert.equal(local.chosen[0].pricePerHour, 0);
});

test('launch --dryrun: command-line overrides, credential detection, and a clear error when nothing fits', () => {
  const file = writeTask('gpu.yaml', 'resources:\n  accelerators: A100:8\nrun: nvidia-smi\n');
  const l4 = JSON.parse(run(['launch', file, '--dryrun', '--json', '--all-infra', '--gpus', 'L4:1']).stdout);
  assert.deepEqual(l4.chosen[0].accelerators, { L4: 1 });
  const pinned = JSON.parse(run(['launch', file, '--dryrun', '--json', '--all-infra', '--infra', 'azure/eastus']).stdout);
  assert.equal(pinned.chosen[0].infra, 'azure/eastus');
  // No credentials: only local is enabled, and it has no GPUs.
  const none = run(['launch', file, '--dryrun']);
  assert.equal(none.code, 1);
  assert.match(none.stderr, /Catalog does not contain any instances satisfying the request/);
  assert.match(none.stderr, /--all-infra/);
  // GCP credentials (with their project, which a GCP launch needs) enable GCP only.
  const adc = path.join(home, 'adc.json');
  fs.writeFileSync(adc, JSON.stringify({ type: 'service_account', project_id: 'test-project' }));
  const gcp = JSON.parse(run(['launch', file, '--dryrun', '--json'], { GOOGLE_APPLICATION_CREDENTIALS: adc }).stdout);
  assert.ok(gcp.candidates.length > 0 && gcp.candidates.every((c: { cloud: string }) => c.cloud === 'gcp'));
});

test('show-gpus: common GPU table, per-accelerator offers, --infra and --all-regions, stable --json', () => {
  const list = run(['show-gpus']);
  assert.equal(list.code, 0, list.stderr);
  assert.match(list.stdout, /COMMON_GPU\s+AVAILABLE_QUANTITIES/);
  assert.match(list.stdout, /^A100\s+1, 2, 4, 8, 16$/m);
  const a100 = run(['show-gpus', 'A100:8']);
  assert.match(a100.stdout, /GPU\s+QTY\s+CLOUD\s+INSTANCE_TYPE\s+DEVICE_MEM\s+vCPUs\s+HOST_MEM\s+HOURLY_PRICE\s+HOURLY_SPOT_PRICE\s+REGION/);
  assert.match(a100.stdout, /A100\s+8\s+GCP\s+a2-highgpu-8g/);
  const json = JSON.parse(run(['show-gpus', 'T4', '--infra', 'gcp', '--all-regions', '--json']).stdout);
  assert.deepEqual(Object.keys(json), ['accelerators', 'offers', 'available', 'nodes']);
  assert.ok(json.offers.length > 5, 'one row per region');
  for (const o of json.offers) {
    assert.deepEqual(Object.keys(o), ['accelerator', 'count', 'cloud', 'instanceType', 'deviceMemoryGb', 'vcpus', 'memoryGb', 'price', 'spotPrice', 'region']);
    assert.equal(o.cloud, 'gcp');
    assert.equal(o.accelerator, 'T4');
  }
  assert.equal(
    new Set(json.offers.map((o: { region: string; instanceType: string; count: number }) => `${o.region}|${o.instanceType}|${o.count}`)).size,
    json.offers.length,
  );
  const missing = run(['show-gpus', 'NoSuchGPU']);
  assert.equal(missing.code, 1);
  assert.equal(run(['show-gpus', '--all-regions']).code, 1, '--all-regions needs an accelerator');
});

test('catalog status names the source of each file', () => {
  const r = run(['catalog', 'status', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const rows = JSON.parse(r.stdout) as { file: string; origin: string; rows: number | null }[];
  assert.deepEqual(
    rows.map((x) => [x.file, x.origin, x.rows]),
    [
      ['aws/vms.csv', 'env', 2967],
      ['gcp/vms.csv', 'env', 31285],
      ['azure/vms.csv', 'env', 56671],
      ['common/accelerators.csv', 'env', null],
    ],
  );
});

test('launch --dryrun says which infra the resources constraints removed, and why', () => {
  const file = writeTask('ultra.yaml', 'resources:\n  accelerators: T4\n  disk_tier: ultra\n  ports: 8080\nrun: echo hi\n');
  const r = run(['launch', file, '--dryrun', '--all-infra']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /Not considered: Azure: Azure does not support disk_tier: ultra \(use low, medium, high or best\) \(disk_tier\)\./);
  assert.match(r.stdout, /expect about \$2\/h more/);
  assert.doesNotMatch(r.stdout.split('Considered resources')[1], /Azure/);
  const none = run([
    'launch',
    writeTask('ultra-azure.yaml', 'resources:\n  infra: azure\n  accelerators: T4\n  disk_tier: ultra\nrun: echo hi\n'),
    '--dryrun',
    '--all-infra',
  ]);
  assert.notEqual(none.code, 0);
  assert.match(none.stderr, /Azure: removed by disk_tier: Azure does not support disk_tier: ultra/);
});
