/**
 * The cluster engine on real sshd: SSH node pools made of a loopback sshd and two
 * network-namespace hosts (own IP, hostname and HOME each), driven through `clusters`.
 * Tests run in order and share one cluster 'c1' on pool b-net (h1 head, h2 worker).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { netnsSkipReason, startSshHosts, type SshTestHosts } from '../../helpers/sshd';
import { writeNodePoolsYaml } from '../../helpers/nodePools';
import { clusters, findCluster, type ProgressEvent } from '../../../engine/cluster';
import { openAccess } from '../../../engine/cluster/access';
import { clusterSshConfigPath } from '../../../engine/cluster/sshConfig';
import { closeAllSshConnections } from '../../../engine/node/ssh';
import { fastAgent, freshHome, makeTask, waitFor } from './helpers';
import { requirePrerequisite } from '../../helpers/prerequisites';

const skip = requirePrerequisite(netnsSkipReason());

function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

describe('cluster engine on SSH node pools', { skip, concurrency: false }, () => {
  let hosts: SshTestHosts;
  let env: ReturnType<typeof freshHome>;
  const USER_CONTENT = 'Host my-own-box\n  HostName 192.0.2.10\n  User me\n';

  before(async () => {
    env = freshHome();
    fastAgent(400);
    hosts = await startSshHosts({ loopback: true, netnsHosts: 2 });
    const [lo, h1, h2] = hosts.hosts;
    const dead = { host: '127.0.0.1', port: await closedPort(), user: 'root', keyPath: hosts.keyPath };
    writeNodePoolsYaml(path.join(env.home, 'ssh_node_pools.yaml'), { 'a-dead': [dead], 'b-net': [dead, h1, h2], 'c-lo': [lo] });
    fs.mkdirSync(path.dirname(env.sshConfig), { recursive: true });
    fs.writeFileSync(env.sshConfig, USER_CONTENT, { mode: 0o600 });
  });

  after(async () => {
    for (const name of ['c1', 'c2']) await clusters.down(name).catch(() => undefined);
    closeAllSshConnections();
    await hosts?.stop();
    env?.cleanup();
  });

  test('2-node launch fails over from an unreachable pool and host, with SkyPilot env vars on each node', async () => {
    const events: ProgressEvent[] = [];
    let out = '';
    const run = [
      'echo "rank=$SKYPILOT_NODE_RANK host=$(hostname) n=$SKYPILOT_NUM_NODES gpus=$SKYPILOT_NUM_GPUS_PER_NODE"',
      'printf "%s" "$SKYPILOT_NODE_IPS" > ~/ips.txt',
      'echo "$SKYPILOT_TASK_ID" > ~/task_id.txt',
      'echo "$SKYPILOT_CLUSTER_INFO" > ~/cluster_info.txt',
      'echo "$GREETING" > ~/greeting.txt',
      'test -f train.py || echo "not in the workdir: $PWD"',
    ].join('\n');
    const workdir = path.join(env.home, 'project');
    fs.mkdirSync(path.join(workdir, 'logs'), { recursive: true });
    fs.writeFileSync(path.join(workdir, 'train.py'), 'print(1)\n');
    fs.writeFileSync(path.join(workdir, 'logs', 'old.log'), 'x');
    fs.writeFileSync(path.join(workdir, '.gitignore'), 'logs/\n');
    const r = await clusters.launch(
      makeTask({ numNodes: 2, infra: { cloud: 'ssh' }, run, workdir, setup: 'echo "setup-rank=$SKYPILOT_SETUP_NODE_RANK"', envs: { GREETING: 'hi there' } }),
      {
        clusterName: 'c1',
        onProgress: (e) => events.push(e),
        onOutput: (c) => (out += c),
      },
    );
    assert.equal(r.jobStatus, 'SUCCEEDED', out);
    assert.equal(r.cluster.resources.region, 'b-net');
    const messages = events.map((e) => e.message).join('\n');
    assert.match(messages, /Failed on ssh\/a-dead/, 'the unreachable pool was tried and blocked');
    assert.match(messages, /is unusable/, 'the unreachable host of b-net was skipped');
    for (const stage of ['OPTIMIZE', 'PROVISION', 'SETUP', 'EXEC'])
      assert.ok(
        events.some((e) => e.stage === stage),
        `stage ${stage}`,
      );
    const [, h1, h2] = hosts.hosts;
    assert.match(out, /rank=0 host=skydeck-h1 n=2 gpus=0/);
    assert.match(out, /rank=1 host=skydeck-h2 n=2 gpus=0/);
    assert.match(out, /setup-rank=0/);
    assert.match(out, /setup-rank=1/);
    assert.doesNotMatch(out, /not in the workdir/);
    for (const [rank, h] of [h1, h2].entries()) {
      assert.equal(fs.readFileSync(path.join(h.homeDir, 'ips.txt'), 'utf8'), `${h1.host}\n${h2.host}`, `node ${rank} IPs`);
      assert.match(fs.readFileSync(path.join(h.homeDir, 'task_id.txt'), 'utf8').trim(), /^sky-\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}-\d{6}_c1_1$/);
      assert.deepEqual(JSON.parse(fs.readFileSync(path.join(h.homeDir, 'cluster_info.txt'), 'utf8')), {
        cluster_name: 'c1',
        cloud: 'ssh',
        region: 'b-net',
        zone: null,
      });
      assert.equal(fs.readFileSync(path.join(h.homeDir, 'greeting.txt'), 'utf8').trim(), 'hi there');
      assert.equal(fs.readFileSync(path.join(h.homeDir, 'sky_workdir', 'train.py'), 'utf8'), 'print(1)\n', `workdir synced to node ${rank}`);
      assert.ok(!fs.existsSync(path.join(h.homeDir, 'sky_workdir', 'logs')), '.gitignore honoured');
    }
    const rec = await findCluster('c1');
    assert.equal(rec?.status, 'UP');
  });

  test('ssh config: per-cluster Host entries, Include at the top, user content untouched; `ssh c1` works', () => {
    const user = fs.readFileSync(env.sshConfig, 'utf8');
    assert.match(user.split('\n')[0], /^# >>> Added by SkyDeck/);
    assert.match(user, new RegExp(`^Include ${env.home.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/generated/ssh/\\*$`, 'm'));
    assert.ok(user.endsWith(USER_CONTENT), 'user content kept verbatim after our block');
    assert.equal(fs.statSync(env.sshConfig).mode & 0o777, 0o600, 'mode kept');
    const generated = fs.readFileSync(clusterSshConfigPath('c1'), 'utf8');
    assert.match(generated, /^Host c1$/m);
    assert.match(generated, /^Host c1-worker1$/m);
    for (const alias of ['c1', 'c1-worker1']) {
      const r = spawnSync('ssh', ['-F', env.sshConfig, '-o', 'BatchMode=yes', alias, 'hostname'], { encoding: 'utf8', timeout: 20_000 });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout.trim(), alias === 'c1' ? 'skydeck-h1' : 'skydeck-h2');
    }
  });

  test('setup failure -> FAILED_SETUP with the last lines of the log', async () => {
    await assert.rejects(
      clusters.launch(makeTask({ numNodes: 2, infra: { cloud: 'ssh', region: 'b-net' }, setup: 'echo "setup is broken here"; exit 7', run: 'echo never' }), {
        clusterName: 'c1',
      }),
      (e: Error & { code?: string }) => {
        assert.equal(e.code, 'FAILED_SETUP');
        assert.match(e.message, /setup is broken here/);
        assert.match(e.message, /return code 7/);
        return true;
      },
    );
    const jobs = await clusters.queue('c1');
    assert.equal(jobs[0].status, 'FAILED_SETUP');
  });

  test('exec queues jobs in order; logs follow streams each to the end', async () => {
    const ids: number[] = [];
    for (let i = 1; i <= 3; i++) {
      const r = await clusters.exec('c1', makeTask({ run: `for k in 1 2 3; do echo job${i}-line$k; sleep 0.1; done` }), { detachRun: true });
      ids.push(r.jobId!);
    }
    assert.deepEqual(ids, [ids[0], ids[0] + 1, ids[0] + 2]);
    const listed = (await clusters.queue('c1')).map((j) => j.id);
    for (const id of ids) assert.ok(listed.includes(id));
    for (const [i, id] of ids.entries()) {
      let log = '';
      const status = await clusters.tailLogs('c1', id, { follow: true, onData: (c) => (log += c) });
      assert.equal(status, 'SUCCEEDED');
      assert.deepEqual(
        log.trim().split('\n'),
        [1, 2, 3].map((k) => `job${i + 1}-line${k}`),
      );
    }
  });

  test('cancel stops a running job and its processes', async () => {
    const r = await clusters.exec('c1', makeTask({ run: 'echo started; exec sleep 61.25' }), { detachRun: true });
    await waitFor('job running', async () => ((await clusters.queue('c1')).find((j) => j.id === r.jobId)?.status === 'RUNNING' ? true : undefined));
    assert.deepEqual(await clusters.cancel('c1', [r.jobId!]), [r.jobId]);
    const job = (await clusters.queue('c1')).find((j) => j.id === r.jobId);
    assert.equal(job?.status, 'CANCELLED');
    await waitFor('sleep gone', () => (spawnSync('pgrep', ['-f', 'sleep 61.25']).status === 1 ? true : undefined), 45_000);
  });

  test('a client killed mid-job: the job finishes and its log is complete', async () => {
    const cli = path.join(__dirname, '..', '..', '..', 'engine', 'cli', 'main.ts');
    // The job holds after tick-1 until the client is dead (files under /tmp are shared with the hosts).
    const release = path.join(env.home, 'client-killed.release');
    const run = `for i in 1 2 3 4 5 6; do echo tick-$i; if [ $i = 1 ]; then while [ ! -e ${release} ]; do sleep 0.1; done; fi; done`;
    const child = spawn(process.execPath, ['--import', 'tsx', cli, 'exec', 'c1', run], { env: process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (b: Buffer) => b.toString().includes('tick-1') && resolve());
      child.on('exit', (code) => reject(new Error(`client exited early (${code})`)));
    });
    child.removeAllListeners('exit');
    child.kill('SIGKILL');
    await new Promise((r) => child.once('close', r));
    fs.writeFileSync(release, '');
    const id = (await clusters.queue('c1'))[0].id;
    let log = '';
    assert.equal(await clusters.tailLogs('c1', id, { follow: true, onData: (c) => (log += c) }), 'SUCCEEDED');
    assert.deepEqual(
      log.trim().split('\n'),
      [1, 2, 3, 4, 5, 6].map((i) => `tick-${i}`),
    );
  });

  test('the agent restarted: the queue is intact and queued jobs still run', async () => {
    const a = await clusters.exec('c1', makeTask({ run: 'sleep 0.5; echo first' }), { detachRun: true });
    const b = await clusters.exec('c1', makeTask({ run: 'echo second' }), { detachRun: true });
    const rec = (await findCluster('c1'))!;
    const access = await openAccess(rec);
    try {
      await access.agent.stopDaemon();
      const ids = (await access.agent.queue()).map((j) => j.id);
      assert.ok(ids.includes(a.jobId!) && ids.includes(b.jobId!), 'both jobs still queued');
      await access.agent.ensureDaemon();
    } finally {
      await access.close();
    }
    for (const id of [a.jobId!, b.jobId!]) assert.equal(await clusters.tailLogs('c1', id, { follow: true, onData: () => undefined }), 'SUCCEEDED');
  });

  test("a node's sshd stopped: refresh says INIT with a clear error; back to UP when it returns", async () => {
    const h2 = hosts.hosts[2];
    await h2.stopSshd();
    try {
      const [rec] = await clusters.status({ refresh: true, names: ['c1'] });
      assert.equal(rec.status, 'INIT');
      assert.match(rec.lastError ?? '', new RegExp(`node 1 \\(${h2.host.replace(/\./g, '\\.')}\\) is not reachable`));
    } finally {
      await h2.startSshd();
    }
    // sshd listens again; the cluster is UP from the refresh that first reaches it (the event),
    // not necessarily the very first one on a loaded machine. The deadline only detects a hang.
    let last: Awaited<ReturnType<typeof clusters.status>>[number] | undefined;
    let refreshes = 0;
    const rec = await waitFor(
      'c1 back UP after sshd returned',
      async () => {
        refreshes++;
        [last] = await clusters.status({ refresh: true, names: ['c1'] });
        return last?.status === 'UP' ? last : undefined;
      },
      180_000,
      500,
    ).catch((err: Error) => {
      throw new Error(`${err.message}; after ${refreshes} refreshes: ${last?.status}, lastError: ${last?.lastError}`);
    });
    assert.equal(rec.lastError, undefined);
  });

  test('stop / start / down: jobs stop, hosts stay; down cleans node dirs and frees hosts', async () => {
    const [, h1] = hosts.hosts;
    const r = await clusters.exec('c1', makeTask({ run: 'exec sleep 62.5' }), { detachRun: true });
    await waitFor('job running', async () => ((await clusters.queue('c1')).find((j) => j.id === r.jobId)?.status === 'RUNNING' ? true : undefined));
    await clusters.stop('c1');
    assert.equal((await findCluster('c1'))?.status, 'STOPPED');
    assert.ok(!fs.existsSync(clusterSshConfigPath('c1')), 'ssh config removed on stop');
    await waitFor('job processes gone', () => (spawnSync('pgrep', ['-f', 'sleep 62.5']).status === 1 ? true : undefined), 45_000);
    await assert.rejects(clusters.queue('c1'), /STOPPED/);
    const [stopped] = await clusters.status({ refresh: true, names: ['c1'] });
    assert.equal(stopped.status, 'STOPPED', 'refresh keeps a stopped SSH cluster stopped');
    const started = await clusters.start('c1');
    assert.equal(started.status, 'UP');
    assert.ok(fs.existsSync(clusterSshConfigPath('c1')));
    const again = await clusters.exec('c1', makeTask({ run: 'echo back' }));
    assert.equal(again.jobStatus, 'SUCCEEDED');
    await clusters.down('c1');
    assert.equal(await findCluster('c1'), undefined);
    assert.ok(!fs.existsSync(path.join(h1.homeDir, '.skydeck_node')), 'node dir cleaned');
    const used = JSON.parse(fs.readFileSync(path.join(env.home, 'state', 'ssh-hosts.json'), 'utf8')).data.inUse;
    assert.deepEqual(used, {}, 'hosts freed');
    assert.ok(!fs.readFileSync(env.sshConfig, 'utf8').includes('Added by SkyDeck'), 'Include removed with the last cluster');
    assert.equal(fs.readFileSync(env.sshConfig, 'utf8'), USER_CONTENT);
  });

  test('autostop and autodown: the agent detects idleness; stop is carried out by refresh, autodown by the node itself', async () => {
    const r = await clusters.launch(makeTask({ infra: { cloud: 'ssh', region: 'c-lo' }, run: 'echo up' }), { clusterName: 'c2' });
    assert.equal(r.jobStatus, 'SUCCEEDED');
    const idleFired = async () => {
      const rec = (await findCluster('c2'))!;
      const a = await openAccess(rec);
      try {
        return (await a.agent.idleState()).triggeredAt !== undefined ? true : undefined;
      } finally {
        await a.close();
      }
    };
    await clusters.autostop('c2', 1, false);
    assert.deepEqual((await findCluster('c2'))?.autostop, { idleMinutes: 1, down: false });
    await waitFor('autostop to fire', idleFired, 90_000, 200);
    const [stopped] = await clusters.status({ refresh: true, names: ['c2'] });
    assert.equal(stopped.status, 'STOPPED');
    await clusters.start('c2');
    await clusters.autostop('c2', 1, true);
    // Autodown is the node's own (test/integration/autostop): it removes its node files and claim.
    const lo = hosts.hosts[0];
    await waitFor('autodown to free the host', () => (fs.existsSync(path.join(lo.homeDir, '.skydeck_node')) ? undefined : true), 90_000, 200);
    assert.deepEqual(await clusters.status({ refresh: true, names: ['c2'] }), []);
    assert.equal(await findCluster('c2'), undefined);
  });
});
