import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyProbe, probeReplica, type ProbeMemory } from '../../../engine/serve/probe';
import type { ProbeSpec } from '../../../engine/serve/spec';
import { closedPort, startUpstream } from './helpers';

const spec: ProbeSpec = { path: '/health', headers: {}, initialDelaySeconds: 20, timeoutSeconds: 1, intervalSeconds: 1, failureThresholdSeconds: 10 };

test('probe GETs the path with headers; ready iff 200', async (t) => {
  const seen: { method?: string; url?: string; auth?: string }[] = [];
  const up = await startUpstream('p', (req, res) => {
    seen.push({ method: req.method, url: req.url, auth: req.headers.authorization });
    res.writeHead(req.url === '/health' ? 200 : 404).end();
  });
  t.after(() => up.close());
  const ok = await probeReplica(up.url, { ...spec, headers: { Authorization: 'Bearer x' } });
  assert.equal(ok.ok, true);
  assert.deepEqual(seen[0], { method: 'GET', url: '/health', auth: 'Bearer x' });
  const bad = await probeReplica(up.url, { ...spec, path: '/nope' });
  assert.deepEqual([bad.ok, bad.status], [false, 404]);
});

test('probe POSTs post_data as JSON', async (t) => {
  let body = '';
  let type = '';
  const up = await startUpstream('p', (req, res) => {
    type = String(req.headers['content-type']);
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => res.writeHead(req.method === 'POST' ? 200 : 405).end());
  });
  t.after(() => up.close());
  const r = await probeReplica(up.url, { ...spec, postData: { model: 'm', prompt: 'hi' } });
  assert.equal(r.ok, true);
  assert.deepEqual(JSON.parse(body), { model: 'm', prompt: 'hi' });
  assert.equal(type, 'application/json');
});

test('probe fails on refused connections and on timeouts', async (t) => {
  assert.equal((await probeReplica(`http://127.0.0.1:${await closedPort()}`, spec)).ok, false);
  const up = await startUpstream('slow', () => undefined);
  t.after(() => up.close());
  const r = await probeReplica(up.url, { ...spec, timeoutSeconds: 0.2 });
  assert.equal(r.ok, false);
  assert.match(r.error ?? '', /timed out/);
});

test('before the first success: STARTING until the initial delay has passed', () => {
  const m: ProbeMemory = {};
  assert.equal(applyProbe(m, false, 0, spec), 'STARTING');
  assert.equal(applyProbe(m, false, 20_000, spec), 'STARTING');
  assert.equal(applyProbe(m, false, 20_001, spec), 'FAILED_INITIAL_DELAY');
});

test('after being ready: NOT_READY, then FAILED_PROBING once failures span the threshold; a success resets', () => {
  const m: ProbeMemory = {};
  assert.equal(applyProbe(m, true, 0, spec), 'READY');
  assert.equal(applyProbe(m, false, 1_000, spec), 'NOT_READY');
  assert.equal(applyProbe(m, true, 5_000, spec), 'READY');
  assert.equal(applyProbe(m, false, 6_000, spec), 'NOT_READY');
  assert.equal(applyProbe(m, false, 15_999, spec), 'NOT_READY');
  assert.equal(applyProbe(m, false, 16_000, spec), 'FAILED_PROBING');
});
