/**
 * The controller's endpoint across restarts: bound where it is advertised, the same port
 * after a restart (never silently another one), a first start that fails is recorded, a
 * second controller for the same service steps aside; the task snapshot is 0600.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { ServiceController } from '../../../engine/serve/controller';
import { serveUpdate } from '../../../engine/serve/service';
import { findService, patchService, servicesTable } from '../../../engine/serve/state';
import type { ServiceRecord } from '../../../engine/serve/types';
import { identify } from '../../../engine/util/detached';
import { FakeClusterEngine } from '../../helpers/fakes/clusterEngine';
import { request } from './helpers';
import { until as waitUntil } from '../../helpers/until';

function until<T>(what: string, check: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 15_000): Promise<T> {
  return waitUntil(what, check, { timeoutMs, everyMs: 30 }) as Promise<T>;
}

/** Stops the controllers a test started; run by setup's cleanup before it removes the home. */
const stopControllers: (() => Promise<void>)[] = [];

/** A service record (one version, one replica wanted) in a fresh SKYDECK_HOME; `extra` is merged into the record. */
async function setup(t: { after: (fn: () => Promise<void> | void) => void }, extra: Partial<ServiceRecord> = {}, serviceYaml = 'replicas: 1') {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'serve-ep-'));
  process.env.SKYDECK_HOME = path.join(dir, 'home');
  delete process.env.SKYDECK_SERVE_LB_HOST;
  const port = 21000 + Math.floor(Math.random() * 8000);
  const engine = new FakeClusterEngine({ serveHttp: { port } });
  const task = path.join(dir, 'task.yaml');
  const svc = ['readiness_probe:', '  path: /', '  endpoint_probe_interval_seconds: 0.05', ...serviceYaml.split('\n')].map((l) => `  ${l}`).join('\n');
  fs.writeFileSync(task, `name: s\nservice:\n${svc}\nresources:\n  infra: local\n  ports: ${port}\nrun: serve\n`);
  await servicesTable().update((s) => {
    s.services.s = {
      name: 's',
      status: 'CONTROLLER_INIT',
      createdAt: Date.now(),
      versions: [{ version: 1, taskFile: task, mode: 'rolling', createdAt: Date.now() }],
      replicas: [],
      nextReplicaId: 1,
      ...extra,
    };
  });
  t.after(async () => {
    // Controllers stop first: they hold the store's locks, which live under the home removed below.
    for (const stop of stopControllers.splice(0)) await stop();
    await engine.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return { engine, dir, task };
}

function runController(
  _t: { after: (fn: () => Promise<void> | void) => void },
  engine: FakeClusterEngine,
  opts: Partial<ConstructorParameters<typeof ServiceController>[1]> = {},
) {
  const logs: string[] = [];
  const lbBase = 31000 + Math.floor(Math.random() * 3000);
  const controller = new ServiceController('s', { engine, tickMs: 40, lbPorts: [lbBase, lbBase + 50], log: (l) => logs.push(l), ...opts });
  const running = controller.run();
  stopControllers.push(async () => {
    await patchService('s', (s) => void (s.downRequested = true));
    await running;
  });
  return { logs, running };
}

function listen(server: net.Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve((server.address() as net.AddressInfo).port));
  });
}

/** True when something accepts a TCP connection at host:port. */
function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

test('by default the load balancer listens on 127.0.0.1, the address its endpoint advertises, and not on other addresses', async (t) => {
  const { engine } = await setup(t);
  runController(t, engine);
  const endpoint = await until('endpoint', async () => (await findService('s'))?.endpoint);
  const url = new URL(endpoint);
  assert.equal(url.hostname, '127.0.0.1');
  assert.equal(await accepts('127.0.0.1', Number(url.port)), true);
  // Another local address reaches a 0.0.0.0 listener but not a 127.0.0.1 one.
  assert.equal(await accepts('127.0.0.2', Number(url.port)), false, 'the load balancer also listens beyond the advertised address');
});

test('a restarted controller keeps its recorded port: while another process holds it, the record and the log say so; once freed, it binds that port', async (t) => {
  const blocker = http.createServer((_q, r) => r.end('blocker'));
  const port = await listen(blocker, 0, '127.0.0.1');
  t.after(() => new Promise<void>((r) => blocker.close(() => r())));
  const endpoint = `http://127.0.0.1:${port}`;
  const { engine } = await setup(t, { lbPort: port, endpoint, status: 'READY' });
  const { logs } = runController(t, engine, { lbHost: '127.0.0.1', lbRetryMs: 100 });
  const rec = await until('lbError recorded', async () => ((await findService('s'))?.lbError ? findService('s') : undefined));
  assert.equal(rec!.endpoint, endpoint, 'the endpoint moved to another port');
  assert.match(rec!.lbError!, new RegExp(`port ${port} is in use by another process`));
  assert.ok(
    logs.some((l) => l.includes(`cannot listen on 127.0.0.1:${port}`)),
    logs.join('\n'),
  );
  await new Promise<void>((r) => {
    blocker.closeAllConnections();
    blocker.close(() => r());
  });
  await until('lbError cleared', async () => (await findService('s'))?.lbError === undefined);
  assert.equal((await findService('s'))!.endpoint, endpoint);
  // The load balancer answers there now (a replica's 200, or its own 503 while none is ready).
  const r = await until('load balancer answers', async () => {
    const reply = await request(`${endpoint}/`).catch(() => undefined);
    return reply && reply.body !== 'blocker' ? reply : undefined;
  });
  assert.ok(r.status === 200 || /No ready replicas/.test(r.body), `${r.status} ${r.body}`);
});

test('a first start that fails is recorded for serve up and ends normally (the supervisor does not retry it)', async (t) => {
  const { engine } = await setup(t, {}, 'replicas: 1\ntls:\n  keyfile: /nonexistent/key.pem\n  certfile: /nonexistent/cert.pem');
  const { running } = runController(t, engine);
  await running;
  assert.match((await findService('s'))!.startError ?? '', /nonexistent/);
});

test('a controller started while another runs the service steps aside', async (t) => {
  const { engine } = await setup(t, { controller: identify(process.ppid) });
  const { logs, running } = runController(t, engine);
  await running;
  assert.ok(
    logs.some((l) => l.includes('another controller')),
    logs.join('\n'),
  );
  assert.equal((await findService('s'))!.endpoint, undefined);
});

test('the task snapshot a service keeps is 0600 in a 0700 folder, whatever the source mode and umask', async (t) => {
  const { task } = await setup(t, { controller: identify(process.pid) });
  fs.chmodSync(task, 0o644);
  const old = process.umask(0o022);
  t.after(() => void process.umask(old));
  const version = await serveUpdate('s', task);
  const file = (await findService('s'))!.versions.find((v) => v.version === version)!.taskFile;
  assert.equal(fs.statSync(file).mode & 0o777, 0o600);
  assert.equal(fs.statSync(path.dirname(file)).mode & 0o777, 0o700);
});
