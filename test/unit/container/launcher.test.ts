// Rank launchers into node containers (engine/node/container/launcher.ts), run as agent.sh runs
// them ("${L[@]}" "command line"), with a stand-in `docker` that prints its argv and an
// ssh stand-in that hands the joined remote command line to a shell, as sshd's login shell
// does: the command line reaches `bash -c` inside the container unchanged.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { enterContainerLauncher, throughHostLauncher } from '../../../engine/node/container/launcher';

const COMMAND = `bash "$HOME/.skydeck_node/agent.sh" rank 12 1 run 'it'"'"'s' & \\ done`;

function withFakeDocker<T>(fn: (env: NodeJS.ProcessEnv) => T): T {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skydeck-fake-docker-'));
  try {
    fs.writeFileSync(path.join(dir, 'docker'), '#!/bin/sh\nfor a in "$@"; do printf "[%s]\\n" "$a"; done\nprintf "DOCKER_HOST=%s\\n" "$DOCKER_HOST"\n', {
      mode: 0o755,
    });
    return fn({ ...process.env, PATH: `${dir}:${process.env.PATH}` });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function runLauncher(launcher: string[], env: NodeJS.ProcessEnv): string {
  const r = spawnSync(launcher[0], [...launcher.slice(1), COMMAND], { env, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

const target = { name: 'skydeck-c-ab12-1', home: '/home/me', dockerEnv: { DOCKER_HOST: 'unix:///run/d.sock' } };
const expected = ['exec', '-i', '-w', '/home/me', 'skydeck-c-ab12-1', 'bash', '-c', COMMAND].map((a) => `[${a}]`).join('\n');

test("the head's own rank enters its container directly, the docker client env beside", () => {
  const l = throughHostLauncher(['bash', '-c'], target);
  assert.deepEqual(l, enterContainerLauncher(target));
  const out = withFakeDocker((env) => runLauncher(l, env));
  assert.equal(out, `${expected}\nDOCKER_HOST=unix:///run/d.sock\n`);
});

test("a worker's rank goes through its host launcher as one remote command line, quoted for any login shell", () => {
  // ssh hands the command line after the host to the worker's login shell (a POSIX sh here).
  const ssh = ['sh', '-c', 'for a; do last=$a; done; eval "$last"', 'ssh-stand-in', '-T', 'me@10.0.0.3'];
  const out = withFakeDocker((env) => runLauncher(throughHostLauncher(ssh, target), env));
  assert.equal(out, `${expected}\nDOCKER_HOST=unix:///run/d.sock\n`);
});

test('with an entry, the rank enters by PID; a PID that is not the recorded one falls back to docker exec', () => {
  const l = enterContainerLauncher({ ...target, entry: { pid: 999_999_999, start: '1' } });
  assert.deepEqual(l.slice(0, 4), ['env', 'DOCKER_HOST=unix:///run/d.sock', 'bash', '-c']);
  assert.deepEqual(l.slice(5), ['skydeck-enter', '999999999', '1', '/home/me', '', 'skydeck-c-ab12-1', 'bash', '-c']);
  const ssh = ['sh', '-c', 'for a; do last=$a; done; eval "$last"', 'ssh-stand-in', 'me@10.0.0.3'];
  const out = withFakeDocker((env) => runLauncher(throughHostLauncher(ssh, { ...target, entry: { pid: 999_999_999, start: '1' } }), env));
  assert.equal(out, `${expected}\nDOCKER_HOST=unix:///run/d.sock\n`);
});
