/**
 * The agent's idleness rules (SkyPilot's wait_for) on a local agent: an SSH session (a
 * process whose parent is an sshd) keeps the cluster up under jobs_and_ssh, not under jobs;
 * under none a running job does not. The "sshd" here is a copy of bash named sshd, so the
 * process tree looks like a login without needing a real sshd or root.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { JobSpec } from '../../../engine/node/agentClient';
import { fastAgentEnv, makeLocalCluster, waitFor, type LocalCluster } from '../../helpers/localNodes';

/** One agent minute: long enough that a check in between sees the cluster still up. */
const MINUTE_MS = 400;

function job(c: LocalCluster, run: string): JobSpec {
  return { name: 'job', run, nodes: [{ ip: c.nodes[0].ip, launcher: ['bash', '-c'] }], clusterName: 'testc' };
}

/** A fake login: a process named `sshd` with a shell child that lives until killed. */
function fakeSshSession(dir: string): ChildProcess {
  const sshd = path.join(dir, 'sshd');
  fs.copyFileSync('/bin/bash', sshd);
  fs.chmodSync(sshd, 0o755);
  // `; true` keeps the sshd process as the parent (no exec of the last command).
  const p = spawn(sshd, ['-c', 'sleep 600; true'], { stdio: 'ignore', detached: true });
  return p;
}

function endSession(p: ChildProcess): void {
  if (p.pid) {
    try {
      process.kill(-p.pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
}

const fired = (c: LocalCluster) => async () => ((await c.agent.idleState()).triggeredAt !== undefined ? true : undefined);

test('jobs_and_ssh: an open SSH session keeps the cluster from going idle; closing it lets autostop fire', async (t) => {
  const c = makeLocalCluster(1, fastAgentEnv(50, MINUTE_MS));
  t.after(c.cleanup);
  const session = fakeSshSession(c.root);
  t.after(() => endSession(session));
  await c.agent.setAutostop(1, false, ['true'], 'jobs_and_ssh');
  // Wait on the agent's own ticks: well past the limit, the timer is still fresh.
  await waitFor('several idle minutes of ticks', async () => {
    const s = await c.agent.idleState();
    assert.equal(s.triggeredAt, undefined, 'fired while an SSH session was open');
    assert.equal(s.waitFor, 'jobs_and_ssh');
    return fs.statSync(path.join(c.nodes[0].dir, '.skydeck_node', 'last_active_ms')).mtimeMs -
      fs.statSync(path.join(c.nodes[0].dir, '.skydeck_node', 'autostop')).mtimeMs >
      3 * MINUTE_MS
      ? true
      : undefined;
  });
  endSession(session);
  await waitFor('autostop after the session closed', fired(c), 30_000);
});

test('jobs: the same open SSH session does not count', async (t) => {
  const c = makeLocalCluster(1, fastAgentEnv(50, MINUTE_MS));
  t.after(c.cleanup);
  const session = fakeSshSession(c.root);
  t.after(() => endSession(session));
  await c.agent.setAutostop(1, false, ['true'], 'jobs');
  await waitFor('autostop with the session open', fired(c), 30_000);
  assert.equal((await c.agent.idleState()).waitFor, 'jobs');
});

test('none: a hard deadline; a running job does not hold it off', async (t) => {
  const c = makeLocalCluster(1, fastAgentEnv(50, MINUTE_MS));
  t.after(c.cleanup);
  const marker = path.join(c.nodes[0].dir, 'action-ran');
  const id = await c.agent.submit(job(c, 'sleep 600'));
  await c.agent.setAutostop(1, true, ['bash', '-c', `echo "down=$SKYDECK_AUTOSTOP_DOWN" > ${marker}`], 'none');
  await waitFor('the action to run', () => (fs.existsSync(marker) ? true : undefined), 30_000);
  assert.equal(fs.readFileSync(marker, 'utf8').trim(), 'down=1');
  assert.equal((await c.agent.status(id))?.status, 'RUNNING', 'the agent itself only fires; the action ends jobs');
  await c.agent.cancel('all');
});
