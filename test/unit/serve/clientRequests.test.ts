/** The load balancer's own HTTP/1.1 server side, spoken to byte for byte. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as net from 'node:net';
import { LoadBalancer } from '../../../engine/serve/lb/loadBalancer';
import { RateWindow } from '../../../engine/serve/rate';
import { startUpstream } from './helpers';

type T = { after: (fn: () => Promise<void> | void) => void };

async function lbWithReplica(t: T, handler?: Parameters<typeof startUpstream>[1]) {
  const up = await startUpstream('r', handler);
  t.after(() => up.close());
  const requests = new RateWindow(60);
  const lb = new LoadBalancer({ serviceName: 's', policy: 'round_robin', host: '127.0.0.1', port: 0, requests });
  const port = await lb.listen();
  t.after(() => lb.close());
  lb.setReplicas([{ id: 1, url: up.url }]);
  return { port, up, requests };
}

/** Sends `pieces` (one write each, in order) and reads until `until` holds for what came back, or the socket closes. */
function exchange(port: number, pieces: string[], until: (text: string) => boolean = () => false): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    let text = '';
    let done = false;
    const finish = (closed: boolean) => {
      if (done) return;
      done = true;
      s.destroy();
      resolve({ text, closed });
    };
    s.on('data', (d) => {
      text += d.toString('latin1');
      if (until(text)) finish(false);
    });
    s.on('close', () => finish(true));
    s.on('error', reject);
    s.on('connect', async () => {
      for (const p of pieces) {
        s.write(p, 'latin1');
        await new Promise((r) => setImmediate(r));
      }
    });
  });
}

const count = (text: string, what: string) => text.split(what).length - 1;

test('pipelined requests on one connection are answered in order, each counted', async (t) => {
  const { port, up, requests } = await lbWithReplica(t);
  const reqs = ['/a', '/b', '/c'].map((p) => `GET ${p} HTTP/1.1\r\nHost: x\r\n\r\n`).join('');
  const { text } = await exchange(port, [reqs], (s) => count(s, '"url":') === 3);
  assert.deepEqual(
    [...text.matchAll(/"url":"([^"]+)"/g)].map((m) => m[1]),
    ['/a', '/b', '/c'],
  );
  assert.equal(up.hits, 3);
  assert.equal(requests.total(Date.now()), 3);
});

test('a body split over many writes, and the next request in the same write as its end', async (t) => {
  const { port } = await lbWithReplica(t);
  const { text } = await exchange(
    port,
    ['POST /p HTTP/1.1\r\nHost: x\r\nContent-Len', 'gth: 11\r\n\r\nhello', ' wo', 'rldGET /next HTTP/1.1\r\nHost: x\r\n\r\n'],
    (s) => count(s, '"url":') === 2,
  );
  assert.match(text, /"url":"\/p","body":"hello world"/);
  assert.match(text, /"url":"\/next","body":""/);
});

test('HTTP/1.0: closed after the answer unless it asks for keep-alive; a chunked answer ends with the connection', async (t) => {
  const { port } = await lbWithReplica(t, (req, res) => {
    res.write(`to ${req.url} `); // no length: chunked on the replica's side
    res.end('done');
  });
  const plain = await exchange(port, ['GET /one HTTP/1.0\r\n\r\n']);
  assert.equal(plain.closed, true);
  assert.match(plain.text, /^HTTP\/1\.1 200 OK\r\n/);
  assert.match(plain.text, /connection: close\r\n/i);
  assert.doesNotMatch(plain.text, /transfer-encoding/i);
  assert.ok(plain.text.endsWith('\r\n\r\nto /one done'));
  // An HTTP/1.1 client gets the same answer chunked, and keeps its connection.
  const v11 = await exchange(port, ['GET /two HTTP/1.1\r\nHost: x\r\n\r\n'], (s) => s.endsWith('0\r\n\r\n'));
  assert.equal(v11.closed, false);
  assert.match(v11.text, /transfer-encoding: chunked\r\n/i);
});

test('HTTP/1.0 with keep-alive and a known length keeps the connection', async (t) => {
  const { port } = await lbWithReplica(t);
  const r = await exchange(port, ['GET /k HTTP/1.0\r\nConnection: keep-alive\r\n\r\n'], (s) => s.includes('"url":"/k"'));
  assert.equal(r.closed, false);
  assert.match(r.text, /connection: keep-alive\r\n/i);
});

test('Expect: 100-continue gets a 100 before the body is sent', async (t) => {
  const { port } = await lbWithReplica(t);
  const r = await exchange(port, ['PUT /e HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n', 'ok'], (s) => s.includes('"body":"ok"'));
  assert.match(r.text, /^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 OK\r\n/);
  assert.equal(count(r.text, '100 Continue'), 1, 'the replica is not asked to answer it again');
});

test('hop-by-hop headers stop at the load balancer; the others reach the replica', async (t) => {
  let seen: Record<string, unknown> = {};
  const { port } = await lbWithReplica(t, (req, res) => {
    seen = req.headers;
    res.end('x');
  });
  await exchange(port, ['GET / HTTP/1.1\r\nHost: h\r\nTE: trailers\r\nProxy-Authorization: secret\r\nX-Keep: 1\r\n\r\n'], (s) => s.endsWith('x'));
  assert.equal(seen['x-keep'], '1');
  assert.equal(seen.host, 'h');
  assert.equal(seen.te, undefined);
  assert.equal(seen['proxy-authorization'], undefined);
});

test('requests that cannot be passed on safely are refused (400/431/501) and the connection closed; the replica never sees them', async (t) => {
  const { port, up } = await lbWithReplica(t);
  const bad: [string, number][] = [
    ['GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n', 400],
    ['POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd', 400],
    ['POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n', 400],
    ['POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n', 400],
    ['GET / HTTP/1.1\r\nHost: x\nX-A: 1\r\n\r\n', 400],
    ['GET / HTTP/1.1\r\nHost: x\r\n Folded: 1\r\n\r\n', 400],
    ['GET / HTTP/1.1\r\nBad Name: 1\r\nHost: x\r\n\r\n', 400],
    ['GET / HTTP/1.1\r\n\r\n', 400],
    ['GET /a b HTTP/1.1\r\nHost: x\r\n\r\n', 400],
    ['GET / HTTP/2.0\r\nHost: x\r\n\r\n', 400],
    ['POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n', 400],
    [`GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, 431],
    ['CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n', 501],
  ];
  for (const [req, status] of bad) {
    const r = await exchange(port, [req]);
    assert.equal(r.closed, true, JSON.stringify(req.slice(0, 60)));
    assert.match(r.text, new RegExp(`^HTTP/1\\.1 ${status} `), JSON.stringify(req.slice(0, 60)));
  }
  assert.equal(up.hits, 0);
  // And the load balancer still serves.
  const ok = await exchange(port, ['GET /fine HTTP/1.1\r\nHost: x\r\n\r\n'], (s) => s.includes('"url":"/fine"'));
  assert.match(ok.text, /^HTTP\/1\.1 200 /);
});

test('an answer before the whole body was sent closes the connection after it (the rest cannot be told from a next request)', async (t) => {
  const { port } = await lbWithReplica(t, (_req, res) => {
    res.writeHead(413, { 'content-length': 4 });
    res.end('big!');
  });
  const r = await exchange(port, ['POST /u HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\nstart']);
  assert.equal(r.closed, true);
  assert.match(r.text, /^HTTP\/1\.1 413 /);
  assert.ok(r.text.endsWith('big!'));
});
