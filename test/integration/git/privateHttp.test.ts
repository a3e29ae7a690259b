/**
 * A private repository over HTTP with GIT_TOKEN, on `local`: without the token (or with a
 * wrong one) the launch stops before provisioning; with it, both nodes clone, and the token is
 * nowhere in the state, the progress messages, the job's output or the clone's .git/config.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { clusters, findCluster } from '../../../engine/cluster';
import { buildTask } from '../../../engine/task/build';
import { fastAgent, freshHome } from '../cluster/helpers';
import { requirePrerequisite } from '../../helpers/prerequisites';
import { HTTP_BACKEND, startHttpGitServer, type HttpGitServer } from './httpGitServer';

const skip = requirePrerequisite(fs.existsSync(HTTP_BACKEND) ? undefined : `${HTTP_BACKEND} (apt-get install git)`);
const TOKEN = 'ghp_privateToken0123456789abcdef';

describe('private git workdir over HTTP with GIT_TOKEN', { skip, concurrency: false }, () => {
  let env: ReturnType<typeof freshHome>;
  let server: HttpGitServer;
  let url: string;

  before(async () => {
    env = freshHome();
    fastAgent(400);
    const src = path.join(env.home, 'src');
    fs.mkdirSync(src);
    const g = (...a: string[]) => execFileSync('git', ['-c', 'user.email=t@e', '-c', 'user.name=t', ...a], { cwd: src });
    g('init', '-q', '-b', 'main');
    fs.writeFileSync(path.join(src, 'secret-code.txt'), 'private\n');
    g('add', '.');
    g('commit', '-q', '-m', 'private');
    const repos = path.join(env.home, 'served');
    fs.mkdirSync(repos);
    execFileSync('git', ['clone', '-q', '--bare', src, path.join(repos, 'private.git')]);
    server = await startHttpGitServer(repos, TOKEN);
    url = `${server.url}/private.git`;
  });

  after(async () => {
    await clusters.down('gh1').catch(() => undefined);
    await server?.close();
    env?.cleanup();
  });

  test('no token or a wrong one: refused before provisioning', async () => {
    for (const secrets of [{}, { GIT_TOKEN: 'wrong-token' }]) {
      await assert.rejects(
        clusters.launch(buildTask({ resources: { infra: 'local' }, workdir: { url, ref: 'main' }, secrets, run: 'true' }), { clusterName: 'gh1' }),
        /workdir\.url: cannot reach the git repository http:\/\/127\.0\.0\.1:\d+\/private\.git/,
      );
      assert.equal(await findCluster('gh1'), undefined);
    }
  });

  test('with GIT_TOKEN both nodes clone; the token is never shown or stored', async () => {
    const before = server.authorized();
    let out = '';
    const messages: string[] = [];
    const r = await clusters.launch(
      buildTask({
        resources: { infra: 'local' },
        num_nodes: 2,
        workdir: { url, ref: 'main' },
        secrets: { GIT_TOKEN: TOKEN },
        run: 'cat secret-code.txt; env | grep -c GIT_CONFIG || true',
      }),
      { clusterName: 'gh1', onOutput: (c) => (out += c), onProgress: (p) => messages.push(p.message) },
    );
    assert.equal(r.jobStatus, 'SUCCEEDED', out);
    assert.equal((out.match(/private/g) ?? []).length, 2, out);
    // The client's check and each node's clone authenticated.
    assert.ok(server.authorized() - before >= 3, `authorized requests: ${server.authorized() - before}`);
    const b64 = Buffer.from(`${TOKEN}:`).toString('base64');
    const leak = new RegExp(`${TOKEN}|${b64}`);
    assert.doesNotMatch(messages.join('\n'), leak);
    const walk = (dir: string): string[] =>
      fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? walk(path.join(dir, d.name)) : [path.join(dir, d.name)]));
    for (const f of walk(path.join(env.home, 'state'))) assert.doesNotMatch(fs.readFileSync(f, 'utf8'), leak, f);
    const nodeRoot = fs.readdirSync(path.join(env.home, 'local')).find((d) => d.startsWith('gh1-'))!;
    for (const n of ['node-0', 'node-1']) {
      const config = fs.readFileSync(path.join(env.home, 'local', nodeRoot, n, 'sky_workdir', '.git', 'config'), 'utf8');
      assert.doesNotMatch(config, leak);
      assert.match(config, new RegExp(`url = ${url.replace(/[.:/]/g, '\\$&')}`));
    }
  });
});
