/**
 * The agent schedules jobs by their own demand (SkyPilot's FIFO with per-job resources),
 * driven through LocalTransport on a node configured with GPUs: jobs share the node's GPUs,
 * each sees only its own through CUDA_VISIBLE_DEVICES, the head of the queue waits for room,
 * a job without GPUs runs beside GPU jobs, and a job bigger than the node is refused at submit.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AgentClient, JobDoesNotFitError, type JobSpec } from '../../../engine/node/agentClient';
import { fastAgentEnv, makeLocalCluster, type LocalCluster } from '../../helpers/localNodes';

/** Hang detector only (a job that never starts would be followed forever); generous for a loaded CI box. */
const HANG = { timeout: 120_000 };

function gpuJob(c: LocalCluster, name: string, gpus: number, run: string): JobSpec {
  return { name, run, nodes: [{ ip: c.nodes[0].ip, launcher: ['bash', '-c'] }], clusterName: 'gpuc', numGpusPerNode: gpus, gpusPerNode: gpus };
}

/** A job that prints what it sees, then blocks until its gate (a FIFO in the node's HOME) is written. */
function gatedRun(gate: string): string {
  return `echo "cvd=\${CUDA_VISIBLE_DEVICES-unset} n=$SKYPILOT_NUM_GPUS_PER_NODE"; cat ~/${gate} >/dev/null; echo released`;
}

function mkfifo(c: LocalCluster, name: string): string {
  const p = path.join(c.nodes[0].dir, name);
  assert.equal(spawnSync('mkfifo', [p]).status, 0, `mkfifo ${p}`);
  return p;
}

/** Resolves with the job's `cvd=...` line once it is in its log (follows the log, then stops). */
async function seenDevices(agent: AgentClient, id: number): Promise<string> {
  const ac = new AbortController();
  let buf = '';
  const line = () => /^cvd=(\S*) n=(\d+)$/m.exec(buf);
  const status = await agent
    .tail(id, {
      follow: true,
      signal: ac.signal,
      onData: (s) => {
        buf += s;
        if (line()) ac.abort();
      },
    })
    .catch((e: Error) => {
      if (!ac.signal.aborted) throw e;
      return undefined;
    });
  const m = line();
  assert.ok(m, `job ${id} ended (${status}) without printing its devices:\n${buf}`);
  return `${m[1]} n=${m[2]}`;
}

async function statusOf(agent: AgentClient, id: number): Promise<string | undefined> {
  return (await agent.status(id))?.status;
}

test('two 1-GPU jobs share a 2-GPU node with their own CUDA_VISIBLE_DEVICES; the third waits until one ends', HANG, async (t) => {
  const c = makeLocalCluster(1);
  t.after(c.cleanup);
  await c.agent.configure({ gpusPerNode: 2, cpusPerNode: 8 });
  const gates = ['gate1', 'gate2', 'gate3'].map((g) => mkfifo(c, g));
  const j1 = await c.agent.submit(gpuJob(c, 'one', 1, gatedRun('gate1')));
  const j2 = await c.agent.submit(gpuJob(c, 'two', 1, gatedRun('gate2')));
  const j3 = await c.agent.submit(gpuJob(c, 'three', 1, gatedRun('gate3')));
  const d1 = await seenDevices(c.agent, j1);
  const d2 = await seenDevices(c.agent, j2);
  assert.deepEqual([d1, d2].sort(), ['0 n=1', '1 n=1']);
  // Both GPUs are taken, so the third is PENDING while the first two run.
  assert.deepEqual(
    (await c.agent.queue()).map((j) => [j.name, j.status]),
    [
      ['one', 'RUNNING'],
      ['two', 'RUNNING'],
      ['three', 'PENDING'],
    ],
  );
  await fs.promises.writeFile(gates[0], 'go\n');
  assert.equal(await c.agent.tail(j1, { follow: true, onData: () => undefined }), 'SUCCEEDED');
  // The third starts when the first ends (its driver schedules on the way out), on the GPU it freed.
  assert.equal(await seenDevices(c.agent, j3), d1);
  const [r1, , r3] = await c.agent.queue();
  assert.ok(r1.endedAt && r3.startedAt && r3.startedAt >= r1.endedAt, 'the third started after the first ended');
  assert.equal(await statusOf(c.agent, j2), 'RUNNING');
  await fs.promises.writeFile(gates[1], 'go\n');
  await fs.promises.writeFile(gates[2], 'go\n');
  assert.equal(await c.agent.tail(j2, { follow: true, onData: () => undefined }), 'SUCCEEDED');
  assert.equal(await c.agent.tail(j3, { follow: true, onData: () => undefined }), 'SUCCEEDED');
});

test('a job without GPUs runs beside GPU jobs that fill the node, and sees no CUDA_VISIBLE_DEVICES', HANG, async (t) => {
  // The agent's own environment has a value: a job without GPUs must not inherit it.
  const c = makeLocalCluster(1, { ...fastAgentEnv(), CUDA_VISIBLE_DEVICES: '7' });
  t.after(c.cleanup);
  await c.agent.configure({ gpusPerNode: 2, cpusPerNode: 8 });
  const gates = ['g1', 'g2'].map((g) => mkfifo(c, g));
  const j1 = await c.agent.submit(gpuJob(c, 'one', 1, gatedRun('g1')));
  const j2 = await c.agent.submit(gpuJob(c, 'two', 1, gatedRun('g2')));
  const cpuOnly = await c.agent.submit({
    ...gpuJob(c, 'cpu', 0, 'echo "cvd=${CUDA_VISIBLE_DEVICES-unset} n=$SKYPILOT_NUM_GPUS_PER_NODE"'),
    numGpusPerNode: undefined,
    gpusPerNode: undefined,
  });
  assert.equal(await seenDevices(c.agent, cpuOnly), 'unset n=0');
  assert.equal(await c.agent.tail(cpuOnly, { follow: true, onData: () => undefined }), 'SUCCEEDED');
  assert.deepEqual([await seenDevices(c.agent, j1), await seenDevices(c.agent, j2)].sort(), ['0 n=1', '1 n=1']);
  assert.deepEqual([await statusOf(c.agent, j1), await statusOf(c.agent, j2)], ['RUNNING', 'RUNNING'], 'the CPU job ran while both GPU jobs held the GPUs');
  for (const g of gates) await fs.promises.writeFile(g, 'go\n');
  assert.equal(await c.agent.tail(j1, { follow: true, onData: () => undefined }), 'SUCCEEDED');
  assert.equal(await c.agent.tail(j2, { follow: true, onData: () => undefined }), 'SUCCEEDED');
});

test('a job asking for more GPUs or CPUs per node than the node has is refused at submit, not queued', HANG, async (t) => {
  const c = makeLocalCluster(1);
  t.after(c.cleanup);
  await c.agent.configure({ gpusPerNode: 2, cpusPerNode: 4 });
  await assert.rejects(c.agent.submit(gpuJob(c, 'big', 3, 'echo never')), (e: Error) => {
    assert.ok(e instanceof JobDoesNotFitError, String(e));
    assert.match(e.message, /asks for 3 GPU\(s\) per node, but each node of this cluster has 2\./);
    return true;
  });
  await assert.rejects(
    c.agent.submit({ ...gpuJob(c, 'wide', 0, 'echo never'), cpusPerNode: 6 }),
    /asks for 6\.000 CPU\(s\) per node, but each node of this cluster has 4\.000\./,
  );
  assert.deepEqual(await c.agent.queue(), [], 'nothing was queued');
  // A node without GPUs refuses any GPU demand.
  await c.agent.configure({ gpusPerNode: 0 });
  await assert.rejects(c.agent.submit(gpuJob(c, 'one', 1, 'echo never')), /asks for 1 GPU\(s\) per node, but each node of this cluster has 0\./);
});

test('a later configure applies to a running daemon: a waiting job starts once the capacity grows', HANG, async (t) => {
  const c = makeLocalCluster(1);
  t.after(c.cleanup);
  await c.agent.configure({ gpusPerNode: 1, cpusPerNode: 8 });
  const gate = mkfifo(c, 'gate');
  const first = await c.agent.submit(gpuJob(c, 'first', 1, gatedRun('gate')));
  const second = await c.agent.submit(gpuJob(c, 'second', 1, 'echo "cvd=${CUDA_VISIBLE_DEVICES-unset} n=$SKYPILOT_NUM_GPUS_PER_NODE"'));
  assert.equal(await seenDevices(c.agent, first), '0 n=1');
  assert.equal(await statusOf(c.agent, second), 'PENDING');
  assert.equal((await c.agent.ping()).daemonAlive, true);
  // Nothing ends and nothing is submitted: only the daemon's next tick can start the second job.
  await c.agent.configure({ gpusPerNode: 2 });
  assert.equal(await seenDevices(c.agent, second), '1 n=1');
  assert.equal(await statusOf(c.agent, first), 'RUNNING');
  await fs.promises.writeFile(gate, 'go\n');
  assert.equal(await c.agent.tail(first, { follow: true, onData: () => undefined }), 'SUCCEEDED');
});

test('multi-node: each rank gets GPUs on its own node; a one-node job holds GPUs on the head only', HANG, async (t) => {
  const c = makeLocalCluster(2);
  t.after(c.cleanup);
  await Promise.all(c.nodes.map((n) => new AgentClient(n.transport).install()));
  await c.agent.configure({ gpusPerNode: 2, cpusPerNode: 8 });
  const gate = mkfifo(c, 'gate');
  const headOnly = await c.agent.submit(gpuJob(c, 'head-only', 1, gatedRun('gate')));
  assert.equal(await seenDevices(c.agent, headOnly), '0 n=1');
  const both = await c.agent.submit({
    ...gpuJob(c, 'both', 1, 'echo "rank$SKYPILOT_NODE_RANK cvd=$CUDA_VISIBLE_DEVICES"'),
    nodes: c.nodes.map((n, i) => (i === 0 ? { ip: n.ip, launcher: ['bash', '-c'] } : n.jobNode)),
  });
  let log = '';
  assert.equal(await c.agent.tail(both, { follow: true, onData: (s) => (log += s) }), 'SUCCEEDED');
  // GPU 0 of the head is taken by the one-node job; the worker's GPU 0 is free.
  assert.match(log, /rank0 cvd=1$/m);
  assert.match(log, /rank1 cvd=0$/m);
  assert.equal(await statusOf(c.agent, headOnly), 'RUNNING');
  await fs.promises.writeFile(gate, 'go\n');
  assert.equal(await c.agent.tail(headOnly, { follow: true, onData: () => undefined }), 'SUCCEEDED');
});
