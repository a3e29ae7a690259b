/**
 * The agent over real SSH: a 2-node job across two network-namespace hosts (env vars per
 * rank, per-rank logs, cancel on both nodes), the client killed mid-job (the job finishes
 * and its log is complete), and log following across a lost connection.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AGENT_KEY_PATH, AgentClient, HEAD_LAUNCHER, sshLauncher } from '../../../engine/node/agentClient';
import { closeAllSshConnections, SshTransport } from '../../../engine/node/ssh';
import { isTransportError } from '../../../engine/node/transport';
import { netnsSkipReason, startSshHosts, type SshHost, type SshTestHosts } from '../../helpers/sshd';
import { processAlive, waitFor } from '../../helpers/localNodes';
import { requirePrerequisite } from '../../helpers/prerequisites';

const skip = requirePrerequisite(netnsSkipReason());
let env: SshTestHosts;
let loop: SshHost;
let h1: SshHost;
let h2: SshHost;
const transports: SshTransport[] = [];

function transport(h: SshHost): SshTransport {
  const t = new SshTransport({
    host: h.host,
    port: h.port,
    user: h.user,
    keyPath: h.keyPath,
    keepaliveIntervalMs: 1000,
    keepaliveCountMax: 2,
    hostKey: 'accept-any',
  });
  transports.push(t);
  return t;
}

/**
 * A FIFO in the host's home that a job reads from to wait for the test (`read -r _ < ~/NAME`):
 * the job cannot end before open() is called, however slow the machine.
 */
async function gate(h: SshHost, name: string): Promise<{ wait: string; open: () => Promise<void> }> {
  const t = transport(h);
  const made = await t.exec(['sh', '-c', `rm -f ~/${name} && mkfifo ~/${name}`]);
  assert.equal(made.exitCode, 0, made.stderr);
  return {
    wait: `read -r _ < ~/${name}`,
    open: async () => {
      const r = await transport(h).exec(['sh', '-c', `echo go > ~/${name} && rm -f ~/${name}`]);
      assert.equal(r.exitCode, 0, r.stderr);
    },
  };
}

before(async () => {
  if (skip) return;
  env = await startSshHosts({ loopback: true, netnsHosts: 2 });
  [loop, h1, h2] = env.hosts;
});

after(async () => {
  for (const t of transports) await t.close();
  closeAllSshConnections();
  await env?.stop();
});

test('2-node job across two hosts: SkyPilot env vars per rank, per-rank logs, cancel on every node', { skip }, async () => {
  const head = new AgentClient(transport(h1));
  const worker = new AgentClient(transport(h2));
  await Promise.all([head.install(), worker.install()]);
  // The head reaches the worker with the cluster key, as SkyPilot's head does.
  await head.installKey(fs.readFileSync(env.keyPath));
  const nodes = [
    { ip: h1.host, launcher: [...HEAD_LAUNCHER] },
    { ip: h2.host, launcher: sshLauncher({ host: h2.host, port: h2.port, user: h2.user, keyPath: AGENT_KEY_PATH }) },
  ];
  const run = [
    'echo "rank=$SKYPILOT_NODE_RANK host=$(hostname) n=$SKYPILOT_NUM_NODES gpus=$SKYPILOT_NUM_GPUS_PER_NODE"',
    'echo "ips=$(echo "$SKYPILOT_NODE_IPS" | paste -sd, -)"',
    'echo "task=$SKYPILOT_TASK_ID user=$SKYPILOT_USER foo=$FOO"',
    'echo "info=$SKYPILOT_CLUSTER_INFO"',
  ].join('\n');
  const id = await head.submit({
    name: 'two-node',
    user: 'bob',
    clusterName: 'duo',
    clusterInfo: { cluster_name: 'duo', cloud: 'ssh', region: 'pool1', zone: null },
    numGpusPerNode: 2,
    gpusPerNode: 0,
    envs: { FOO: 'bar' },
    setup: 'echo "setup rank=$SKYPILOT_SETUP_NODE_RANK host=$(hostname) ips=$(echo "$SKYPILOT_SETUP_NODE_IPS" | paste -sd, -)"',
    run,
    nodes,
  });
  let log = '';
  assert.equal(await head.tail(id, { follow: true, onData: (s) => (log += s) }), 'SUCCEEDED', log);
  const ips = `${h1.host},${h2.host}`;
  for (const [r, h, label] of [
    [0, h1, 'head'],
    [1, h2, 'worker1'],
  ] as const) {
    const prefix = `(${label}, rank=${r}, ip=${h.host}) `;
    assert.ok(log.includes(`${prefix}setup rank=${r} host=${h.hostname} ips=${ips}`), log);
    assert.ok(log.includes(`${prefix}rank=${r} host=${h.hostname} n=2 gpus=2`), log);
    assert.ok(log.includes(`${prefix}ips=${ips}`), log);
    assert.match(log, new RegExp(`\\(${label}, rank=${r}, ip=[^)]*\\) task=sky-[0-9-]+_duo_${id} user=bob foo=bar`));
    assert.ok(log.includes(`${prefix}info={"cluster_name":"duo","cloud":"ssh","region":"pool1","zone":null}`), log);
  }
  const job = await head.status(id);
  const rankLog = await head.transport.exec(['cat', `${job?.logDir}/tasks/1-worker1.log`]);
  assert.match(rankLog.stdout, new RegExp(`^rank=1 host=${h2.hostname} n=2`, 'm'));
  assert.doesNotMatch(rankLog.stdout, /rank=0/);

  // Cancel kills the job's processes on both hosts.
  const long = await head.submit({ name: 'long', run: 'sleep 300 & echo "$!" > ~/sleeper.pid; echo "up-$SKYPILOT_NODE_RANK"; wait', nodes });
  let out = '';
  const ac = new AbortController();
  await new Promise<void>((resolve, reject) => {
    head
      .tail(long, {
        follow: true,
        signal: ac.signal,
        onData: (s) => {
          out += s;
          if (out.includes('up-0') && out.includes('up-1')) {
            ac.abort();
            resolve();
          }
        },
      })
      .catch((e: Error) => (ac.signal.aborted ? resolve() : reject(e)));
  });
  const pids = [h1, h2].map((h) => Number(fs.readFileSync(path.join(h.homeDir, 'sleeper.pid'), 'utf8')));
  assert.ok(pids.every(processAlive));
  assert.deepEqual(await head.cancel([long]), [long]);
  assert.deepEqual(pids.filter(processAlive), [], 'the job is gone on both hosts');
  assert.equal((await head.status(long))?.status, 'CANCELLED');
});

test('client killed mid-job: the job finishes on the node and its log is complete', { skip }, async () => {
  // The job holds before its last line until the client is dead.
  const end = await gate(loop, 'gate-client-killed');
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, '../../helpers/agentClientChild.ts')], {
    env: {
      ...process.env,
      SKYDECK_T_HOST: loop.host,
      SKYDECK_T_PORT: String(loop.port),
      SKYDECK_T_USER: loop.user,
      SKYDECK_T_KEY: loop.keyPath,
      SKYDECK_T_RUN: `for i in $(seq 1 30); do echo "line $i"; done; ${end.wait}; echo done`,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let childOut = '';
  const id = await new Promise<number>((resolve, reject) => {
    child.stdout.on('data', (c: Buffer) => {
      childOut += c.toString();
      const m = /SUBMITTED (\d+)/.exec(childOut);
      // Kill it once the job is clearly running (its output reached the client).
      if (m && childOut.includes('line 2')) resolve(Number(m[1]));
    });
    child.on('exit', (code) => reject(new Error(`client exited early (${code}): ${childOut}`)));
  });
  child.kill('SIGKILL');
  await new Promise((r) => child.once('close', r));
  assert.ok(!childOut.includes('done'), 'the client was killed before the job ended');
  await end.open();
  const agent = new AgentClient(transport(loop));
  let log = '';
  assert.equal(await agent.tail(id, { follow: true, onData: (s) => (log += s) }), 'SUCCEEDED');
  const expected = Array.from({ length: 30 }, (_, i) => `line ${i + 1}\n`).join('') + 'done\n';
  assert.equal(log, expected);
});

test('following a log survives a lost connection: resumes at the byte offset, nothing lost or repeated', { skip }, async () => {
  const agent = new AgentClient(transport(h2));
  // The job holds after n=20 until sshd is back: the connection is lost while the job runs,
  // whatever the machine's speed, and the rest of the log comes after the reconnect.
  const resume = await gate(h2, 'gate-follow-reconnect');
  const id = await agent.submit({
    run: `for i in $(seq 1 40); do echo "n=$i"; if [ $i = 20 ]; then ${resume.wait}; fi; done`,
    nodes: [{ ip: h2.host, launcher: [...HEAD_LAUNCHER] }],
  });
  let log = '';
  let reconnects = 0;
  let cut = false;
  const hostOps: Promise<void>[] = [];
  const status = await agent.tail(id, {
    follow: true,
    onReconnect: () => {
      reconnects++;
      // Restart only once the stop has completed (both are asynchronous), then let the job go on.
      if (reconnects === 1)
        hostOps.push(
          Promise.all(hostOps)
            .then(() => h2.startSshd())
            .then(() => resume.open()),
        );
    },
    onData: (s) => {
      log += s;
      if (!cut && log.includes('n=5\n')) {
        cut = true;
        hostOps.push(h2.stopSshd());
      }
    },
  });
  await Promise.all(hostOps);
  assert.equal(status, 'SUCCEEDED');
  assert.ok(reconnects >= 1, 'the connection was lost at least once');
  assert.equal(log, Array.from({ length: 40 }, (_, i) => `n=${i + 1}\n`).join(''));
});

test('an aborted follow leaves no log reader behind on the node', { skip }, async () => {
  const agent = new AgentClient(transport(loop));
  const id = await agent.submit({ run: 'echo waiting; sleep 120', nodes: [{ ip: loop.host, launcher: [...HEAD_LAUNCHER] }] });
  const readers = (): number[] =>
    fs
      .readdirSync('/proc')
      .filter((e) => /^\d+$/.test(e))
      .filter((e) => {
        try {
          const argv = fs.readFileSync(`/proc/${e}/cmdline`, 'utf8').split('\0');
          return argv.includes('.skydeck_node/agent.sh') && argv.includes('tail') && argv.includes(String(id)) && processAlive(Number(e));
        } catch {
          return false;
        }
      })
      .map(Number);
  const ac = new AbortController();
  const following = agent.tail(id, { follow: true, signal: ac.signal, onData: () => ac.abort() });
  await assert.rejects(following, /cancelled/);
  // A hang detector, sized for a busy 2-core CI machine: the reader normally exits within a second.
  await waitFor('the node-side reader to exit', () => (readers().length === 0 ? true : undefined), 90_000);
  await agent.cancel([id]);
});

test('ping: daemon health over SSH, and a typed error once the node is unreachable', { skip }, async () => {
  const agent = new AgentClient(transport(h1));
  await agent.ensureDaemon();
  const up = await agent.ping();
  assert.equal(up.ok, true);
  assert.equal(up.daemonAlive, true);
  await agent.stopDaemon();
  await waitFor('daemon to stop', async () => ((await agent.ping()).daemonAlive ? undefined : true));
  await h1.stopSshd();
  try {
    await assert.rejects(
      agent.ping(),
      (e: unknown) => isTransportError(e) && ['closed', 'unreachable'].includes(e.kind) && e.message.includes(`root@${h1.host}:22`),
    );
    // The connection is gone for good now: the next attempt cannot even connect.
    await assert.rejects(agent.ping(), (e: unknown) => isTransportError(e) && e.kind === 'unreachable');
  } finally {
    await h1.startSshd();
  }
  assert.equal((await agent.ping()).ok, true);
});
