/**
 * The task options on `serve up` / `serve update` and `jobs launch`, and the serve / jobs
 * verbs' SkyPilot options, through the built CLI on `local`: overrides and secrets reach
 * the replicas, the service keeps its task in a private file, `serve logs --tail`, `serve
 * update --mode`, `serve down --purge`; `jobs launch -n` / `--secret`, `jobs queue -l/-a`,
 * `jobs logs -n`, `jobs cancel -n`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { get, makeEnv, pidAlive, readServices, until } from '../serve/helpers';
import { builtFiles, requirePrerequisite } from '../../helpers/prerequisites';

const CLI = path.resolve(__dirname, '../../../dist/cli.js');
const skip = requirePrerequisite(builtFiles(CLI));

test('serve up/update with task options; serve logs --tail; serve down --purge', { skip, timeout: 480_000 }, async (t) => {
  const e = makeEnv();
  t.after(async () => {
    await e.cli('serve', 'down', '-a', '-y').catch(() => undefined);
    // The supervisor first: it would restart a controller killed before it.
    const left = Object.values(readServices(e.home))[0];
    for (const pid of [left?.supervisor?.pid, left?.controller?.pid]) if (pid && pidAlive(pid)) process.kill(pid, 'SIGKILL');
    fs.rmSync(e.dir, { recursive: true, force: true });
  });
  // The YAML leaves V null and pins no infra: --env gives V, --infra the place.
  const file = e.yaml('svc', { service: 'readiness_probe: /\nreplicas: 1' });
  fs.writeFileSync(
    file,
    fs
      .readFileSync(file, 'utf8')
      .replace(/V: "1"/, 'V: null\nsecrets:\n  S: null')
      .replace('  infra: local\n', ''),
  );
  await assert.rejects(e.cli('serve', 'up', file, '-n', 'svc', '-y', '--infra', 'local'), /Environment variable 'V' is None/);
  const up = await e.cli('serve', 'up', file, '-n', 'svc', '-y', '--infra', 'local', '--env', 'V=7', '--secret', 'S=hidden-serve-value');
  const endpoint = /Endpoint: (\S+)/.exec(up)?.[1];
  assert.ok(endpoint, up);
  await until('replica READY', () => readServices(e.home).svc?.replicas.some((r) => r.status === 'READY'), 180_000);
  assert.equal(JSON.parse((await get(`${endpoint}/`)).body).version, '7');
  // The service's copy of its task holds the secret: it is private.
  const snapshot = fs.readdirSync(path.join(e.home, 'serve')).flatMap((d) =>
    fs
      .readdirSync(path.join(e.home, 'serve', d))
      .filter((f) => f.startsWith('task-v1'))
      .map((f) => path.join(e.home, 'serve', d, f)),
  )[0];
  assert.ok(snapshot, 'the service keeps a copy of its task');
  assert.equal(fs.statSync(snapshot).mode & 0o077, 0, snapshot);
  assert.ok(!(await e.cli('serve', 'status', '--json')).includes('hidden-serve-value'));

  const logs = await e.cli('serve', 'logs', 'svc', '--controller', '--tail', '2');
  assert.ok(logs.trimEnd().split('\n').length <= 2, logs);

  await assert.rejects(e.cli('serve', 'update', 'svc', file, '--mode', 'sideways', '-y'), /Invalid value for '--mode'/);
  const upd = await e.cli('serve', 'update', 'svc', file, '--mode', 'blue_green', '-y', '--infra', 'local', '--env', 'V=8', '--secret', 'S=x');
  assert.match(upd, /version 2 is rolling out \(blue_green\)/);
  await until('version 2 serving', async () => JSON.parse((await get(`${endpoint}/`)).body).version === '8', 180_000);

  await e.cli('serve', 'down', 'sv*', '--purge', '-y');
  await until('service gone', () => !readServices(e.home).svc, 120_000);
});

test('jobs launch -n/--secret, jobs queue -l/-a, jobs logs -n, jobs cancel -n', { skip, timeout: 480_000 }, async (t) => {
  const e = makeEnv({ SKYDECK_JOBS_POLL_MS: '300', SKYDECK_AGENT_TICK_MS: '100' });
  t.after(async () => {
    await e.cli('jobs', 'cancel', '-a', '-y').catch(() => undefined);
    await e.cli('down', '-a', '-y').catch(() => undefined);
    fs.rmSync(e.dir, { recursive: true, force: true });
  });
  const quick = await e.cli('jobs', 'launch', '-n', 'quick', '-y', '--infra', 'local', '--secret', 'K=job-secret', 'echo "k=${#K}"');
  assert.match(quick, /Managed job ID: 1/);
  assert.match(quick, /k=10/);
  assert.ok(!quick.includes('job-secret'));
  assert.match(await e.cli('jobs', 'logs', '-n', 'quick', '--no-follow'), /k=10/);
  await e.cli('jobs', 'launch', '-n', 'long', '-y', '-d', '--infra', 'local', 'sleep 300');
  const limited = await e.cli('jobs', 'queue', '-l', '1');
  assert.match(limited, /Only showing the latest 1 managed jobs/);
  assert.doesNotMatch(await e.cli('jobs', 'queue', '-a'), /Only showing/);
  await assert.rejects(e.cli('jobs', 'cancel', '-n', 'long', '2', '-y'), /Can only specify one of JOB_IDS, --name, or --all/);
  await e.cli('jobs', 'cancel', '-n', 'long', '-y');
  const rows = JSON.parse(await e.cli('jobs', 'queue', '--json')) as Array<{ id: number; name: string; status: string }>;
  assert.deepEqual(
    rows.map((r) => [r.id, r.name, r.status]),
    [
      [2, 'long', 'CANCELLED'],
      [1, 'quick', 'SUCCEEDED'],
    ],
  );
});
