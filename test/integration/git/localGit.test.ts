/**
 * Git workdirs on `local`: a bare repository (file://) cloned into ~/sky_workdir on every node
 * at a branch, a tag and a commit; a bad URL or ref fails before anything is provisioned; a
 * GIT_TOKEN never reaches the state or the job's output.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { clusters, findCluster } from '../../../engine/cluster';
import { buildTask } from '../../../engine/task/build';
import { fastAgent, freshHome } from '../cluster/helpers';
import { builtFiles, requirePrerequisite } from '../../helpers/prerequisites';

const gitMissing = requirePrerequisite(spawnSync('git', ['--version']).status === 0 ? undefined : 'git (scripts/setup/15-git.sh)');

const CLI = path.join(__dirname, '..', '..', '..', 'dist', 'cli.js');

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.email=t@example.com', '-c', 'user.name=t', ...args], { cwd, encoding: 'utf8' }).trim();
}

/** A bare repo with main (two commits), a branch `feature` and a tag `v1` on the first commit. */
function makeRepo(root: string): { url: string; first: string; second: string } {
  const src = path.join(root, 'src');
  fs.mkdirSync(src, { recursive: true });
  git(src, 'init', '-q', '-b', 'main');
  fs.writeFileSync(path.join(src, 'version.txt'), 'one\n');
  git(src, 'add', '.');
  git(src, 'commit', '-q', '-m', 'one');
  const first = git(src, 'rev-parse', 'HEAD');
  git(src, 'tag', 'v1');
  git(src, 'branch', 'feature');
  fs.writeFileSync(path.join(src, 'version.txt'), 'two\n');
  git(src, 'commit', '-q', '-am', 'two');
  const second = git(src, 'rev-parse', 'HEAD');
  git(src, 'checkout', '-q', 'feature');
  fs.writeFileSync(path.join(src, 'version.txt'), 'feature\n');
  git(src, 'commit', '-q', '-am', 'feature');
  git(src, 'checkout', '-q', 'main');
  const bare = path.join(root, 'repo.git');
  execFileSync('git', ['clone', '-q', '--bare', src, bare]);
  return { url: `file://${bare}`, first, second };
}

function gitTask(url: string, ref: string | undefined, extra: Record<string, unknown> = {}) {
  return buildTask({
    resources: { infra: 'local' },
    num_nodes: 2,
    workdir: ref === undefined ? { url } : { url, ref },
    run: 'echo "rank=$SKYPILOT_NODE_RANK pwd=$PWD version=$(cat version.txt) head=$(git rev-parse HEAD)"',
    ...extra,
  });
}

describe('git workdir on local', { skip: gitMissing, concurrency: false }, () => {
  let env: ReturnType<typeof freshHome>;
  let repo: ReturnType<typeof makeRepo>;
  before(() => {
    env = freshHome();
    fastAgent(400);
    repo = makeRepo(path.join(env.home, 'repos'));
  });
  after(async () => {
    for (const name of ['g1', 'g2', 'g3', 'g4']) await clusters.down(name).catch(() => undefined);
    env.cleanup();
  });

  test('branch, then tag and commit through exec: every node has ~/sky_workdir at the ref, before setup', async () => {
    let out = '';
    const r = await clusters.launch(gitTask(repo.url, 'feature', { setup: 'test "$(cat version.txt)" = feature' }), {
      clusterName: 'g1',
      onOutput: (c) => (out += c),
    });
    assert.equal(r.jobStatus, 'SUCCEEDED', out);
    for (const rank of [0, 1]) assert.match(out, new RegExp(`rank=${rank} pwd=\\S+/sky_workdir version=feature`));

    out = '';
    const tag = await clusters.exec('g1', gitTask(repo.url, 'v1'), { onOutput: (c) => (out += c) });
    assert.equal(tag.jobStatus, 'SUCCEEDED', out);
    assert.equal((out.match(/version=one/g) ?? []).length, 2, out);

    out = '';
    const commit = await clusters.exec('g1', gitTask(repo.url, repo.second), { onOutput: (c) => (out += c) });
    assert.equal(commit.jobStatus, 'SUCCEEDED', out);
    assert.equal((out.match(new RegExp(`version=two head=${repo.second}`, 'g')) ?? []).length, 2, out);

    out = '';
    const short = await clusters.exec('g1', gitTask(repo.url, repo.first.slice(0, 10)), { onOutput: (c) => (out += c) });
    assert.equal(short.jobStatus, 'SUCCEEDED', out);
    assert.equal((out.match(new RegExp(`head=${repo.first}`, 'g')) ?? []).length, 2, out);

    out = '';
    const dflt = await clusters.exec('g1', gitTask(repo.url, undefined), { onOutput: (c) => (out += c) });
    assert.equal(dflt.jobStatus, 'SUCCEEDED', out);
    assert.equal((out.match(/version=two/g) ?? []).length, 2, out);
  });

  test('an unreachable URL or an unknown ref fails before anything is provisioned, naming the field', async () => {
    await assert.rejects(clusters.launch(gitTask(`file://${env.home}/no-such-repo.git`, 'main'), { clusterName: 'g2' }), (e: Error) => {
      assert.match(e.message, /^workdir\.url: cannot reach the git repository/);
      return true;
    });
    assert.equal(await findCluster('g2'), undefined);
    assert.equal(fs.existsSync(path.join(env.home, 'local')) && fs.readdirSync(path.join(env.home, 'local')).some((d) => d.startsWith('g2-')), false);
    for (const ref of ['no-such-branch', 'deadbeefdeadbeef']) {
      await assert.rejects(clusters.launch(gitTask(repo.url, ref), { clusterName: 'g2' }), (e: Error) => {
        assert.match(e.message, new RegExp(`^workdir\\.ref: '${ref}' is not a branch, tag or commit`));
        return true;
      });
      assert.equal(await findCluster('g2'), undefined);
    }
  });

  test('GIT_TOKEN given as a secret is used but never written to the state or shown in the output', async () => {
    const token = 'ghp_secretTOKEN1234567890';
    let out = '';
    const messages: string[] = [];
    const r = await clusters.launch(
      gitTask(repo.url, 'main', { num_nodes: 1, secrets: { GIT_TOKEN: token }, run: 'cat version.txt; git config --list --show-origin' }),
      {
        clusterName: 'g3',
        onOutput: (c) => (out += c),
        onProgress: (p) => messages.push(p.message),
      },
    );
    assert.equal(r.jobStatus, 'SUCCEEDED', out);
    assert.match(out, /two/);
    assert.doesNotMatch(out, new RegExp(token));
    assert.doesNotMatch(messages.join('\n'), new RegExp(token));
    const b64 = Buffer.from(`${token}:`).toString('base64');
    for (const f of fs.readdirSync(path.join(env.home, 'state'))) {
      const p = path.join(env.home, 'state', f);
      if (fs.statSync(p).isFile()) assert.doesNotMatch(fs.readFileSync(p, 'utf8'), new RegExp(`${token}|${b64}`), f);
    }
    // The clone's own config keeps the plain URL.
    const nodeRoot = fs.readdirSync(path.join(env.home, 'local')).find((d) => d.startsWith('g3-'))!;
    const gitConfig = fs.readFileSync(path.join(env.home, 'local', nodeRoot, 'node-0', 'sky_workdir', '.git', 'config'), 'utf8');
    assert.doesNotMatch(gitConfig, new RegExp(`${token}|${b64}`));
  });

  test('the CLI: --git-url/--git-ref clone at the ref; a bad ref exits before provisioning', { skip: requirePrerequisite(builtFiles(CLI)) }, () => {
    const task = path.join(env.home, 'cli-task.yaml');
    fs.writeFileSync(task, 'resources:\n  infra: local\nrun: echo "cli version=$(cat version.txt)"\n');
    const cli = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: process.env, timeout: 240_000 });
    const bad = cli('launch', task, '-c', 'g4', '-y', '--git-url', repo.url, '--git-ref', 'no-such-tag');
    assert.equal(bad.status, 1, bad.stderr);
    assert.match(bad.stderr, /workdir\.ref: 'no-such-tag' is not a branch, tag or commit/);
    assert.ok(!(JSON.parse(cli('status', '--json').stdout) as { name: string }[]).some((c) => c.name === 'g4'));
    const ok = cli('launch', task, '-c', 'g4', '-y', '--git-url', repo.url, '--git-ref', 'v1');
    assert.equal(ok.status, 0, `${ok.stdout}\n${ok.stderr}`);
    assert.match(ok.stdout, /cli version=one/);
  });
});
