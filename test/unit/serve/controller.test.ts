/** The service controller against a fake cluster engine (real probes and load balancer). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as https from 'node:https';
import { execFileSync } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import { ServiceController } from '../../../engine/serve/controller';
import { findService, patchService, servicesTable } from '../../../engine/serve/state';
import type { ServiceRecord } from '../../../engine/serve/types';
import { FakeClusterEngine } from '../../helpers/fakes/clusterEngine';
import { request } from './helpers';
import { until as waitUntil } from '../../helpers/until';

interface Ctx {
  engine: FakeClusterEngine;
  dir: string;
  svc(): Promise<ServiceRecord>;
  /** Controller loop iterations completed so far. */
  ticks(): number;
  endpoint(): Promise<string>;
  writeTask(version: string, service: string, extra?: string): string;
  addVersion(file: string, mode: 'rolling' | 'blue_green'): Promise<void>;
}

/** In-process controller: re-checked every 30 ms (the controller ticks every few ms). */
function until<T>(what: string, check: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 15_000): Promise<T> {
  return waitUntil(what, check, { timeoutMs, everyMs: 30 }) as Promise<T>;
}

/** Starts a controller for one service; stops it and cleans up after the test. */
async function startService(t: { after: (fn: () => Promise<void> | void) => void }, service: string, extra = '', healthy = true): Promise<Ctx> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'serve-ctl-'));
  process.env.SKYDECK_HOME = path.join(dir, 'home');
  const port = 21000 + Math.floor(Math.random() * 8000);
  const engine = new FakeClusterEngine({ serveHttp: { port } });
  engine.healthyOnLaunch = healthy;
  const writeTask = (version: string, svc: string, more = extra) => {
    const file = path.join(dir, `task-${version}.yaml`);
    fs.writeFileSync(
      file,
      `name: s\nenvs:\n  V: "${version}"\nservice:\n${svc
        .trim()
        .split('\n')
        .map((l) => `  ${l}`)
        .join('\n')}\nresources:\n  infra: local\n  ports: ${port}\n${more}run: serve\n`,
    );
    return file;
  };
  const first = writeTask('1', service);
  await servicesTable().update((s) => {
    s.services.s = {
      name: 's',
      status: 'CONTROLLER_INIT',
      createdAt: Date.now(),
      versions: [{ version: 1, taskFile: first, mode: 'rolling', createdAt: Date.now() }],
      replicas: [],
      nextReplicaId: 1,
    };
  });
  const lbBase = 31000 + Math.floor(Math.random() * 3000);
  const logs: string[] = [];
  const controller = new ServiceController('s', { engine, tickMs: 40, lbHost: '127.0.0.1', lbPorts: [lbBase, lbBase + 50], log: (l) => logs.push(l) });
  let ticks = 0;
  const tick = controller.tick.bind(controller);
  controller.tick = async () => {
    await tick();
    ticks++;
  };
  const running = controller.run();
  t.after(async () => {
    await patchService('s', (s) => void (s.downRequested = true));
    await running;
    await engine.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const svc = async () => (await findService('s'))!;
  return {
    engine,
    dir,
    svc,
    ticks: () => ticks,
    endpoint: async () => (await until('endpoint', async () => (await svc()).endpoint))!,
    writeTask,
    addVersion: async (file, mode) => {
      await patchService('s', (s) => void s.versions.push({ version: s.versions.length + 1, taskFile: file, mode, createdAt: Date.now() }));
    },
  };
}

const probe = `readiness_probe:
  path: /
  initial_delay_seconds: 30
  endpoint_probe_interval_seconds: 0.05`;

test('replicas are clusters <service>-<id> with owner and SKYPILOT_SERVE_REPLICA_ID; down removes everything', async (t) => {
  const c = await startService(t, `${probe}\nreplicas: 2`);
  await until('2 READY', async () => (await c.svc()).replicas.filter((r) => r.status === 'READY').length === 2);
  assert.deepEqual(
    c.engine.launches.map((l) => [l.clusterName, l.internalEnvs.SKYPILOT_SERVE_REPLICA_ID]),
    [
      ['s-1', '1'],
      ['s-2', '2'],
    ],
  );
  assert.equal(c.engine.clusters.get('s-1')!.record.owner, 'service:s');
  assert.equal((await c.svc()).status, 'READY');
  assert.equal((await request(`${await c.endpoint()}/`)).status, 200);
  await patchService('s', (s) => void (s.downRequested = true));
  await until('service removed', async () => !(await findService('s')));
  assert.equal(c.engine.clusters.size, 0);
});

test('a preempted replica is replaced', async (t) => {
  const c = await startService(t, `${probe}\nreplicas: 1`);
  await until('READY', async () => (await c.svc()).replicas[0]?.status === 'READY');
  await c.engine.preempt('s-1');
  await until('replacement READY', async () => (await c.svc()).replicas.some((r) => r.id === 2 && r.status === 'READY'));
  assert.equal(
    (await c.svc()).replicas.some((r) => r.id === 1),
    false,
    'preempted replicas leave the table',
  );
});

test('a version that fails before ever being ready stops launching (crash loop)', async (t) => {
  const c = await startService(t, `${probe}\nreplicas: 1`, '', false);
  await until('STARTING', async () => (await c.svc()).replicas[0]?.status === 'STARTING');
  await c.engine.crash('s-1');
  await until('FAILED', async () => (await c.svc()).replicas[0]?.status === 'FAILED');
  const after = c.ticks();
  await until('5 more controller ticks', () => c.ticks() >= after + 5); // nothing new may be launched meanwhile
  assert.equal(c.engine.launches.length, 1);
  assert.equal((await c.svc()).status, 'FAILED');
});

test('spot replicas with base and dynamic on-demand fallback', async (t) => {
  const c = await startService(
    t,
    `${probe}\nreplica_policy:\n  min_replicas: 2\n  max_replicas: 3\n  target_qps_per_replica: 100\n  base_ondemand_fallback_replicas: 1\n  dynamic_ondemand_fallback: true`,
    '  use_spot: true\n',
  );
  // 2 wanted: 1 spot + 1 base on-demand, and 1 dynamic on-demand while the spot one is not ready.
  await until('3 launches', () => c.engine.launches.length >= 3);
  const kinds = c.engine.launches.map((l) => l.useSpot).sort();
  assert.deepEqual(kinds, [false, false, true]);
  // Once the spot replica is ready the dynamic on-demand one is scaled down.
  await until(
    '2 replicas left',
    async () => (await c.svc()).replicas.filter((r) => r.status === 'READY').length === 2 && (await c.svc()).replicas.length === 2,
  );
  assert.deepEqual((await c.svc()).replicas.map((r) => r.useSpot).sort(), [false, true]);
});

test('blue-green update: traffic switches only when the new version is ready, then old replicas go', async (t) => {
  const c = await startService(t, `${probe}\nreplicas: 1`);
  await until('v1 READY', async () => (await c.svc()).replicas[0]?.status === 'READY');
  const ep = await c.endpoint();
  c.engine.healthyOnLaunch = false;
  await c.addVersion(c.writeTask('2', `${probe}\nreplicas: 1`), 'blue_green');
  await until('v2 replica STARTING', async () => (await c.svc()).replicas.some((r) => r.version === 2 && r.status === 'STARTING'));
  for (let i = 0; i < 5; i++) assert.equal(JSON.parse((await request(`${ep}/`)).body).v, '1');
  c.engine.clusters.get('s-2')!.healthy = true;
  await until('only v2 left', async () => {
    const rs = (await c.svc()).replicas;
    return rs.length === 1 && rs[0].version === 2 && rs[0].status === 'READY';
  });
  for (let i = 0; i < 5; i++) assert.equal(JSON.parse((await request(`${ep}/`)).body).v, '2');
});

test('an update that only changes the service section relabels replicas instead of relaunching', async (t) => {
  const c = await startService(t, `${probe}\nreplicas: 1`);
  await until('READY', async () => (await c.svc()).replicas[0]?.status === 'READY');
  await c.addVersion(c.writeTask('1', `${probe}\nreplicas: 2`), 'rolling');
  await until('2 READY at version 2', async () => {
    const rs = (await c.svc()).replicas;
    return rs.length === 2 && rs.every((r) => r.version === 2 && r.status === 'READY');
  });
  assert.equal(c.engine.launches.length, 2);
});

test('tls: the endpoint is https with the given key and certificate', async (t) => {
  const keyDir = fs.mkdtempSync(path.join(os.tmpdir(), 'serve-tls-'));
  t.after(() => fs.rmSync(keyDir, { recursive: true, force: true }));
  const key = path.join(keyDir, 'key.pem');
  const cert = path.join(keyDir, 'cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost'], {
    stdio: 'ignore',
  });
  const c = await startService(t, `${probe}\nreplicas: 1\ntls:\n  keyfile: ${key}\n  certfile: ${cert}`);
  const ep = await c.endpoint();
  assert.match(ep, /^https:\/\/127\.0\.0\.1:\d+$/);
  await until('READY', async () => (await c.svc()).replicas[0]?.status === 'READY');
  const status = await new Promise<number>((resolve, reject) => {
    https
      .get(`${ep}/`, { rejectUnauthorized: false, agent: false }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      })
      .on('error', reject);
  });
  assert.equal(status, 200);
});
