/**
 * Managed jobs end to end on `local` infra through the built CLI: real detached
 * controllers, real local clusters, real preemption (`skydeck debug preempt`). Each test has
 * its own SKYDECK_HOME, so they run at once: they mostly wait on their jobs.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isTerminal } from '../../../engine/jobs/types';
import { CLI, jobsEnv, killControllerAndRequeue, segments } from './helpers';
import { builtFiles, requirePrerequisite } from '../../helpers/prerequisites';

const skip = requirePrerequisite(builtFiles(CLI, path.join(path.dirname(CLI), 'jobs-controller.js')));

async function launch(e: ReturnType<typeof jobsEnv>, file: string, extra: string[] = []): Promise<number> {
  const r = await e.cli(['jobs', 'launch', file, '-y', '-d', ...extra]);
  assert.equal(r.code, 0, r.stderr);
  const m = /Managed job ID: (\d+)/.exec(r.stdout);
  assert.ok(m, r.stdout);
  return Number(m[1]);
}

const steps = (n: number, delay = 0.2) => `for i in $(seq 1 ${n}); do echo "step $i"; sleep ${delay}; done`;

describe('managed jobs on local', { concurrency: true }, () => {
  test('a job preempted three times finishes SUCCEEDED with a continuous log and recoveries = 3', { skip, timeout: 600_000 }, async (t) => {
    const e = jobsEnv();
    t.after(() => e.cleanup());
    // Every run holds at step 3 until the test releases it after the third preemption, so a
    // slow machine can never let a run finish before the test has preempted it.
    const release = e.write('release.marker', '');
    fs.rmSync(release);
    const gated = `for i in $(seq 1 25); do echo "step $i"; sleep 0.2; if [ $i = 3 ]; then while [ ! -e ${release} ]; do sleep 0.1; done; fi; done`;
    const file = e.write('spot.yaml', `name: spot\nresources:\n  infra: local\n  use_spot: true\nrun: |\n  echo "task id $SKYPILOT_TASK_ID"\n  ${gated}\n`);
    const id = await launch(e, file);
    const log = () => fs.readFileSync(e.runLog(id), 'utf8');
    for (let n = 0; n < 3; n++) {
      // Running again after n recoveries, with output of this run in the log.
      const j = await e.waitJob(
        id,
        `RUNNING after ${n} recoveries`,
        (x) => x.status === 'RUNNING' && x.tasks[0].recoveries === n && (segments(log())[n] ?? []).includes('step 2'),
      );
      const r = await e.cli(['debug', 'preempt', j.tasks[0].cluster]);
      assert.equal(r.code, 0, r.stderr);
    }
    await e.waitJob(id, 'RUNNING after 3 recoveries', (x) => x.status === 'RUNNING' && x.tasks[0].recoveries === 3);
    fs.writeFileSync(release, '');
    const job = await e.waitJob(id, 'terminal', (x) => isTerminal(x.status), 240_000);
    const controllerLog = () => fs.readFileSync(path.join(e.home, 'managed_jobs', String(id), 'controller.log'), 'utf8');
    assert.equal(job.status, 'SUCCEEDED', `${job.failureReason}\n${controllerLog()}`);
    assert.equal(job.tasks[0].recoveries, 3, controllerLog());
    const segs = segments(log());
    assert.equal(segs.length, 4, 'three recovery markers');
    const ids = new Set<string>();
    for (const [k, seg] of segs.entries()) {
      // Every run's output is in order, from its first line, nothing repeated or lost in between.
      assert.match(seg[0], /^task id sky-managed-/);
      ids.add(seg[0]);
      const nums = seg.slice(1).map((l) => Number(/^step (\d+)$/.exec(l)?.[1]));
      assert.deepEqual(
        nums,
        Array.from({ length: nums.length }, (_, i) => i + 1),
        `run ${k}: ${seg.join('|')}`,
      );
      if (k === 3) assert.equal(nums.length, 25, 'the last run is complete');
    }
    assert.equal(ids.size, 1, 'SKYPILOT_TASK_ID is stable across recoveries');
    assert.match(log(), /Recovery #3/);
    const q = await e.cli(['jobs', 'queue', '--json']);
    const row = (JSON.parse(q.stdout) as { id: number; recoveries: number; status: string; cluster: string; name: string }[]).find((r) => r.id === id)!;
    assert.deepEqual([row.status, row.recoveries, row.name, row.cluster], ['SUCCEEDED', 3, 'spot', `spot-${id}`]);
    assert.deepEqual(await e.clusterNames(), [], 'no cluster left');
  });

  test('a failing job restarts exactly max_restarts_on_errors times, then FAILED with its exit code', { skip, timeout: 600_000 }, async (t) => {
    const e = jobsEnv();
    t.after(() => e.cleanup());
    const file = e.write(
      'flaky.yaml',
      'name: flaky\nresources:\n  infra: local\n  job_recovery:\n    max_restarts_on_errors: 2\nrun: |\n  echo attempt\n  exit 7\n',
    );
    const id = await launch(e, file);
    const job = await e.waitJob(id, 'terminal', (x) => isTerminal(x.status));
    assert.equal(job.status, 'FAILED');
    assert.equal(job.tasks[0].exitCode, 7);
    assert.equal(job.tasks[0].restartsOnErrors, 2);
    assert.equal(
      fs
        .readFileSync(e.runLog(id), 'utf8')
        .split('\n')
        .filter((l) => l === 'attempt').length,
      3,
      'one run and two restarts',
    );
    assert.deepEqual(await e.clusterNames(), []);
    const q = await e.cli(['jobs', 'queue']);
    assert.match(q.stdout, /ID\s+TASK\s+NAME\s+RESOURCES\s+SUBMITTED\s+TOT\. DURATION\s+JOB DURATION\s+#RECOVERIES\s+STATUS/);
    assert.match(q.stdout, new RegExp(`^${id}\\s+-\\s+flaky\\s.*\\s2\\s+FAILED$`, 'm'));
  });

  test('cancel during RECOVERING leaves no cluster behind', { skip, timeout: 600_000 }, async (t) => {
    const e = jobsEnv();
    t.after(() => e.cleanup());
    const file = e.write('c.yaml', `name: canc\nresources:\n  infra: local\nrun: |\n  ${steps(300)}\n`);
    const id = await launch(e, file);
    const j = await e.waitJob(id, 'RUNNING', (x) => x.status === 'RUNNING');
    // The relaunch after the preemption cannot touch the cluster store: the job stays RECOVERING.
    const release = await e.holdClusterStore();
    t.after(release);
    const p = await e.cli(['debug', 'preempt', j.tasks[0].cluster]);
    assert.equal(p.code, 0, p.stderr);
    await e.waitJob(id, 'RECOVERING', (x) => x.status === 'RECOVERING');
    // --async: the cancel is recorded now; the controller carries it out once the store is free.
    const r = await e.cli(['jobs', 'cancel', String(id), '-y', '--async']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`Cancelling managed job\\(s\\) ${id}\\.`));
    const asked = await e.job(id);
    assert.deepEqual([asked.status, asked.cancelRequested], ['RECOVERING', true], 'the cancel arrived during RECOVERING');
    await release();
    const job = await e.waitJob(id, 'terminal', (x) => isTerminal(x.status));
    assert.equal(job.status, 'CANCELLED', job.failureReason);
    assert.deepEqual(
      job.history.slice(-3).map((h) => h.status),
      ['RECOVERING', 'CANCELLING', 'CANCELLED'],
    );
    assert.deepEqual(await e.clusterNames(), [], 'no cluster left');
    assert.deepEqual(
      fs.readdirSync(path.join(e.home, 'local')).filter((d) => d.startsWith('canc')),
      [],
      'no local node left',
    );
  });

  test(
    'a controller killed with SIGKILL mid-run is restarted by `jobs queue`; the job finishes on one cluster, run once',
    { skip, timeout: 600_000 },
    async (t) => {
      const e = jobsEnv();
      t.after(() => e.cleanup());
      // The run holds at step 3 until released, so it cannot end while the controller is dead.
      const release = e.write('release.marker', '');
      fs.rmSync(release);
      const gated = `for i in $(seq 1 30); do echo "step $i"; sleep 0.2; if [ $i = 3 ]; then while [ ! -e ${release} ]; do sleep 0.1; done; fi; done`;
      const file = e.write('k.yaml', `name: killme\nresources:\n  infra: local\nrun: |\n  ${gated}\n`);
      const id = await launch(e, file);
      const running = await e.waitJob(id, 'RUNNING with output', (x) => x.status === 'RUNNING' && fs.readFileSync(e.runLog(id), 'utf8').includes('step 3\n'));
      await killControllerAndRequeue(e, id, running, `killme-${id}`);
      fs.writeFileSync(release, '');
      const job = await e.waitJob(id, 'terminal', (x) => isTerminal(x.status));
      assert.equal(job.status, 'SUCCEEDED', job.failureReason);
      assert.equal(job.controllerStarts, 2);
      assert.equal(job.tasks[0].recoveries, 0);
      assert.equal(job.tasks[0].clusterJobId, 1, 'the first and only run on the cluster');
      assert.equal(job.history.filter((h) => h.status === 'STARTING').length, 1, 'launched once');
      assert.equal(fs.readFileSync(e.runLog(id), 'utf8'), Array.from({ length: 30 }, (_, i) => `step ${i + 1}\n`).join(''), 'every line exactly once');
      assert.deepEqual(await e.clusterNames(), []);
    },
  );

  test('a 3-task pipeline runs its tasks in order, each on its own cluster', { skip, timeout: 600_000 }, async (t) => {
    const e = jobsEnv();
    t.after(() => e.cleanup());
    const doc = (name: string) =>
      `name: ${name}\nresources:\n  infra: local\nrun: |\n  echo "${name} start $(date +%s%N) $SKYPILOT_TASK_ID"\n  sleep 0.3\n  echo "${name} end $(date +%s%N)"\n`;
    const file = e.write('pipe.yaml', ['name: pipe\n', doc('prep'), doc('train'), doc('eval')].join('---\n'));
    const id = await launch(e, file);
    const job = await e.waitJob(id, 'terminal', (x) => isTerminal(x.status));
    assert.equal(job.status, 'SUCCEEDED', job.failureReason);
    assert.equal(job.name, 'pipe');
    assert.deepEqual(
      job.tasks.map((x) => [x.name, x.status, x.cluster]),
      [
        ['prep', 'SUCCEEDED', `prep-${id}`],
        ['train', 'SUCCEEDED', `train-${id}`],
        ['eval', 'SUCCEEDED', `eval-${id}`],
      ],
    );
    const lines = fs.readFileSync(e.runLog(id), 'utf8').trim().split('\n');
    assert.deepEqual(
      lines.map((l) => l.split(' ').slice(0, 2).join(' ')),
      ['prep start', 'prep end', 'train start', 'train end', 'eval start', 'eval end'],
    );
    const times = lines.map((l) => BigInt(l.split(' ')[2]));
    for (let k = 1; k < times.length; k++) assert.ok(times[k] >= times[k - 1], 'each task starts after the previous one ended');
    assert.match(lines[2], new RegExp(`_pipe_train_${id}-1$`));
    // Each task ran on a cluster launched for it and torn down after it.
    assert.ok(job.tasks[0].endedAt! <= job.tasks[1].startedAt! && job.tasks[1].endedAt! <= job.tasks[2].startedAt!);
    assert.deepEqual(await e.clusterNames(), []);
    const q = await e.cli(['jobs', 'queue']);
    assert.match(q.stdout, /↳ train/);
  });
});
