/**
 * Autostop on `local`, end to end through the CLI: `skydeck launch -i 1 --down` returns, and
 * then, with no skydeck command run by anyone but the node's own agent, the cluster's
 * processes end and its state (node directories, record) is removed within 90 s.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { nodeProcesses } from '../../../engine/infra/local/processes';
import { builtFiles, requirePrerequisite } from '../../helpers/prerequisites';
import { until } from '../../helpers/until';
import { freshHome } from '../cluster/helpers';

const ROOT = path.join(__dirname, '..', '..', '..');
const CLI = path.join(ROOT, 'dist', 'cli.js');
const cliMissing = requirePrerequisite(builtFiles(CLI));

function clusterDir(home: string, name: string): string | undefined {
  const local = path.join(home, 'local');
  const d = fs.existsSync(local) ? fs.readdirSync(local).find((e) => e.startsWith(`${name}-`)) : undefined;
  return d && path.join(local, d);
}

function recorded(home: string, name: string): boolean {
  const file = path.join(home, 'state', 'clusters.json');
  return fs.existsSync(file) && fs.readFileSync(file, 'utf8').includes(`"${name}"`);
}

describe('autostop on local', { skip: cliMissing, timeout: 240_000 }, () => {
  let env: ReturnType<typeof freshHome>;
  const cliEnv = () => ({ ...process.env, SKYDECK_AGENT_TICK_MS: '200', SKYDECK_AGENT_MINUTE_MS: '2000' });
  before(() => {
    env = freshHome();
  });
  after(() => {
    spawnSync(process.execPath, [CLI, 'down', 'la1', '-y', '--purge'], { env: cliEnv(), timeout: 60_000 });
    env.cleanup();
  });

  test('launch -i 1 --down: no process and no state directory within 90 s, and status shows it gone', () => {
    const launch = spawnSync(process.execPath, [CLI, 'launch', 'echo hi', '-c', 'la1', '-y', '--infra', 'local', '-i', '1', '--down'], {
      env: cliEnv(),
      encoding: 'utf8',
      timeout: 120_000,
    });
    assert.equal(launch.status, 0, launch.stderr);
    assert.match(launch.stdout, /hi/);
    const dir = clusterDir(env.home, 'la1');
    assert.ok(dir && fs.existsSync(dir), 'the launch made its node directory');
    const nodeDirs = fs.readdirSync(dir).map((d) => path.join(dir, d));
    return until(
      'the node to tear itself down',
      () => (!fs.existsSync(dir) && nodeProcesses(nodeDirs).length === 0 && !recorded(env.home, 'la1') ? true : undefined),
      { timeoutMs: 90_000, everyMs: 200 },
    ).then(() => {
      const status = spawnSync(process.execPath, [CLI, 'status', '--json'], { env: cliEnv(), encoding: 'utf8', timeout: 60_000 });
      assert.equal(status.status, 0, status.stderr);
      assert.ok(!(JSON.parse(status.stdout) as { name: string }[]).some((c) => c.name === 'la1'));
      // The table says why it went.
      const table = spawnSync(process.execPath, [CLI, 'status'], { env: cliEnv(), encoding: 'utf8', timeout: 60_000 });
      assert.match(table.stdout, /Cluster 'la1' was torn down by autostop at \S+ \(idle 1 minute\(s\), wait_for jobs_and_ssh\)\./);
    });
  });
});
