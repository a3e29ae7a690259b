/**
 * Job groups (`execution: parallel`) in-process, on the fake cluster engine: every task at
 * once on its own cluster, primary/auxiliary ending with termination_delay, the group's
 * status derived from its primary tasks, cancel reaching every task, per-task recovery.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { submitJob, cancelJobs, listJobs, streamJobLog } from '../../../engine/jobs/api';
import { taskLogPath } from '../../../engine/jobs/paths';
import { groupStatus, primaryFlags, terminationDelaySeconds } from '../../../engine/jobs/group';
import { needsController, type ManagedJobStatus, type ManagedTaskRecord } from '../../../engine/jobs/types';
import type { TaskFile } from '../../../engine/task/types';
import { parseTaskText } from '../../../engine/task/load';
import { createHarness } from './harness';
import { fakeTask } from '../../helpers/fakes/task';
import type { RunScript } from '../../helpers/fakes/clusterEngine';

const lines = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => `${prefix} ${i}`);

function group(names: string[], header: Partial<TaskFile> = {}): TaskFile {
  return { name: 'grp', execution: 'parallel', tasks: names.map((name) => fakeTask({ name })), ...header };
}

function tasks(statuses: [ManagedJobStatus, boolean?][]): { tasks: ManagedTaskRecord[] } {
  return {
    tasks: statuses.map(([status, primary], index) => ({
      index,
      status,
      cluster: `c${index}`,
      runMs: 0,
      recoveries: 0,
      restartsOnErrors: 0,
      logSegmentStart: 0,
      primary: primary ?? true,
    })),
  };
}

test("a group's status: the first primary task not SUCCEEDED, terminal only once every task ended", () => {
  assert.deepEqual(groupStatus(tasks([['RUNNING'], ['STARTING']])), { status: 'RUNNING', task: 0 });
  assert.deepEqual(groupStatus(tasks([['SUCCEEDED'], ['RECOVERING']])), { status: 'RECOVERING', task: 1 });
  assert.deepEqual(groupStatus(tasks([['SUCCEEDED'], ['SUCCEEDED']])), { status: 'SUCCEEDED', task: 1 });
  // Auxiliary tasks never decide it: cancelled at the end, the group still SUCCEEDED.
  assert.deepEqual(groupStatus(tasks([['SUCCEEDED'], ['CANCELLED', false]])), { status: 'SUCCEEDED', task: 0 });
  assert.deepEqual(groupStatus(tasks([['FAILED'], ['CANCELLED', false]])), { status: 'FAILED', task: 0 });
  // A failed primary while another task still runs: the job is not over yet.
  assert.deepEqual(groupStatus(tasks([['FAILED'], ['RUNNING', false]])), { status: 'RUNNING', task: 1 });
  assert.deepEqual(groupStatus(tasks([['FAILED'], ['SUCCEEDED']])), { status: 'FAILED', task: 0 });
});

test('primary_tasks and termination_delay (one duration, or per task with a default) as SkyPilot reads them', () => {
  const file = group(['a', 'b', 'c'], { primaryTasks: ['a'], terminationDelay: { default: '30s', c: '2m' } });
  assert.deepEqual(primaryFlags(file), [true, false, false]);
  assert.deepEqual(primaryFlags(group(['a', 'b'])), [true, true], 'without primary_tasks every task is primary');
  assert.equal(terminationDelaySeconds(file, 'b'), 30);
  assert.equal(terminationDelaySeconds(file, 'c'), 120);
  assert.equal(terminationDelaySeconds(group(['a'], { terminationDelay: '1h' }), 'a'), 3600);
  assert.equal(terminationDelaySeconds(group(['a'], { terminationDelay: 45 }), 'a'), 45, 'a bare number is seconds');
  assert.equal(terminationDelaySeconds(group(['a'], { terminationDelay: { x: '5s' } }), 'a'), 0);
  assert.equal(terminationDelaySeconds(group(['a']), 'a'), 0);
  // The header fields reach the TaskFile from YAML.
  const parsed = parseTaskText(
    'name: g\nexecution: parallel\nprimary_tasks: [a]\ntermination_delay:\n  default: 10s\n  b: 1m\n---\nname: a\nrun: x\n---\nname: b\nrun: y\n',
  );
  assert.deepEqual(
    [parsed.taskFile?.execution, parsed.taskFile?.primaryTasks, parsed.taskFile?.terminationDelay],
    ['parallel', ['a'], { default: '10s', b: '1m' }],
  );
  assert.equal(parsed.diagnostics.filter((d) => d.severity === 'warning').length, 0, parsed.diagnostics.map((d) => d.message).join('\n'));
});

test('every task runs at once on its own cluster, with SKYPILOT_JOBGROUP_NAME and its own log; the queue shows the tasks', async (t) => {
  // Each task runs until stopped: both RUNNING at once is the overlap.
  const h = createHarness((task) => ({ lines: lines(2, task.name!), exitCode: 0, untilStopped: true }));
  t.after(() => h.close());
  const id = await submitJob(group(['server', 'client']), {}, h.ctx);
  const both = await h.waitFor((j) => j.tasks.every((x) => x.status === 'RUNNING'), id);
  assert.equal(both.status, 'RUNNING');
  assert.equal(both.execution, 'parallel');
  assert.deepEqual([...h.fake.clusters.keys()].sort(), [`client-${id}`, `server-${id}`]);
  assert.deepEqual(
    h.fake.launches.map((l) => l.internalEnvs.SKYPILOT_JOBGROUP_NAME),
    ['grp', 'grp'],
  );
  const [row] = await listJobs({}, h.ctx);
  assert.equal(row.execution, 'parallel');
  assert.deepEqual(
    row.tasks!.map((r) => [r.task, r.name, r.status, r.primary, r.cluster]),
    [
      [0, 'server', 'RUNNING', true, `server-${id}`],
      [1, 'client', 'RUNNING', true, `client-${id}`],
    ],
  );
  await h.waitFor(() => fs.readFileSync(taskLogPath(id, 1), 'utf8') === 'client 0\nclient 1\n', id);
  assert.equal(fs.readFileSync(taskLogPath(id, 0), 'utf8'), 'server 0\nserver 1\n');
  // Every task is primary here: the group ends when both have (here: by crashing one, then the other).
  await h.fake.crash(`server-${id}`, 0);
  const mid = await h.waitFor((j) => j.tasks[0].status === 'FAILED', id);
  assert.equal(mid.status, 'RUNNING', 'the client still runs: the group is not over');
  await h.fake.crash(`client-${id}`, 0);
  const job = await h.waitFor((j) => !needsController(j), id);
  assert.equal(job.status, 'FAILED');
  assert.equal(h.fake.clusters.size, 0, 'both clusters torn down');
  // Without a task, the log shows every task's lines, each prefixed with its task's name.
  const chunks: Buffer[] = [];
  await streamJobLog(id, { follow: false, onData: (b) => chunks.push(b) }, h.ctx);
  assert.deepEqual(Buffer.concat(chunks).toString().split('\n').filter(Boolean).sort(), [
    '(client) client 0',
    '(client) client 1',
    '(server) server 0',
    '(server) server 1',
  ]);
  const one: Buffer[] = [];
  await streamJobLog(id, { task: 'client', follow: false, onData: (b) => one.push(b) }, h.ctx);
  assert.equal(Buffer.concat(one).toString(), 'client 0\nclient 1\n');
  await assert.rejects(streamJobLog(id, { task: 'nope', follow: false, onData: () => undefined }, h.ctx), /has no task 'nope'/);
  // A task or pipeline keeps one log: asking for one task of it is refused, not silently ignored.
  const single = await submitJob({ tasks: [fakeTask({ name: 'solo' })] }, {}, h.ctx);
  await assert.rejects(streamJobLog(single, { task: '0', follow: false, onData: () => undefined }, h.ctx), /keeps one log for all its tasks/);
});

test('when the primary task SUCCEEDS the auxiliary task is terminated after termination_delay; the group SUCCEEDED', async (t) => {
  const script = (task: { name?: string }): RunScript =>
    task.name === 'trainer' ? { lines: lines(3, 'train'), exitCode: 0, lineMs: 20 } : { lines: ['serving'], exitCode: 0, untilStopped: true };
  const h = createHarness(script);
  t.after(() => h.close());
  const id = await submitJob(group(['trainer', 'data'], { primaryTasks: ['trainer'], terminationDelay: { default: '0s', data: '1s' } }), {}, h.ctx);
  const job = await h.waitFor((j) => !needsController(j), id, 20_000);
  assert.equal(job.status, 'SUCCEEDED', job.failureReason);
  const [trainer, data] = job.tasks;
  assert.deepEqual([trainer.status, trainer.primary, data.status, data.primary], ['SUCCEEDED', true, 'CANCELLED', false]);
  assert.ok(data.endedAt! - trainer.endedAt! >= 1000, `terminated ${data.endedAt! - trainer.endedAt!} ms after the primary ended`);
  assert.match(data.failureReason ?? '', /terminated: the primary tasks finished \(after termination_delay 1 s\)/);
  assert.deepEqual(
    job.history.filter((e) => e.task === 1).map((e) => e.status),
    ['STARTING', 'RUNNING', 'CANCELLING', 'CANCELLED'],
  );
  assert.equal(h.fake.clusters.size, 0);
  assert.equal(job.failureReason, undefined);
});

test('a failing primary fails the group and terminates the auxiliary at once (no termination_delay)', async (t) => {
  const h = createHarness((task) => (task.name === 'main' ? { lines: ['boom'], exitCode: 3, lineMs: 20 } : { lines: [], exitCode: 0, untilStopped: true }));
  t.after(() => h.close());
  // A delay long enough that the test would time out if it were applied.
  const id = await submitJob(group(['main', 'aux'], { primaryTasks: ['main'], terminationDelay: '1h' }), {}, h.ctx);
  const job = await h.waitFor((j) => !needsController(j), id);
  assert.equal(job.status, 'FAILED');
  assert.deepEqual(
    job.tasks.map((x) => [x.status, x.exitCode]),
    [
      ['FAILED', 3],
      ['CANCELLED', undefined],
    ],
  );
  assert.match(job.failureReason ?? '', /exited with code 3/);
  assert.match(job.tasks[1].failureReason ?? '', /the primary tasks failed/);
  assert.equal(h.fake.clusters.size, 0);
});

test('cancel ends every task of the group and tears down every cluster', async (t) => {
  const h = createHarness(() => ({ lines: [], exitCode: 0, untilStopped: true }));
  t.after(() => h.close());
  const id = await submitJob(group(['a', 'b', 'c'], { primaryTasks: ['a'] }), {}, h.ctx);
  await h.waitFor((j) => j.tasks.every((x) => x.status === 'RUNNING'), id);
  const r = await cancelJobs([id], h.ctx);
  assert.deepEqual(r.cancelled, [id]);
  const job = await h.waitFor((j) => !needsController(j), id);
  assert.equal(job.status, 'CANCELLED');
  assert.deepEqual(
    job.tasks.map((x) => x.status),
    ['CANCELLED', 'CANCELLED', 'CANCELLED'],
  );
  assert.equal(h.fake.clusters.size, 0);
});

test('a group cancelled before any task started is CANCELLED at once', async (t) => {
  const h = createHarness(() => ({ lines: [], exitCode: 0, untilStopped: true }));
  t.after(() => h.close());
  // Its controller never runs (a made-up process that counts as alive): the cancel lands while it is PENDING.
  const idle = { store: h.ctx.store, supervise: { spawn: () => ({ pid: 1, startTicks: 0 }), alive: () => true } };
  const id = await submitJob(group(['a', 'b']), {}, idle);
  const r = await cancelJobs([id], idle);
  assert.deepEqual(r.cancelled, [id]);
  const job = await h.job(id);
  assert.deepEqual([job.status, ...job.tasks.map((x) => x.status)], ['CANCELLED', 'CANCELLED', 'CANCELLED']);
});

test('a preempted task recovers on its own; the other task keeps its run', async (t) => {
  const h = createHarness((task, _env, launch) => ({ lines: lines(2, `${task.name}${launch}`), exitCode: 0, untilStopped: true }));
  t.after(() => h.close());
  const id = await submitJob(group(['left', 'right']), {}, h.ctx);
  const running = await h.waitFor((j) => j.tasks.every((x) => x.status === 'RUNNING'), id);
  const rightJob = running.tasks[1].clusterJobId;
  await h.fake.preempt(`left-${id}`);
  const recovered = await h.waitFor((j) => j.tasks[0].recoveries === 1 && j.tasks[0].status === 'RUNNING', id);
  assert.equal(recovered.tasks[1].recoveries, 0);
  assert.equal(recovered.tasks[1].clusterJobId, rightJob, 'the other task was not relaunched');
  assert.ok(
    recovered.history.some((e) => e.task === 0 && e.status === 'RECOVERING'),
    'the preempted task went RECOVERING',
  );
  assert.equal(h.fake.launches.filter((l) => l.clusterName === `right-${id}`).length, 1);
  assert.match(fs.readFileSync(taskLogPath(id, 0), 'utf8'), /Recovery #1/);
  assert.doesNotMatch(fs.readFileSync(taskLogPath(id, 1), 'utf8'), /Recovery/);
  await h.fake.crash(`left-${id}`, 0);
  await h.fake.crash(`right-${id}`, 0);
  await h.waitFor((j) => !needsController(j), id);
});

test('a controller that dies during termination_delay: the next one terminates the auxiliary when the delay runs out', async (t) => {
  const h = createHarness((task) => (task.name === 'main' ? { lines: ['done'], exitCode: 0, lineMs: 20 } : { lines: [], exitCode: 0, untilStopped: true }));
  t.after(() => h.close());
  const id = await submitJob(group(['main', 'aux'], { primaryTasks: ['main'], terminationDelay: '2s' }), {}, h.ctx);
  await h.waitFor((j) => j.tasks[0].status === 'SUCCEEDED' && j.tasks[1].status === 'RUNNING', id);
  h.kill(0);
  // The next jobs verb hands the orphaned group to a new controller.
  await listJobs({}, h.ctx);
  const job = await h.waitFor((j) => !needsController(j), id, 20_000);
  assert.equal(job.status, 'SUCCEEDED', job.failureReason);
  assert.equal(job.tasks[1].status, 'CANCELLED');
  assert.ok(job.tasks[1].endedAt! - job.tasks[0].endedAt! >= 2000);
  assert.equal(job.controllerStarts, 2);
  assert.equal(h.fake.clusters.size, 0);
});
