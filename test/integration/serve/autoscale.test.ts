/**
 * Request-rate autoscaling on `local` with real replicas: load above
 * target_qps_per_replica scales up after upscale_delay_seconds; when it stops, the
 * service scales back down after downscale_delay_seconds. Delays and the rate window are
 * small so the test stays short.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { makeEnv, pidAlive, readServices, steadyLoad, until } from './helpers';

test('load above the target scales up, and scales down after the delay', { timeout: 300_000 }, async (t) => {
  const e = makeEnv({ SKYDECK_SERVE_QPS_WINDOW_SECONDS: '3' });
  t.after(async () => {
    await e.cli('serve', 'down', '-a', '-y').catch(() => undefined);
    for (const f of fs.readdirSync(e.dir).filter((x) => x.startsWith('pid-'))) {
      const pid = Number(fs.readFileSync(path.join(e.dir, f), 'utf8'));
      if (pidAlive(pid)) process.kill(pid, 'SIGKILL');
    }
    fs.rmSync(e.dir, { recursive: true, force: true });
  });
  const service = `
readiness_probe:
  path: /health
  initial_delay_seconds: 120
  endpoint_probe_interval_seconds: 0.3
replica_policy:
  min_replicas: 1
  max_replicas: 2
  target_qps_per_replica: 2
  upscale_delay_seconds: 2
  downscale_delay_seconds: 4`;
  const up = await e.cli('serve', 'up', e.yaml('auto', { service }), '--service-name', 'auto', '-y');
  const endpoint = /Endpoint: (\S+)/.exec(up)![1];
  const svc = () => readServices(e.home).auto;
  const ready = () => svc()?.replicas.filter((r) => r.status === 'READY').length ?? 0;
  await until('1 replica READY', () => ready() === 1);

  // Up to ~25 requests/s against a target of 2/replica: wants the max (2) even on a busy machine.
  const load = steadyLoad(`${endpoint}/`, 2, 80);
  t.after(() => load.stop());
  await until('scaled up to 2 READY replicas', () => ready() === 2, 90_000);
  const replicaOf = (body: string) => (JSON.parse(body) as { replica: number }).replica;
  await until('traffic on the new replica', () => load.results.some((r) => r.status === 200 && replicaOf(r.body) !== 1));
  const results = await load.stop();
  assert.deepEqual(
    results.filter((r) => r.status !== 200),
    [],
  );

  await until('scaled back down to 1 replica', () => svc()?.replicas.length === 1 && ready() === 1, 90_000);
  const log = await e.cli('serve', 'logs', 'auto', '--controller', '--no-follow');
  assert.match(log, /autoscaler: upscale 1 -> 2/);
  assert.match(log, /autoscaler: upscale to 2 pending/);
  assert.match(log, /autoscaler: downscale 2 -> 1: .*downscale_delay_seconds 4/);
});
