/**
 * How many connections the load balancer accepts, in total and per client address, so
 * that a flood from one client neither starves the others nor exhausts the process's
 * file descriptors (the controller shares them: it must still read its state, write its
 * logs, probe replicas and run the cluster engine).
 *
 * Node raises its own soft limit on open files to the hard limit at start, so the hard
 * limit is what there is; the budget is derived from it rather than assumed.
 */
import * as fs from 'node:fs';

/** Descriptors kept for everything else the controller does (store, logs, probes, ssh, launches). */
const RESERVED_FDS = 256;

export interface ConnectionLimits {
  /** Client connections accepted at once (each may also hold one connection to a replica). */
  total: number;
  /** Client connections accepted at once from one address. */
  perClient: number;
}

/** The soft limit on open files of this process (Linux: /proc/self/limits; elsewhere a conservative 1024). */
export function openFileLimit(): number {
  try {
    const line = fs
      .readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const soft = line?.split(/\s{2,}/)[1];
    if (soft === 'unlimited') return Number.MAX_SAFE_INTEGER;
    if (soft && Number.isFinite(Number(soft))) return Number(soft);
  } catch {
    /* not Linux */
  }
  return 1024;
}

/**
 * Limits for a process allowed `fdLimit` open files: half of what is left after the
 * reserve goes to client connections (the other half to their replica connections); one
 * client gets at most a quarter of that, so at least four clients can be served at once.
 */
export function connectionLimits(fdLimit = openFileLimit(), overrides: Partial<ConnectionLimits> = {}): ConnectionLimits {
  const total = overrides.total ?? Math.max(32, Math.floor((fdLimit - RESERVED_FDS) / 2));
  const perClient = overrides.perClient ?? Math.max(8, Math.floor(total / 4));
  return { total, perClient: Math.min(perClient, total) };
}

/** Counts open connections per client address; refuses those over the per-client limit. */
export class PerClientCounter {
  private readonly open = new Map<string, number>();

  constructor(private readonly perClient: number) {}

  /** True when the connection may stay; call release() when an admitted connection closes. */
  admit(address: string): boolean {
    const n = this.open.get(address) ?? 0;
    if (n >= this.perClient) return false;
    this.open.set(address, n + 1);
    return true;
  }

  release(address: string): void {
    const n = (this.open.get(address) ?? 1) - 1;
    if (n <= 0) this.open.delete(address);
    else this.open.set(address, n);
  }

  count(address: string): number {
    return this.open.get(address) ?? 0;
  }
}
