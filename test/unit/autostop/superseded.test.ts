/**
 * An autostop action that is still on its way when the user re-arms autostop (or the node
 * becomes active again) must stand down: it must not stop the daemon that now enforces the
 * new setting. The stale action is held at a gate so the order is the one that went wrong.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fastAgentEnv, makeLocalCluster, processAlive, waitFor } from '../../helpers/localNodes';

/** A marker's content once written: `echo x > f` creates the file before it writes to it. */
function written(file: string): string | undefined {
  return (fs.existsSync(file) && fs.readFileSync(file, 'utf8').trim()) || undefined;
}

function daemonPid(nodeDir: string): number {
  return Number(fs.readFileSync(path.join(nodeDir, '.skydeck_node', 'daemon.pid'), 'utf8').split(' ')[0]);
}

test('a stop action superseded by a new autostop leaves the daemon running, and the new autodown fires', async (t) => {
  const c = makeLocalCluster(1, fastAgentEnv(50, 300));
  t.after(c.cleanup);
  const dir = c.nodes[0].dir;
  const gate = path.join(dir, 'gate');
  assert.equal(spawnSync('mkfifo', [gate]).status, 0);
  const staleExit = path.join(dir, 'stale-exit');
  const downMarker = path.join(dir, 'down-fired');
  // The first action waits at the gate, then stops the daemon as an SSH node's stop does.
  await c.agent.setAutostop(1, false, ['bash', '-c', `cat ${gate} >/dev/null; bash "$HOME/.skydeck_node/agent.sh" stop-daemon; echo "$?" > ${staleExit}`]);
  await waitFor('the first autostop to fire', async () => ((await c.agent.idleState()).triggeredAt !== undefined ? true : undefined));

  // Re-armed while that action is still held: autodown, with an action of its own.
  await c.agent.setAutostop(1, true, ['bash', '-c', `echo "down=$SKYDECK_AUTOSTOP_DOWN" > ${downMarker}`]);
  const daemon = daemonPid(dir);
  fs.writeFileSync(gate, 'go\n');
  const code = await waitFor('the stale action to finish', () => written(staleExit));
  assert.equal(code, '75', 'the stale action is told it was superseded');
  assert.ok(processAlive(daemon) || daemonPid(dir) !== daemon, 'a daemon still enforces the new autostop');
  const fired = await waitFor('the new autodown to fire', () => written(downMarker));
  assert.equal(fired, 'down=1');
});

test('an action that still stands stops the daemon', async (t) => {
  const c = makeLocalCluster(1, fastAgentEnv(50, 300));
  t.after(c.cleanup);
  const dir = c.nodes[0].dir;
  const exitFile = path.join(dir, 'exit');
  await c.agent.setAutostop(1, false, ['bash', '-c', `bash "$HOME/.skydeck_node/agent.sh" stop-daemon; echo "$?" > ${exitFile}`]);
  const daemon = daemonPid(dir);
  assert.equal(await waitFor('the action to finish', () => written(exitFile)), '0');
  await waitFor('the daemon to stop', () => (processAlive(daemon) ? undefined : true));
});
