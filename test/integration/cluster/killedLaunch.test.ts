/**
 * Launches and downs killed at seeded random points (SIGTERM, SIGHUP, SIGKILL) on `local`, then
 * `status -r` + `down`: no node dir, no process, no loopback address, no record is left.
 * SKYDECK_CHAOS_SEED replays a run.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CLI, killDownAt, killLaunchAt, leaksIn, reconcileAndDown, seededRandom, type KillSignal } from '../../../bench/chaos/killLaunch';
import { freshHome } from './helpers';
import { builtFiles, requirePrerequisite } from '../../helpers/prerequisites';

const SEED = Number(process.env.SKYDECK_CHAOS_SEED ?? 1414);

describe('launches killed at random points leak nothing once reconciled', { concurrency: false, skip: requirePrerequisite(builtFiles(CLI)) }, () => {
  let env: ReturnType<typeof freshHome>;
  before(() => {
    env = freshHome();
  });
  after(() => env.cleanup());

  test(`local: 9 launches and 3 downs killed with TERM/HUP/KILL (seed ${SEED}), then status -r + down`, { timeout: 15 * 60_000 }, async () => {
    const random = seededRandom(SEED);
    const signals: KillSignal[] = ['SIGTERM', 'SIGHUP', 'SIGKILL'];
    const outcomes = [];
    for (let i = 0; i < 9; i++) {
      const signal = signals[i % 3];
      const o = await killLaunchAt(
        [`for i in 1 2 3; do sleep 0.2; done`, '-c', `k${i}`, '-y', '--infra', 'local', '--num-nodes', String(1 + (i % 2))],
        signal,
        random,
      );
      outcomes.push(o);
      if (o.killed && signal !== 'SIGKILL') {
        // A catchable signal is a clean abort: it exits by itself, never with a crash trace.
        assert.doesNotMatch(o.stderr, /TypeError|ReferenceError|at .*\.js:\d+/, o.stderr);
      }
    }
    assert.ok(
      outcomes.some((o) => o.killed),
      'at least one launch was still running when signalled',
    );
    for (let i = 0; i < 3; i++) outcomes.push(await killDownAt(`d${i}`, ['sleep 600', '--infra', 'local', '--num-nodes', '2'], signals[i], random));
    const log = reconcileAndDown();
    assert.deepEqual(
      leaksIn(env.home),
      [],
      `${outcomes.map((o) => `${o.signal} at ${o.point} +${o.delayMs} ms: killed=${o.killed} exit=${o.exitCode}`).join('\n')}\n${log}`,
    );
  });
});
