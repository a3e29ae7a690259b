import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { canTransition, isTerminal, MANAGED_JOB_STATUSES } from '../../../engine/jobs/types';
import { constrainTask, recoveryAttempts, regionPinned, restartDecision, strategyOf } from '../../../engine/jobs/recovery';
import { jobClusterName } from '../../../engine/jobs/paths';
import { appendMarker, SegmentWriter } from '../../../engine/jobs/joblog';
import { classifyLaunchError } from '../../../engine/jobs/runner';
import { ResourcesUnavailableError, InputError, CancelledError } from '../../../engine/errors';
import { openJobsStore } from '../../../engine/jobs/state';
import { fakeTask } from '../../helpers/fakes/task';

test('transitions follow sky/jobs/README.md', () => {
  assert.ok(canTransition('PENDING', 'STARTING'));
  assert.ok(canTransition('STARTING', 'RUNNING'));
  assert.ok(canTransition('RUNNING', 'RECOVERING'));
  assert.ok(canTransition('RECOVERING', 'RUNNING'));
  assert.ok(canTransition('RECOVERING', 'FAILED_NO_RESOURCE'));
  assert.ok(canTransition('RUNNING', 'CANCELLING') && canTransition('CANCELLING', 'CANCELLED'));
  assert.ok(!canTransition('PENDING', 'RUNNING'));
  assert.ok(!canTransition('SUCCEEDED', 'RUNNING'));
  assert.ok(!canTransition('CANCELLING', 'RUNNING'));
  // Any non-terminal status may fail the controller; nothing leaves a terminal status.
  for (const s of MANAGED_JOB_STATUSES) {
    assert.equal(canTransition(s, 'FAILED_CONTROLLER'), !isTerminal(s), s);
    if (isTerminal(s)) for (const t of MANAGED_JOB_STATUSES) assert.ok(!canTransition(s, t), `${s} -> ${t}`);
  }
});

test('restart policy: recover_on_exit_codes restart uncounted; otherwise up to max_restarts_on_errors', () => {
  const policy = { maxRestartsOnErrors: 2, recoverOnExitCodes: [33] };
  assert.deepEqual(restartDecision(policy, 33, 5), { restart: true, counted: false });
  assert.deepEqual(restartDecision(policy, 1, 0), { restart: true, counted: true });
  assert.deepEqual(restartDecision(policy, 1, 1), { restart: true, counted: true });
  assert.deepEqual(restartDecision(policy, 1, 2), { restart: false });
  assert.deepEqual(restartDecision({}, 1, 0), { restart: false }, 'no restarts by default');
});

test('recovery attempts per strategy', () => {
  const last = { cloud: 'gcp', region: 'us-central1' };
  assert.deepEqual(
    recoveryAttempts('EAGER_NEXT_REGION', last, false).map((a) => [a.blocked, a.constrain]),
    [
      [['gcp/us-central1'], undefined],
      [undefined, undefined],
    ],
  );
  assert.deepEqual(
    recoveryAttempts('EAGER_NEXT_REGION', last, true).map((a) => a.blocked),
    [undefined],
    'a pinned region is never blocked',
  );
  assert.deepEqual(
    recoveryAttempts('FAILOVER', last, false).map((a) => a.constrain),
    [last, undefined],
  );
  assert.ok(recoveryAttempts('FAILOVER', last, false).every((a) => a.downFirst));
});

test('strategy, pinning and constraining read the task resources', () => {
  const t = fakeTask({
    resources: {
      base: { jobRecovery: { strategy: 'FAILOVER' } },
      candidates: [{ infra: { cloud: 'aws', region: 'us-east-1' } }, { infra: { cloud: 'gcp' } }],
      mode: 'any_of',
    },
  });
  assert.equal(strategyOf(t), 'FAILOVER');
  assert.equal(strategyOf(fakeTask()), 'EAGER_NEXT_REGION');
  assert.ok(regionPinned(t));
  assert.ok(!regionPinned(fakeTask({ resources: { base: { infra: { cloud: 'aws' } }, candidates: [], mode: 'single' } })));
  const c = constrainTask(t, { cloud: 'aws', region: 'us-west-2' });
  assert.deepEqual(c.resources.base.infra, { cloud: 'aws', region: 'us-west-2' });
  assert.ok(c.resources.candidates.every((x) => x.infra?.region === 'us-west-2'));
  assert.deepEqual(t.resources.base.infra, undefined, 'the original is untouched');
});

test('job cluster names: <task name truncated to 25>-<job id>, always a valid cluster name', () => {
  assert.equal(jobClusterName('train', 7), 'train-7');
  assert.equal(jobClusterName('a-very-long-task-name-that-goes-on', 12), 'a-very-long-task-name-tha-12');
  assert.equal(jobClusterName('9lives', 1), 'job-9lives-1');
  assert.equal(jobClusterName('my task!', 2), 'my-task-2');
  assert.equal(jobClusterName(undefined, 3), 'sky-cmd-3');
  for (const n of ['x'.repeat(40), '__', 'ok-', '1']) assert.match(jobClusterName(n, 5), /^[a-zA-Z]([-_.a-zA-Z0-9]*[a-zA-Z0-9])?$/);
});

test('launch errors are classified by name/code (they may come from provider bundles)', () => {
  assert.equal(classifyLaunchError(new ResourcesUnavailableError('none'), false), 'capacity');
  assert.equal(classifyLaunchError(Object.assign(new Error('x'), { name: 'ProvisionError', scope: 'zone' }), false), 'capacity');
  assert.equal(classifyLaunchError(new InputError('bad'), false), 'precheck');
  assert.equal(classifyLaunchError(new CancelledError(), false), 'cancel');
  assert.equal(classifyLaunchError(Object.assign(new Error('setup'), { code: 'FAILED_SETUP' }), false), 'setup');
  assert.equal(classifyLaunchError(new Error('ECONNRESET'), false), 'transient');
  assert.equal(classifyLaunchError(new Error('anything'), true), 'cancel', 'an aborted launch is a cancel');
});

test('the job log: markers on their own line; a re-read run skips what was already written', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skydeck-joblog-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'run.log');
  const w = new SegmentWriter(file, 0);
  w.append('a\nb');
  appendMarker(file, 'Recovery #1');
  const start = fs.statSync(file).size;
  new SegmentWriter(file, 0).append('c\nd\n');
  // A restarted controller re-reads the run from the start: the first bytes are dropped, even mid-chunk.
  const again = new SegmentWriter(file, fs.statSync(file).size - start);
  again.append('c\n');
  again.append('d\ne\n');
  assert.equal(fs.readFileSync(file, 'utf8'), 'a\nb\n[skydeck] ==== Recovery #1 ====\nc\nd\ne\n');
});

test('launch slots: at most `limit` at once, first come first served, a waiter can be aborted', async () => {
  const { LaunchSlots } = await import('../../../engine/jobs/launchSlots');
  const slots = new LaunchSlots(2);
  const a = await slots.acquire();
  const b = await slots.acquire();
  const order: string[] = [];
  const c = slots.acquire().then((r) => (order.push('c'), r));
  const abort = new AbortController();
  const d = slots.acquire(abort.signal).then(
    () => 'granted',
    () => 'aborted',
  );
  const e = slots.acquire().then((r) => (order.push('e'), r));
  abort.abort();
  assert.equal(await d, 'aborted');
  a();
  (await c)();
  b();
  (await e)();
  assert.deepEqual(order, ['c', 'e']);
});

test("a controller's cached store reads parse only after the file changed, and then see every change", async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skydeck-jobs-cache-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const cached = openJobsStore(dir, { cacheReads: true });
  const writer = openJobsStore(dir);
  await writer.update((s) => void (s.nextId = 5));
  const first = await cached.read();
  assert.equal(first.nextId, 5);
  assert.equal(await cached.read(), first, 'unchanged file: the same parsed object');
  // Another process writes (a new file each time, same size as before).
  await writer.update((s) => void (s.nextId = 6));
  const second = await cached.read();
  assert.notEqual(second, first);
  assert.equal(second.nextId, 6);
  await writer.update((s) => void (s.nextId = 7));
  assert.equal((await cached.read()).nextId, 7);
});
