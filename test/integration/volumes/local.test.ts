/**
 * Volumes on `local`: `volumes apply` makes SKYDECK_HOME/volumes/<name>-<hash>; a task's
 * `volumes:` links its mount path there on every node before setup, so what one cluster
 * writes the next reads; `ls --json` shows it IN_USE while the cluster exists; a volume on
 * the wrong infra, or missing, fails before anything is provisioned.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { clusters, findCluster } from '../../../engine/cluster';
import { buildTask } from '../../../engine/task/build';
import type { VolumeJson } from '../../../engine/contract/cliJson';
import { fastAgent, freshHome } from '../cluster/helpers';
import { builtFiles, requirePrerequisite } from '../../helpers/prerequisites';

const ROOT = path.join(__dirname, '..', '..', '..');
const CLI = path.join(ROOT, 'dist', 'cli.js');

/** The CLI from source, in its own process (its output must not mix with the test runner's). */
function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'engine', 'cli', 'main.ts'), ...argv], { cwd: ROOT, env: process.env });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('close', (code) => resolve({ code: code ?? 1, out, err }));
  });
}

describe('volumes on local', { concurrency: false }, () => {
  let env: ReturnType<typeof freshHome>;
  before(() => {
    env = freshHome();
    fastAgent(400);
  });
  after(async () => {
    for (const name of ['v1', 'v2', 'v3']) await clusters.down(name).catch(() => undefined);
    env.cleanup();
  });

  test('apply, write from one cluster, read from the next, ls --json, delete', async () => {
    const file = path.join(env.home, 'vol.yaml');
    fs.writeFileSync(file, 'name: ckpt\ntype: k8s-pvc\ninfra: local\nsize: 1Gi\n');
    const applied = await cli('volumes', 'apply', file, '-y');
    assert.equal(applied.code, 0, applied.err);
    const [row] = JSON.parse((await cli('volumes', 'ls', '--json')).out) as VolumeJson[];
    assert.equal(row.name, 'ckpt');
    assert.equal(row.infra, 'local');
    assert.equal(row.status, 'READY');
    const dir = path.join(env.home, 'volumes', row.nameOnInfra);
    assert.ok(fs.statSync(dir).isDirectory());

    const writer = buildTask({
      num_nodes: 2,
      volumes: { '~/ckpt': 'ckpt', '~/sub': { name: 'ckpt', sub_path: 'logs' } },
      setup: 'test -d ~/ckpt',
      run: 'echo "step-$SKYPILOT_NODE_RANK" > ~/ckpt/rank$SKYPILOT_NODE_RANK.txt; echo log > ~/sub/l.txt',
    });
    let out = '';
    const r = await clusters.launch(writer, { clusterName: 'v1', onOutput: (c) => (out += c) });
    assert.equal(r.jobStatus, 'SUCCEEDED', out);
    assert.equal(r.cluster.resources.cloud, 'local', 'the volume pins the task to its infra');
    assert.equal(fs.readFileSync(path.join(dir, 'rank1.txt'), 'utf8'), 'step-1\n');
    assert.equal(fs.readFileSync(path.join(dir, 'logs', 'l.txt'), 'utf8'), 'log\n');

    const inUse = JSON.parse((await cli('volumes', 'ls', '--json')).out) as VolumeJson[];
    assert.equal(inUse[0].status, 'IN_USE');
    assert.deepEqual(inUse[0].usedBy, ['v1']);
    const refused = await cli('volumes', 'delete', 'ckpt', '-y');
    assert.notEqual(refused.code, 0);
    assert.match(refused.err, /in use by cluster\(s\) v1/);

    out = '';
    const reader = buildTask({ volumes: { '~/data': 'ckpt' }, run: 'cat ~/data/rank0.txt ~/data/rank1.txt' });
    const r2 = await clusters.launch(reader, { clusterName: 'v2', onOutput: (c) => (out += c) });
    assert.equal(r2.jobStatus, 'SUCCEEDED', out);
    assert.match(out, /step-0\s+step-1/);

    await clusters.down('v1');
    await clusters.down('v2');
    const deleted = await cli('volumes', 'delete', 'ckpt', '-y');
    assert.equal(deleted.code, 0, deleted.err);
    assert.equal(fs.existsSync(dir), false);
    assert.deepEqual(JSON.parse((await cli('volumes', 'ls', '--json')).out), []);
  });

  test('a missing volume, or one on other infra than the task, fails before provisioning naming the field', async () => {
    await assert.rejects(
      clusters.launch(buildTask({ volumes: { '/mnt/x': 'nope' }, run: 'true' }), { clusterName: 'v3' }),
      /volumes\.\/mnt\/x: volume 'nope' does not exist/,
    );
    const file = path.join(env.home, 'v2.yaml');
    fs.writeFileSync(file, 'name: other\ntype: k8s-pvc\ninfra: local\nsize: 1\n');
    assert.equal((await cli('volumes', 'apply', file, '-y')).code, 0);
    await assert.rejects(
      clusters.launch(buildTask({ resources: { infra: 'ssh/pool1' }, volumes: { '~/x': 'other' }, run: 'true' }), { clusterName: 'v3' }),
      /volumes\.~\/x: volume 'other' lives on local, but the task asks for ssh\/pool1/,
    );
    assert.equal(await findCluster('v3'), undefined);
  });

  test('volume YAML errors name file, line and field; k8s-pvc on AWS is refused', async () => {
    const bad = path.join(env.home, 'bad.yaml');
    fs.writeFileSync(bad, 'name: good\ntype: k8s-pvc\ninfra: local\nsize: lots\n');
    const r = await cli('volumes', 'apply', bad, '-y');
    assert.equal(r.code, 1);
    assert.match(r.err, new RegExp(`${bad.replace(/[/.]/g, '\\$&')}:4: size: 'lots' is not a size`));
    fs.writeFileSync(bad, 'name: good\ntype: k8s-pvc\ninfra: aws\nsize: 10Gi\n');
    const aws = await cli('volumes', 'apply', bad, '-y');
    assert.match(aws.err, /infra: a k8s-pvc volume cannot live on aws/);
    assert.equal(JSON.parse((await cli('volumes', 'ls', '--json')).out).filter((v: VolumeJson) => v.name === 'good').length, 0);
  });

  test('jobs launch and serve up refuse a missing volume or a bad git ref before submitting anything', { skip: requirePrerequisite(builtFiles(CLI)) }, () => {
    const task = path.join(env.home, 'job.yaml');
    fs.writeFileSync(task, 'resources:\n  infra: local\nvolumes:\n  ~/ckpt: not-there\nrun: ls ~/ckpt\n');
    const run = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: process.env, timeout: 120_000 });
    const job = run('jobs', 'launch', task, '-y', '-d');
    assert.equal(job.status, 1, job.stderr);
    assert.match(job.stderr, /volumes\.~\/ckpt: volume 'not-there' does not exist/);
    assert.deepEqual(JSON.parse(run('jobs', 'queue', '--json').stdout), []);
    const svc = path.join(env.home, 'svc.yaml');
    fs.writeFileSync(
      svc,
      `service:\n  readiness_probe: /\n  replicas: 1\nresources:\n  infra: local\n  ports: 8080\nworkdir:\n  url: file://${env.home}/nowhere.git\n  ref: main\nrun: python3 -m http.server 8080\n`,
    );
    const up = run('serve', 'up', svc, '-y', '-n', 'svc1');
    assert.equal(up.status, 1, up.stderr);
    assert.match(up.stderr, /workdir\.url: cannot reach the git repository/);
  });
});
