/**
 * Autostop on the node, without infra: which setting a launch asks for, the action script the
 * head runs (order, stop vs down), the SSH pool's self-teardown on a real directory, the
 * clouds' guest shutdown and AWS's shutdown behaviour.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { launchAutostop, renderAutostopAction } from '../../../engine/cluster/autostop';
import { autostopCommands, AUTODOWN_FILE, CLAIM_FILE } from '../../../engine/infra/ssh/claim';
import { shutdownBehavior } from '../../../engine/infra/aws/instances';
import { GUEST_SHUTDOWN } from '../../../engine/vmShared/guestShutdown';
import type { AutostopSpec, Task } from '../../../engine/task/types';

function task(autostop?: AutostopSpec): Task {
  return { numNodes: 1, envs: {}, secrets: {}, fileMounts: {}, resources: { base: autostop ? { autostop } : {}, candidates: [], mode: 'single' }, raw: {} };
}

function tempHome(t: { after: (fn: () => void) => void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skydeck-autostop-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('launch autostop: -i/--down/--wait-for over resources.autostop; false disables; 0 is one minute', () => {
  assert.equal(launchAutostop(task(), {}), undefined);
  assert.deepEqual(launchAutostop(task(), { idleMinutesToAutostop: 0 }), { idleMinutes: 1, down: false });
  assert.equal(launchAutostop(task({ idleMinutes: -1, down: false, enabled: false }), {}), undefined);
  assert.deepEqual(launchAutostop(task({ idleMinutes: 10, down: true, waitFor: 'jobs', enabled: true }), { down: false }), {
    idleMinutes: 10,
    down: true,
    waitFor: 'jobs',
  });
  assert.deepEqual(
    launchAutostop(task({ idleMinutes: 10, down: false, waitFor: 'jobs', enabled: true }), { idleMinutesToAutostop: 3, down: true, waitFor: 'none' }),
    {
      idleMinutes: 3,
      down: true,
      waitFor: 'none',
    },
  );
  // The default is not recorded: an older record without waitFor means the same.
  assert.deepEqual(launchAutostop(task(), { idleMinutesToAutostop: 5, waitFor: 'jobs_and_ssh' }), { idleMinutes: 5, down: false });
});

test('the action runs the stop or down command on every worker through its launcher, then on the head', (t) => {
  const home = tempHome(t);
  const log = path.join(home, 'order.log');
  const script = path.join(home, 'action.sh');
  // Worker "launchers" that run the command here, tagged with the worker's name.
  const launcher = (name: string) => ['env', `WHO=${name}`, 'bash', '-c'];
  fs.writeFileSync(
    script,
    renderAutostopAction('my "c"', { stop: `echo "$WHO stop" >> ${log}`, down: `echo "$WHO down" >> ${log}` }, [launcher('w1'), launcher('w2')]),
  );
  const run = (down: string) =>
    spawnSync('bash', [script], { env: { PATH: process.env.PATH, HOME: home, WHO: 'head', SKYDECK_AUTOSTOP_DOWN: down }, encoding: 'utf8' });
  let r = run('1');
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(fs.readFileSync(log, 'utf8').trim().split('\n'), ['w1 down', 'w2 down', 'head down']);
  fs.rmSync(log);
  r = run('0');
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(fs.readFileSync(log, 'utf8').trim().split('\n'), ['w1 stop', 'w2 stop', 'head stop']);
});

test('SSH pool autodown on the node: node files and the claim go, a note names the claim; a foreign claim is left alone', (t) => {
  const home = tempHome(t);
  const id = "abc123def456 my-cluster-1a2b3c-'x'";
  const { down, stop } = autostopCommands(id);
  const node = path.join(home, '.skydeck_node');
  const setUp = (claim: string) => {
    fs.mkdirSync(path.join(node, 'jobs'), { recursive: true });
    fs.mkdirSync(path.join(home, 'sky_workdir'), { recursive: true });
    fs.writeFileSync(path.join(home, CLAIM_FILE), `${claim}\n`);
  };
  const sh = (cmd: string) => spawnSync('bash', ['-c', cmd], { env: { PATH: process.env.PATH, HOME: home }, encoding: 'utf8' });
  setUp(id);
  assert.equal(sh(stop).status, 0);
  assert.ok(fs.existsSync(node), 'stop keeps the node files (the host stays the cluster\u2019s)');
  const r = sh(down);
  assert.equal(r.status, 0, r.stderr);
  assert.ok(!fs.existsSync(node) && !fs.existsSync(path.join(home, 'sky_workdir')) && !fs.existsSync(path.join(home, CLAIM_FILE)));
  assert.match(fs.readFileSync(path.join(home, AUTODOWN_FILE), 'utf8'), new RegExp(`^${id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\d+\\n$`));

  fs.rmSync(path.join(home, AUTODOWN_FILE));
  setUp('someone-else other-cluster');
  assert.equal(sh(down).status, 0);
  assert.ok(fs.existsSync(node) && fs.existsSync(path.join(home, CLAIM_FILE)), 'another cluster\u2019s host is untouched');
  assert.ok(!fs.existsSync(path.join(home, AUTODOWN_FILE)));
});

test('clouds: the node powers itself off; AWS makes that a stop, or a termination for autodown and spot', () => {
  assert.match(GUEST_SHUTDOWN, /^sudo -n shutdown -h now \|\| /);
  assert.equal(shutdownBehavior(false, false), 'stop');
  assert.equal(shutdownBehavior(false, true), 'terminate');
  assert.equal(shutdownBehavior(true, false), 'terminate');
  const action = renderAutostopAction('c', { stop: GUEST_SHUTDOWN, down: GUEST_SHUTDOWN }, []);
  assert.ok(action.includes(`stop_cmd='${GUEST_SHUTDOWN}'`), action);
  assert.match(action, /bash -c "\$cmd"/);
  // The generated script is valid bash.
  const r = spawnSync('bash', ['-n'], { input: action, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
});
