/**
 * One lock per cluster name (SKYDECK_HOME/state/locks/<name>), held while a process
 * provisions, starts, stops or tears down that cluster, so two launches of one name never
 * both provision (the second waits, then reuses what the first made) and `status -r` never
 * mistakes a cluster being launched for one whose launch died. A lock whose holder was
 * killed is taken over at once (../state/lock).
 *
 * Re-entrant within one async call chain (AsyncLocalStorage): a refresh that fires autostop
 * runs `down` under the lock it already holds. Separate operations in one process (the
 * extension, a serve controller) still exclude each other.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import * as path from 'node:path';
import { ensurePrivateDir } from '../state/atomicWrite';
import { lockHolder, lockStateFile, tryLockStateFile } from '../state/lock';
import { skydeckHome } from '../util/paths';

const heldHere = new AsyncLocalStorage<ReadonlySet<string>>();

function lockFile(name: string): string {
  const dir = path.join(skydeckHome(), 'state', 'locks');
  ensurePrivateDir(dir);
  return path.join(dir, name);
}

/** Provisioning can take many minutes on a cloud: a second launch waits for it, up to this long. */
const WAIT_MS = Number(process.env.SKYDECK_CLUSTER_LOCK_WAIT_MS ?? 30 * 60_000);

/** Runs `fn` holding the cluster's lock; `onWait` is told once if another process holds it. */
export async function withClusterLock<R>(name: string, fn: () => Promise<R>, onWait?: (message: string) => void): Promise<R> {
  const held = heldHere.getStore();
  if (held?.has(name)) return fn();
  const file = lockFile(name);
  const holder = lockHolder(file);
  if (holder && holder.pid !== process.pid) onWait?.(`Cluster '${name}' is being changed by process ${holder.pid}; waiting for it to finish.`);
  const release = await lockStateFile(file, { waitMs: WAIT_MS });
  try {
    return await heldHere.run(new Set([...(held ?? []), name]), fn);
  } finally {
    await release();
  }
}

/** Like withClusterLock, but returns `busy()` at once when a live process holds the lock. */
export async function ifClusterUnlocked<R>(name: string, fn: () => Promise<R>, busy: () => R | Promise<R>): Promise<R> {
  const held = heldHere.getStore();
  if (held?.has(name)) return fn();
  const release = await tryLockStateFile(lockFile(name));
  if (!release) return busy();
  try {
    return await heldHere.run(new Set([...(held ?? []), name]), fn);
  } finally {
    await release();
  }
}
