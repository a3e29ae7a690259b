/**
 * Job groups (`execution: parallel`) end to end on `local` through the built CLI: real
 * detached controllers, one real local cluster per task, all at once. The tasks meet
 * through files in a directory of the test (each waits for what the other writes), so
 * only tasks that really run at the same time can finish. Each test has its own SKYDECK_HOME,
 * so they run at once: they mostly wait on their jobs.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { needsController } from '../../../engine/jobs/types';
import { CLI, jobsEnv, type JobsEnv } from './helpers';
import { builtFiles, requirePrerequisite } from '../../helpers/prerequisites';

const skip = requirePrerequisite(builtFiles(CLI, path.join(path.dirname(CLI), 'jobs-controller.js')));

async function launch(e: JobsEnv, file: string): Promise<number> {
  const r = await e.cli(['jobs', 'launch', file, '-y', '-d']);
  assert.equal(r.code, 0, r.stderr);
  assert.doesNotMatch(r.stderr, /sequential/, 'no "runs sequentially" warning any more');
  const m = /Managed job ID: (\d+)/.exec(r.stdout);
  assert.ok(m, r.stdout);
  return Number(m[1]);
}

/** A task document: `run` is the shell body (indented under `run: |`). */
const doc = (name: string, run: string) => `name: ${name}\nresources:\n  infra: local\nrun: |\n${run.replace(/^/gm, '  ')}\n`;
const groupFile = (header: string, ...docs: string[]) => `---\n${[header, ...docs].join('\n---\n')}`;
/** Waits (in the task) for a file the other task writes. */
const waitFor = (file: string) => `while [ ! -e ${file} ]; do sleep 0.1; done`;

function meetingDir(e: JobsEnv): string {
  const dir = path.join(e.home, 'meet');
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

describe('job groups on local', { concurrency: true }, () => {
  test('two tasks of a group really overlap: each waits for a file the other writes; both SUCCEEDED, clusters gone', { skip, timeout: 600_000 }, async (t) => {
    const e = jobsEnv();
    t.after(() => e.cleanup());
    const dir = meetingDir(e);
    const file = e.write(
      'pair.yaml',
      groupFile(
        'name: pair\nexecution: parallel',
        doc('ping', `echo "ping in $SKYPILOT_JOBGROUP_NAME"\ntouch ${dir}/ping\n${waitFor(`${dir}/pong`)}\necho "ping saw pong"`),
        doc('pong', `touch ${dir}/pong\n${waitFor(`${dir}/ping`)}\necho "pong saw ping"`),
      ),
    );
    // A cluster verb refuses a group, as SkyPilot refuses a DAG outside `jobs launch`.
    const refused = await e.cli(['launch', file, '-y']);
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(refused.stderr, /only supported by `skydeck jobs launch`/);
    const id = await launch(e, file);
    const job = await e.waitJob(id, 'terminal', (x) => !needsController(x));
    assert.equal(job.status, 'SUCCEEDED', job.failureReason);
    assert.equal(job.execution, 'parallel');
    assert.deepEqual(
      job.tasks.map((x) => [x.name, x.status, x.primary, x.cluster]),
      [
        ['ping', 'SUCCEEDED', true, `ping-${id}`],
        ['pong', 'SUCCEEDED', true, `pong-${id}`],
      ],
    );
    assert.equal(fs.readFileSync(e.runLog(id, 0), 'utf8'), 'ping in pair\nping saw pong\n');
    assert.equal(fs.readFileSync(e.runLog(id, 1), 'utf8'), 'pong saw ping\n');
    assert.deepEqual(await e.clusterNames(), [], 'no cluster left');
    // The queue shows the group and its tasks, in text and JSON.
    const q = await e.cli(['jobs', 'queue', '--json']);
    const row = (
      JSON.parse(q.stdout) as { id: number; execution?: string; status: string; tasks?: { name: string; status: string; primary?: boolean }[] }[]
    ).find((r) => r.id === id)!;
    assert.deepEqual(
      [row.execution, row.status, row.tasks?.map((x) => [x.name, x.status, x.primary])],
      [
        'parallel',
        'SUCCEEDED',
        [
          ['ping', 'SUCCEEDED', true],
          ['pong', 'SUCCEEDED', true],
        ],
      ],
    );
    const text = await e.cli(['jobs', 'queue']);
    assert.match(text.stdout, new RegExp(`^${id}\\s+-\\s+pair\\s.*SUCCEEDED$`, 'm'));
    assert.match(text.stdout, /↳ ping\s.*SUCCEEDED$/m);
    assert.match(text.stdout, /↳ pong\s.*SUCCEEDED$/m);
    // `jobs logs ID` shows both tasks' lines, `jobs logs ID TASK` one task's.
    const all = await e.cli(['jobs', 'logs', String(id), '--no-follow']);
    assert.deepEqual(all.stdout.split('\n').filter(Boolean).sort(), ['(ping) ping in pair', '(ping) ping saw pong', '(pong) pong saw ping']);
    const one = await e.cli(['jobs', 'logs', String(id), 'pong', '--no-follow']);
    assert.equal(one.stdout, 'pong saw ping\n');
  });

  test('the primary task finishing terminates the auxiliary task after termination_delay; the group SUCCEEDED', { skip, timeout: 600_000 }, async (t) => {
    const e = jobsEnv();
    t.after(() => e.cleanup());
    const dir = meetingDir(e);
    const file = e.write(
      'aux.yaml',
      groupFile(
        'name: withaux\nexecution: parallel\nprimary_tasks: [trainer]\ntermination_delay:\n  default: 0s\n  data: 3s',
        doc('trainer', `${waitFor(`${dir}/serving`)}\necho trained`),
        doc('data', `touch ${dir}/serving\necho serving\nsleep 600`),
      ),
    );
    const id = await launch(e, file);
    const job = await e.waitJob(id, 'terminal', (x) => !needsController(x));
    assert.equal(job.status, 'SUCCEEDED', job.failureReason);
    const [trainer, data] = job.tasks;
    assert.deepEqual([trainer.status, trainer.primary, data.status, data.primary], ['SUCCEEDED', true, 'CANCELLED', false]);
    assert.ok(data.endedAt! - trainer.endedAt! >= 3000, `the auxiliary ended ${data.endedAt! - trainer.endedAt!} ms after the primary`);
    assert.match(data.failureReason ?? '', /termination_delay 3 s/);
    assert.deepEqual(await e.clusterNames(), [], 'no cluster left');
    assert.deepEqual(
      fs.readdirSync(path.join(e.home, 'local')).filter((d) => d.startsWith('data') || d.startsWith('trainer')),
      [],
      'no local node left',
    );
  });

  test('cancel ends both tasks of a running group', { skip, timeout: 600_000 }, async (t) => {
    const e = jobsEnv();
    t.after(() => e.cleanup());
    const file = e.write('canc.yaml', groupFile('name: cgroup\nexecution: parallel', doc('one', 'echo up\nsleep 600'), doc('two', 'echo up\nsleep 600')));
    const id = await launch(e, file);
    await e.waitJob(id, 'both RUNNING', (x) => x.tasks.every((k) => k.status === 'RUNNING'));
    const r = await e.cli(['jobs', 'cancel', String(id), '-y']);
    assert.equal(r.code, 0, r.stderr);
    const job = await e.waitJob(id, 'terminal', (x) => !needsController(x));
    assert.deepEqual([job.status, ...job.tasks.map((k) => k.status)], ['CANCELLED', 'CANCELLED', 'CANCELLED']);
    assert.deepEqual(await e.clusterNames(), [], 'no cluster left');
  });

  test('a failing primary fails the group; the auxiliary is terminated at once despite termination_delay', { skip, timeout: 600_000 }, async (t) => {
    const e = jobsEnv();
    t.after(() => e.cleanup());
    const dir = meetingDir(e);
    // A one-hour delay: the test would time out if it applied to a failed primary.
    const file = e.write(
      'fail.yaml',
      groupFile(
        'name: failing\nexecution: parallel\nprimary_tasks: [main]\ntermination_delay: 1h',
        doc('main', `${waitFor(`${dir}/aux-up`)}\necho failing\nexit 3`),
        doc('helper', `touch ${dir}/aux-up\nsleep 600`),
      ),
    );
    const id = await launch(e, file);
    const job = await e.waitJob(id, 'terminal', (x) => !needsController(x));
    assert.equal(job.status, 'FAILED');
    assert.deepEqual(
      job.tasks.map((k) => [k.status, k.exitCode]),
      [
        ['FAILED', 3],
        ['CANCELLED', undefined],
      ],
    );
    assert.match(job.failureReason ?? '', /exited with code 3/);
    assert.deepEqual(await e.clusterNames(), [], 'no cluster left');
  });

  test('a preempted member recovers on its own while the other keeps running; then both finish', { skip, timeout: 600_000 }, async (t) => {
    const e = jobsEnv();
    t.after(() => e.cleanup());
    const dir = meetingDir(e);
    const file = e.write(
      'pre.yaml',
      groupFile(
        'name: recov\nexecution: parallel',
        doc('spot', `echo "spot run"\n${waitFor(`${dir}/release`)}\necho "spot done"`),
        doc('steady', `echo "steady run"\n${waitFor(`${dir}/release`)}\necho "steady done"`),
      ),
    );
    const id = await launch(e, file);
    const running = await e.waitJob(id, 'both RUNNING', (x) => x.tasks.every((k) => k.status === 'RUNNING'));
    const steadyRun = running.tasks[1].clusterJobId;
    const p = await e.cli(['debug', 'preempt', running.tasks[0].cluster]);
    assert.equal(p.code, 0, p.stderr);
    const recovered = await e.waitJob(id, 'spot recovered', (x) => x.tasks[0].recoveries === 1 && x.tasks[0].status === 'RUNNING');
    assert.deepEqual(
      [recovered.tasks[1].status, recovered.tasks[1].recoveries, recovered.tasks[1].clusterJobId],
      ['RUNNING', 0, steadyRun],
      'the other task kept its run',
    );
    fs.writeFileSync(path.join(dir, 'release'), '');
    const job = await e.waitJob(id, 'terminal', (x) => !needsController(x));
    assert.equal(job.status, 'SUCCEEDED', job.failureReason);
    assert.equal(job.tasks[0].recoveries, 1);
    const spotLog = fs.readFileSync(e.runLog(id, 0), 'utf8');
    assert.match(spotLog, /Recovery #1/);
    assert.match(spotLog, /spot done\n$/);
    assert.equal(fs.readFileSync(e.runLog(id, 1), 'utf8'), 'steady run\nsteady done\n');
    assert.deepEqual(await e.clusterNames(), [], 'no cluster left');
  });
});
