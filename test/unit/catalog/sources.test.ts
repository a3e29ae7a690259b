import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
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
  assert.deepEqual(origins(), { 'gcp/vms.csv': 'env', 'azure/vms.csv': 'env', 'common/accelerators.csv': 'env' }, 'only that folder: no AWS there');
});

test('the bundled snapshot is small, loads, and plans on all three clouds', (t) => {
  const dir = bundledCatalogDir()!;
  let total = 0;
  for (const f of ['aws/vms.csv', 'gcp/vms.csv', 'azure/vms.csv', 'common/accelerators.csv']) total += fs.statSync(path.join(dir, f)).size;
  assert.ok(total < 512 * 1024, `snapshot is ${total} bytes`);
  const cat = loadCatalogDir(dir);
  setCatalogOverride(cat);
  env(t, {});
  const plan = optimize(task(gpu('A100', 8)), { enabledInfra: [], allInfra: true });
  assert.deepEqual(new Set(plan.candidates.map((c) => c.cloud)), new Set(['aws', 'gcp', 'azure']));
  const aws = plan.candidates.find((c) => c.cloud === 'aws')!;
  assert.equal(aws.instanceType, 'p4d.24xlarge');
  assert.equal(aws.zone, undefined, 'AWS rows of the snapshot have no zones');
  const a10g = optimize(task(gpu('A10G')), { enabledInfra: [], allInfra: true });
  assert.equal(a10g.chosen.instanceType, 'g5.xlarge');
  const cpu = optimize(task({ infra: { cloud: 'aws' } }), { enabledInfra: [], allInfra: true });
  assert.match(cpu.chosen.instanceType, /^(m6i|m7i|r6i|r7i|c6i|c7i)\.2xlarge$/);
});

test('getCatalog loads lazily from SKYDECK_CATALOG_DIR and reuses the loaded catalog', (t) => {
  env(t, { SKYDECK_CATALOG_DIR: path.join(__dirname, 'fixtures', 'aws-v8') });
  setCatalogOverride(undefined);
  const a = getCatalog();
  assert.deepEqual([...a.clouds.keys()], ['aws']);
  assert.equal(getCatalog(), a);
});
