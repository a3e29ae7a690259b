/**
 * Autostop on an SSH node pool, carried out by the node: a cluster launched with `-i 1 --down`
 * frees its host (agent gone, node files and claim removed) while the test calls nothing of
 * SkyDeck's; the next `status -r` shows it gone and the host is free. Under `jobs_and_ssh` an
 * open SSH session to the node keeps the cluster up; under `jobs` it does not.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { netnsSkipReason, sshArgv, startSshHosts, type SshHost, type SshTestHosts } from '../../helpers/sshd';
import { writeNodePoolsYaml } from '../../helpers/nodePools';
import { requirePrerequisite } from '../../helpers/prerequisites';
import { until } from '../../helpers/until';
import { clusters, findCluster } from '../../../engine/cluster';
import { closeAllSshConnections } from '../../../engine/node/ssh';
import { usedHosts } from '../../../engine/infra/ssh/hosts';
import { autostopNotes } from '../../../engine/cluster/autostopHistory';
import { fastAgent, freshHome, makeTask } from '../cluster/helpers';

const skip = requirePrerequisite(netnsSkipReason());
/** One autostop "minute" of the agent, in ms (SKYDECK_AGENT_MINUTE_MS). */
const MINUTE_MS = 1000;

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function daemonPid(h: SshHost): number {
  return Number(fs.readFileSync(path.join(h.homeDir, '.skydeck_node', 'daemon.pid'), 'utf8').split(' ')[0]);
}

describe('autostop on an SSH node pool', { skip, concurrency: false, timeout: 300_000 }, () => {
  let hosts: SshTestHosts;
  let env: ReturnType<typeof freshHome>;

  before(async () => {
    env = freshHome();
    fastAgent(MINUTE_MS);
    hosts = await startSshHosts({ netnsHosts: 1 });
    writeNodePoolsYaml(path.join(env.home, 'ssh_node_pools.yaml'), { pool: [hosts.hosts[0]] });
  });

  after(async () => {
    for (const name of ['sd1', 'ss1', 'sd2']) await clusters.down(name).catch(() => undefined);
    closeAllSshConnections();
    await hosts?.stop();
    env?.cleanup();
  });

  test('-i 1 --down: the node releases its host within 90 s with no SkyDeck call; status then shows it gone', async () => {
    const h = hosts.hosts[0];
    const r = await clusters.launch(makeTask({ infra: { cloud: 'ssh', region: 'pool' }, run: 'echo hi' }), {
      clusterName: 'sd1',
      idleMinutesToAutostop: 1,
      down: true,
    });
    assert.equal(r.jobStatus, 'SUCCEEDED');
    const daemon = daemonPid(h);
    closeAllSshConnections();
    // Only the node acts from here on: wait on what it leaves behind.
    await until(
      'the node to tear itself down',
      () =>
        !pidAlive(daemon) && !fs.existsSync(path.join(h.homeDir, '.skydeck_node')) && !fs.existsSync(path.join(h.homeDir, '.skydeck_claim')) ? true : undefined,
      { timeoutMs: 90_000, everyMs: 200 },
    );
    assert.match(fs.readFileSync(path.join(h.homeDir, '.skydeck_autodown'), 'utf8'), / sd1-[0-9a-f]{6}-[0-9a-f]{4} \d+\n$/);
    assert.ok(!fs.existsSync(path.join(h.homeDir, 'sky_workdir')));
    // The record says UP until the next status; then it is gone and the host is free again.
    assert.equal((await findCluster('sd1'))?.status, 'UP');
    // Meanwhile nothing puts the agent back on the released host.
    await assert.rejects(clusters.queue('sd1'), /released by its cluster's autodown/);
    assert.ok(!fs.existsSync(path.join(h.homeDir, '.skydeck_node')));
    assert.deepEqual(await clusters.status({ refresh: true, names: ['sd1'] }), []);
    assert.equal(await findCluster('sd1'), undefined);
    assert.deepEqual(await autostopNotes([], ['sd1']).then((n) => n.map((l) => l.replace(/at \S+ /, 'at T '))), [
      "Cluster 'sd1' was torn down by autostop at T (idle 1 minute(s), wait_for jobs_and_ssh).",
    ]);
    assert.deepEqual(await usedHosts(), {});
    const again = await clusters.launch(makeTask({ infra: { cloud: 'ssh', region: 'pool' }, run: 'echo again' }), { clusterName: 'sd2' });
    assert.equal(again.jobStatus, 'SUCCEEDED');
    await clusters.down('sd2');
  });

  test('jobs_and_ssh: an open SSH session keeps the cluster up; under jobs the same session does not', async () => {
    const h = hosts.hosts[0];
    await clusters.launch(makeTask({ infra: { cloud: 'ssh', region: 'pool' }, run: 'echo hi' }), { clusterName: 'ss1' });
    const argv = sshArgv(h, 'echo ready; sleep 600');
    const session = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'ignore'] });
    after(() => void session.kill('SIGKILL'));
    await new Promise<void>((resolve) => session.stdout.on('data', (b: Buffer) => b.toString().includes('ready') && resolve()));
    // Autostop is set once the session is open (setting it restarts the idle timer).
    await clusters.autostop('ss1', 1, false);
    const node = path.join(h.homeDir, '.skydeck_node');
    const fired = () => fs.existsSync(path.join(node, 'autostop_fired'));
    // The agent keeps touching its activity while the session is open: wait for 3 idle minutes' worth of it.
    await until(
      'three minutes of ticks with the session open',
      () => {
        assert.ok(!fired(), 'autostop fired while an SSH session was open');
        const set = fs.statSync(path.join(node, 'autostop')).mtimeMs;
        return fs.statSync(path.join(node, 'last_active_ms')).mtimeMs - set > 3 * MINUTE_MS ? true : undefined;
      },
      { timeoutMs: 60_000, everyMs: 100 },
    );
    assert.equal((await findCluster('ss1'))?.status, 'UP');
    await clusters.autostop('ss1', 1, false, 'jobs');
    assert.deepEqual((await findCluster('ss1'))?.autostop, { idleMinutes: 1, down: false, waitFor: 'jobs' });
    const daemon = daemonPid(h);
    closeAllSshConnections();
    await until('autostop under jobs, session still open', () => (fired() && !pidAlive(daemon) ? true : undefined), { timeoutMs: 90_000, everyMs: 200 });
    assert.equal(session.exitCode, null, 'the session is still open');
    const [rec] = await clusters.status({ refresh: true, names: ['ss1'] });
    assert.equal(rec.status, 'STOPPED');
    assert.equal((await autostopNotes([rec], ['ss1'])).length, 1);
    await clusters.down('ss1');
  });
});
