/**
 * Names and ownership on `local`: two launches of one name provision once; names that look
 * alike on the infra (foo_bar, Foo-bar) never share an address and downing one leaves the
 * other whole; a 300-character name fails before anything exists; processes that cleared
 * their environment still die on `down`.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { clusters, findCluster } from '../../../engine/cluster';
import { CLI, cli, leaksIn } from '../../../bench/chaos/killLaunch';
import { freshHome, makeTask, waitFor } from './helpers';
import { builtFiles, requirePrerequisite } from '../../helpers/prerequisites';

function ipTable(home: string): Record<string, string[]> {
  return (JSON.parse(fs.readFileSync(path.join(home, 'state', 'local-ips.json'), 'utf8')) as { data: { byCluster: Record<string, string[]> } }).data.byCluster;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].startsWith('Z');
  } catch {
    return false;
  }
}

describe('cluster names and ownership on local', { concurrency: false }, () => {
  let env: ReturnType<typeof freshHome>;
  before(() => {
    env = freshHome();
  });
  after(async () => {
    for (const name of ['same', 'foo_bar', 'Foo-bar', 'envless']) await clusters.down(name).catch(() => undefined);
    env.cleanup();
  });

  test(
    'two concurrent CLI launches of one name: both succeed, exactly one cluster is provisioned and recorded',
    { skip: requirePrerequisite(builtFiles(CLI)) },
    async () => {
      const run = () =>
        new Promise<{ code: number | null; stderr: string }>((resolve) => {
          const child = spawn(process.execPath, [CLI, 'launch', 'echo hi', '-c', 'same', '-y', '--infra', 'local'], {
            env: process.env,
            stdio: ['ignore', 'ignore', 'pipe'],
          });
          let stderr = '';
          child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
          child.on('exit', (code) => resolve({ code, stderr }));
        });
      const [a, b] = await Promise.all([run(), run()]);
      assert.equal(a.code, 0, a.stderr);
      assert.equal(b.code, 0, b.stderr);
      assert.equal([a, b].filter((r) => /Reusing UP cluster 'same'/.test(r.stderr)).length, 1, `${a.stderr}\n---\n${b.stderr}`);
      const dirs = fs.readdirSync(path.join(env.home, 'local')).filter((d) => d.startsWith('same-'));
      assert.equal(dirs.length, 1, dirs.join(', '));
      assert.equal(Object.keys(ipTable(env.home)).filter((k) => k.startsWith('same-')).length, 1);
      assert.equal((await clusters.status()).filter((c) => c.name === 'same').length, 1);
      await clusters.down('same');
    },
  );

  test('foo_bar and Foo-bar: other names on the infra, other addresses; downing one leaves the other', async () => {
    const a = await clusters.launch(makeTask({ infra: { cloud: 'local' }, run: 'true' }), { clusterName: 'foo_bar' });
    const b = await clusters.launch(makeTask({ infra: { cloud: 'local' }, run: 'true' }), { clusterName: 'Foo-bar' });
    assert.notEqual(a.cluster.handle.nameOnCloud, b.cluster.handle.nameOnCloud);
    assert.notEqual(a.cluster.nodes[0].internalIp, b.cluster.nodes[0].internalIp);
    await clusters.down('foo_bar');
    assert.deepEqual(ipTable(env.home)[b.cluster.handle.nameOnCloud], [b.cluster.nodes[0].internalIp], "Foo-bar's address is still its own");
    const [fresh] = await clusters.status({ refresh: true, names: ['Foo-bar'] });
    assert.equal(fresh?.status, 'UP', fresh?.lastError);
    await clusters.down('Foo-bar');
  });

  test('a 300-character cluster name fails clearly before anything is created', { skip: requirePrerequisite(builtFiles(CLI)) }, () => {
    const name = `c${'x'.repeat(299)}`;
    const r = cli(['launch', 'true', '-c', name, '-y', '--infra', 'local']);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /300 characters long; at most 128/);
    assert.doesNotMatch(r.stderr, /ENAMETOOLONG/);
    assert.deepEqual(leaksIn(env.home), []);
  });

  test('processes that cleared their environment (and left the node dir) die on down', async () => {
    const run = ['env -i sleep 1000 & echo $! > ~/in-dir.pid', '(cd / && exec env -i sleep 1001) & echo $! > ~/out-of-dir.pid', 'echo started'].join('\n');
    const r = await clusters.launch(makeTask({ infra: { cloud: 'local' }, run }), { clusterName: 'envless' });
    assert.equal(r.jobStatus, 'SUCCEEDED');
    const dir = (r.cluster.handle.data as { nodes: { dir: string }[] }).nodes[0].dir;
    const pids = ['in-dir.pid', 'out-of-dir.pid'].map((f) => Number(fs.readFileSync(path.join(dir, f), 'utf8').trim()));
    for (const pid of pids) {
      assert.ok(alive(pid), `sleep ${pid} runs after its job ended`);
      assert.doesNotMatch(fs.readFileSync(`/proc/${pid}/environ`, 'latin1'), /SKYDECK_LOCAL_NODE/, 'its environment is empty');
    }
    await clusters.down('envless');
    await waitFor('the env-less processes to be gone', () => pids.every((p) => !alive(p)) || undefined, 90_000);
    assert.equal(await findCluster('envless'), undefined);
  });
});
