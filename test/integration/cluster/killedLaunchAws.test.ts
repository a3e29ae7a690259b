/**
 * Launches on AWS (moto, instances mapped to a loopback sshd) killed with SIGTERM, SIGHUP and
 * SIGKILL at seeded random points, then `status -r` + `down`: no instance tagged for a
 * cluster, no security group or key pair SkyDeck created, no record is left.
 * SKYDECK_CHAOS_SEED replays a run. And a launch whose terminal went away (its stdout and
 * stderr closed, so every progress write fails) still tears down completely on SIGHUP.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as net from 'node:net';
import { CLI, killLaunchAt, leaksIn, reconcileAndDown, seededRandom, startAwsTarget, type AwsTarget, type KillSignal } from '../../../bench/chaos/killLaunch';
import { freshHome } from './helpers';
import { motoInstalled } from '../../helpers/moto';
import { sshSkipReason } from '../../helpers/sshd';
import { builtFiles, requirePrerequisite } from '../../helpers/prerequisites';

const SEED = Number(process.env.SKYDECK_CHAOS_SEED ?? 1414);
const SAVED_ENV = { ...process.env };
const skip = requirePrerequisite(
  builtFiles(CLI) ?? sshSkipReason() ?? (motoInstalled() ? undefined : 'moto (installed into .tools/moto by scripts/setup/30-moto.sh)'),
);

describe('AWS (moto) launches killed at random points leak nothing once reconciled', { concurrency: false, skip }, () => {
  let env: ReturnType<typeof freshHome>;
  let aws: AwsTarget;
  before(async () => {
    env = freshHome();
    aws = await startAwsTarget(env.home);
  });
  after(async () => {
    await aws?.stop();
    env?.cleanup();
    process.env = SAVED_ENV;
  });

  test(`aws: 6 launches killed with TERM/HUP/KILL (seed ${SEED}), then status -r + down`, { timeout: 15 * 60_000 }, async () => {
    console.log(`chaos seed ${SEED} (replay with SKYDECK_CHAOS_SEED=${SEED})`);
    const random = seededRandom(SEED);
    const signals: KillSignal[] = ['SIGTERM', 'SIGHUP', 'SIGKILL'];
    const outcomes = [];
    for (let i = 0; i < 6; i++) {
      const signal = signals[i % 3];
      const o = await killLaunchAt(['sleep 0.3', '-c', `a${i}`, '-y', '--infra', 'aws'], signal, random);
      outcomes.push(o);
      if (o.killed && signal !== 'SIGKILL') {
        // A catchable signal is a clean abort: it exits by itself, never with a crash trace.
        assert.doesNotMatch(o.stderr, /TypeError|ReferenceError|at .*\.js:\d+/, o.stderr);
      }
    }
    for (const o of outcomes) console.log(`${o.signal} at ${o.point} +${o.delayMs} ms: killed=${o.killed} exit=${o.exitCode}`);
    const summary = outcomes.map((o) => `${o.signal} at ${o.point} +${o.delayMs} ms: killed=${o.killed} exit=${o.exitCode}\n${o.stderr}`).join('\n');
    assert.ok(
      outcomes.some((o) => o.killed),
      `at least one launch was still running when signalled:\n${summary}`,
    );
    const log = reconcileAndDown();
    assert.deepEqual([...leaksIn(env.home), ...(await aws.leaks())], [], `${summary}\n${log}`);
  });

  test('a launch whose stdout/stderr are closed, then SIGHUP, still tears down everything it made', { timeout: 5 * 60_000 }, async () => {
    // Nothing listens on this port: the launch stays in its wait for SSH until it is aborted.
    const port = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    const childEnv = { ...process.env, SKYDECK_TEST_ADDRESS_MAP: JSON.stringify({ '*': [`root@127.0.0.1:${port}`] }), SKYDECK_SSH_WAIT_SECONDS: '240' };
    const child = spawn(process.execPath, [CLI, 'launch', 'true', '-c', 'hup', '-y', '--infra', 'aws'], { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    );
    let stderr = '';
    await new Promise<void>((resolve, reject) => {
      child.stderr.on('data', (b: Buffer) => {
        stderr += b.toString();
        if (/Waiting for SSH/.test(stderr)) resolve();
      });
      void exit.then(() => reject(new Error(`launch ended before its wait for SSH:\n${stderr}`)));
    });
    // The terminal goes away: nobody reads the launch's output any more.
    child.stdout.destroy();
    child.stderr.destroy();
    child.kill('SIGHUP');
    const ended = await exit;
    assert.equal(ended.signal, null, `the launch exits by itself, not by a signal (${JSON.stringify(ended)})`);
    // No status -r / down here: the aborted launch itself must have removed its instances, group, key pair and record.
    assert.deepEqual([...leaksIn(env.home), ...(await aws.leaks())], [], `exit ${JSON.stringify(ended)}\n${stderr}`);
  });
});
