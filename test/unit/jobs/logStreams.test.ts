import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { cancelJobs, submitJobs } from '../../../engine/jobs/api';
import { markFollowing } from '../../../engine/jobs/follow';
import { LogStreams, type StreamUnit } from '../../../engine/jobs/logStreams';
import { jobLogPath } from '../../../engine/jobs/paths';
import type { ClusterEngine } from '../../../engine/cluster/types';
import { createHarness, type Harness } from './harness';
import { until } from '../../helpers/until';
import { fakeTask } from '../../helpers/fakes/task';

/** A unit that records what the scheduler told it; its stream closes when `closing` resolves (at once by default). */
function unit(jobId: number, closing?: Promise<void>): StreamUnit & { streaming: boolean; grants: number; revokes: number } {
  return {
    jobId,
    streaming: false,
    grants: 0,
    revokes: 0,
    grantStream() {
      this.streaming = true;
      this.grants++;
    },
    revokeStream() {
      this.streaming = false;
      this.revokes++;
      return closing;
    },
  };
}

/** Lets the scheduler see the streams it took back as closed. */
const closed = () => new Promise<void>((r) => setImmediate(r));

test('up to capacity every run streams; beyond it the others wait and take a freed stream oldest first', () => {
  const s = new LogStreams(2);
  const [a, b, c, d] = [1, 2, 3, 4].map((id) => unit(id));
  for (const u of [a, b, c, d]) s.join(u);
  assert.deepEqual(
    [a, b, c, d].map((u) => u.streaming),
    [true, true, false, false],
  );
  assert.equal(s.open, 2);
  s.leave(a);
  assert.deepEqual(
    [b, c, d].map((u) => u.streaming),
    [true, true, false],
    'the run waiting longest takes the freed stream',
  );
  s.leave(d);
  s.leave(b);
  assert.equal(c.streaming, true);
  assert.equal(s.open, 1);
});

test('a followed run waiting takes the stream of the unfollowed run streamed longest, and is first in line for a freed one', async () => {
  const s = new LogStreams(2);
  const [a, b, c, d] = [1, 2, 3, 4].map((id) => unit(id));
  for (const u of [a, b, c, d]) s.join(u);
  s.setFollowed(new Set([4]));
  await closed();
  assert.deepEqual(
    [a, b, c, d].map((u) => u.streaming),
    [false, true, false, true],
    'a (streamed longest) gave its stream to d',
  );
  assert.equal(a.revokes, 1);
  // Both streams followed: a followed waiting run waits (followers are never evicted for each other).
  s.setFollowed(new Set([2, 4, 3]));
  assert.deepEqual(
    [a, b, c, d].map((u) => u.streaming),
    [false, true, false, true],
  );
  // A freed stream goes to the followed run before the one that waited longer.
  s.leave(b);
  assert.deepEqual(
    [a, c, d].map((u) => u.streaming),
    [false, true, true],
  );
  // No longer followed: keeps its stream (nothing churns), and the next freed one goes to the oldest waiting.
  s.setFollowed(new Set());
  assert.equal(c.streaming, true);
  s.leave(d);
  assert.equal(a.streaming, true);
  assert.equal(s.open, 2);
});

test('a stream taken back counts until its follower is gone: no second follower meanwhile, no second eviction', async () => {
  const s = new LogStreams(1);
  let close!: () => void;
  const a = unit(1, new Promise<void>((r) => (close = r)));
  const [b, c] = [unit(2), unit(3)];
  for (const u of [a, b, c]) s.join(u);
  s.setFollowed(new Set([2]));
  await closed();
  assert.equal(a.revokes, 1);
  assert.equal(b.streaming, false, 'granted only once the stream it takes has closed');
  assert.equal(s.open, 1);
  s.setFollowed(new Set([2, 3]));
  await closed();
  assert.equal(a.revokes, 1, 'the closing stream is already on its way to a followed run');
  close();
  await closed();
  assert.deepEqual(
    [a, b, c].map((u) => u.streaming),
    [false, true, false],
  );
  // A run that leaves while its stream closes holds its place until it has closed.
  let closeB!: () => void;
  s.leave(b, new Promise<void>((r) => (closeB = r)));
  await closed();
  assert.equal(c.streaming, false);
  closeB();
  await closed();
  assert.equal(c.streaming, true);
});

test('the runs of a job group are followed together (one job id)', async () => {
  const s = new LogStreams(1);
  const [x, g0, g1] = [unit(1), unit(2), unit(2)];
  for (const u of [x, g0, g1]) s.join(u);
  s.setFollowed(new Set([2]));
  await closed();
  assert.deepEqual(
    [x, g0, g1].map((u) => u.streaming),
    [false, true, false],
  );
  s.leave(g0);
  assert.deepEqual(
    [x, g1].map((u) => u.streaming),
    [false, true],
  );
});

/** Counts the follow streams the controller holds open on the fake engine (the followers a node would run). */
function countStreams(h: Harness): { open: () => number; max: () => number; followed: (cluster: string) => number } {
  let open = 0;
  let max = 0;
  const byCluster = new Map<string, number>();
  const tail = h.fake.tailLogs.bind(h.fake);
  h.fake.tailLogs = ((name, id, options) => {
    if (!options.follow) return tail(name, id, options);
    open++;
    max = Math.max(max, open);
    byCluster.set(name, (byCluster.get(name) ?? 0) + 1);
    return tail(name, id, options).finally(() => open--);
  }) as ClusterEngine['tailLogs'];
  return { open: () => open, max: () => max, followed: (c) => byCluster.get(c) ?? 0 };
}

/** Lines with multi-byte characters, so a read from a wrong byte offset shows. */
const linesOf = (name: string, n: number) => Array.from({ length: n }, (_, k) => `${name} line ${k} é ✓ 🚀`);

test('with one stream for three jobs every run.log holds its output exactly once, across stream <-> read handoffs', async (t) => {
  const h = createHarness((task) => ({ lines: linesOf(task.name!, 60), exitCode: 0, lineMs: 15 }), { logStreams: 1, inspectMs: 40 });
  t.after(() => h.close());
  const streams = countStreams(h);
  const ids = await submitJobs(
    ['a', 'b', 'c'].map((name) => ({ taskFile: { tasks: [fakeTask({ name })] }, options: {} })),
    h.ctx,
  );
  for (const id of ids) await h.waitFor((j) => j.status === 'RUNNING' || j.status === 'SUCCEEDED', id);
  // Move the stream around while the runs print: each follow request takes it from whoever has it.
  for (const id of [ids[2], ids[1], ids[0], ids[2]]) {
    const cluster = (await h.job(id)).tasks[0].cluster;
    if ((await h.job(id)).status !== 'RUNNING') continue;
    const before = streams.followed(cluster);
    const stop = markFollowing(id);
    try {
      await until(`a stream for job ${id}`, async () => streams.followed(cluster) > before || (await h.job(id)).status !== 'RUNNING', { everyMs: 5 });
    } finally {
      stop();
    }
  }
  for (const id of ids) await h.waitFor((j) => j.status === 'SUCCEEDED', id, 30_000);
  for (const [k, id] of ids.entries()) {
    const expected = linesOf(['a', 'b', 'c'][k], 60).join('\n') + '\n';
    assert.equal(fs.readFileSync(jobLogPath(id), 'utf8'), expected, `job ${id}'s run.log`);
  }
  assert.equal(streams.max(), 1, 'never more than one follow stream open');
  assert.ok(
    h.fake.tailCalls.some((c) => !c.follow && c.offset > 0),
    'some output was read at an inspection from where the previous reader stopped',
  );
});

test('a followed job gets the stream at once and its output is live; cancel ends streamed and unstreamed jobs', async (t) => {
  const h = createHarness((task) => ({ lines: [`${task.name} started`], exitCode: 0, untilStopped: true }), {
    logStreams: 1,
    // Inspections far apart: output of the unstreamed job that shows quickly came by the stream.
    inspectMs: 60_000,
  });
  t.after(() => h.close());
  const streams = countStreams(h);
  const [first] = await submitJobs([{ taskFile: { tasks: [fakeTask({ name: 'first' })] }, options: {} }], h.ctx);
  await h.waitFor((j) => j.status === 'RUNNING', first);
  await until('the first job streams', () => streams.open() === 1, { everyMs: 5 });
  const [second] = await submitJobs([{ taskFile: { tasks: [fakeTask({ name: 'second' })] }, options: {} }], h.ctx);
  await h.waitFor((j) => j.status === 'RUNNING', second);
  const secondCluster = (await h.job(second)).tasks[0].cluster;
  assert.equal(streams.followed(secondCluster), 0, 'the second job waits for a stream');
  const stop = markFollowing(second);
  t.after(stop);
  await until('the second job streams', () => fs.existsSync(jobLogPath(second)) && fs.readFileSync(jobLogPath(second), 'utf8') === 'second started\n', {
    everyMs: 10,
  });
  assert.equal(streams.followed(secondCluster), 1);
  assert.equal(streams.max(), 1);
  await cancelJobs([first, second], h.ctx);
  for (const id of [first, second]) await h.waitFor((j) => j.status === 'CANCELLED', id);
  assert.equal(fs.readFileSync(jobLogPath(first), 'utf8'), 'first started\n');
});

test('a run without a stream that is preempted keeps its output up to the last read; the next run follows its marker', async (t) => {
  const launches = new Map<string, number>();
  const h = createHarness(
    (task) => {
      const n = (launches.get(task.name!) ?? 0) + 1;
      launches.set(task.name!, n);
      if (task.name === 'hog') return { lines: ['hog'], exitCode: 0, untilStopped: true };
      return n === 1 ? { lines: ['p1 a', 'p1 b ✓'], exitCode: 0, untilStopped: true } : { lines: ['p2 a ✓'], exitCode: 0 };
    },
    { logStreams: 1, inspectMs: 40 },
  );
  t.after(() => h.close());
  const streams = countStreams(h);
  const [hog] = await submitJobs([{ taskFile: { tasks: [fakeTask({ name: 'hog' })] }, options: {} }], h.ctx);
  await h.waitFor((j) => j.status === 'RUNNING', hog);
  await until('the hog streams', () => streams.open() === 1, { everyMs: 5 });
  const [p] = await submitJobs([{ taskFile: { tasks: [fakeTask({ name: 'p' })] }, options: {} }], h.ctx);
  const running = await h.waitFor((j) => j.status === 'RUNNING', p);
  await until(
    'the first run read at its inspections',
    () => (fs.existsSync(jobLogPath(p)) && fs.readFileSync(jobLogPath(p), 'utf8') === 'p1 a\np1 b ✓\n' ? true : undefined),
    {
      everyMs: 10,
    },
  );
  assert.equal(streams.followed(running.tasks[0].cluster), 0, 'p never streamed');
  await h.fake.preempt(running.tasks[0].cluster);
  const done = await h.waitFor((j) => j.status === 'SUCCEEDED', p);
  assert.equal(done.tasks[0].recoveries, 1);
  const lines = fs.readFileSync(jobLogPath(p), 'utf8').split('\n');
  assert.deepEqual([lines[0], lines[1], lines[3], lines[4]], ['p1 a', 'p1 b ✓', 'p2 a ✓', '']);
  assert.match(lines[2], /^\[skydeck\] ==== .*Recovery #1/);
  assert.equal(lines.length, 5);
  await cancelJobs([hog], h.ctx);
  await h.waitFor((j) => j.status === 'CANCELLED', hog);
});
