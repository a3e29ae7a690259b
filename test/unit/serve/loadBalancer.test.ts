import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import * as https from 'node:https';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import type * as net from 'node:net';
import { LoadBalancer } from '../../../engine/serve/lb/loadBalancer';
import { RateWindow } from '../../../engine/serve/rate';
import { closedPort, request, startUpstream } from './helpers';

async function startLb(t: { after: (fn: () => Promise<void> | void) => void }, opts: Partial<ConstructorParameters<typeof LoadBalancer>[0]> = {}) {
  const lb = new LoadBalancer({ serviceName: 'svc', policy: 'round_robin', host: '127.0.0.1', port: 0, ...opts });
  const port = await lb.listen();
  t.after(() => lb.close());
  return { lb, url: `http://127.0.0.1:${port}` };
}

test('answers 503 with a clear body when no replica is ready, and counts the request', async (t) => {
  const requests = new RateWindow(60);
  const { url } = await startLb(t, { requests });
  const r = await request(`${url}/x`);
  assert.equal(r.status, 503);
  assert.match(r.body, /No ready replicas\. Use "skydeck serve status svc"/);
  assert.equal(requests.total(Date.now()), 1);
});

test('proxies methods, paths and bodies; round_robin spreads over replicas', async (t) => {
  const a = await startUpstream('a');
  const b = await startUpstream('b');
  t.after(() => a.close());
  t.after(() => b.close());
  const { lb, url } = await startLb(t);
  lb.setReplicas([
    { id: 1, url: a.url },
    { id: 2, url: b.url },
  ]);
  const post = await request(`${url}/echo?q=1`, { method: 'POST', body: 'hello', headers: { 'content-type': 'text/plain' } });
  assert.equal(post.status, 200);
  const echoed = JSON.parse(post.body);
  assert.deepEqual({ method: echoed.method, url: echoed.url, body: echoed.body }, { method: 'POST', url: '/echo?q=1', body: 'hello' });
  for (let i = 0; i < 9; i++) await request(`${url}/`);
  assert.equal(a.hits + b.hits, 10);
  assert.equal(a.hits, 5);
  assert.deepEqual(
    lb
      .stats()
      .map((s) => s.total)
      .sort(),
    [5, 5],
  );
});

test('retries a request on another replica when one fails before answering', async (t) => {
  const good = await startUpstream('good');
  t.after(() => good.close());
  const deadPort = await closedPort();
  const logs: string[] = [];
  const { lb, url } = await startLb(t, { log: (l) => logs.push(l) });
  lb.setReplicas([
    { id: 1, url: `http://127.0.0.1:${deadPort}` },
    { id: 2, url: good.url },
  ]);
  for (let i = 0; i < 6; i++) {
    const r = await request(`${url}/p`, { method: 'PUT', body: `body-${i}` });
    assert.equal(r.status, 200);
    assert.equal(JSON.parse(r.body).body, `body-${i}`);
  }
  assert.equal(good.hits, 6);
  assert.ok(lb.stats().find((s) => s.id === 1)!.failures >= 1);
  assert.ok(logs.some((l) => l.startsWith('retry PUT /p')));
});

test('gives up with 502 after max attempts when every replica fails', async (t) => {
  const { lb, url } = await startLb(t);
  lb.setReplicas([{ id: 1, url: `http://127.0.0.1:${await closedPort()}` }]);
  const r = await request(`${url}/`);
  assert.equal(r.status, 502);
  assert.match(r.body, /Max retries 3 exceeded/);
});

test('streams responses through without buffering', async (t) => {
  let finish: (() => void) | undefined;
  const up = await startUpstream('s', (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write('data: first\n\n');
    finish = () => res.end('data: last\n\n');
  });
  t.after(() => up.close());
  const { lb, url } = await startLb(t);
  lb.setReplicas([{ id: 1, url: up.url }]);
  const body = await new Promise<string>((resolve, reject) => {
    http
      .get(`${url}/stream`, { agent: false }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => {
          text += c.toString();
          // The first event arrives while the replica is still holding the response open.
          if (text === 'data: first\n\n') finish!();
        });
        res.on('end', () => resolve(text));
      })
      .on('error', reject);
  });
  assert.equal(body, 'data: first\n\ndata: last\n\n');
});

test('least_load sends the next request to the replica with fewer in-flight requests', async (t) => {
  const held: http.ServerResponse[] = [];
  let arrived: (() => void) | undefined;
  const slow = await startUpstream('slow', (_req, res) => {
    held.push(res);
    arrived?.();
  });
  const fast = await startUpstream('fast');
  t.after(() => fast.close());
  t.after(() => slow.close());
  const { lb, url } = await startLb(t, { policy: 'least_load' });
  lb.setReplicas([
    { id: 1, url: slow.url },
    { id: 2, url: fast.url },
  ]);
  // Occupy whichever replica the first request lands on until it is the slow one.
  const pending: Promise<unknown>[] = [];
  while (slow.hits === 0) {
    const wait = new Promise<void>((r) => (arrived = r));
    const p = request(`${url}/`);
    pending.push(p);
    await Promise.race([wait, p]);
  }
  assert.equal(lb.inflight(1), 1);
  for (let i = 0; i < 4; i++) assert.equal(JSON.parse((await request(`${url}/`)).body).name, 'fast');
  for (const r of held) r.end('{"name":"slow"}');
  await Promise.all(pending);
  assert.equal(lb.inflight(1), 0);
});

test('a replica dropped from the ready set finishes its in-flight request (drain)', async (t) => {
  let release: (() => void) | undefined;
  let arrived: (() => void) | undefined;
  const up = await startUpstream('d', (_req, res) => {
    release = () => res.end('done');
    arrived?.();
  });
  t.after(() => up.close());
  const { lb, url } = await startLb(t);
  lb.setReplicas([{ id: 7, url: up.url }]);
  const got = new Promise<void>((r) => (arrived = r));
  const p = request(`${url}/`);
  await got;
  lb.setReplicas([]);
  assert.equal(lb.inflight(7), 1);
  assert.equal((await request(`${url}/`)).status, 503);
  release!();
  assert.equal((await p).body, 'done');
  assert.equal(lb.inflight(7), 0);
});

test('tunnels WebSocket upgrades to the replica', async (t) => {
  const up = await startUpstream('ws');
  up.server.on('upgrade', (req: http.IncomingMessage, socket: net.Socket) => {
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nX-Path: ${req.url}\r\n\r\n`);
    socket.on('data', (d: Buffer) => socket.write(`echo:${d.toString()}`));
    socket.on('end', () => socket.end());
  });
  t.after(() => up.close());
  const { lb, url } = await startLb(t);
  lb.setReplicas([{ id: 1, url: up.url }]);
  const reply = await new Promise<{ status: number; path: string; echo: string }>((resolve, reject) => {
    const req = http.request(`${url}/ws`, { agent: false, headers: { Connection: 'Upgrade', Upgrade: 'websocket' } });
    req.on('upgrade', (res: http.IncomingMessage, socket: net.Socket) => {
      socket.write('ping');
      socket.once('data', (d: Buffer) => {
        resolve({ status: res.statusCode ?? 0, path: String(res.headers['x-path']), echo: d.toString() });
        socket.destroy();
      });
    });
    req.on('error', reject);
    req.end();
  });
  assert.deepEqual(reply, { status: 101, path: '/ws', echo: 'echo:ping' });
});

test('serves HTTPS when TLS is configured', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lb-tls-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const key = path.join(dir, 'key.pem');
  const cert = path.join(dir, 'cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost'], {
    stdio: 'ignore',
  });
  const up = await startUpstream('tls');
  t.after(() => up.close());
  const lb = new LoadBalancer({
    serviceName: 'svc',
    policy: 'least_load',
    host: '127.0.0.1',
    port: 0,
    tls: { key: fs.readFileSync(key), cert: fs.readFileSync(cert) },
  });
  const port = await lb.listen();
  t.after(() => lb.close());
  lb.setReplicas([{ id: 1, url: up.url }]);
  const body = await new Promise<string>((resolve, reject) => {
    https
      .get(`https://127.0.0.1:${port}/secure`, { rejectUnauthorized: false, agent: false }, (res) => {
        let s = '';
        res.on('data', (c: Buffer) => (s += c.toString()));
        res.on('end', () => resolve(s));
      })
      .on('error', reject);
  });
  assert.equal(JSON.parse(body).url, '/secure');
});
