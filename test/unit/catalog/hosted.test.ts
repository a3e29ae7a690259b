import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AddressInfo } from 'node:net';
import { isUserModified, needsUpdate, refreshHosted, scheduleHostedRefresh } from '../../../engine/catalog/hosted';
import { resolveCatalogFiles } from '../../../engine/catalog/sources';

const GCP_CSV =
  'InstanceType,vCPUs,MemoryGiB,AcceleratorName,AcceleratorCount,GpuInfo,Region,AvailabilityZone,Price,SpotPrice\nn2-standard-8,8.0,32.0,,,,us-central1,us-central1-a,0.38,0.09\n';

/** A loopback stand-in for the hosted catalog: serves v8/<file>, counts requests, can answer 429/404. */
async function catalogServer(t: { after: (fn: () => Promise<void> | void) => void }, routes: Record<string, { status: number; body?: string }>) {
  const hits: string[] = [];
  const server = http.createServer((req, res) => {
    hits.push(req.url ?? '');
    const r = routes[req.url ?? ''] ?? { status: 404 };
    res.writeHead(r.status, { 'content-type': 'text/csv' });
    res.end(r.body ?? '');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, hits };
}

function withHome(t: { after: (fn: () => void) => void }): string {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'skydeck-home-'));
  const saved = { home: process.env.SKYDECK_HOME, dir: process.env.SKYDECK_CATALOG_DIR };
  process.env.SKYDECK_HOME = home;
  delete process.env.SKYDECK_CATALOG_DIR;
  t.after(() => {
    if (saved.home === undefined) delete process.env.SKYDECK_HOME;
    else process.env.SKYDECK_HOME = saved.home;
    if (saved.dir !== undefined) process.env.SKYDECK_CATALOG_DIR = saved.dir;
    fs.rmSync(home, { recursive: true, force: true });
  });
  return home;
}

test('downloads due files atomically with their md5, then leaves fresh ones alone for 7 hours', async (t) => {
  const home = withHome(t);
  const srv = await catalogServer(t, { '/v8/gcp/vms.csv': { status: 200, body: GCP_CSV } });
  const first = await refreshHosted({ files: ['gcp/vms.csv', 'aws/vms.csv'], baseUrl: srv.url });
  assert.deepEqual(
    first.map((r) => [r.file, r.outcome]),
    [
      ['gcp/vms.csv', 'updated'],
      ['aws/vms.csv', 'not-found'],
    ],
  );
  const cached = path.join(home, 'catalogs', 'v8', 'gcp', 'vms.csv');
  assert.equal(fs.readFileSync(cached, 'utf8'), GCP_CSV);
  assert.equal(isUserModified('gcp/vms.csv'), false);
  assert.deepEqual(fs.readdirSync(path.dirname(cached)), ['vms.csv'], 'no temp file left behind');
  // The cache now wins over the bundled snapshot for that cloud.
  assert.equal(resolveCatalogFiles().find((f) => f.file === 'gcp/vms.csv')?.origin, 'cache');
  const again = await refreshHosted({ files: ['gcp/vms.csv'], baseUrl: srv.url });
  assert.equal(again[0].outcome, 'fresh');
  assert.equal(srv.hits.filter((h) => h === '/v8/gcp/vms.csv').length, 1);
  const later = Date.now() + 8 * 3600_000;
  assert.equal(needsUpdate('gcp/vms.csv', later), true);
  const stale = await refreshHosted({ files: ['gcp/vms.csv'], baseUrl: srv.url, now: later });
  assert.equal(stale[0].outcome, 'updated');
});

test('a file the user edited is never overwritten (unless forced)', async (t) => {
  const home = withHome(t);
  const srv = await catalogServer(t, { '/v8/gcp/vms.csv': { status: 200, body: GCP_CSV } });
  await refreshHosted({ files: ['gcp/vms.csv'], baseUrl: srv.url });
  const cached = path.join(home, 'catalogs', 'v8', 'gcp', 'vms.csv');
  fs.appendFileSync(cached, 'my-type,1.0,1.0,,,,us-central1,us-central1-a,0.01,\n');
  assert.equal(isUserModified('gcp/vms.csv'), true);
  const r = await refreshHosted({ files: ['gcp/vms.csv'], baseUrl: srv.url, now: Date.now() + 24 * 3600_000 });
  assert.equal(r[0].outcome, 'user-modified');
  assert.match(fs.readFileSync(cached, 'utf8'), /my-type/);
  const forced = await refreshHosted({ files: ['gcp/vms.csv'], baseUrl: srv.url, force: true });
  assert.equal(forced[0].outcome, 'updated');
  assert.doesNotMatch(fs.readFileSync(cached, 'utf8'), /my-type/);
});

test('offline: fails quietly, keeps the cached copy, and does not retry for 7 hours', async (t) => {
  const home = withHome(t);
  const srv = await catalogServer(t, { '/v8/gcp/vms.csv': { status: 200, body: GCP_CSV } });
  await refreshHosted({ files: ['gcp/vms.csv'], baseUrl: srv.url });
  const cached = path.join(home, 'catalogs', 'v8', 'gcp', 'vms.csv');
  const old = new Date(Date.now() - 8 * 3600_000);
  fs.utimesSync(cached, old, old);
  // A port nothing listens on: connection refused, like a machine without network.
  const dead = http.createServer();
  await new Promise<void>((resolve) => dead.listen(0, '127.0.0.1', resolve));
  const deadUrl = `http://127.0.0.1:${(dead.address() as AddressInfo).port}`;
  await new Promise<void>((resolve) => dead.close(() => resolve()));
  const r = await refreshHosted({ files: ['gcp/vms.csv'], baseUrl: deadUrl, timeoutMs: 5000 });
  assert.equal(r[0].outcome, 'failed');
  assert.equal(fs.readFileSync(cached, 'utf8'), GCP_CSV);
  assert.equal(needsUpdate('gcp/vms.csv'), false, 'the cached copy was touched so the next attempt waits 7 hours');
});

test('HTTP 429 from the primary host falls back to the mirror', async (t) => {
  withHome(t);
  const primary = await catalogServer(t, { '/v8/gcp/vms.csv': { status: 429 } });
  const mirror = await catalogServer(t, { '/v8/gcp/vms.csv': { status: 200, body: GCP_CSV } });
  const r = await refreshHosted({ files: ['gcp/vms.csv'], baseUrl: primary.url, mirrorUrl: mirror.url });
  assert.equal(r[0].outcome, 'updated');
  assert.deepEqual(mirror.hits, ['/v8/gcp/vms.csv']);
});

test('the background refresh never runs under tests (no network, nothing spawned)', (t) => {
  withHome(t);
  const saved = process.env.SKYDECK_TEST;
  process.env.SKYDECK_TEST = '1';
  t.after(() => {
    if (saved === undefined) delete process.env.SKYDECK_TEST;
    else process.env.SKYDECK_TEST = saved;
  });
  assert.equal(scheduleHostedRefresh(), false);
});
