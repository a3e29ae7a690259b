/**
 * Git workdirs on an SSH node pool (real sshd in network namespaces): a private repository
 * reached over SSH (`ssh://root@<host>/...`) with GIT_SSH_KEY_PATH, checked from this machine
 * before provisioning, then cloned on both hosts at a tag; the key never lands in ~/sky_workdir
 * or the state. An unknown ref leaves no cluster and no host reserved.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { netnsSkipReason, startSshHosts, type SshTestHosts } from '../../helpers/sshd';
import { writeNodePoolsYaml } from '../../helpers/nodePools';
import { clusters, findCluster } from '../../../engine/cluster';
import { closeAllSshConnections } from '../../../engine/node/ssh';
import { buildTask } from '../../../engine/task/build';
import { fastAgent, freshHome } from '../cluster/helpers';
import { requirePrerequisite } from '../../helpers/prerequisites';

const gitMissing = requirePrerequisite(spawnSync('git', ['--version']).status === 0 ? undefined : 'git (scripts/setup/15-git.sh)');

const skip = requirePrerequisite(netnsSkipReason());

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.email=t@example.com', '-c', 'user.name=t', ...args], { cwd, encoding: 'utf8' }).trim();
}

describe('git workdir on an SSH node pool', { skip: skip ?? gitMissing, concurrency: false }, () => {
  let hosts: SshTestHosts;
  let env: ReturnType<typeof freshHome>;
  let url: string;

  before(async () => {
    env = freshHome();
    fastAgent(400);
    hosts = await startSshHosts({ loopback: false, netnsHosts: 2 });
    const [h1, h2] = hosts.hosts;
    writeNodePoolsYaml(path.join(env.home, 'ssh_node_pools.yaml'), { pool: [h1, h2] });
    const src = path.join(env.home, 'src');
    fs.mkdirSync(src);
    git(src, 'init', '-q', '-b', 'main');
    fs.writeFileSync(path.join(src, 'hello.txt'), 'released\n');
    git(src, 'add', '.');
    git(src, 'commit', '-q', '-m', 'release');
    git(src, 'tag', 'v2.0');
    fs.writeFileSync(path.join(src, 'hello.txt'), 'later\n');
    git(src, 'commit', '-q', '-am', 'later');
    const bare = path.join(env.home, 'private.git');
    execFileSync('git', ['clone', '-q', '--bare', src, bare]);
    // Served by h1's sshd: the same path on the shared file system, reached over SSH with the key.
    url = `ssh://root@${h1.host}:${h1.port}${bare}`;
  });

  after(async () => {
    for (const name of ['gs1', 'gs2']) await clusters.down(name).catch(() => undefined);
    closeAllSshConnections();
    await hosts?.stop();
    env?.cleanup();
  });

  test('cloned over SSH with GIT_SSH_KEY_PATH on both hosts at the tag', async () => {
    const task = buildTask({
      resources: { infra: 'ssh/pool' },
      num_nodes: 2,
      workdir: { url, ref: 'v2.0' },
      secrets: { GIT_SSH_KEY_PATH: hosts.keyPath },
      run: 'echo "rank=$SKYPILOT_NODE_RANK $(cat hello.txt) at $PWD"',
    });
    let out = '';
    const r = await clusters.launch(task, { clusterName: 'gs1', onOutput: (c) => (out += c) });
    assert.equal(r.jobStatus, 'SUCCEEDED', out);
    for (const rank of [0, 1]) assert.match(out, new RegExp(`rank=${rank} released at /root/sky_workdir`));
    const key = fs.readFileSync(hosts.keyPath, 'utf8').split('\n')[1];
    for (const h of hosts.hosts) {
      assert.ok(fs.existsSync(path.join(h.homeDir, 'sky_workdir', '.git')));
      assert.doesNotMatch(fs.readFileSync(path.join(h.homeDir, 'sky_workdir', '.git', 'config'), 'utf8'), /PRIVATE KEY/);
    }
    for (const f of fs.readdirSync(path.join(env.home, 'state'))) {
      const p = path.join(env.home, 'state', f);
      if (fs.statSync(p).isFile()) assert.ok(!fs.readFileSync(p, 'utf8').includes(key), f);
    }
  });

  test('without the key the repository is unreachable; an unknown ref is refused: no cluster either way', async () => {
    const base = { resources: { infra: 'ssh/pool' }, run: 'true' };
    await assert.rejects(
      clusters.launch(buildTask({ ...base, workdir: { url, ref: 'v2.0' } }), { clusterName: 'gs2' }),
      /workdir\.url: cannot reach the git repository/,
    );
    await assert.rejects(
      clusters.launch(buildTask({ ...base, workdir: { url, ref: 'v9' }, secrets: { GIT_SSH_KEY_PATH: hosts.keyPath } }), { clusterName: 'gs2' }),
      /workdir\.ref: 'v9' is not a branch, tag or commit/,
    );
    assert.equal(await findCluster('gs2'), undefined);
  });
});
