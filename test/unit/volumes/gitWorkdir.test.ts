/** Git workdir helpers that need no node: reading the task, credentials, the ref check against a local bare repository. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { displayUrl, gitCredentials, gitWorkdirOf, resolveGitWorkdir, tokenGitEnv } from '../../../engine/cluster/gitWorkdir';
import { buildTask } from '../../../engine/task/build';

test('workdir {url, ref} is a git workdir; a plain path is not', () => {
  assert.deepEqual(gitWorkdirOf(buildTask({ workdir: { url: 'https://h/r.git', ref: 'main' }, run: 'x' })), { url: 'https://h/r.git', ref: 'main' });
  assert.deepEqual(gitWorkdirOf(buildTask({ workdir: { url: 'https://h/r.git' }, run: 'x' })), { url: 'https://h/r.git', ref: undefined });
  assert.equal(gitWorkdirOf(buildTask({ workdir: '.', run: 'x' })), undefined);
});

test('GIT_TOKEN and GIT_SSH_KEY_PATH: secrets, then envs, then the environment; an unreadable key names the variable', () => {
  const t = buildTask({ secrets: { GIT_TOKEN: 'from-secret' }, envs: { GIT_TOKEN: 'from-env' }, run: 'x' });
  assert.equal(gitCredentials(t, { GIT_TOKEN: 'from-process' }).token, 'from-secret');
  assert.equal(gitCredentials(buildTask({ run: 'x' }), { GIT_TOKEN: 'from-process' }).token, 'from-process');
  assert.throws(
    () => gitCredentials(buildTask({ run: 'x' }), { GIT_SSH_KEY_PATH: '/no/such/key' }),
    /GIT_SSH_KEY_PATH: cannot read the SSH key \/no\/such\/key/,
  );
  // The token travels as an http.extraHeader in GIT_CONFIG_* variables, never in the URL or argv.
  const env = tokenGitEnv('tok');
  assert.equal(env.GIT_CONFIG_KEY_0, 'http.extraHeader');
  assert.equal(env.GIT_CONFIG_VALUE_0, `Authorization: Basic ${Buffer.from('tok:').toString('base64')}`);
  assert.equal(displayUrl('https://user:secret@github.com/o/r.git'), 'https://github.com/o/r.git');
});

test('refs are resolved against the remote: branch, tag, full and short commit; unknown ones and bad URLs name the field', async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'skydeck-git-unit-'));
  try {
    const src = path.join(root, 'src');
    fs.mkdirSync(src);
    const g = (...a: string[]) => execFileSync('git', ['-c', 'user.email=t@e', '-c', 'user.name=t', ...a], { cwd: src, encoding: 'utf8' }).trim();
    g('init', '-q', '-b', 'main');
    g('commit', '-q', '--allow-empty', '-m', 'a');
    const sha = g('rev-parse', 'HEAD');
    g('tag', 'v1');
    g('commit', '-q', '--allow-empty', '-m', 'b');
    execFileSync('git', ['clone', '-q', '--bare', src, path.join(root, 'r.git')]);
    const url = `file://${root}/r.git`;
    assert.equal((await resolveGitWorkdir({ url, ref: 'main' }, {})).kind, 'branch');
    assert.equal((await resolveGitWorkdir({ url, ref: 'v1' }, {})).kind, 'tag');
    assert.equal((await resolveGitWorkdir({ url, ref: sha }, {})).kind, 'commit');
    assert.equal((await resolveGitWorkdir({ url, ref: sha.slice(0, 8) }, {})).kind, 'commit');
    assert.equal((await resolveGitWorkdir({ url }, {})).kind, 'default');
    await assert.rejects(resolveGitWorkdir({ url, ref: 'nope' }, {}), /^InputError: workdir\.ref: 'nope' is not a branch, tag or commit|workdir\.ref: 'nope'/);
    await assert.rejects(resolveGitWorkdir({ url, ref: 'f'.repeat(40) }, {}), /workdir\.ref: 'f{40}' is not a branch, tag or commit/);
    await assert.rejects(resolveGitWorkdir({ url: `file://${root}/missing.git`, ref: 'main' }, {}), /workdir\.url: cannot reach the git repository/);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
