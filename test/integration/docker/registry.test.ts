/**
 * Private registries: SKYPILOT_DOCKER_USERNAME / PASSWORD / SERVER log in before the pull
 * (a real docker-registry with htpasswd auth on 127.0.0.1), and the password reaches neither
 * the state, the logs, the --json output nor the node's files.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { clusters } from '../../../engine/cluster';
import { fastAgent, freshHome, makeTask } from '../cluster/helpers';
import { requirePrerequisite } from '../../helpers/prerequisites';
import { buildTestImage, docker, dockerMissing, ensureDockerDaemon, imageExists } from '../../helpers/docker';
import { registryMissing, startRegistry, type Registry } from '../../helpers/registry';
import type { Task } from '../../../engine/task/types';
import { until } from '../../helpers/until';

requirePrerequisite(dockerMissing() ?? registryMissing());

/** Every file under `dir` whose bytes contain `needle`. */
function filesContaining(dir: string, needle: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && fs.readFileSync(p).includes(needle)) out.push(p);
    }
  };
  walk(dir);
  return out;
}

describe('docker: images from a private registry', { concurrency: false }, () => {
  let env: ReturnType<typeof freshHome>;
  let registry: Registry;
  let privateImage: string;
  before(async () => {
    env = freshHome();
    fastAgent(400);
    await ensureDockerDaemon();
    const base = buildTestImage();
    registry = await startRegistry();
    privateImage = `${registry.address}/skydeck/private:1`;
    // Pushed with credentials kept in a throwaway client config, then removed locally so the launch must pull.
    const cfg = fs.mkdtempSync(path.join(os.tmpdir(), 'skydeck-docker-cfg-'));
    const withCfg = { ...process.env, DOCKER_CONFIG: cfg };
    const login = spawnSync('docker', ['login', '-u', registry.username, '--password-stdin', registry.address], {
      input: registry.password,
      env: withCfg,
      encoding: 'utf8',
    });
    assert.equal(login.status, 0, login.stderr);
    docker(['tag', base, privateImage]);
    const push = spawnSync('docker', ['push', privateImage], { env: withCfg, encoding: 'utf8' });
    assert.equal(push.status, 0, push.stderr);
    fs.rmSync(cfg, { recursive: true, force: true });
    docker(['rmi', privateImage]);
  });
  after(async () => {
    for (const name of ['reg1', 'reg2']) await clusters.down(name).catch(() => undefined);
    await registry?.stop();
    env.cleanup();
  });

  function task(password: string): Task {
    const t = makeTask({ infra: { cloud: 'local' }, run: 'echo pulled=$(cat /image-marker)' });
    t.resources.base.imageId = `docker:${privateImage}`;
    t.envs.SKYPILOT_DOCKER_USERNAME = registry.username;
    t.envs.SKYPILOT_DOCKER_SERVER = registry.address;
    t.secrets.SKYPILOT_DOCKER_PASSWORD = password;
    return t;
  }

  test('a wrong password fails the launch clearly, without the password', async () => {
    const wrong = 'wrong-password-never-shown';
    await assert.rejects(clusters.launch(task(wrong), { clusterName: 'reg2' }), (e: Error) => {
      assert.match(e.message, /docker login to 127\.0\.0\.1:\d+ as skyuser failed/);
      assert.doesNotMatch(e.message + String((e as { hint?: string }).hint), new RegExp(wrong));
      return true;
    });
    assert.equal(imageExists(privateImage), false);
    await clusters.down('reg2');
    assert.deepEqual(filesContaining(env.home, wrong), []);
  });

  test('logs in before the pull; the password stays out of state, logs and node files', async () => {
    assert.equal(imageExists(privateImage), false);
    const r = await clusters.launch(task(registry.password), { clusterName: 'reg1' });
    assert.equal(r.jobStatus, 'SUCCEEDED');
    let log = '';
    await clusters.tailLogs('reg1', r.jobId, { follow: true, onData: (c) => (log += c) });
    assert.match(log, /pulled=base/);
    assert.ok(imageExists(privateImage));
    assert.doesNotMatch(JSON.stringify(await clusters.status()), new RegExp(registry.password));
    // Once the job has ended its spec and rank scripts (which carry the task's secrets while it
    // runs) go, and the login's client config was a temp dir removed after the pull.
    await until('no file to hold the registry password', () => filesContaining(env.home, registry.password).length === 0, {
      timeoutMs: 30_000,
      detail: () => filesContaining(env.home, registry.password).join('\n'),
    });
  });
});
