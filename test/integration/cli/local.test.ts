/**
 * The runtime verbs with SkyPilot's options, through the built CLI (dist/cli.js) on the
 * `local` infra: secrets reach the job and nothing prints them, launch with no task, status
 * --ip/--endpoint(s), queue over all clusters, logs --tail/--sync-down, cancel with no ids,
 * cost-report (terminated clusters too), logs --provision, and glob names on down.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { builtFiles, requirePrerequisite } from '../../helpers/prerequisites';

const ROOT = path.join(__dirname, '..', '..', '..');
const CLI = path.join(ROOT, 'dist', 'cli.js');
const SECRET = 'value-8c41f0-secret';

describe('CLI verbs on local', { concurrency: false, skip: requirePrerequisite(builtFiles(CLI)) }, () => {
  let home: string;
  let env: NodeJS.ProcessEnv;
  const cli = (...args: string[]) => {
    const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env, timeout: 180_000 });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };

  before(() => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'skydeck-cli-it-'));
    env = {
      ...process.env,
      SKYDECK_HOME: home,
      SKYDECK_SSH_CONFIG: path.join(home, 'user-ssh', 'config'),
      SKYDECK_AGENT_TICK_MS: '100',
      SKYDECK_AGENT_KILL_GRACE_MS: '1000',
    };
  });
  after(() => {
    cli('down', '-a', '-y');
    fs.rmSync(home, { recursive: true, force: true });
  });

  test('launch: --secret and --env-file reach the job; the value is in no output, status or queue', () => {
    const envFile = path.join(home, 'vars.env');
    fs.writeFileSync(envFile, 'FROM_FILE=1\n');
    const r = cli(
      'launch',
      '-c',
      'cli-a',
      '-y',
      '--infra',
      'local',
      '--ports',
      '18080',
      '--secret',
      `TOKEN=${SECRET}`,
      '--env-file',
      envFile,
      `test "$TOKEN" = "${'$'}EXPECT" || echo mismatch; echo token-len=\${#TOKEN} from=$FROM_FILE`,
      '--env',
      `EXPECT=${SECRET}`,
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`token-len=${SECRET.length} from=1`));
    assert.doesNotMatch(r.stdout, /mismatch/);
    for (const out of [cli('status', '--json'), cli('queue', 'cli-a', '--json'), cli('status', '-v')]) {
      assert.equal(out.code, 0, out.stderr);
      assert.ok(!out.stdout.includes(SECRET) && !out.stderr.includes(SECRET));
    }
  });

  test('launch with no task gets a cluster and runs no job; status lists it, then the managed jobs and services', () => {
    const r = cli('launch', '-c', 'cli-b', '-y', '--infra', 'local');
    assert.equal(r.code, 0, r.stderr);
    const rows = JSON.parse(cli('status', '--json').stdout) as Array<{ name: string; status: string }>;
    assert.equal(rows.find((c) => c.name === 'cli-b')?.status, 'UP');
    assert.deepEqual(JSON.parse(cli('queue', 'cli-b', '--json').stdout), []);
    const table = cli('status');
    assert.match(table.stdout, /^NAME\s+INFRA\s+RESOURCES\s+STATUS\s+AUTOSTOP\s+LAUNCHED/m);
    assert.match(table.stdout, /\nManaged jobs\n[\s\S]*\nServices\n/);
    assert.doesNotMatch(cli('status', 'cli-b').stdout, /Managed jobs/);
    const verbose = cli('status', '-v', 'cli-a').stdout;
    assert.match(verbose, /^NAME\s+INFRA\s+RESOURCES\s+STATUS\s+AUTOSTOP\s+LAUNCHED\s+HEAD_IP/m);
    assert.match(verbose, /ports=\[18080\]/);
  });

  test('status --ip, --endpoints, --endpoint PORT, and their errors', () => {
    const ip = cli('status', '--ip', 'cli-a');
    assert.equal(ip.code, 0, ip.stderr);
    assert.match(ip.stdout.trim(), /^127\.\d+\.\d+\.\d+$/);
    assert.equal(JSON.parse(cli('status', '--ip', 'cli-a', '--json').stdout).ip, ip.stdout.trim());
    assert.equal(cli('status', '--endpoint', '18080', 'cli-a').stdout.trim(), `${ip.stdout.trim()}:18080`);
    assert.equal(cli('status', '--endpoints', 'cli-a').stdout.trim(), `18080: ${ip.stdout.trim()}:18080`);
    const none = cli('status', '--ip');
    assert.equal(none.code, 1);
    assert.match(none.stderr, /No cluster specified\. Please specify an existing cluster to show its IP address\./);
    const missing = cli('status', '--endpoint', '9', 'cli-a');
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /Endpoint 9 not found for cluster 'cli-a'/);
    assert.match(cli('status', '--endpoints', 'cli-b').stderr, /No endpoint found for cluster 'cli-b'/);
    assert.equal(cli('status', '--ip', 'cli-a', '-r').code, 2);
  });

  test('queue with no cluster shows every cluster; --json is keyed by cluster', () => {
    const q = cli('queue');
    assert.equal(q.code, 0, q.stderr);
    assert.match(q.stdout, /Job queue of current user on cluster cli-a\n/);
    assert.match(q.stdout, /Job queue of current user on cluster cli-b\n/);
    const j = JSON.parse(cli('queue', 'cli-*', '--json').stdout) as Record<string, Array<{ id: number }>>;
    assert.deepEqual(Object.keys(j).sort(), ['cli-a', 'cli-b']);
    assert.deepEqual(
      j['cli-a'].map((x) => x.id),
      [1],
    );
  });

  test('exec with the task options, logs --tail N, logs --sync-down', () => {
    const e = cli('exec', 'cli-a', '--env', 'N=5', 'for i in $(seq 1 $N); do echo line-$i; done');
    assert.equal(e.code, 0, e.stderr);
    assert.equal(cli('logs', 'cli-a', '--tail', '2', '--no-follow').stdout, 'line-4\nline-5\n');
    assert.equal(cli('logs', 'cli-a', '2', '--tail', '1').stdout, 'line-5\n');
    const s = cli('logs', 'cli-a', '1', '2', '--sync-down');
    assert.equal(s.code, 0, s.stderr);
    const files = [...s.stdout.matchAll(/^Job (\d) logs: (.+)$/gm)].map((m) => [m[1], m[2]]);
    assert.deepEqual(
      files.map((f) => f[0]),
      ['1', '2'],
    );
    assert.match(fs.readFileSync(files[1][1], 'utf8'), /line-1\n[\s\S]*line-5/);
    assert.equal(cli('logs', 'cli-a', '1', '2').code, 2);
  });

  test('cancel CLUSTER with no ids cancels the latest running job', () => {
    const d = cli('exec', 'cli-a', '-d', 'sleep 120');
    assert.equal(d.code, 0, d.stderr);
    const c = cli('cancel', 'cli-a', '-y');
    assert.equal(c.code, 0, c.stderr);
    assert.match(c.stderr, /cancelling the latest running job/);
    assert.match(c.stdout, /Cancelled job\(s\) on 'cli-a': 3\./);
    const again = cli('cancel', 'cli-a', '-y');
    assert.match(again.stdout, /No running job to cancel on cluster 'cli-a'/);
  });

  test('logs --provision prints what the launch printed while provisioning, with stages and its outcome', () => {
    const r = cli('logs', 'cli-a', '--provision');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Provisioning cluster 'cli-a'/);
    assert.match(r.stdout, /\[OPTIMIZE\] Choosing where to run\./);
    assert.match(r.stdout, /\[PROVISION\] /);
    assert.match(r.stdout, /Provisioning ended: Cluster 'cli-a' is UP\./);
    const last = cli('logs', 'cli-a', '--provision', '--no-follow', '--tail', '1');
    assert.equal(last.stdout.trim().split('\n').length, 1);
    assert.match(last.stdout, /Provisioning ended/);
    const none = cli('logs', 'no-such-cluster', '--provision');
    assert.equal(none.code, 1);
    assert.match(none.stderr, /Cluster 'no-such-cluster' has no provisioning log/);
    assert.equal(cli('logs', 'cli-a', '--provision', '1').code, 2);
  });

  test('cost-report lists the clusters with their hourly price and total', () => {
    const r = cli('cost-report', '--json');
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout) as { clusters: Array<{ name: string; costPerHour: number }>; totalCost: number };
    assert.deepEqual(report.clusters.map((c) => c.name).sort(), ['cli-a', 'cli-b']);
    assert.equal(typeof report.totalCost, 'number');
    assert.match(cli('cost-report').stdout, /^NAME\s+LAUNCHED\s+DURATION\s+RESOURCES\s+STATUS\s+COST\/hr\s+COST \(est\.\)/m);
  });

  test('down with a glob tears down every match; a glob that matches nothing is not an error', () => {
    assert.match(cli('down', 'nothing-*', '-y').stdout, /Cluster\(s\) not found/);
    const unknown = cli('stop', 'no-such-cluster', '-y');
    assert.equal(unknown.code, 0, unknown.stderr);
    assert.match(unknown.stdout, /Cluster\(s\) not found \(tip: see `skydeck status`\)\./);
    const r = cli('down', 'cli-*', '-y');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Cluster 'cli-a': terminated\.\nCluster 'cli-b': terminated\./);
    assert.deepEqual(JSON.parse(cli('status', '--json').stdout), []);
    assert.equal(cli('down', '-y').code, 2);
  });

  test('cost-report keeps terminated clusters (SkyPilot cluster history); their provision logs stay readable', () => {
    const r = cli('cost-report', '--json');
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout) as {
      clusters: Array<{ name: string; status: string; endedAt: string | null; durationSeconds: number; costPerHour: number; cost: number }>;
    };
    assert.deepEqual(report.clusters.map((c) => c.name).sort(), ['cli-a', 'cli-b']);
    for (const c of report.clusters) {
      assert.equal(c.status, 'TERMINATED');
      assert.ok(c.endedAt && Date.parse(c.endedAt) > 0);
      assert.ok(c.durationSeconds >= 0);
    }
    assert.match(cli('cost-report').stdout, /^cli-\w\s.*\sTERMINATED\s/m);
    assert.equal(cli('cost-report', '--days', '0').code, 0);
    assert.match(cli('logs', 'cli-a', '--provision').stdout, /Provisioning ended: Cluster 'cli-a' is UP\./);
  });
});
