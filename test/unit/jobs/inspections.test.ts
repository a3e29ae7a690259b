import { test } from 'node:test';
import assert from 'node:assert/strict';
import { submitJobs } from '../../../engine/jobs/api';
import type { ClusterRecord } from '../../../engine/cluster/types';
import { createHarness } from './harness';
import { until } from '../../helpers/until';
import { fakeTask } from '../../helpers/fakes/task';

const probe = async (records: ClusterRecord[]) => new Map(records.map((r) => [r.name, { ok: true as const }]));

test("a controller starts at most inspectionsPerSecond agent inspections, and every job's comes in turn", async (t) => {
  // Every job's inspection is always due (inspectMs 20): only the budget limits them.
  const h = createHarness(() => ({ lines: ['start'], exitCode: 0, untilStopped: true }), { inspectMs: 20, inspectionsPerSecond: 10 }, 25, { probe });
  t.after(() => h.close());
  const ids = await submitJobs(
    Array.from({ length: 5 }, (_, i) => ({ taskFile: { tasks: [fakeTask({ name: `i${i}` })] }, options: {} })),
    h.ctx,
  );
  for (const id of ids) await h.waitFor((j) => j.status === 'RUNNING', id);
  const clusters = await Promise.all(ids.map(async (id) => (await h.job(id)).tasks[0].cluster));
  await until('an inspection of every job', () => clusters.every((c) => h.fake.queueCalls.some((q) => q.name === c)), { everyMs: 10 });
  // Counted up to a number of calls, not over a fixed window: at 10 per second plus the budget a
  // controller may carry over (10), 30 calls take at least 2 s; unbounded, ~250 a second.
  const before = h.fake.queueCalls.length;
  const started = Date.now();
  await until('30 more inspections', () => h.fake.queueCalls.length - before >= 30, { everyMs: 5 });
  const elapsed = Date.now() - started;
  const calls = h.fake.queueCalls.length - before;
  assert.ok(calls <= (10 * elapsed) / 1000 + 10 + 1, `${calls} inspections in ${elapsed} ms`);
});
