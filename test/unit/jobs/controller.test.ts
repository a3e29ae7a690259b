import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { submitJob, cancelJobs, listJobs } from '../../../engine/jobs/api';
import { jobLogPath } from '../../../engine/jobs/paths';
import { isTerminal } from '../../../engine/jobs/types';
import { createHarness } from './harness';
import { until } from '../../helpers/until';
import { fakeTask } from '../../helpers/fakes/task';
import type { Task } from '../../../engine/task/types';
import type { ClusterRecord } from '../../../engine/cluster/types';

const lines = (n: number, prefix = 'line') => Array.from({ length: n }, (_, i) => `${prefix} ${i}`);

test('a job runs on its own cluster, logs its output, ends SUCCEEDED and the cluster is torn down', async (t) => {
  const h = createHarness(() => ({ lines: lines(3), exitCode: 0 }));
  t.after(() => h.close());
  const id = await submitJob({ tasks: [fakeTask({ name: 'train' })] }, {}, h.ctx);
  const job = await h.waitFor((j) => isTerminal(j.status), id);
  assert.equal(job.status, 'SUCCEEDED');
  assert.equal(job.tasks[0].cluster, `train-${id}`);
  assert.equal(h.fake.clusters.size, 0, 'cluster torn down');
  assert.equal(fs.readFileSync(jobLogPath(id), 'utf8'), 'line 0\nline 1\nline 2\n');
  assert.equal(h.fake.launches.length, 1);
  assert.equal(h.fake.launches[0].owner, `managed-job:${id}`);
  assert.match(h.fake.launches[0].internalEnvs.SKYPILOT_TASK_ID, new RegExp(`^sky-managed-\\d{4}-\\d\\d-\\d\\d-\\d\\d-\\d\\d-\\d\\d-\\d{6}_train_${id}-0$`));
  assert.deepEqual(
    job.history.map((e) => e.status),
    ['PENDING', 'STARTING', 'RUNNING', 'SUCCEEDED'],
  );
});

test('preempted three times: recovers each time (EAGER_NEXT_REGION blocks the region), log continuous, recoveries = 3', async (t) => {
  const h = createHarness((_task, _env, launch) => ({ lines: lines(launch < 3 ? 200 : 3, `run${launch}`), exitCode: 0, lineMs: 5 }));
  t.after(() => h.close());
  const id = await submitJob({ tasks: [fakeTask({ name: 'spot' })] }, {}, h.ctx);
  for (let n = 0; n < 3; n++) {
    const j = await h.waitFor((x) => x.status === 'RUNNING' && h.fake.launches.filter((l) => !l.error).length === n + 1, id);
    await h.waitFor(() => fs.readFileSync(jobLogPath(id), 'utf8').includes(`run${n} 1\n`), id);
    await h.fake.preempt(j.tasks[0].cluster);
  }
  const job = await h.waitFor((j) => isTerminal(j.status), id);
  assert.equal(job.status, 'SUCCEEDED');
  assert.equal(job.tasks[0].recoveries, 3);
  const log = fs.readFileSync(jobLogPath(id), 'utf8');
  const markers = log.split('\n').filter((l) => l.startsWith('[skydeck] ===='));
  assert.equal(markers.length, 3);
  assert.match(markers[0], /preempted: the cluster is gone.*Recovery #1/);
  // Each run's output is there in order, separated by the markers, ending with the last run complete.
  assert.ok(log.indexOf('run0 0') < log.indexOf('Recovery #1') && log.indexOf('Recovery #1') < log.indexOf('run1 0'));
  assert.ok(log.endsWith('run3 0\nrun3 1\nrun3 2\n'));
  // Recovery launches block the region just lost, then the first such launch succeeds elsewhere.
  const ok = h.fake.launches.filter((l) => !l.error);
  assert.deepEqual(ok[1].blocked, [`fake/${ok[0].region}`]);
  assert.notEqual(ok[1].region, ok[0].region);
  // SKYPILOT_TASK_ID is the same for every run.
  assert.equal(new Set(ok.map((l) => l.internalEnvs.SKYPILOT_TASK_ID)).size, 1);
  assert.equal(h.fake.clusters.size, 0);
  const [row] = await listJobs({}, h.ctx);
  assert.equal(row.recoveries, 3);
});

test('EAGER_NEXT_REGION falls back to the lost region when nothing else has capacity', async (t) => {
  const h = createHarness((_t, _e, launch) => ({ lines: lines(launch === 0 ? 500 : 2), exitCode: 0 }));
  t.after(() => h.close());
  h.fake.regions = ['r1'];
  const id = await submitJob({ tasks: [fakeTask({ name: 'one' })] }, {}, h.ctx);
  const j = await h.waitFor((x) => x.status === 'RUNNING', id);
  await h.fake.preempt(j.tasks[0].cluster);
  const job = await h.waitFor((x) => isTerminal(x.status), id);
  assert.equal(job.status, 'SUCCEEDED');
  assert.deepEqual(
    h.fake.launches.map((l) => [l.blocked, l.error ?? 'ok']),
    [
      [[], 'ok'],
      [['fake/r1'], 'no resources'],
      [[], 'ok'],
    ],
  );
});

test('FAILOVER relaunches in the same region first', async (t) => {
  const h = createHarness((_t, _e, launch) => ({ lines: lines(launch === 0 ? 500 : 2), exitCode: 0 }));
  t.after(() => h.close());
  const task = fakeTask({ name: 'fo', resources: { base: { useSpot: true, jobRecovery: { strategy: 'FAILOVER' } }, candidates: [], mode: 'single' } });
  const id = await submitJob({ tasks: [task] }, {}, h.ctx);
  const j = await h.waitFor((x) => x.status === 'RUNNING', id);
  await h.fake.preempt(j.tasks[0].cluster);
  const job = await h.waitFor((x) => isTerminal(x.status), id);
  assert.equal(job.status, 'SUCCEEDED');
  assert.equal(h.fake.launches[1].pinnedRegion, h.fake.launches[0].region);
  assert.equal(h.fake.launches[1].region, h.fake.launches[0].region);
});

function failingTask(maxRestarts: number, recoverOn?: number[]): Task {
  return fakeTask({
    name: 'flaky',
    resources: {
      base: { useSpot: false, jobRecovery: { maxRestartsOnErrors: maxRestarts, ...(recoverOn ? { recoverOnExitCodes: recoverOn } : {}) } },
      candidates: [],
      mode: 'single',
    },
  });
}

test('a failing job restarts exactly max_restarts_on_errors times, then FAILED with its exit code', async (t) => {
  const h = createHarness(() => ({ lines: ['boom'], exitCode: 3 }));
  t.after(() => h.close());
  const id = await submitJob({ tasks: [failingTask(2)] }, {}, h.ctx);
  const job = await h.waitFor((x) => isTerminal(x.status), id);
  assert.equal(job.status, 'FAILED');
  assert.equal(job.tasks[0].exitCode, 3);
  assert.equal(job.tasks[0].restartsOnErrors, 2);
  assert.equal(h.fake.launches.filter((l) => !l.error).length, 3, 'one run + 2 restarts');
  assert.match(job.failureReason ?? '', /exit(ed)? (with )?code 3/);
  assert.equal(h.fake.clusters.size, 0);
  assert.equal(
    fs
      .readFileSync(jobLogPath(id), 'utf8')
      .split('\n')
      .filter((l) => l === 'boom').length,
    3,
  );
});

test('exit codes in recover_on_exit_codes restart without counting against max_restarts_on_errors', async (t) => {
  const h = createHarness((_t, _e, launch) => ({ lines: ['x'], exitCode: launch < 2 ? 42 : launch === 2 ? 1 : 0 }));
  t.after(() => h.close());
  const id = await submitJob({ tasks: [failingTask(1, [42])] }, {}, h.ctx);
  const job = await h.waitFor((x) => isTerminal(x.status), id);
  assert.equal(job.status, 'SUCCEEDED');
  assert.equal(job.tasks[0].restartsOnErrors, 1);
  assert.equal(job.tasks[0].recoveries, 3);
});

test('cancel during RECOVERING leaves no cluster behind', async (t) => {
  const h = createHarness(() => ({ lines: lines(1000), exitCode: 0 }));
  t.after(() => h.close());
  const id = await submitJob({ tasks: [fakeTask({ name: 'c' })] }, {}, h.ctx);
  const j = await h.waitFor((x) => x.status === 'RUNNING', id);
  let release!: () => void;
  h.fake.holdLaunches = new Promise((r) => (release = r));
  await h.fake.preempt(j.tasks[0].cluster);
  // RECOVERING, with the relaunch in flight (held).
  await h.waitFor((x) => x.status === 'RECOVERING' && h.fake.launches.length === 2, id);
  const r = await cancelJobs([id], h.ctx);
  assert.deepEqual(r.cancelled, [id]);
  release();
  const job = await h.waitFor((x) => isTerminal(x.status), id);
  assert.equal(job.status, 'CANCELLED');
  assert.ok(job.history.some((e) => e.status === 'CANCELLING'));
  assert.equal(h.fake.clusters.size, 0, 'no cluster left');
});

test('cancel of a PENDING job is immediate; cancel of a finished job is skipped', async (t) => {
  const h = createHarness(() => ({ lines: ['a'], exitCode: 0 }));
  t.after(() => h.close());
  // No controller may start: capacity exhausted by a spawn that does nothing.
  const id = await h.ctx.store.update((s) => {
    const now = Date.now();
    s.jobs[7] = {
      id: 7,
      name: 'p',
      status: 'PENDING',
      submittedAt: now,
      resources: '1x()',
      strategy: 'EAGER_NEXT_REGION',
      currentTask: 0,
      tasks: [{ index: 0, status: 'PENDING', cluster: 'p-7', runMs: 0, recoveries: 0, restartsOnErrors: 0, logSegmentStart: 0 }],
      controllerStarts: 0,
      history: [],
      user: 'me',
      controller: { pid: 1, startTicks: 0 },
    };
    return 7;
  });
  const alive = h.ctx.supervise!.alive;
  h.ctx.supervise!.alive = (x) => (x?.pid === 1 ? true : alive!(x));
  const r = await cancelJobs([id, 99], h.ctx);
  assert.deepEqual(r, { cancelled: [7], alreadyDone: [], notFound: [99] });
  assert.equal((await h.job(7)).status, 'CANCELLED');
  assert.deepEqual((await cancelJobs([7], h.ctx)).alreadyDone, [7]);
  assert.equal(h.fake.launches.length, 0);
});

test('a 3-task pipeline runs its tasks in order, each on its own cluster', async (t) => {
  const order: string[] = [];
  const h = createHarness((task) => {
    order.push(task.name!);
    return { lines: [`from ${task.name}`], exitCode: 0 };
  });
  t.after(() => h.close());
  const id = await submitJob({ name: 'pipe', tasks: ['prep', 'train', 'eval'].map((name) => fakeTask({ name })) }, {}, h.ctx);
  const job = await h.waitFor((x) => isTerminal(x.status), id);
  assert.equal(job.status, 'SUCCEEDED');
  assert.equal(job.name, 'pipe');
  assert.deepEqual(order, ['prep', 'train', 'eval']);
  assert.deepEqual(
    h.fake.launches.map((l) => l.clusterName),
    [`prep-${id}`, `train-${id}`, `eval-${id}`],
  );
  assert.deepEqual(
    job.tasks.map((x) => x.status),
    ['SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED'],
  );
  assert.equal(fs.readFileSync(jobLogPath(id), 'utf8'), 'from prep\nfrom train\nfrom eval\n');
  assert.match(h.fake.launches[1].internalEnvs.SKYPILOT_TASK_ID, new RegExp(`_pipe_train_${id}-1$`));
  const [row] = await listJobs({}, h.ctx);
  assert.equal(row.tasks?.length, 3);
});

test('a failed pipeline task stops the pipeline: later tasks are CANCELLED', async (t) => {
  const h = createHarness((task) => ({ lines: ['x'], exitCode: task.name === 'b' ? 1 : 0 }));
  t.after(() => h.close());
  const id = await submitJob({ tasks: ['a', 'b', 'c'].map((name) => fakeTask({ name })) }, {}, h.ctx);
  const job = await h.waitFor((x) => isTerminal(x.status), id);
  assert.equal(job.status, 'FAILED');
  assert.deepEqual(
    job.tasks.map((x) => x.status),
    ['SUCCEEDED', 'FAILED', 'CANCELLED'],
  );
  assert.equal(h.fake.launches.length, 2);
});

test('nowhere to run: FAILED_NO_RESOURCE with the reason', async (t) => {
  const h = createHarness(() => ({ lines: ['x'], exitCode: 0 }));
  t.after(() => h.close());
  for (const r of h.fake.regions) h.fake.full.add(r);
  const id = await submitJob({ tasks: [fakeTask({ name: 'nr' })] }, {}, h.ctx);
  const job = await h.waitFor((x) => isTerminal(x.status), id);
  assert.equal(job.status, 'FAILED_NO_RESOURCE');
  assert.match(job.failureReason ?? '', /no resources .* Failed to provision/);
  assert.equal(h.fake.launches.length, 2, 'one launch per round');
});

test('a controller that dies mid-run is replaced; the new one adopts the run without launching again', async (t) => {
  const h = createHarness(() => ({ lines: lines(60), exitCode: 0, lineMs: 10 }));
  t.after(() => h.close());
  const id = await submitJob({ tasks: [fakeTask({ name: 'k' })] }, {}, h.ctx);
  await h.waitFor((x) => x.status === 'RUNNING', id);
  await h.waitFor(() => fs.readFileSync(jobLogPath(id), 'utf8').includes('line 5\n'), id);
  h.kill(0);
  // Any jobs verb restarts missing controllers.
  await listJobs({}, h.ctx);
  assert.equal(h.controllers.length, 2);
  const job = await h.waitFor((x) => isTerminal(x.status), id);
  assert.equal(job.status, 'SUCCEEDED');
  assert.equal(job.controllerStarts, 2);
  assert.equal(h.fake.launches.length, 1, 'never launched twice');
  // The abandoned runner of the dead controller may still write; the log must hold each line exactly once.
  const log = fs.readFileSync(jobLogPath(id), 'utf8');
  assert.equal(
    log,
    lines(60)
      .map((l) => `${l}\n`)
      .join(''),
  );
});

test('a controller that died while launching adopts the run it had submitted', async (t) => {
  const h = createHarness(() => ({ lines: lines(3), exitCode: 0 }));
  t.after(() => h.close());
  // The state a SIGKILL right after submission leaves: STARTING, launching, cluster UP with job 1.
  await h.fake.launch(fakeTask({ name: 'a' }), { clusterName: 'a-1' });
  await h.ctx.store.update((s) => {
    const now = Date.now();
    s.nextId = 2;
    s.jobs[1] = {
      id: 1,
      name: 'a',
      status: 'STARTING',
      submittedAt: now,
      resources: '1x()',
      strategy: 'EAGER_NEXT_REGION',
      currentTask: 0,
      tasks: [
        {
          index: 0,
          name: 'a',
          status: 'STARTING',
          cluster: 'a-1',
          runMs: 0,
          recoveries: 0,
          restartsOnErrors: 0,
          logSegmentStart: 0,
          launching: true,
          launchAfterJobId: 0,
        },
      ],
      controllerStarts: 1,
      history: [],
      user: 'me',
      controller: { pid: 2, startTicks: 0 },
    };
  });
  const { saveSubmittedTask } = await import('../../../engine/jobs/submitted');
  saveSubmittedTask(1, { tasks: [fakeTask({ name: 'a' })] });
  await listJobs({}, h.ctx);
  const job = await h.waitFor((x) => isTerminal(x.status), 1);
  assert.equal(job.status, 'SUCCEEDED');
  assert.equal(h.fake.launches.length, 1, 'only the launch before the "crash"');
  assert.equal(h.fake.clusters.size, 0);
});

test('controllers take several jobs each up to their capacity, and never two controllers one job', async (t) => {
  // Runs long enough that all 7 overlap.
  const h = createHarness(() => ({ lines: lines(100), exitCode: 0 }), {}, 3);
  t.after(() => h.close());
  let maxLoad = 0;
  h.fake.events.on('launch', () => (maxLoad = Math.max(maxLoad, ...h.controllers.map((c) => c.controller.load))));
  const ids = await Promise.all(Array.from({ length: 7 }, (_, i) => submitJob({ tasks: [fakeTask({ name: `m${i}` })] }, {}, h.ctx)));
  for (const id of ids) assert.equal((await h.waitFor((x) => isTerminal(x.status), id)).status, 'SUCCEEDED');
  assert.ok(maxLoad >= 2 && maxLoad <= 3, `a controller ran ${maxLoad} jobs at once (capacity 3)`);
  assert.ok(h.controllers.length >= 3, `7 jobs need at least 3 controllers of capacity 3, got ${h.controllers.length}`);
  for (const id of ids) assert.equal((await h.job(id)).controllerStarts, 1);
  assert.equal(h.fake.launches.length, 7);
});

test('a restart after a user failure goes through EAGER_NEXT_REGION: the cluster is torn down and the region blocked', async (t) => {
  const h = createHarness((_t, _e, launch) => ({ lines: ['x'], exitCode: launch === 0 ? 5 : 0 }));
  t.after(() => h.close());
  const id = await submitJob({ tasks: [failingTask(1)] }, {}, h.ctx);
  const job = await h.waitFor((x) => isTerminal(x.status), id);
  assert.equal(job.status, 'SUCCEEDED');
  assert.equal(job.tasks[0].restartsOnErrors, 1);
  const ok = h.fake.launches.filter((l) => !l.error);
  assert.equal(ok.length, 2);
  assert.deepEqual(ok[1].blocked, [`fake/${ok[0].region}`], 'relaunched like a recovery, not re-run on the same cluster');
  assert.notEqual(ok[1].region, ok[0].region);
  assert.deepEqual(
    job.history.map((e) => e.status),
    ['PENDING', 'STARTING', 'RUNNING', 'RECOVERING', 'RUNNING', 'SUCCEEDED'],
  );
});

test('waiting between launch rounds shows PENDING (SkyPilot backoff), then STARTING again', async (t) => {
  const h = createHarness(() => ({ lines: ['x'], exitCode: 0 }), { launchBackoffMs: 300, maxLaunchRounds: 3 });
  t.after(() => h.close());
  for (const r of h.fake.regions) h.fake.full.add(r);
  // Capacity returns when the second round starts (the fake picks its region after this
  // event), however long the test took to notice the backoff.
  let rounds = 0;
  h.fake.events.on('launch', () => {
    if (++rounds === 2) h.fake.full.clear();
  });
  const id = await submitJob({ tasks: [fakeTask({ name: 'bk' })] }, {}, h.ctx);
  const job = await h.waitFor((x) => isTerminal(x.status), id);
  assert.equal(job.status, 'SUCCEEDED');
  assert.equal(rounds, 2);
  assert.deepEqual(
    job.history.map((e) => e.status),
    ['PENDING', 'STARTING', 'PENDING', 'STARTING', 'RUNNING', 'SUCCEEDED'],
  );
  assert.match(job.history[2].detail ?? '', /waiting \d+ s for resources/, 'the backoff is shown as PENDING with the wait');
});

test('a task cancelled while it waits out a launch backoff ends CANCELLED through CANCELLING, no cluster left', async (t) => {
  // A backoff far longer than any test: only the cancel can end it, however slow the machine.
  const h = createHarness(() => ({ lines: ['x'], exitCode: 0 }), { launchBackoffMs: 3_600_000, maxLaunchRounds: 3 });
  t.after(() => h.close());
  for (const r of h.fake.regions) h.fake.full.add(r);
  const id = await submitJob({ tasks: [fakeTask({ name: 'bc' })] }, {}, h.ctx);
  await h.waitFor((x) => x.status === 'PENDING' && x.tasks[0].backoffPhase === 'launch', id);
  // Not the immediate cancel of a never-started job: a task in backoff may hold a cluster, so its controller acts.
  await cancelJobs([id], h.ctx);
  const job = await h.waitFor((x) => isTerminal(x.status), id);
  assert.equal(job.status, 'CANCELLED');
  assert.deepEqual(
    job.history.slice(-2).map((e) => e.status),
    ['CANCELLING', 'CANCELLED'],
  );
  assert.equal(h.fake.clusters.size, 0);
  assert.equal(h.fake.launches.length, 1, 'cancelled during the first backoff');
});

test("with a probe, the periodic check asks the agent using the controller's cached cluster record, and still catches a job the agent lost", async (t) => {
  const probed: string[] = [];
  const probe = async (records: ClusterRecord[]) => {
    probed.push(...records.map((r) => r.name));
    return new Map(records.map((r) => [r.name, { ok: true as const }]));
  };
  const h = createHarness((_t, _e, launch) => ({ lines: lines(launch === 0 ? 100_000 : 2), exitCode: 0, lineMs: 5 }), {}, 25, { probe });
  t.after(() => h.close());
  const id = await submitJob({ tasks: [fakeTask({ name: 'lost' })] }, {}, h.ctx);
  const running = await h.waitFor((j) => j.status === 'RUNNING', id);
  const cluster = running.tasks[0].cluster;
  // The monitor is on (its log stream open) once a periodic check came.
  await until('a periodic check with the cached record', () => h.fake.queueCalls.some((c) => c.name === cluster && c.record?.name === cluster), {
    everyMs: 10,
  });
  const before = h.fake.queueCalls.length;
  // The agent forgets the job while the infra still reports the nodes running.
  h.fake.clusters.get(cluster)!.jobs.length = 0;
  const done = await h.waitFor((j) => isTerminal(j.status), id);
  assert.equal(done.status, 'SUCCEEDED');
  assert.equal(done.tasks[0].recoveries, 1);
  assert.ok(
    done.history.some((e) => e.status === 'RECOVERING' && /agent lost job/.test(e.detail ?? '')),
    JSON.stringify(done.history),
  );
  assert.ok(probed.includes(cluster), 'the probe ran for the cluster');
  // The check that found the loss came with the controller's record, not a read of the cluster table.
  const detecting = h.fake.queueCalls.slice(before).find((c) => c.name === cluster);
  assert.equal(detecting?.record?.name, cluster);
});
