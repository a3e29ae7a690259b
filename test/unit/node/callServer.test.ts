/**
 * The call server's protocol (engine/node/container/callServerScript.ts and callClient.ts)
 * with the server run on this machine in a temp directory, no container: the client's
 * streams, stdin, env and cwd, exit codes, abort, concurrent calls, and the fallback when no
 * server reads the directory. test/integration/docker/callServer.test.ts runs the same server
 * inside a real container.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { tryCall } from '../../../engine/node/container/callClient';
import { CALL_SERVER_SCRIPT } from '../../../engine/node/container/callServerScript';
import type { ExecOptions, ExecResult } from '../../../engine/node/transport';
import { until } from '../../helpers/until';

const FALLBACK: ExecResult = { exitCode: 99, stdout: 'fallback', stderr: '' };

describe('call server protocol', () => {
  let dir: string;
  let root: string;
  let serverPid = 0;
  const call = (argv: string[], options: ExecOptions = {}, cwd = dir) => tryCall(root, 'test server', argv, cwd, options, () => Promise.resolve(FALLBACK));

  /** Whether a server reads `ctl`. */
  const serving = (): boolean => {
    try {
      fs.closeSync(fs.openSync(path.join(root, 'ctl'), fs.constants.O_WRONLY | fs.constants.O_NONBLOCK));
      return true;
    } catch {
      return false;
    }
  };

  const startServer = async (): Promise<void> => {
    const r = spawnSync('bash', ['-c', CALL_SERVER_SCRIPT, 'skydeck-calls', root], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    serverPid = Number(fs.readFileSync(path.join(root, 'server'), 'utf8').split(' ')[0]);
    await until('the server reading its FIFO', serving, { watch: [root] });
  };

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skydeck-callserver-'));
    root = path.join(dir, '.skydeck_calls');
    await startServer();
  });
  after(() => {
    try {
      process.kill(-serverPid, 'SIGKILL');
    } catch {
      /* gone */
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('a second start while it runs does nothing', () => {
    const r = spawnSync('bash', ['-c', CALL_SERVER_SCRIPT, 'skydeck-calls', root], { encoding: 'utf8' });
    assert.equal(r.status, 0);
    assert.equal(Number(fs.readFileSync(path.join(root, 'server'), 'utf8').split(' ')[0]), serverPid);
  });

  test('stdout, stderr, exit code, env with any value, cwd; the request files go', async () => {
    const r = await call(['bash', '-c', 'echo "$PWD|$A|$B"; echo e >&2; exit 5'], { env: { A: 'x y\nz', B: '=$(no)' } }, '/tmp');
    assert.deepEqual(r, { exitCode: 5, stdout: '/tmp|x y\nz|=$(no)\n', stderr: 'e\n' });
    assert.deepEqual(fs.readdirSync(path.join(root, 'calls')), []);
    const sig = await call(['bash', '-c', 'kill -KILL $$']);
    assert.equal(sig?.exitCode, 137);
  });

  test('stdin as a string or buffer; an empty one reads as end of input', async () => {
    assert.equal((await call(['cat'], { stdin: 'hello' }))?.stdout, 'hello');
    assert.equal((await call(['wc', '-c'], { stdin: Buffer.alloc(1 << 20, 1) }))?.stdout.trim(), String(1 << 20));
    assert.equal((await call(['cat'], {}))?.stdout, '');
    // A stream on stdin is not taken: the caller enters the container instead.
    assert.equal(call(['cat'], { stdin: Readable.from(['x']) }), undefined);
  });

  test('output streams before the command ends', async () => {
    const go = path.join(dir, 'go');
    const r = await call(['bash', '-c', `echo first; while [ ! -e ${go} ]; do sleep 0.05; done; echo second`], {
      onStdout: (c) => c.toString().includes('first') && fs.writeFileSync(go, ''),
    });
    assert.equal(r?.stdout, 'first\nsecond\n');
  });

  test('abort kills the call and its process group', async () => {
    const ac = new AbortController();
    const pidFile = path.join(dir, 'child.pid');
    const p = call(['bash', '-c', `sleep 304 & echo $! > ${pidFile}; echo started; wait`], {
      signal: ac.signal,
      onStdout: (c) => c.toString().includes('started') && ac.abort(),
    });
    await assert.rejects(p!, (e: Error & { code?: string }) => e.code === 'CANCELLED');
    const child = Number(fs.readFileSync(pidFile, 'utf8'));
    await until('the child gone', () => {
      try {
        process.kill(child, 0);
        return fs.readFileSync(`/proc/${child}/stat`, 'utf8').split(' ')[2] === 'Z';
      } catch {
        return true;
      }
    });
  });

  test('concurrent calls beyond the ready slots', async () => {
    const results = await Promise.all(Array.from({ length: 30 }, (_, i) => call(['bash', '-c', `echo ${i}`]) ?? Promise.resolve(FALLBACK)));
    results.forEach((r, i) => assert.ok(r.stdout === `${i}\n` || r === FALLBACK, JSON.stringify(r)));
    assert.ok(results.some((r) => r !== FALLBACK));
  });

  test('no server: the call is not taken (the caller falls back), and nothing is left', async () => {
    process.kill(-serverPid, 'SIGKILL');
    await until('the server gone', () => !serving());
    assert.equal(call(['true']), undefined);
    assert.deepEqual(fs.readdirSync(path.join(root, 'calls')), []);
    await startServer();
    assert.equal((await call(['echo', 'back']))?.stdout, 'back\n');
  });
});
