/**
 * Replicas that answer with malformed heads or framing: the load balancer answers that
 * request 502, keeps serving the next ones, and its process stays up (it runs in a child
 * process here, so a crash is an exit to observe, not a dead test runner).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import { malformedHead } from '../../../engine/serve/lb/upstream';
import { startLbChild } from './lbChildHelpers';
import { MALFORMED } from './malformedKinds';

const GOOD = 'HTTP/1.1 200 OK\r\nContent-Length: 4\r\nX-Ok: yes\r\n\r\ngood';

/** A raw TCP replica: GET /bad/<index> gets MALFORMED's reply of that index, anything else GOOD (keep-alive). */
async function rawReplica(t: { after: (fn: () => Promise<void> | void) => void }): Promise<string> {
  const kinds = Object.values(MALFORMED);
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => s.destroy());
    let buf = '';
    s.on('data', (d) => {
      buf += d.toString('latin1');
      for (let end = buf.indexOf('\r\n\r\n'); end >= 0; end = buf.indexOf('\r\n\r\n')) {
        const path = buf.slice(0, end).split(' ')[1] ?? '/';
        buf = buf.slice(end + 4);
        const m = /^\/bad\/(\d+)$/.exec(path);
        s.write(m ? kinds[Number(m[1])] : GOOD, 'latin1');
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

/** GET with a hang detector: a client left waiting is a failure too (status -1). */
function get(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const req = http.get(url, { agent: false, timeout: 20_000 }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', (e) => resolve({ status: -1, body: e.message }));
    });
    req.on('timeout', () => req.destroy(new Error('no answer within 20 s')));
    req.on('error', (e) => resolve({ status: -1, body: e.message }));
  });
}

test('each malformed replica reply fails only its own request (502); the next request succeeds; the process stays up', async (t) => {
  const replica = await rawReplica(t);
  const lb = await startLbChild(t, [replica]);
  assert.equal((await get(`${lb.url}/good`)).status, 200);
  for (const [i, kind] of Object.keys(MALFORMED).entries()) {
    const bad = await get(`${lb.url}/bad/${i}`);
    assert.equal(bad.status, 502, `${kind}: got ${bad.status} ${bad.body}; load balancer stderr:\n${lb.stderr()}`);
    assert.match(bad.body, /malformed response from replica/, kind);
    const good = await get(`${lb.url}/good`);
    assert.deepEqual([good.status, good.body], [200, 'good'], `${kind}: the next request; load balancer exit: ${lb.exited()}\n${lb.stderr()}`);
    assert.equal(lb.exited(), undefined, `${kind}: the load balancer process exited`);
  }
});

test('malformedHead accepts well-formed heads and a CR that may still be followed by its LF', () => {
  assert.equal(malformedHead('HTTP/1.1 200 OK\r\nX-A: tab\there \xe9'), undefined);
  assert.match(malformedHead('HTTP/1.1 200 OK\nX: 1') ?? '', /bare LF/);
  assert.match(malformedHead('HTTP/1.1 200 OK\rX: 1') ?? '', /bare CR/);
  assert.match(malformedHead('HTTP/1.1 200 OK\r\nX: \x7f') ?? '', /0x7f/);
});
