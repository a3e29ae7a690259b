/**
 * The cluster engine on `local`: nodes are directories + processes on this machine, each
 * with its own loopback IP. In-process through `clusters`, plus the CLI bundle for the verbs.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { clusters, findCluster, preemptCluster } from '../../../engine/cluster';
import { nodeProcesses } from '../../../engine/infra/local/processes';
import { fastAgent, freshHome, makeTask, waitFor } from './helpers';
import { builtFiles, requirePrerequisite } from '../../helpers/prerequisites';

const ROOT = path.join(__dirname, '..', '..', '..');
const CLI = path.join(ROOT, 'dist', 'cli.js');
const cliMissing = requirePrerequisite(builtFiles(CLI));

function nodeDirs(name: string): string[] {
  const rec = fs.existsSync(path.join(process.env.SKYDECK_HOME!, 'local'))
    ? fs.readdirSync(path.join(process.env.SKYDECK_HOME!, 'local')).find((d) => d.startsWith(`${name}-`))
    : undefined;
  if (!rec) return [];
  const dir = path.join(process.env.SKYDECK_HOME!, 'local', rec);
  return fs.readdirSync(dir).map((d) => path.join(dir, d));
}

describe('cluster engine on local', { concurrency: false }, () => {
  let env: ReturnType<typeof freshHome>;
  before(() => {
    env = freshHome();
    fastAgent(400);
  });
  after(async () => {
    for (const name of ['l1', 'l2', 'p1', 'r1', 'a1', 'd1', 'cli1', 'cli2']) await clusters.down(name).catch(() => undefined);
    env.cleanup();
  });

  test('2-node launch: own loopback IP per node (same port on each), workdir synced with .skyignore, env vars', async () => {
    const workdir = path.join(env.home, 'wd');
    fs.mkdirSync(path.join(workdir, 'sub'), { recursive: true });
    fs.writeFileSync(path.join(workdir, 'keep.txt'), 'k');
    fs.writeFileSync(path.join(workdir, 'secret.txt'), 's');
    fs.writeFileSync(path.join(workdir, 'sub', 'big.bin'), 'b');
    fs.writeFileSync(path.join(workdir, '.skyignore'), 'secret.txt\nsub/\n');
    fs.writeFileSync(path.join(workdir, '.gitignore'), 'keep.txt\n'); // ignored: .skyignore wins
    const run = [
      'MYIP=$(echo "$SKYPILOT_NODE_IPS" | sed -n "$((SKYPILOT_NODE_RANK+1))p")',
      // Both ranks hold the same port at once, each on its own address: a rank lets go only
      // once it reached every rank's port and every rank reached its own (no timed hold).
      `node -e "const net = require('net'); const me = process.argv[1]; const ips = process.argv[2].split(' '); let inbound = 0, outbound = 0;` +
        ` const done = () => { if (inbound === ips.length && outbound === ips.length) s.close(); };` +
        ` const s = net.createServer((c) => { inbound++; c.end(); done(); }).listen(28431, me, () => { console.log('bound ' + me);` +
        ` for (const ip of ips) { const reach = () => net.connect(28431, ip).on('connect', function () { this.end(); outbound++; done(); }).on('error', () => setTimeout(reach, 20)); reach(); } })"` +
        ` "$MYIP" "$(echo $SKYPILOT_NODE_IPS)"`,
      'echo "rank=$SKYPILOT_NODE_RANK files=$(ls -A | tr "\\n" ,) pwd=$PWD"',
    ].join('\n');
    const dataDir = path.join(env.home, 'data');
    fs.mkdirSync(dataDir);
    fs.writeFileSync(path.join(dataDir, 'd.csv'), '1,2\n');
    const single = path.join(env.home, 'config.json');
    fs.writeFileSync(single, '{}');
    let out = '';
    const r = await clusters.launch(
      makeTask({ numNodes: 2, infra: { cloud: 'local' }, run, workdir, fileMounts: { '~/data': dataDir, '~/conf/config.json': single } }),
      {
        clusterName: 'l1',
        onOutput: (c) => (out += c),
      },
    );
    assert.equal(r.jobStatus, 'SUCCEEDED', out);
    const ips = r.cluster.nodes.map((n) => n.internalIp);
    assert.equal(new Set(ips).size, 2);
    for (const ip of ips) {
      assert.match(ip, /^127\.\d+\.\d+\.\d+$/);
      assert.notEqual(ip, '127.0.0.1');
      assert.match(out, new RegExp(`bound ${ip.replace(/\./g, '\\.')}`));
    }
    const dirs = nodeDirs('l1');
    for (const rank of [0, 1]) {
      assert.equal(fs.readFileSync(path.join(dirs[rank], 'data', 'd.csv'), 'utf8'), '1,2\n', 'file mount (dir) on every node');
      assert.equal(fs.readFileSync(path.join(dirs[rank], 'conf', 'config.json'), 'utf8'), '{}', 'file mount (file) on every node');
      assert.match(
        out,
        new RegExp(`rank=${rank} files=\\.gitignore,\\.skyignore,keep\\.txt, pwd=${dirs[rank].replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/sky_workdir`),
      );
    }
  });

  test('a second cluster gets other loopback IPs', async () => {
    const r = await clusters.launch(makeTask({ infra: { cloud: 'local' }, run: 'true' }), { clusterName: 'l2' });
    const l1 = (await findCluster('l1'))!;
    assert.ok(!l1.nodes.some((n) => n.internalIp === r.cluster.nodes[0].internalIp));
    await clusters.down('l2');
  });

  test('setup failure -> FAILED_SETUP', async () => {
    await assert.rejects(
      clusters.launch(makeTask({ infra: { cloud: 'local' }, setup: 'echo oops-in-setup; false', run: 'true' }), { clusterName: 'l1' }),
      (e: Error & { code?: string }) => {
        assert.equal(e.code, 'FAILED_SETUP');
        assert.match(e.message, /oops-in-setup/);
        return true;
      },
    );
    assert.equal((await clusters.queue('l1'))[0].status, 'FAILED_SETUP');
  });

  test('stop kills the node processes and keeps the dirs; start brings it back; down removes everything', async () => {
    const job = await clusters.exec('l1', makeTask({ run: 'sleep 30' }), { detachRun: true });
    await waitFor('job running', async () => ((await clusters.queue('l1')).find((j) => j.id === job.jobId)?.status === 'RUNNING' ? true : undefined));
    const dirs = nodeDirs('l1');
    assert.ok(nodeProcesses(dirs).length > 0);
    await clusters.stop('l1');
    assert.equal(nodeProcesses(dirs).length, 0, 'no process left on the nodes');
    for (const d of dirs) assert.ok(fs.existsSync(d), 'node dir kept');
    const [rec] = await clusters.status({ refresh: true, names: ['l1'] });
    assert.equal(rec.status, 'STOPPED');
    // Launching onto a stopped cluster starts it again (SkyPilot's reuse).
    const relaunch = await clusters.launch(makeTask({ infra: { cloud: 'local' }, run: 'echo relaunched' }), { clusterName: 'l1' });
    assert.equal(relaunch.jobStatus, 'SUCCEEDED');
    assert.equal(relaunch.cluster.status, 'UP');
    const jobs = await clusters.queue('l1');
    assert.ok(
      jobs.some((j) => j.id === job.jobId),
      'job history kept across stop/start',
    );
    assert.equal((await clusters.exec('l1', makeTask({ run: 'echo again' }))).jobStatus, 'SUCCEEDED');
    await clusters.down('l1');
    for (const d of dirs) assert.ok(!fs.existsSync(d), 'node dir removed');
    assert.equal(nodeProcesses(dirs).length, 0);
    assert.equal(await findCluster('l1'), undefined);
  });

  test('launch --down tears the cluster down once the job is done', async () => {
    let out = '';
    const r = await clusters.launch(makeTask({ infra: { cloud: 'local' }, run: 'echo last words' }), {
      clusterName: 'd1',
      down: true,
      onOutput: (c) => (out += c),
    });
    assert.equal(r.jobStatus, 'SUCCEEDED');
    assert.match(out, /last words/);
    assert.equal(await findCluster('d1'), undefined);
    assert.deepEqual(nodeDirs('d1'), []);
  });

  test('preempt: the nodes vanish without warning; refresh reports the cluster gone', async () => {
    const r = await clusters.launch(makeTask({ numNodes: 2, infra: { cloud: 'local' }, run: 'sleep 30' }), { clusterName: 'p1', detachRun: true });
    assert.ok(r.jobId);
    const dirs = nodeDirs('p1');
    await preemptCluster('p1');
    assert.equal(nodeProcesses(dirs).length, 0);
    for (const d of dirs) assert.ok(!fs.existsSync(d));
    assert.deepEqual(await clusters.status({ refresh: true, names: ['p1'] }), []);
    assert.equal(await findCluster('p1'), undefined);
  });

  test('SKYDECK_LOCAL_PREEMPT_RATE=1: the next query preempts a running local cluster', async (t) => {
    await clusters.launch(makeTask({ infra: { cloud: 'local' }, run: 'true' }), { clusterName: 'r1' });
    process.env.SKYDECK_LOCAL_PREEMPT_RATE = '1';
    t.after(() => delete process.env.SKYDECK_LOCAL_PREEMPT_RATE);
    assert.deepEqual(await clusters.status({ refresh: true, names: ['r1'] }), []);
    assert.deepEqual(nodeDirs('r1'), []);
  });

  test('autostop: the agent fires the hook, which stops the cluster through the CLI', { skip: cliMissing }, async () => {
    process.env.SKYDECK_CLI = CLI;
    await clusters.launch(makeTask({ infra: { cloud: 'local' }, run: 'true' }), { clusterName: 'a1', idleMinutesToAutostop: 1 });
    const rec = await waitFor('autostop to stop a1', async () => ((await findCluster('a1'))?.status === 'STOPPED' ? true : undefined), 30_000, 200);
    assert.ok(rec);
    assert.equal(nodeProcesses(nodeDirs('a1')).length, 0);
    await clusters.down('a1');
  });

  test('CLI: Ctrl-C while following detaches; the job keeps running to the end', { skip: cliMissing }, async () => {
    // The job holds after step-1 until the client has detached, so it cannot end first.
    const release = path.join(env.home, 'cli2.release');
    const run = `for i in 1 2 3 4 5; do echo step-$i; if [ $i = 1 ]; then while [ ! -e ${release} ]; do sleep 0.1; done; fi; done`;
    const child = spawn(process.execPath, [CLI, 'launch', run, '-c', 'cli2', '-y', '--infra', 'local'], {
      env: process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    await new Promise<void>((resolve) => child.stdout.on('data', (b: Buffer) => b.toString().includes('step-1') && resolve()));
    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    assert.equal(code, 0, stderr);
    assert.match(stderr, /Job 1 keeps running on 'cli2'/);
    fs.writeFileSync(release, '');
    let log = '';
    assert.equal(await clusters.tailLogs('cli2', 1, { follow: true, onData: (c) => (log += c) }), 'SUCCEEDED');
    assert.deepEqual(
      log.trim().split('\n'),
      [1, 2, 3, 4, 5].map((i) => `step-${i}`),
    );
    await clusters.down('cli2');
  });

  test('CLI: launch, status/queue --json, logs (--status exit codes), exec, down', { skip: cliMissing }, () => {
    const cli = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: process.env, timeout: 180_000 });
    const launch = cli('launch', 'echo "hello $WHO"', '-c', 'cli1', '-y', '--infra', 'local', '--env', 'WHO=world');
    assert.equal(launch.status, 0, launch.stderr);
    assert.match(launch.stdout, /hello world/);
    assert.match(launch.stderr, /\[PROVISION\]/);
    const status = JSON.parse(cli('status', '--json').stdout) as Array<Record<string, unknown>>;
    const row = status.find((s) => s.name === 'cli1')!;
    assert.equal(row.status, 'UP');
    assert.equal(row.infra, 'local');
    assert.equal(typeof row.costSoFar, 'number');
    assert.equal(cli('logs', 'cli1', '1', '--status').status, 0);
    assert.equal(cli('exec', 'cli1', 'exit 3').status, 1);
    assert.equal(cli('logs', 'cli1', '2', '--status').status, 100);
    assert.equal(cli('logs', 'cli1', '99', '--status').status, 102);
    const queue = JSON.parse(cli('queue', 'cli1', '--json').stdout) as Array<Record<string, unknown>>;
    assert.deepEqual(
      queue.map((j) => [j.id, j.status]),
      [
        [2, 'FAILED'],
        [1, 'SUCCEEDED'],
      ],
    );
    assert.match(cli('logs', 'cli1', '1', '--no-follow').stdout, /hello world/);
    const table = cli('status');
    assert.match(table.stdout, /^NAME\s+INFRA\s+RESOURCES\s+STATUS\s+AUTOSTOP\s+LAUNCHED/m);
    const check = JSON.parse(cli('check', '--json', 'aws').stdout) as Array<{ infra: string; enabled: boolean }>;
    assert.ok(check.some((c) => c.infra === 'local' && c.enabled));
    assert.equal(cli('down', 'cli1', '-y').status, 0);
    assert.ok(!(JSON.parse(cli('status', '--json').stdout) as Array<{ name: string }>).some((c) => c.name === 'cli1'));
    // A corrupt state file: a clear error naming the file and the kept backup, nothing overwritten.
    const stateFile = path.join(env.home, 'state', 'clusters.json');
    fs.writeFileSync(stateFile, '{"version": 1, "data": {"clusters": {');
    const broken = cli('status');
    assert.equal(broken.status, 1);
    assert.match(broken.stderr, /state file .*clusters\.json is not valid JSON/);
    const backup = /A copy was kept at (\S+)\. Fix/.exec(broken.stderr)?.[1];
    assert.ok(backup && fs.existsSync(backup), broken.stderr);
    assert.equal(fs.readFileSync(stateFile, 'utf8'), '{"version": 1, "data": {"clusters": {');
    fs.rmSync(stateFile);
  });
});
