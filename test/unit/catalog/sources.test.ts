import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { bundledCatalogDir } from '../../../engine/catalog/locations';
import { getCatalog, loadCatalogDir, resolveCatalogFiles, setCatalogOverride } from '../../../engine/catalog/sources';
import { optimize } from '../../../engine/optimizer/index';
import { gpu, REFERENCE_CATALOGS, task } from '../optimizer/helpers';

function env(t: { after: (fn: () => void) => void }, vars: Record<string, string | undefined>): void {
  const saved: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(vars)) {
    saved[k] = process.env[k];
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  t.after(() => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    setCatalogOverride(undefined);
  });
}

test('source order: SKYDECK_CATALOG_DIR, else the cache, else the bundled snapshot (per file)', (t) => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'skydeck-src-'));
  t.after(() => fs.rmSync(home, { recursive: true, force: true }));
  env(t, { SKYDECK_HOME: home, SKYDECK_CATALOG_DIR: undefined });
  const origins = () => Object.fromEntries(resolveCatalogFiles().map((f) => [f.file, f.origin]));
  assert.deepEqual(origins(), { 'aws/vms.csv': 'bundled', 'gcp/vms.csv': 'bundled', 'azure/vms.csv': 'bundled', 'common/accelerators.csv': 'bundled' });
  fs.mkdirSync(path.join(home, 'catalogs', 'v8', 'gcp'), { recursive: true });
  fs.copyFileSync(path.join(bundledCatalogDir()!, 'gcp', 'vms.csv'), path.join(home, 'catalogs', 'v8', 'gcp', 'vms.csv'));
  assert.equal(origins()['gcp/vms.csv'], 'cache');
  assert.equal(origins()['aws/vms.csv'], 'bundled');
  process.env.SKYDECK_CATALOG_DIR = REFERENCE_CATALOGS;
  assert.deepEqual(origins(), { 'aws/vms.csv': 'env', 'gcp/vms.csv': 'env', 'azure/vms.csv': 'env', 'common/accelerators.csv': 'env' }, 'only that folder');
  // A folder without a file has none of it: nothing falls through to the cache or the snapshot.
  process.env.SKYDECK_CATALOG_DIR = path.join(__dirname, 'fixtures', 'aws-v8');
  assert.deepEqual(origins(), { 'aws/vms.csv': 'env' });
});

test('the bundled snapshot is small, loads, and plans on all three clouds with real AWS prices, zones and spot', (t) => {
  const dir = bundledCatalogDir()!;
  let total = 0;
  let compressed = 0;
  for (const f of ['aws/vms.csv', 'gcp/vms.csv', 'azure/vms.csv', 'common/accelerators.csv', 'aws/images.csv', 'gcp/images.csv', 'azure/images.csv']) {
    const bytes = fs.readFileSync(path.join(dir, f));
    total += bytes.length;
    compressed += zlib.gzipSync(bytes, { level: 9 }).length;
  }
  assert.ok(total < 1024 * 1024, `snapshot is ${total} bytes`);
  assert.ok(compressed < 128 * 1024, `snapshot is ${compressed} bytes compressed (what the extension package carries)`);
  const cat = loadCatalogDir(dir);
  setCatalogOverride(cat);
  env(t, {});
  const ALL = { enabledInfra: [], allInfra: true };
  const plan = optimize(task(gpu('A100', 8)), ALL);
  assert.deepEqual(new Set(plan.candidates.map((c) => c.cloud)), new Set(['aws', 'gcp', 'azure']));
  const aws = plan.candidates.find((c) => c.cloud === 'aws')!;
  // SkyPilot's price; us-east-2 and us-west-2 tie at it.
  assert.deepEqual([aws.instanceType, aws.pricePerHour], ['p4d.24xlarge', 21.95764]);
  assert.ok(['us-east-2', 'us-west-2'].includes(aws.region), aws.region);
  // SkyPilot's price for p5.48xlarge (us-east-1, us-east-2, us-west-2), not a remembered list price.
  const h100 = optimize(task({ ...gpu('H100', 8), infra: { cloud: 'aws' } }), ALL).chosen;
  assert.deepEqual([h100.instanceType, h100.pricePerHour], ['p5.48xlarge', 55.04]);
  // Spot offers exist on AWS, priced per zone.
  const spot = optimize(task({ ...gpu('A100', 8), useSpot: true, infra: { cloud: 'aws' } }), ALL).chosen;
  assert.deepEqual([spot.instanceType, spot.spot, spot.region, spot.pricePerHour], ['p4d.24xlarge', true, 'us-east-1', 2.4655]);
  assert.ok((spot.zones ?? (spot.zone ? [spot.zone] : [])).length > 0, 'AWS spot candidates carry zones');
  const a10g = optimize(task(gpu('A10G')), ALL);
  assert.deepEqual([a10g.chosen.instanceType, a10g.chosen.pricePerHour], ['g5.xlarge', 1.006]);
  const cpu = optimize(task({ infra: { cloud: 'aws' } }), ALL);
  assert.match(cpu.chosen.instanceType, /^(m6i|m7i|r6i|r7i|c6i|c7i)\.2xlarge$/);
  // GPU regions beyond the six CPU regions are kept (trn2.3xlarge is in none of them).
  assert.ok(cat.clouds.get('aws')!.types.has('trn2.3xlarge'));
});

test('getCatalog loads lazily from SKYDECK_CATALOG_DIR and reuses the loaded catalog', (t) => {
  env(t, { SKYDECK_CATALOG_DIR: path.join(__dirname, 'fixtures', 'aws-v8') });
  setCatalogOverride(undefined);
  const a = getCatalog();
  assert.deepEqual([...a.clouds.keys()], ['aws']);
  assert.equal(getCatalog(), a);
});
