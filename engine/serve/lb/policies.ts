/**
 * Load-balancing policies (sky/serve/load_balancing_policies.py): `round_robin` cycles
 * through the ready replicas (shuffled when the set changes, so every load balancer does
 * not hit the same replica first); `least_load` (the default) picks the replica with the
 * fewest in-flight requests, breaking ties round robin so light load still spreads.
 */
import type { LoadBalancingPolicyName } from '../spec';

/** What a policy needs to know about a replica. */
export interface Balanced {
  inflight: number;
}

export interface Policy<R extends Balanced> {
  readonly name: LoadBalancingPolicyName;
  /** Sets the ready replicas (called on every change). */
  set(replicas: R[]): void;
  /** The next replica, skipping `exclude` (replicas already tried for this request); undefined if none. */
  pick(exclude?: readonly R[]): R | undefined;
}

function shuffled<T>(items: T[]): T[] {
  const a = items.slice();
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

class RoundRobin<R extends Balanced> implements Policy<R> {
  readonly name = 'round_robin' as const;
  private list: R[] = [];
  private next = 0;
  set(replicas: R[]): void {
    this.list = shuffled(replicas);
    this.next = 0;
  }
  pick(exclude?: readonly R[]): R | undefined {
    const n = this.list.length;
    for (let k = 0; k < n; k++) {
      const r = this.list[this.next++ % n];
      if (this.next >= n) this.next = 0;
      if (!exclude || !exclude.includes(r)) return r;
    }
    return undefined;
  }
}

class LeastLoad<R extends Balanced> implements Policy<R> {
  readonly name = 'least_load' as const;
  private list: R[] = [];
  private start = 0;
  set(replicas: R[]): void {
    this.list = replicas.slice();
    this.start = 0;
  }
  pick(exclude?: readonly R[]): R | undefined {
    const n = this.list.length;
    if (n === 0) return undefined;
    let best: R | undefined;
    const s = this.start;
    for (let k = 0; k < n; k++) {
      const r = this.list[(s + k) % n];
      if (exclude && exclude.includes(r)) continue;
      if (!best || r.inflight < best.inflight) best = r;
    }
    this.start = s + 1 >= n ? 0 : s + 1;
    return best;
  }
}

export function createPolicy<R extends Balanced>(name: LoadBalancingPolicyName): Policy<R> {
  return name === 'round_robin' ? new RoundRobin<R>() : new LeastLoad<R>();
}
