/**
 * A flood of idle connections from one client address against a load balancer whose
 * process may open 1,024 files (a common default): the other clients' requests all
 * succeed and the process can still open files (the controller reads its state).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import * as net from 'node:net';
import { connectionLimits, openFileLimit, PerClientCounter } from '../../../engine/serve/lb/connectionLimits';
import { startLbChild } from './lbChildHelpers';
import { startUpstream } from './helpers';

/** Opens `n` idle connections from 127.0.0.1; resolves once each connected or was refused (or after a hang-detecting deadline). */
async function flood(t: { after: (fn: () => Promise<void> | void) => void }, url: string, n: number): Promise<net.Socket[]> {
  const { port } = new URL(url);
  const sockets: net.Socket[] = [];
  t.after(() => {
    for (const s of sockets) s.destroy();
  });
  const settled = Array.from({ length: n }, () => {
    const s = net.connect({ host: '127.0.0.1', port: Number(port) });
    sockets.push(s);
    return new Promise<void>((resolve) => {
      s.once('connect', () => resolve());
      s.once('close', () => resolve());
      s.on('error', () => undefined);
    });
  });
  // Connections a saturated server never accepts stay in SYN retry: do not wait for them forever.
  await Promise.race([Promise.all(settled), new Promise((r) => setTimeout(r, 30_000).unref())]);
  return sockets;
}

function getFrom(localAddress: string, url: string): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get(url, { agent: false, localAddress, timeout: 10_000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', () => resolve(-1));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve(-1));
  });
}

test("1,000 idle connections from one client fail none of another client's requests; the process can still open files", { timeout: 180_000 }, async (t) => {
  // The test process holds the flood's client ends itself.
  const n = Math.min(1000, openFileLimit() - 200);
  const up = await startUpstream('r');
  t.after(() => up.close());
  const lb = await startLbChild(t, [up.url], { fdLimit: 1024 });
  await flood(t, lb.url, n);
  const statuses: number[] = [];
  for (let round = 0; round < 10; round++) {
    statuses.push(...(await Promise.all(Array.from({ length: 5 }, () => getFrom('127.0.0.2', `${lb.url}/`)))));
  }
  const failed = statuses.filter((s) => s !== 200).length;
  assert.equal(
    failed,
    0,
    `${failed} of ${statuses.length} requests from 127.0.0.2 failed (${[...new Set(statuses)].join(', ')}); load balancer stderr:\n${lb.stderr().slice(-2000)}`,
  );
  assert.equal(await lb.read(), 'ok', 'the load balancer process could not open a file during the flood');
  assert.equal(lb.exited(), undefined);
});

test('limits follow the file limit: a reserve for the controller, half for clients, a quarter of that per client', () => {
  assert.deepEqual(connectionLimits(1024), { total: 384, perClient: 96 });
  assert.deepEqual(connectionLimits(65536), { total: 32640, perClient: 8160 });
  assert.deepEqual(connectionLimits(100), { total: 32, perClient: 8 });
  assert.deepEqual(connectionLimits(1024, { perClient: 1000 }), { total: 384, perClient: 384 });
});

test('PerClientCounter refuses the connection over the limit and admits again after a release', () => {
  const c = new PerClientCounter(2);
  assert.equal(c.admit('a'), true);
  assert.equal(c.admit('a'), true);
  assert.equal(c.admit('a'), false);
  assert.equal(c.admit('b'), true);
  c.release('a');
  assert.equal(c.admit('a'), true);
  assert.equal(c.count('a'), 2);
});
