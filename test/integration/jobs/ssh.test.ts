/**
 * Managed jobs on an SSH node pool of two network-namespace hosts (real sshd each,
 * test/helpers/sshd.ts), through the built CLI and real detached controllers.
 * A host that vanishes (all its processes and its network gone) is SSH's preemption:
 * the job recovers on the pool's other host.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { netnsSkipReason, startSshHosts, type SshTestHosts } from '../../helpers/sshd';
import { writeNodePoolsYaml } from '../../helpers/nodePools';
import { jobLogPath } from '../../../engine/jobs/paths';
import { isTerminal } from '../../../engine/jobs/types';
import { CLI, jobsEnv, segments, type JobsEnv } from './helpers';

const built = fs.existsSync(CLI) && fs.existsSync(path.join(path.dirname(CLI), 'jobs-controller.js'));
const skip = netnsSkipReason() ?? (built ? false : 'run `npm run -s build` first');

async function launch(e: JobsEnv, file: string): Promise<number> {
  const r = await e.cli(['jobs', 'launch', file, '-y', '-d']);
  assert.equal(r.code, 0, r.stderr);
  return Number(/Managed job ID: (\d+)/.exec(r.stdout)![1]);
}

describe('managed jobs on an SSH node pool', { skip, concurrency: false }, () => {
  let hosts: SshTestHosts;
  let e: JobsEnv;

  before(async () => {
    e = jobsEnv({ SKYDECK_JOBS_UNKNOWN_GRACE_MS: '5000' });
    hosts = await startSshHosts({ netnsHosts: 2 });
    writeNodePoolsYaml(path.join(e.home, 'ssh_node_pools.yaml'), { pool: hosts.hosts });
  });

  after(async () => {
    await e?.cleanup();
    await hosts?.stop();
  });

  test('a failing job restarts exactly max_restarts_on_errors times on the pool, then FAILED', { timeout: 120_000 }, async () => {
    const file = e.write('flaky.yaml', 'name: sflaky\nresources:\n  infra: ssh/pool\n  job_recovery:\n    max_restarts_on_errors: 1\nrun: |\n  echo "attempt on $(hostname)"\n  exit 3\n');
    const id = await launch(e, file);
    const job = await e.waitJob(id, 'terminal', (x) => isTerminal(x.status), 100_000);
    assert.equal(job.status, 'FAILED', job.failureReason);
    assert.equal(job.tasks[0].exitCode, 3);
    assert.equal(job.tasks[0].restartsOnErrors, 1);
    const names = hosts.hosts.map((h) => `attempt on ${h.hostname}`);
    const log = fs.readFileSync(jobLogPath(id), 'utf8');
    assert.equal(log.split('\n').filter((l) => names.includes(l)).length, 2, log);
    assert.deepEqual(await e.clusterNames(), []);
  });

  test('the host under the job vanishes: the job recovers on the other host and SUCCEEDS, log continuous', { timeout: 150_000 }, async () => {
    const file = e.write('s.yaml', 'name: sspot\nresources:\n  infra: ssh/pool\nrun: |\n  echo "on $(hostname)"\n  for i in $(seq 1 15); do echo "step $i"; sleep 0.3; done\n');
    const id = await launch(e, file);
    await e.waitJob(id, 'RUNNING with output', (x) => x.status === 'RUNNING' && fs.readFileSync(jobLogPath(id), 'utf8').includes('step 2\n'), 100_000);
    const first = /^on (\S+)$/m.exec(fs.readFileSync(jobLogPath(id), 'utf8'))![1];
    const victim = hosts.hosts.find((h) => h.hostname === first);
    assert.ok(victim, `ran on ${first}, one of ${hosts.hosts.map((h) => h.hostname).join(', ')}`);
    await victim.kill();
    const job = await e.waitJob(id, 'terminal', (x) => isTerminal(x.status), 120_000);
    assert.equal(job.status, 'SUCCEEDED', job.failureReason);
    assert.equal(job.tasks[0].recoveries, 1);
    const segs = segments(fs.readFileSync(jobLogPath(id), 'utf8'));
    assert.equal(segs.length, 2);
    assert.notEqual(segs[1][0], `on ${first}`, 'the second run is on the other host');
    assert.deepEqual(segs[1].slice(1), Array.from({ length: 15 }, (_, i) => `step ${i + 1}`));
    assert.deepEqual(await e.clusterNames(), []);
  });
});
