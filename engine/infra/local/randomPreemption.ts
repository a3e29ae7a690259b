/**
 * Rehearsal preemptions for `local` (SKYDECK_LOCAL_PREEMPT_RATE=p): each query() of a running
 * cluster preempts it with probability p. With SKYDECK_LOCAL_PREEMPT_SEED=s the draws are
 * reproducible: the n-th query of a cluster in a process draws from sha256(s, cluster, n), so
 * a soak run that failed can be replayed with its seed (each job's controller is its own
 * process, and the draws do not depend on how the processes interleave).
 */
import * as crypto from 'node:crypto';

const draws = new Map<string, number>();

function seededDraw(seed: string, cluster: string): number {
  const n = draws.get(cluster) ?? 0;
  draws.set(cluster, n + 1);
  return crypto.createHash('sha256').update(`${seed}\0${cluster}\0${n}`).digest().readUInt32BE(0) / 2 ** 32;
}

/** Whether this query of `cluster` preempts it. */
export function drawPreemption(cluster: string, env: NodeJS.ProcessEnv = process.env): boolean {
  const rate = Number(env.SKYDECK_LOCAL_PREEMPT_RATE ?? 0);
  if (!(rate > 0)) return false;
  const seed = env.SKYDECK_LOCAL_PREEMPT_SEED;
  return (seed ? seededDraw(seed, cluster) : Math.random()) < rate;
}
