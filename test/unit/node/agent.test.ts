/**
 * The on-node agent driven through LocalTransport: submit, FIFO queueing, states, exit codes,
 * per-rank logs, cancel (whole process tree), setup failure, restart with the queue intact,
 * autostop idle detection.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AgentClient, type JobSpec } from '../../../engine/node/agentClient';
import { fastAgentEnv, makeLocalCluster, processAlive, waitFor, type LocalCluster } from '../../helpers/localNodes';
import { removeTree } from '../../../engine/util/removeTree';

function job(c: LocalCluster, run: string, extra: Partial<JobSpec> = {}): JobSpec {
  return { name: 'job', run, nodes: c.nodes.map((n, i) => (i === 0 ? { ip: n.ip, launcher: ['bash', '-c'] } : n.jobNode)), clusterName: 'testc', ...extra };
}

/** Resolves when the job's log contains `text` (follow tail, then abort it). */
async function logContains(agent: AgentClient, id: number, text: string): Promise<string> {
  const ac = new AbortController();
  let buf = '';
  return new Promise<string>((resolve, reject) => {
    agent
      .tail(id, {
        follow: true,
        signal: ac.signal,
        onData: (s) => {
          buf += s;
          if (buf.includes(text)) {
            ac.abort();
            resolve(buf);
          }
        },
      })
      .then(() => (buf.includes(text) ? resolve(buf) : reject(new Error(`job ${id} ended without '${text}' in its log:\n${buf}`))))
      .catch((e: Error) => (ac.signal.aborted ? resolve(buf) : reject(e)));
  });
}

async function finish(agent: AgentClient, id: number): Promise<{ status: string | undefined; log: string }> {
  let log = '';
  const status = await agent.tail(id, { follow: true, onData: (s) => (log += s) });
  return { status, log };
}

function mkfifo(p: string): void {
  const r = spawnSync('mkfifo', [p]);
  assert.equal(r.status, 0, `mkfifo ${p}`);
}

test('single-node job: SkyPilot env vars, log, SUCCEEDED with exit code 0', async (t) => {
  const c = makeLocalCluster(1);
  t.after(c.cleanup);
  // A node with a GPU: the job's 0.5 GPU is a whole one, as the env var says.
  await c.agent.configure({ gpusPerNode: 1 });
  const id = await c.agent.submit(
    job(
      c,
      'echo "rank=$SKYPILOT_NODE_RANK ips=$SKYPILOT_NODE_IPS n=$SKYPILOT_NUM_NODES gpus=$SKYPILOT_NUM_GPUS_PER_NODE"; echo "task=$SKYPILOT_TASK_ID"; echo "info=$SKYPILOT_CLUSTER_INFO user=$SKYPILOT_USER foo=$FOO pwd=$PWD"',
      {
        envs: { FOO: "it's a b" },
        user: 'alice',
        numGpusPerNode: 0.5,
        clusterInfo: { cluster_name: 'testc', cloud: 'local', region: null, zone: null },
      },
    ),
  );
  assert.equal(id, 1);
  const { status, log } = await finish(c.agent, id);
  assert.equal(status, 'SUCCEEDED');
  assert.match(log, /^rank=0 ips=127\.0\.0\.2 n=1 gpus=1$/m);
  assert.match(log, /^task=sky-\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d-\d{6}_testc_1$/m);
  assert.ok(log.includes(`info={"cluster_name":"testc","cloud":"local","region":null,"zone":null} user=alice foo=it's a b pwd=${c.nodes[0].dir}`), log);
  const [j] = await c.agent.queue();
  assert.equal(j.status, 'SUCCEEDED');
  assert.equal(j.exitCode, 0);
  assert.equal(j.user, 'alice');
  assert.equal(j.name, 'job');
  assert.ok(j.startedAt && j.endedAt && j.endedAt >= j.startedAt && j.startedAt >= j.submittedAt);
  assert.equal(fs.readFileSync(path.join(j.logDir, 'run.log'), 'utf8'), log);
});

test('non-zero exit -> FAILED with the exit code; setup failure -> FAILED_SETUP and run never runs', async (t) => {
  const c = makeLocalCluster(1);
  t.after(c.cleanup);
  const failed = await c.agent.submit(job(c, 'echo bad; exit 7'));
  assert.equal((await finish(c.agent, failed)).status, 'FAILED');
  assert.equal((await c.agent.status(failed))?.exitCode, 7);

  const badSetup = await c.agent.submit(job(c, 'echo RUN-RAN', { setup: 'echo "setup rank $SKYPILOT_SETUP_NODE_RANK of $SKYPILOT_SETUP_NODE_IPS"; exit 3' }));
  const { status, log } = await finish(c.agent, badSetup);
  assert.equal(status, 'FAILED_SETUP');
  assert.match(log, /setup rank 0 of 127\.0\.0\.2/);
  assert.doesNotMatch(log, /RUN-RAN/);
  assert.equal((await c.agent.status(badSetup))?.exitCode, 3);

  const goodSetup = await c.agent.submit(job(c, 'echo "run sees $MARK"', { setup: 'echo setting-up', envs: { MARK: 'm1' } }));
  const ok = await finish(c.agent, goodSetup);
  assert.equal(ok.status, 'SUCCEEDED');
  assert.match(ok.log, /setting-up\nrun sees m1/);
  assert.equal(await c.agent.status(999), undefined);
});

test('FIFO queue: jobs wait for capacity in submission order (PENDING -> RUNNING -> SUCCEEDED)', async (t) => {
  const c = makeLocalCluster(1);
  t.after(c.cleanup);
  await c.agent.install();
  await c.agent.configure({ cpusPerNode: 1 });
  const gate = path.join(c.nodes[0].dir, 'gate');
  mkfifo(gate);
  const first = await c.agent.submit(job(c, 'echo started; cat ~/gate >/dev/null; echo released', { cpusPerNode: 1, name: 'first' }));
  const second = await c.agent.submit(job(c, 'echo second', { cpusPerNode: 1, name: 'second' }));
  const third = await c.agent.submit(job(c, 'echo third', { cpusPerNode: 0.5, name: 'third' }));
  await logContains(c.agent, first, 'started');
  const q = await c.agent.queue();
  assert.deepEqual(
    q.map((j) => [j.id, j.name, j.status]),
    [
      [first, 'first', 'RUNNING'],
      [second, 'second', 'PENDING'],
      // Fits next to nothing yet, but FIFO: it waits behind `second`.
      [third, 'third', 'PENDING'],
    ],
  );
  assert.deepEqual(
    (await c.agent.queue({ skipFinished: true })).map((j) => j.id),
    [first, second, third],
  );
  await fs.promises.writeFile(gate, 'go\n');
  assert.equal((await finish(c.agent, first)).status, 'SUCCEEDED');
  assert.equal((await finish(c.agent, second)).status, 'SUCCEEDED');
  assert.equal((await finish(c.agent, third)).status, 'SUCCEEDED');
  const done = await c.agent.queue();
  const s2 = done.find((j) => j.id === second);
  const s1 = done.find((j) => j.id === first);
  assert.ok(s1?.endedAt && s2?.startedAt && s2.startedAt >= s1.endedAt, 'second started after first ended');
  assert.deepEqual(await c.agent.queue({ skipFinished: true }), []);
});

test('multi-node job: each rank on its node with its env; per-rank logs and a merged log', async (t) => {
  const c = makeLocalCluster(3);
  t.after(c.cleanup);
  await Promise.all(c.nodes.map((n) => new AgentClient(n.transport).install()));
  const id = await c.agent.submit(
    job(
      c,
      'echo "rank=$SKYPILOT_NODE_RANK home=$HOME ip=$SKYDECK_NODE_IP n=$SKYPILOT_NUM_NODES"; echo "ips=$(echo $SKYPILOT_NODE_IPS | tr " " ,)"; exit $((SKYPILOT_NODE_RANK == 2 ? 5 : 0))',
      {
        setup: 'echo "setup-rank=$SKYPILOT_SETUP_NODE_RANK"',
      },
    ),
  );
  const { status, log } = await finish(c.agent, id);
  assert.equal(status, 'FAILED', 'any rank failing fails the job');
  assert.equal((await c.agent.status(id))?.exitCode, 5);
  const logDir = (await c.agent.status(id))?.logDir as string;
  const labels = ['0-head', '1-worker1', '2-worker2'];
  for (let r = 0; r < 3; r++) {
    const rankLog = fs.readFileSync(path.join(logDir, 'tasks', `${labels[r]}.log`), 'utf8');
    assert.match(rankLog, new RegExp(`^setup-rank=${r}$`, 'm'));
    assert.match(rankLog, new RegExp(`^rank=${r} home=${c.nodes[r].dir} ip=${c.nodes[r].ip} n=3$`, 'm'));
    assert.match(rankLog, /^ips=127\.0\.0\.2,127\.0\.0\.3,127\.0\.0\.4$/m);
    const label = r === 0 ? 'head' : `worker${r}`;
    assert.ok(log.includes(`(${label}, rank=${r}, ip=${c.nodes[r].ip}) rank=${r} home=`), `merged log has rank ${r}:\n${log}`);
  }
});

test('cancel kills the whole process tree of a running job on every node; pending jobs too', async (t) => {
  const c = makeLocalCluster(2);
  t.after(c.cleanup);
  await Promise.all(c.nodes.map((n) => new AgentClient(n.transport).install()));
  await c.agent.configure({ cpusPerNode: 0.5 });
  // A background sleep, a subshell with its own background sleep, the job's shell: six pids.
  // "started" is printed only after the subshell has written its pid (it answers on a fifo).
  const script =
    'mkfifo ~/sub-ready; sleep 300 & echo "$!" > ~/pids; (sleep 301 & echo "$!" >> ~/pids; echo > ~/sub-ready; wait) & read -r _ < ~/sub-ready; echo "$$" >> ~/pids; echo started-$SKYPILOT_NODE_RANK; wait';
  const id = await c.agent.submit(job(c, script));
  const pending = await c.agent.submit(job(c, 'echo never'));
  await logContains(c.agent, id, 'started-1');
  await logContains(c.agent, id, 'started-0');
  const pids = c.nodes.flatMap((n) => fs.readFileSync(path.join(n.dir, 'pids'), 'utf8').trim().split('\n').map(Number));
  assert.equal(pids.length, 6);
  assert.ok(pids.every(processAlive));
  assert.equal((await c.agent.status(pending))?.status, 'PENDING');
  const cancelled = await c.agent.cancel('all');
  assert.deepEqual(cancelled, [id, pending]);
  assert.deepEqual(pids.filter(processAlive), [], 'every process of the job is gone when cancel returns');
  assert.equal((await c.agent.status(id))?.status, 'CANCELLED');
  // The driver must not overwrite CANCELLED when it notices its ranks died.
  assert.equal(await c.agent.tail(id, { follow: true, onData: () => undefined }), 'CANCELLED');
  let pendingLog = '';
  assert.equal(await c.agent.tail(pending, { follow: true, onData: (s) => (pendingLog += s) }), 'CANCELLED');
  assert.equal(pendingLog, '');
  assert.deepEqual(await c.agent.cancel([id]), [], 'cancelling a finished job is a no-op');
  // The queue is free again.
  const next = await c.agent.submit(job(c, 'echo next'));
  assert.equal(await c.agent.tail(next, { follow: true, onData: () => undefined }), 'SUCCEEDED');
});

test('agent restart and upgrade keep the queue; a dead driver becomes FAILED_DRIVER', async (t) => {
  const c = makeLocalCluster(1);
  t.after(c.cleanup);
  await c.agent.install();
  await c.agent.configure({ cpusPerNode: 0.5 });
  const gate = path.join(c.nodes[0].dir, 'gate');
  mkfifo(gate);
  const running = await c.agent.submit(job(c, 'echo started; cat ~/gate >/dev/null; echo after-restart'));
  const queued = await c.agent.submit(job(c, 'echo queued-ran'));
  await logContains(c.agent, running, 'started');
  assert.equal((await c.agent.ping()).daemonAlive, true);

  await c.agent.stopDaemon();
  await waitFor('daemon to stop', async () => ((await c.agent.ping()).daemonAlive ? undefined : true));
  // Simulate an upgrade: another version on the node makes the client reinstall it.
  fs.writeFileSync(path.join(c.nodes[0].dir, '.skydeck_node', 'VERSION'), 'old-version\n');
  const fresh = new AgentClient(c.nodes[0].transport, { agentEnv: fastAgentEnv() });
  assert.deepEqual(
    (await fresh.queue()).map((j) => [j.id, j.status]),
    [
      [running, 'RUNNING'],
      [queued, 'PENDING'],
    ],
  );
  await fresh.ensureDaemon();
  assert.equal((await fresh.ping()).daemonAlive, true);
  await fs.promises.writeFile(gate, 'go\n');
  const r1 = await finish(fresh, running);
  assert.equal(r1.status, 'SUCCEEDED');
  assert.match(r1.log, /started\nafter-restart/);
  assert.equal((await finish(fresh, queued)).status, 'SUCCEEDED');

  // A driver killed without finishing (node crash, OOM) is detected.
  const doomed = await fresh.submit(job(c, 'echo up; sleep 300'));
  await logContains(fresh, doomed, 'up');
  const driverPid = Number(fs.readFileSync(path.join(c.nodes[0].dir, '.skydeck_node', 'jobs', `${doomed}.driver`), 'utf8').split(' ')[0]);
  process.kill(-driverPid, 'SIGKILL');
  assert.equal(await fresh.tail(doomed, { follow: true, onData: () => undefined }), 'FAILED_DRIVER');
  await fresh.cancel('all');
});

test('autostop: idle time resets with jobs; the hook runs once idle >= N minutes', async (t) => {
  // One agent "minute" is 300 ms; the daemon checks every 50 ms.
  const env = fastAgentEnv(50, 300);
  const c = makeLocalCluster(1, env);
  t.after(c.cleanup);
  const marker = path.join(c.nodes[0].dir, 'autostop-fired');
  assert.equal((await c.agent.idleState()).autostop, null);
  const gate = path.join(c.nodes[0].dir, 'gate');
  mkfifo(gate);
  const id = await c.agent.submit(job(c, 'echo busy; cat ~/gate >/dev/null'));
  await c.agent.setAutostop(1, true, ['bash', '-c', `echo "down=$SKYDECK_AUTOSTOP_DOWN" > ${marker}`]);
  await logContains(c.agent, id, 'busy');
  const busy = await c.agent.idleState();
  assert.equal(busy.idleMs, 0);
  assert.equal(busy.activeJobs, 1);
  assert.deepEqual(busy.autostop, { idleMinutes: 1, down: true });
  assert.equal(busy.triggeredAt, undefined);
  await fs.promises.writeFile(gate, 'go\n');
  await finish(c.agent, id);
  const endedAt = (await c.agent.status(id))?.endedAt as number;
  // Wait for the event: the hook's marker file.
  // Its content, not its existence: `echo x > f` creates the file before it writes to it.
  const content = await waitFor('autostop hook', () => (fs.existsSync(marker) && fs.readFileSync(marker, 'utf8').trim()) || undefined);
  assert.equal(content.trim(), 'down=1');
  const idle = await c.agent.idleState();
  assert.ok(idle.triggeredAt && idle.triggeredAt - endedAt >= 300, `fired ${idle.triggeredAt! - endedAt} ms after the job ended`);
  assert.ok(idle.idleMinutes >= 1);
  // New activity re-arms it: the fired mark is cleared and the idle timer restarts.
  fs.rmSync(marker);
  const again = await c.agent.submit(job(c, 'echo again'));
  await finish(c.agent, again);
  const rearmed = await c.agent.idleState();
  assert.ok(rearmed.triggeredAt === undefined || rearmed.triggeredAt > (idle.triggeredAt as number), 'fired mark cleared or newer');
  await waitFor('autostop to fire again', () => (fs.existsSync(marker) ? true : undefined));
  // Disabling autostop is reported.
  await c.agent.setAutostop(-1, false);
  assert.equal((await c.agent.idleState()).autostop, null);
});

test('tail without follow returns what is there, from a byte offset', async (t) => {
  const c = makeLocalCluster(1);
  t.after(c.cleanup);
  const id = await c.agent.submit(job(c, 'printf "héllo\\nworld\\n"'));
  assert.equal((await finish(c.agent, id)).status, 'SUCCEEDED');
  let out = '';
  assert.equal(await c.agent.tail(id, { follow: false, onData: (s) => (out += s), offset: Buffer.byteLength('héllo\n') }), 'SUCCEEDED');
  assert.equal(out, 'world\n');
  assert.equal(await c.agent.tail(12345, { follow: false, onData: () => undefined }), undefined);
});

test('the daemon exits by itself when its node directory is removed', async (t) => {
  const c = makeLocalCluster(1, fastAgentEnv(50));
  t.after(c.cleanup);
  await c.agent.ensureDaemon();
  const pidFile = path.join(c.nodes[0].dir, '.skydeck_node', 'daemon.pid');
  const pid = Number(fs.readFileSync(pidFile, 'utf8').split(' ')[0]);
  assert.ok(processAlive(pid));
  // The daemon may be writing its files while they are removed (removeTree repeats the removal).
  await removeTree(path.join(c.nodes[0].dir, '.skydeck_node'));
  await waitFor('daemon exit', () => (processAlive(pid) ? undefined : true));
});

test('a big job spec (300 KB run script) is submitted and runs intact', async (t) => {
  const c = makeLocalCluster(1);
  t.after(c.cleanup);
  const filler = `# ${'x'.repeat(98)}\n`.repeat(3000);
  const id = await c.agent.submit(job(c, `${filler}echo "script bytes: ${filler.length}"`));
  const { status, log } = await finish(c.agent, id);
  assert.equal(status, 'SUCCEEDED');
  assert.equal(log, `script bytes: ${filler.length}\n`);
});

test('a lock file its creator never wrote (killed in between) is taken over, not waited on for a minute', async (t) => {
  const c = makeLocalCluster(1);
  t.after(c.cleanup);
  await c.agent.ensureDaemon();
  // What a rank killed between creating the lock and writing its owner leaves behind.
  fs.writeFileSync(path.join(c.nodes[0].dir, '.skydeck_node', 'lock'), '');
  // Before, every agent command waited out its 60 s limit on it and then failed (exit 2).
  const id = await c.agent.submit(job(c, 'echo after-the-stale-lock'));
  assert.match((await finish(c.agent, id)).log, /after-the-stale-lock/);
});
