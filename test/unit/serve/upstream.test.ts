/** The load balancer's own HTTP/1.1 client, against replicas that answer in awkward ways. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import { LoadBalancer } from '../../../engine/serve/lb/loadBalancer';
import { request, startUpstream } from './helpers';

/** A replica that writes `reply` byte-exact (split into pieces with pauses), per request. */
async function rawReplica(t: { after: (fn: () => Promise<void> | void) => void }, reply: (head: string) => string[], opts: { closeAfter?: boolean } = {}) {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    let buf = '';
    s.on('data', async (d) => {
      buf += d.toString('latin1');
      while (buf.includes('\r\n\r\n')) {
        const end = buf.indexOf('\r\n\r\n');
        const head = buf.slice(0, end);
        const len = Number(/content-length: (\d+)/i.exec(head)?.[1] ?? 0);
        if (buf.length < end + 4 + len) return;
        buf = buf.slice(end + 4 + len);
        for (const piece of reply(head)) {
          s.write(piece, 'latin1');
          await new Promise((r) => setImmediate(r));
        }
        if (opts.closeAfter) s.end();
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  t.after(
    () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  );
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function lbFor(t: { after: (fn: () => Promise<void> | void) => void }, url: string) {
  const lb = new LoadBalancer({ serviceName: 's', policy: 'round_robin', host: '127.0.0.1', port: 0 });
  const port = await lb.listen();
  t.after(() => lb.close());
  lb.setReplicas([{ id: 1, url }]);
  return `http://127.0.0.1:${port}`;
}

test('chunked responses split at every awkward place, with trailers, are decoded; the connection is reused', async (t) => {
  const url = await rawReplica(t, () => [
    'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-A: 1\r\n',
    '\r\n5\r',
    '\nhel',
    'lo\r\n6;ext=1\r\n wor',
    'ld\r\n0\r\nX-Trailer: t\r\n',
    '\r\n',
  ]);
  const lb = await lbFor(t, url);
  for (let i = 0; i < 3; i++) {
    const r = await request(`${lb}/c`);
    assert.equal(r.status, 200);
    assert.equal(r.body, 'hello world');
    assert.equal(r.headers['x-a'], '1');
  }
});

test('HEAD, 204 and 304 have no body; 100 Continue is skipped', async (t) => {
  const url = await rawReplica(t, (head) => {
    if (head.startsWith('HEAD')) return ['HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n'];
    if (head.includes('/204')) return ['HTTP/1.1 204 No Content\r\n\r\n'];
    return ['HTTP/1.1 100 Continue\r\n\r\n', 'HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok'];
  });
  const lb = await lbFor(t, url);
  const h = await request(`${lb}/`, { method: 'HEAD' });
  assert.equal(h.status, 200);
  assert.equal(h.headers['content-length'], '1000');
  assert.equal((await request(`${lb}/204`)).status, 204);
  const c = await request(`${lb}/x`);
  assert.deepEqual([c.status, c.body], [201, 'ok']);
});

test('an HTTP/1.0 answer without length is read until the replica closes', async (t) => {
  const url = await rawReplica(t, () => ['HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n', 'part1 ', 'part2'], { closeAfter: true });
  const lb = await lbFor(t, url);
  for (let i = 0; i < 2; i++) assert.equal((await request(`${lb}/`)).body, 'part1 part2');
});

test('a keep-alive connection the replica closed is resent on a fresh one', async (t) => {
  // The race a keep-alive timeout makes, every time: the replica answers the first request on
  // a connection and drops the connection when a second one arrives on it, unanswered (as a
  // replica does that closed the idle socket while the request was on its way).
  let connections = 0;
  let dropped = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    connections++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    let requests = 0;
    let buf = '';
    s.on('data', (d) => {
      buf += d.toString('latin1');
      while (buf.includes('\r\n\r\n')) {
        buf = buf.slice(buf.indexOf('\r\n\r\n') + 4);
        if (++requests === 1) {
          s.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nok');
        } else {
          dropped++;
          s.destroy();
          return;
        }
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  t.after(
    () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  );
  const lb = new LoadBalancer({ serviceName: 's', policy: 'round_robin', host: '127.0.0.1', port: 0 });
  const port = await lb.listen();
  t.after(() => lb.close());
  lb.setReplicas([{ id: 1, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }]);
  for (let i = 0; i < 5; i++) assert.deepEqual(await request(`http://127.0.0.1:${port}/`).then((r) => [r.status, r.body]), [200, 'ok']);
  assert.equal(dropped, 4, 'every request after the first went out on a reused connection the replica dropped');
  assert.equal(connections, 5, 'each dropped request was resent on a fresh connection');
  // The stale-connection resend, not the ordinary retry: that one would count replica failures.
  assert.equal(lb.stats()[0].failures, 0, 'a stale keep-alive connection is not held against the replica');
});

test('chunked uploads and large streamed bodies pass through intact', async (t) => {
  const up = await startUpstream('big', (req, res) => {
    let n = 0;
    req.on('data', (c: Buffer) => (n += c.length));
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      const block = Buffer.alloc(64 * 1024, 120);
      for (let i = 0; i < 64; i++) res.write(block);
      res.end(`|${n}`);
    });
  });
  t.after(() => up.close());
  const lb = await lbFor(t, up.url);
  const body = await new Promise<string>((resolve, reject) => {
    const req = http.request(`${lb}/up`, { method: 'POST', agent: false }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => resolve(Buffer.concat(parts).toString('latin1')));
    });
    req.on('error', reject);
    for (let i = 0; i < 10; i++) req.write(Buffer.alloc(10_000, 97)); // no content-length: chunked
    req.end();
  });
  assert.equal(body.length, 64 * 64 * 1024 + '|100000'.length);
  assert.ok(body.endsWith('|100000'));
});

test('a replica that stays silent is cut after stream_timeout_seconds; the client gets a 502 that says so', async (t) => {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.resume(); // reads the request, never answers
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  t.after(
    () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  );
  const lb = new LoadBalancer({ serviceName: 's', policy: 'round_robin', host: '127.0.0.1', port: 0, streamTimeoutSeconds: 0.2 });
  const port = await lb.listen();
  t.after(() => lb.close());
  lb.setReplicas([{ id: 1, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }]);
  const r = await request(`http://127.0.0.1:${port}/slow`);
  assert.equal(r.status, 502);
  assert.match(r.body, /no data for 0\.2s \(load_balancer\.stream_timeout_seconds\)/);
});
