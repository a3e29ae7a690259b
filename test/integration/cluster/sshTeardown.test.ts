/**
 * Teardown on SSH node pools (a loopback sshd): `down` while the host is unreachable fails
 * and keeps the cluster and its host (its jobs may still run) unless --purge; launches killed
 * at seeded random points are reclaimed by `status -r` + `down` (no reserved host, no node files).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { sshSkipReason, startSshHosts, type SshHost, type SshTestHosts } from '../../helpers/sshd';
import { writeNodePoolsYaml } from '../../helpers/nodePools';
import { clusters, findCluster } from '../../../engine/cluster';
import { closeAllSshConnections } from '../../../engine/node/ssh';
import { CLI, cli, killLaunchAt, leaksIn, reconcileAndDown, seededRandom, type KillOutcome, type KillSignal } from '../../../bench/chaos/killLaunch';
import { freshHome, makeTask } from './helpers';
import { builtFiles, requirePrerequisite } from '../../helpers/prerequisites';

const skip = requirePrerequisite(sshSkipReason() ?? builtFiles(CLI));
const SEED = Number(process.env.SKYDECK_CHAOS_SEED ?? 1414);

function reservedHosts(home: string): string[] {
  try {
    return Object.keys(
      (JSON.parse(fs.readFileSync(path.join(home, 'state', 'ssh-hosts.json'), 'utf8')) as { data: { inUse: Record<string, unknown> } }).data.inUse,
    );
  } catch {
    return [];
  }
}

describe('SSH pool teardown', { skip, concurrency: false }, () => {
  let hosts: SshTestHosts;
  let lo: SshHost;
  let env: ReturnType<typeof freshHome>;

  before(async () => {
    env = freshHome();
    hosts = await startSshHosts({ loopback: true });
    lo = hosts.hosts[0];
    writeNodePoolsYaml(path.join(env.home, 'ssh_node_pools.yaml'), { p: [lo] });
  });

  after(async () => {
    await lo?.startSshd().catch(() => undefined);
    for (const name of ['u1', 'u2', 'shared']) await clusters.down(name, { purge: true }).catch(() => undefined);
    closeAllSshConnections();
    await hosts?.stop();
    env?.cleanup();
  });

  test('down while the host is unreachable fails, keeps the record and the host; after it is back, down frees it', async () => {
    await clusters.launch(makeTask({ infra: { cloud: 'ssh', region: 'p' }, run: 'sleep 600' }), { clusterName: 'u1', detachRun: true });
    await lo.stopSshd();
    closeAllSshConnections();
    const r = cli(['down', 'u1', '-y']);
    assert.notEqual(r.status, 0, r.stdout);
    assert.doesNotMatch(r.stdout, /terminated/);
    assert.match(r.stderr, /Could not tear down cluster 'u1'.*not reachable/s);
    assert.match(r.stderr, /--purge/);
    assert.ok(await findCluster('u1'), 'the record is kept');
    assert.equal(reservedHosts(env.home).length, 1, 'the host stays reserved');
    await lo.startSshd();
    const again = cli(['down', 'u1', '-y']);
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stdout, /terminated/);
    assert.deepEqual(reservedHosts(env.home), []);
    assert.ok(!fs.existsSync(path.join(lo.homeDir, '.skydeck_node')));
  });

  test('down --purge forgets a cluster whose host is unreachable, with a warning', async () => {
    await clusters.launch(makeTask({ infra: { cloud: 'ssh', region: 'p' }, run: 'true' }), { clusterName: 'u2' });
    await lo.stopSshd();
    closeAllSshConnections();
    const r = cli(['down', 'u2', '-y', '--purge']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /purging 'u2' although teardown failed/);
    assert.equal(await findCluster('u2'), undefined);
    assert.deepEqual(reservedHosts(env.home), []);
    await lo.startSshd();
    // What --purge leaves on the host is the user's to remove: the node files and the cluster's claim.
    assert.ok(fs.existsSync(path.join(lo.homeDir, '.skydeck_claim')));
    for (const f of ['.skydeck_node', '.skydeck_claim']) fs.rmSync(path.join(lo.homeDir, f), { recursive: true, force: true });
  });

  test('two SKYDECK_HOMEs on one pool host: the second cannot take the host, and the first keeps its node files', async (t) => {
    const r = await clusters.launch(makeTask({ infra: { cloud: 'ssh', region: 'p' }, run: 'sleep 600' }), { clusterName: 'shared', detachRun: true });
    assert.ok(r.jobId);
    const homeA = process.env.SKYDECK_HOME!;
    const homeB = fs.mkdtempSync(path.join(path.dirname(homeA), 'skydeck-second-home-'));
    t.after(() => fs.rmSync(homeB, { recursive: true, force: true }));
    fs.copyFileSync(path.join(homeA, 'ssh_node_pools.yaml'), path.join(homeB, 'ssh_node_pools.yaml'));
    process.env.SKYDECK_HOME = homeB;
    try {
      await assert.rejects(
        clusters.launch(makeTask({ infra: { cloud: 'ssh', region: 'p' }, run: 'true' }), { clusterName: 'shared' }),
        /in use by another SkyDeck cluster/,
      );
      assert.deepEqual(reservedHosts(homeB), []);
      assert.equal(await findCluster('shared'), undefined);
    } finally {
      process.env.SKYDECK_HOME = homeA;
    }
    assert.ok(fs.existsSync(path.join(lo.homeDir, '.skydeck_node', 'agent.sh')), "the first home's node files are intact");
    const [fresh] = await clusters.status({ refresh: true, names: ['shared'] });
    assert.equal(fresh?.status, 'UP', fresh?.lastError);
    assert.equal((await clusters.queue('shared')).find((j) => j.id === r.jobId)?.status, 'RUNNING');
    await clusters.down('shared');
    assert.ok(!fs.existsSync(path.join(lo.homeDir, '.skydeck_claim')));
  });

  test(`launches killed with TERM/HUP/KILL at random points (seed ${SEED}), then status -r + down: nothing left`, { timeout: 15 * 60_000 }, async () => {
    const random = seededRandom(SEED + 1);
    const signals: KillSignal[] = ['SIGTERM', 'SIGHUP', 'SIGKILL'];
    const outcomes: KillOutcome[] = [];
    for (let i = 0; i < 6; i++) {
      outcomes.push(await killLaunchAt(['sleep 0.5', '-c', `s${i}`, '-y', '--infra', 'ssh/p'], signals[i % 3], random));
      const log = reconcileAndDown();
      const o = outcomes[i];
      assert.deepEqual(
        leaksIn(env.home, { hostDirs: [lo.homeDir] }),
        [],
        `${o.signal} at ${o.point} +${o.delayMs} ms: killed=${o.killed} exit=${o.exitCode}\n${o.stderr}\n${log}`,
      );
    }
    assert.ok(outcomes.some((o) => o.killed));
  });
});
