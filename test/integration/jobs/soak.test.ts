/**
 * Soak: 50 concurrent managed jobs on `local` with random preemptions
 * (SKYDECK_LOCAL_PREEMPT_RATE: each status query may preempt the cluster). Every job must
 * reach a terminal status, no cluster may be left, and the store must hold every job.
 * The preemptions are seeded: the seed is printed, and SKYDECK_SOAK_SEED=<seed> replays them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isTerminal } from '../../../engine/jobs/types';
import { CLI, jobsEnv } from './helpers';
import { until } from '../../helpers/until';
import { builtFiles, requirePrerequisite } from '../../helpers/prerequisites';

/** Processes started on local nodes under `dir` (they carry SKYDECK_LOCAL_NODE=<node dir>). */
function nodeProcesses(dir: string): string[] {
  const out: string[] = [];
  for (const pid of fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const env = fs.readFileSync(`/proc/${pid}/environ`, 'utf8');
      if (env.includes(`SKYDECK_LOCAL_NODE=${dir}/`)) out.push(`${pid}: ${fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ')}`);
    } catch {
      /* gone, or not ours to read */
    }
  }
  return out;
}

const JOBS = Number(process.env.SKYDECK_SOAK_JOBS ?? 50);
const SEED = process.env.SKYDECK_SOAK_SEED ?? crypto.randomBytes(4).toString('hex');
const skip = requirePrerequisite(builtFiles(CLI, path.join(path.dirname(CLI), 'jobs-controller.js')));

test(`soak: ${JOBS} concurrent managed jobs with random preemptions all end, leaving no cluster`, { skip, timeout: 600_000 }, async (t) => {
  // Printed before anything can fail, so a failed run can be replayed with SKYDECK_SOAK_SEED.
  console.log(`soak preemption seed: ${SEED} (replay with SKYDECK_SOAK_SEED=${SEED})`);
  t.diagnostic(`preemption seed ${SEED}`);
  const e = jobsEnv({ SKYDECK_LOCAL_PREEMPT_RATE: '0.1', SKYDECK_LOCAL_PREEMPT_SEED: SEED, SKYDECK_JOBS_POLL_MS: '2000', SKYDECK_JOBS_LAUNCH_ROUNDS: '5' });
  t.after(() => e.cleanup());
  // The controllers inherit this process's environment (submitJob spawns them from here).
  const saved = { ...process.env };
  Object.assign(process.env, e.env);
  t.after(() => {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
  });
  const { loadTaskFile } = await import('../../../engine/task/load');
  const { submitJob } = await import('../../../engine/jobs/api');
  const file = e.write(
    'soak.yaml',
    'name: soak\nresources:\n  infra: local\n  use_spot: true\nrun: |\n  for i in 1 2 3 4 5 6 7 8; do echo "tick $i"; sleep 1; done\n',
  );
  const started = Date.now();
  // Submitted as fast as they go, a few at a time (as several terminals or CI jobs would).
  const ids: number[] = [];
  for (let i = 0; i < JOBS; i += 5) {
    ids.push(...(await Promise.all(Array.from({ length: Math.min(5, JOBS - i) }, (_, k) => submitJob(loadTaskFile(file), { name: `soak${i + k}` })))));
  }
  assert.equal(new Set(ids).size, JOBS);

  let state = await e.store.read();
  await until(
    'every job to end',
    async () => {
      state = await e.store.read();
      return ids.every((id) => isTerminal(state.jobs[id].status));
    },
    {
      timeoutMs: 360_000,
      everyMs: 1000,
      watch: [path.join(e.home, 'state')],
      detail: () =>
        `jobs still going: ${ids
          .filter((id) => !isTerminal(state.jobs[id].status))
          .map((id) => `${id}:${state.jobs[id].status}`)
          .join(' ')}`,
    },
  );
  const elapsed = (Date.now() - started) / 1000;
  const jobs = ids.map((id) => state.jobs[id]);
  const byStatus = new Map<string, number>();
  for (const j of jobs) byStatus.set(j.status, (byStatus.get(j.status) ?? 0) + 1);
  const recoveries = jobs.reduce((n, j) => n + j.tasks[0].recoveries, 0);
  t.diagnostic(`${JOBS} jobs in ${elapsed.toFixed(0)} s: ${[...byStatus].map(([s, n]) => `${n} ${s}`).join(', ')}; ${recoveries} recoveries`);
  for (const j of jobs.filter((x) => x.status !== 'SUCCEEDED')) {
    t.diagnostic(`job ${j.id} ${j.status}: ${j.failureReason}\n${fs.readFileSync(path.join(e.home, 'managed_jobs', String(j.id), 'controller.log'), 'utf8')}`);
  }
  assert.equal(Object.keys(state.jobs).length, JOBS, 'the store holds every job');
  assert.ok((byStatus.get('SUCCEEDED') ?? 0) >= JOBS * 0.9, 'nearly every job succeeds despite preemptions');
  for (const j of jobs)
    if (j.status === 'SUCCEEDED') assert.match(fs.readFileSync(path.join(e.home, 'managed_jobs', String(j.id), 'run.log'), 'utf8'), /tick 8\n$/);
  assert.deepEqual(await e.clusterNames(), [], 'no cluster left');
  const localDir = path.join(e.home, 'local');
  for (const d of fs.existsSync(localDir) ? fs.readdirSync(localDir) : []) {
    const id = Number(/-(\d+)-[0-9a-f]+$/.exec(d)?.[1]);
    t.diagnostic(`left: ${d}: ${fs.readdirSync(path.join(localDir, d), { recursive: true }).join(' ')}`);
    if (id) t.diagnostic(fs.readFileSync(path.join(e.home, 'managed_jobs', String(id), 'controller.log'), 'utf8'));
  }
  assert.deepEqual(nodeProcesses(localDir), [], 'no process of a local node left');
});
