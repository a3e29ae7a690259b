/** The fake cluster engine the controller tests run on behaves as the engine where they depend on it. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { FakeClusterEngine } from '../../helpers/fakes/clusterEngine';
import { fakeTask } from '../../helpers/fakes/task';
import { closedPort, request } from '../serve/helpers';

test('a finished run: lines streamed in order, SkyPilot status and exit code; queue newest first', async (t) => {
  const engine = new FakeClusterEngine({ script: (_t, _e, i) => ({ lines: [`run ${i}`, 'done'], exitCode: i === 0 ? 0 : 3 }) });
  t.after(() => engine.close());
  const first = await engine.launch(fakeTask(), { clusterName: 'c' });
  let out = '';
  assert.equal(await engine.tailLogs('c', first.jobId, { follow: true, onData: (d) => (out += d) }), 'SUCCEEDED');
  assert.equal(out, 'run 0\ndone\n');
  // Launching onto the UP cluster submits another job there.
  const second = await engine.launch(fakeTask(), { clusterName: 'c' });
  assert.equal(second.jobId, 2);
  assert.equal(await engine.tailLogs('c', undefined, { follow: true, onData: () => undefined }), 'FAILED');
  const jobs = await engine.queue('c');
  assert.deepEqual(
    jobs.map((j) => [j.id, j.status, j.exitCode]),
    [
      [2, 'FAILED', 3],
      [1, 'SUCCEEDED', 0],
    ],
  );
  assert.deepEqual(await engine.queue('c', { skipFinished: true }), []);
});

test('launches avoid full and blocked regions, keep to a pinned one, and fail with ResourcesUnavailableError when none fits', async (t) => {
  const engine = new FakeClusterEngine();
  t.after(() => engine.close());
  engine.full.add('r1');
  const a = await engine.launch(fakeTask(), { clusterName: 'a', blocked: ['fake/r2'] });
  assert.equal(a.cluster.resources.region, 'r3');
  const pinned = fakeTask({ resources: { base: { useSpot: false, infra: { cloud: 'fake', region: 'r2' } }, candidates: [], mode: 'single' } });
  const b = await engine.launch(pinned, { clusterName: 'b' });
  assert.equal(b.cluster.resources.region, 'r2');
  assert.equal(b.cluster.resources.useSpot, false);
  await assert.rejects(engine.launch(pinned, { clusterName: 'c', blocked: ['fake/r2'] }), { code: 'RESOURCES_UNAVAILABLE' });
  assert.deepEqual(
    engine.launches.map((l) => [l.clusterName, l.region, l.pinnedRegion, l.error]),
    [
      ['a', 'r3', undefined, undefined],
      ['b', 'r2', 'r2', undefined],
      ['c', undefined, 'r2', 'no resources'],
    ],
  );
  assert.deepEqual(
    (await engine.status()).map((r) => r.name),
    ['a', 'b'],
  );
});

test('serveHttp: a run until stopped answers on its own loopback address by the healthy flag; crash fails it and closes it, the cluster stays UP', async (t) => {
  const port = await closedPort();
  const engine = new FakeClusterEngine({ serveHttp: { port } });
  t.after(() => engine.close());
  engine.healthyOnLaunch = false;
  const s1 = await engine.launch(fakeTask({ envs: { V: '7' } }), { clusterName: 's-1', owner: 'service:s' });
  const s2 = await engine.launch(fakeTask(), { clusterName: 's-2' });
  const [ip1, ip2] = [s1.cluster.nodes[0].internalIp, s2.cluster.nodes[0].internalIp];
  assert.notEqual(ip1, ip2);
  assert.equal(s1.cluster.owner, 'service:s');
  assert.equal((await request(`http://${ip1}:${port}/`)).status, 503);
  engine.clusters.get('s-1')!.healthy = true;
  const reply = await request(`http://${ip1}:${port}/health`);
  assert.equal(reply.status, 200);
  assert.deepEqual(JSON.parse(reply.body), { cluster: 's-1', v: '7' });
  assert.equal((await engine.queue('s-1'))[0].status, 'RUNNING');
  await engine.crash('s-1');
  assert.equal((await engine.queue('s-1'))[0].status, 'FAILED');
  assert.equal((await engine.status({ names: ['s-1'] }))[0].status, 'UP');
  await assert.rejects(request(`http://${ip1}:${port}/`), { code: 'ECONNREFUSED' });
  // Cancelling ends the other run the same way.
  assert.deepEqual(await engine.cancel('s-2', 'all'), [1]);
  assert.equal((await engine.queue('s-2'))[0].status, 'CANCELLED');
  await assert.rejects(request(`http://${ip2}:${port}/`), { code: 'ECONNREFUSED' });
});

test('preemption: the cluster and its jobs vanish, a following stream hangs until aborted; down of an unknown cluster is NOT_FOUND', async (t) => {
  const engine = new FakeClusterEngine({ script: () => ({ lines: ['up'], exitCode: 0, untilStopped: true }) });
  t.after(() => engine.close());
  await engine.launch(fakeTask(), { clusterName: 'p' });
  const abort = new AbortController();
  let out = '';
  const gotLine = once(engine.events, 'data:p:1');
  const stream = engine.tailLogs('p', 1, { follow: true, onData: (d) => (out += d), signal: abort.signal });
  await gotLine;
  await engine.preempt('p');
  assert.deepEqual(await engine.status(), []);
  await assert.rejects(engine.queue('p'), { code: 'NOT_FOUND' });
  abort.abort();
  await assert.rejects(stream, { code: 'CANCELLED' });
  assert.equal(out, 'up\n');
  await assert.rejects(engine.down('p'), { code: 'NOT_FOUND' });
  assert.deepEqual(engine.downs, []);
});

test('verbs the controllers never call are not modelled: they throw', async () => {
  const engine = new FakeClusterEngine();
  await assert.rejects(engine.exec(), /not modelled/);
  await assert.rejects(engine.stop(), /not modelled/);
  await assert.rejects(engine.start(), /not modelled/);
  await assert.rejects(engine.autostop(), /not modelled/);
});
