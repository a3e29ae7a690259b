/**
 * The service controller as it runs for users (built CLI, `local` replicas), started with
 * a 1,024 open-file limit (a common default): a flood of idle connections from one client
 * fails none of another client's requests and the controller still reads its state; a
 * controller killed with -9 is restarted by its supervisor on the same port; `serve down`
 * ends the supervisor too.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { isAlive } from '../../../engine/util/detached';
import { makeEnv, pidAlive, readServices, ROOT, until } from './helpers';

const run = promisify(execFile);
const CLI = path.join(ROOT, 'dist', 'cli.js');
const FD_LIMIT = 1024;

function getFrom(localAddress: string, url: string): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get(url, { agent: false, localAddress, timeout: 10_000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', () => resolve(-1));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve(-1));
  });
}

function softAndHardFdLimit(pid: number): [number, number] {
  const line = fs
    .readFileSync(`/proc/${pid}/limits`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('Max open files'))!;
  const [, soft, hard] = line.split(/\s{2,}/);
  return [Number(soft), Number(hard)];
}

test('controller under a flood, killed with -9, and taken down', { timeout: 480_000 }, async (t) => {
  const e = makeEnv();
  // `serve up` (and so the supervisor and controller it starts) under a 1,024-file limit.
  const cli = async (...args: string[]) =>
    (await run('/bin/sh', ['-c', `ulimit -n ${FD_LIMIT} && exec "$@"`, 'sh', process.execPath, CLI, ...args], { env: e.env, cwd: e.dir, timeout: 180_000 }))
      .stdout;
  const flood: net.Socket[] = [];
  t.after(async () => {
    for (const s of flood) s.destroy();
    await e.cli('serve', 'down', '-a', '-y').catch(() => undefined);
    // If down failed: the supervisor first (it would restart the controller), then the controller.
    const left = readServices(e.home).res as { controller?: { pid: number }; supervisor?: { pid: number } } | undefined;
    for (const pid of [left?.supervisor?.pid, left?.controller?.pid]) if (pid && pidAlive(pid)) process.kill(pid, 'SIGKILL');
    for (const f of fs.readdirSync(e.dir).filter((x) => x.startsWith('pid-'))) {
      const pid = Number(fs.readFileSync(path.join(e.dir, f), 'utf8'));
      if (pidAlive(pid)) process.kill(pid, 'SIGKILL');
    }
    fs.rmSync(e.dir, { recursive: true, force: true });
  });
  const service = `
readiness_probe:
  path: /health
  initial_delay_seconds: 120
  endpoint_probe_interval_seconds: 0.3
replicas: 1`;
  const up = await cli('serve', 'up', e.yaml('res', { service }), '--service-name', 'res', '-y');
  const endpoint = /Endpoint: (\S+)/.exec(up)![1];
  const svc = () => readServices(e.home).res as ReturnType<typeof readServices>[string] & { supervisor?: { pid: number } };
  const log = () => {
    try {
      return fs.readFileSync(path.join(e.home, 'serve', 'res', 'controller.log'), 'utf8');
    } catch {
      return '';
    }
  };
  await until('1 replica READY', () => svc()?.replicas.some((r) => r.status === 'READY'), 180_000);
  assert.equal(new URL(endpoint).hostname, '127.0.0.1');

  await t.test('the controller runs with the open-file limit it was given (Node sets soft to hard)', () => {
    assert.deepEqual(softAndHardFdLimit(svc().controller!.pid), [FD_LIMIT, FD_LIMIT]);
  });

  await t.test('1,000 idle connections from 127.0.0.1 fail none of 50 requests from 127.0.0.2; the controller still reads its state', async () => {
    const { port } = new URL(endpoint);
    await Promise.race([
      Promise.all(
        Array.from({ length: 1000 }, () => {
          const s = net.connect({ host: '127.0.0.1', port: Number(port) });
          flood.push(s);
          s.on('error', () => undefined);
          return new Promise<void>((resolve) => {
            s.once('connect', () => resolve());
            s.once('close', () => resolve());
          });
        }),
      ),
      new Promise((r) => setTimeout(r, 30_000).unref()),
    ]);
    const statuses: number[] = [];
    for (let round = 0; round < 10; round++) statuses.push(...(await Promise.all(Array.from({ length: 5 }, () => getFrom('127.0.0.2', `${endpoint}/`)))));
    assert.deepEqual(
      statuses.filter((s) => s !== 200),
      [],
      `requests from 127.0.0.2 failed during the flood`,
    );
    // The controller sees a new version only by reading the store (a service-only change: nothing to launch).
    await e.cli('serve', 'update', 'res', e.yaml('res', { service: service.replace('0.3', '0.4') }));
    await until('the controller saw the update (read its state)', () => /version 2: only the service section changed/.test(log()), 60_000);
    assert.doesNotMatch(log(), /EMFILE/);
    for (const s of flood.splice(0)) s.destroy();
  });

  await t.test('kill -9 of the controller: its supervisor starts it again, on the same port', async () => {
    const before = svc();
    const old = before.controller!.pid;
    const supervisor = before.supervisor!.pid;
    assert.ok(pidAlive(supervisor), 'no live supervisor recorded');
    process.kill(old, 'SIGKILL');
    const now = await until(
      'a new controller',
      () => {
        const s = svc();
        return s?.controller && s.controller.pid !== old && pidAlive(s.controller.pid) ? s : undefined;
      },
      // The supervisor's backoff and a cold start of the CLI, on a loaded machine; the log says what happened if not.
      120_000,
      () => `controller log (last lines):\n${log().split('\n').slice(-30).join('\n')}`,
    );
    assert.equal(now.endpoint, endpoint);
    assert.equal(svc().supervisor!.pid, supervisor);
    assert.match(log(), /supervisor: the controller exited \(status 137\)/);
    await until('the endpoint answers again', async () => (await getFrom('127.0.0.1', `${endpoint}/`)) === 200, 60_000);
  });

  await t.test('serve down removes the service and ends the supervisor', async () => {
    const supervisor = svc().supervisor!.pid;
    await e.cli('serve', 'down', 'res', '-y');
    assert.equal(readServices(e.home).res, undefined);
    // (Reparented to init, which may not reap it: a zombie counts as exited.)
    await until('the supervisor exited', () => !isAlive({ pid: supervisor }), 30_000);
  });
});
