/**
 * What the `jobs` and `serve` verbs share when their controller may be a controller cluster
 * (engine/controllers): forwarding the verb there, and Ctrl-C that stops following without
 * stopping the job or service.
 */
import type { Command } from 'commander';
import type { ControllerKind } from '../controllers/names';

const progress = (m: string) => process.stderr.write(`${m}\n`);

/** Runs `fn` with a signal that SIGINT aborts (after `onInterrupt`), for as long as it runs. */
export async function withInterrupt<T>(fn: (signal: AbortSignal) => Promise<T>, onInterrupt?: () => void): Promise<T> {
  const ac = new AbortController();
  const onSigint = () => {
    onInterrupt?.();
    ac.abort();
  };
  process.once('SIGINT', onSigint);
  try {
    return await fn(ac.signal);
  } finally {
    process.off('SIGINT', onSigint);
  }
}

/**
 * Runs the verb on the `kind` controller cluster when that is where its jobs or services are;
 * false when it is to run here. `extra` words are appended (a `-y` once this machine asked).
 */
export async function onControllerCluster(kind: ControllerKind, opts: Record<string, unknown>, cmd: Command, extra: string[] = []): Promise<boolean> {
  const { forwardedArgv, remoteForVerb } = await import('../controllers/route');
  const conn = await remoteForVerb(kind, opts, progress);
  if (!conn) return false;
  const { forwardVerb } = await import('../controllers/remote');
  try {
    await withInterrupt((signal) => forwardVerb(conn, [...forwardedArgv(cmd), ...extra], { signal }));
  } finally {
    await conn.close();
  }
  return true;
}
