/**
 * Managed jobs on an SSH node pool of network-namespace hosts (real sshd each,
 * test/helpers/sshd.ts), through the built CLI and real detached controllers: the same
 * guarantees as on `local` (local.test.ts). One set of hosts serves every test. A host that
 * vanishes (all its processes and its network gone) is SSH's preemption; vanished hosts do
 * not come back, so the tests that kill hosts run last and the pool has enough for them
 * (1 for the cancel test, 3 for the triple preemption, 1 left to finish on).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { netnsSkipReason, startSshHosts, type SshHost, type SshTestHosts } from '../../helpers/sshd';
import { writeNodePoolsYaml } from '../../helpers/nodePools';
import { jobLogPath } from '../../../engine/jobs/paths';
import { isTerminal } from '../../../engine/jobs/types';
import { CLI, jobsEnv, killControllerAndRequeue, segments, type JobsEnv } from './helpers';
import { builtFiles, requirePrerequisite } from '../../helpers/prerequisites';

const skip = requirePrerequisite(netnsSkipReason() ?? builtFiles(CLI, path.join(path.dirname(CLI), 'jobs-controller.js')));
const HOSTS = 5;

async function launch(e: JobsEnv, file: string): Promise<number> {
  const r = await e.cli(['jobs', 'launch', file, '-y', '-d']);
  assert.equal(r.code, 0, r.stderr);
  return Number(/Managed job ID: (\d+)/.exec(r.stdout)![1]);
}

/** A run that prints its host, then steps, holding at step 3 until `release` exists (files under /tmp are shared with the hosts). */
function gatedRun(release: string, steps: number): string {
  return `echo "on $(hostname)"\n  for i in $(seq 1 ${steps}); do echo "step $i"; sleep 0.1; if [ $i = 3 ]; then while [ ! -e ${release} ]; do sleep 0.1; done; fi; done`;
}

describe('managed jobs on an SSH node pool', { skip, concurrency: false }, () => {
  let hosts: SshTestHosts;
  let e: JobsEnv;
  const log = (id: number) => fs.readFileSync(jobLogPath(id), 'utf8');
  const hostOf = (line: string | undefined): SshHost => {
    const h = hosts.hosts.find((x) => line === `on ${x.hostname}`);
    assert.ok(h, `'${line}' names one of ${hosts.hosts.map((x) => x.hostname).join(', ')}`);
    return h;
  };
  const gate = (name: string) => {
    const file = path.join(e.home, `${name}.release`);
    fs.rmSync(file, { force: true });
    return file;
  };

  before(async () => {
    // A vanished host's probe waits out the connect timeout: keep it short. Its teardown fails
    // on every attempt before the cluster is forgotten (purged): two attempts (one retry)
    // instead of five, whose backoffs added about half a minute to each recovery and cancel.
    e = jobsEnv({ SKYDECK_JOBS_UNKNOWN_GRACE_MS: '5000', SKYDECK_SSH_CONNECT_TIMEOUT_MS: '2000', SKYDECK_JOBS_DOWN_ATTEMPTS: '2' });
    hosts = await startSshHosts({ loopback: false, netnsHosts: HOSTS });
    writeNodePoolsYaml(path.join(e.home, 'ssh_node_pools.yaml'), { pool: hosts.hosts });
  });

  after(async () => {
    await e?.cleanup();
    await hosts?.stop();
  });

  test('a 3-task pipeline runs its tasks in order on the pool, each on its own cluster', { timeout: 600_000 }, async () => {
    const doc = (name: string) =>
      `name: ${name}\nresources:\n  infra: ssh/pool\nrun: |\n  echo "${name} start $(date +%s%N)"\n  echo "${name} end $(date +%s%N)"\n`;
    const file = e.write('pipe.yaml', ['name: spipe\n', doc('prep'), doc('train'), doc('eval')].join('---\n'));
    const id = await launch(e, file);
    const job = await e.waitJob(id, 'terminal', (x) => isTerminal(x.status), 240_000);
    assert.equal(job.status, 'SUCCEEDED', job.failureReason);
    assert.deepEqual(
      job.tasks.map((x) => [x.name, x.status, x.cluster]),
      [
        ['prep', 'SUCCEEDED', `prep-${id}`],
        ['train', 'SUCCEEDED', `train-${id}`],
        ['eval', 'SUCCEEDED', `eval-${id}`],
      ],
    );
    const lines = log(id).trim().split('\n');
    assert.deepEqual(
      lines.map((l) => l.split(' ').slice(0, 2).join(' ')),
      ['prep start', 'prep end', 'train start', 'train end', 'eval start', 'eval end'],
    );
    assert.ok(
      job.tasks[0].endedAt! <= job.tasks[1].startedAt! && job.tasks[1].endedAt! <= job.tasks[2].startedAt!,
      'each task starts after the previous one ended',
    );
    assert.deepEqual(await e.clusterNames(), []);
  });

  test('a controller killed with SIGKILL mid-run is restarted; the job finishes on one cluster, run once', { timeout: 600_000 }, async () => {
    const release = gate('kill');
    const file = e.write('k.yaml', `name: skill\nresources:\n  infra: ssh/pool\nrun: |\n  ${gatedRun(release, 10)}\n`);
    const id = await launch(e, file);
    const running = await e.waitJob(id, 'RUNNING with output', (x) => x.status === 'RUNNING' && log(id).includes('step 3\n'), 240_000);
    await killControllerAndRequeue(e, id, running, `skill-${id}`);
    fs.writeFileSync(release, '');
    const job = await e.waitJob(id, 'terminal', (x) => isTerminal(x.status), 240_000);
    assert.equal(job.status, 'SUCCEEDED', job.failureReason);
    assert.equal(job.controllerStarts, 2);
    assert.equal(job.tasks[0].recoveries, 0);
    assert.equal(job.history.filter((h) => h.status === 'STARTING').length, 1, 'launched once');
    const lines = log(id).trim().split('\n');
    hostOf(lines[0]);
    assert.deepEqual(
      lines.slice(1),
      Array.from({ length: 10 }, (_, i) => `step ${i + 1}`),
      'every line exactly once',
    );
    assert.deepEqual(await e.clusterNames(), []);
  });

  test('a failing job restarts exactly max_restarts_on_errors times on the pool, then FAILED', { timeout: 600_000 }, async () => {
    const file = e.write(
      'flaky.yaml',
      'name: sflaky\nresources:\n  infra: ssh/pool\n  job_recovery:\n    max_restarts_on_errors: 2\nrun: |\n  echo "attempt on $(hostname)"\n  exit 3\n',
    );
    const id = await launch(e, file);
    const job = await e.waitJob(id, 'terminal', (x) => isTerminal(x.status), 240_000);
    assert.equal(job.status, 'FAILED', job.failureReason);
    assert.equal(job.tasks[0].exitCode, 3);
    assert.equal(job.tasks[0].restartsOnErrors, 2);
    const names = hosts.hosts.map((h) => `attempt on ${h.hostname}`);
    assert.equal(
      log(id)
        .split('\n')
        .filter((l) => names.includes(l)).length,
      3,
      'one run and two restarts',
    );
    // EAGER_NEXT_REGION restarts like a recovery: the cluster is torn down and launched again.
    assert.equal(job.history.filter((h) => h.status === 'RECOVERING').length, 2);
    assert.deepEqual(await e.clusterNames(), []);
  });

  test('cancel during RECOVERING (its host vanished) leaves no cluster behind', { timeout: 600_000 }, async (t) => {
    const file = e.write(
      'c.yaml',
      'name: scanc\nresources:\n  infra: ssh/pool\nrun: |\n  echo "on $(hostname)"\n  for i in $(seq 1 600); do echo "step $i"; sleep 0.2; done\n',
    );
    const id = await launch(e, file);
    await e.waitJob(id, 'RUNNING with output', (x) => x.status === 'RUNNING' && log(id).includes('step 1\n'), 240_000);
    // The relaunch cannot touch the cluster store: the job stays RECOVERING until released.
    const release = await e.holdClusterStore();
    t.after(release);
    await hostOf(log(id).split('\n')[0]).kill();
    await e.waitJob(id, 'RECOVERING', (x) => x.status === 'RECOVERING', 180_000);
    const r = await e.cli(['jobs', 'cancel', String(id), '-y', '--async']);
    assert.equal(r.code, 0, r.stderr);
    const asked = await e.job(id);
    assert.deepEqual([asked.status, asked.cancelRequested], ['RECOVERING', true], 'the cancel arrived during RECOVERING');
    await release();
    const job = await e.waitJob(id, 'terminal', (x) => isTerminal(x.status), 240_000);
    assert.equal(job.status, 'CANCELLED', job.failureReason);
    assert.deepEqual(
      job.history.slice(-2).map((h) => h.status),
      ['CANCELLING', 'CANCELLED'],
    );
    assert.deepEqual(await e.clusterNames(), [], 'no cluster left');
  });

  test('a job whose host vanishes three times finishes SUCCEEDED on the fourth host, log continuous, recoveries = 3', { timeout: 600_000 }, async () => {
    const release = gate('spot');
    const file = e.write('s.yaml', `name: sspot\nresources:\n  infra: ssh/pool\nrun: |\n  ${gatedRun(release, 12)}\n`);
    const id = await launch(e, file);
    const used: string[] = [];
    for (let n = 0; n < 3; n++) {
      await e.waitJob(
        id,
        `RUNNING after ${n} recoveries`,
        (x) => x.status === 'RUNNING' && x.tasks[0].recoveries === n && (segments(log(id))[n] ?? []).includes('step 2'),
        240_000,
      );
      const host = hostOf(segments(log(id))[n][0]);
      used.push(host.hostname);
      await host.kill();
    }
    await e.waitJob(id, 'RUNNING after 3 recoveries', (x) => x.status === 'RUNNING' && x.tasks[0].recoveries === 3, 240_000);
    fs.writeFileSync(release, '');
    const job = await e.waitJob(id, 'terminal', (x) => isTerminal(x.status), 240_000);
    assert.equal(job.status, 'SUCCEEDED', job.failureReason);
    assert.equal(job.tasks[0].recoveries, 3);
    const segs = segments(log(id));
    assert.equal(segs.length, 4, 'three recovery markers');
    for (const [k, seg] of segs.entries()) {
      // Each run's output is in order from its first line: nothing lost or repeated within it.
      const nums = seg.slice(1).map((l) => Number(/^step (\d+)$/.exec(l)?.[1]));
      assert.deepEqual(
        nums,
        Array.from({ length: nums.length }, (_, i) => i + 1),
        `run ${k}: ${seg.join('|')}`,
      );
      if (k === 3) assert.equal(nums.length, 12, 'the last run is complete');
    }
    used.push(hostOf(segs[3][0]).hostname);
    assert.equal(new Set(used).size, 4, `every run on another host: ${used.join(', ')}`);
    assert.deepEqual(await e.clusterNames(), []);
  });
});
