/**
 * Which pool hosts are in use, by which cluster, and whether that cluster is stopped
 * (SKYDECK_HOME/state/ssh-hosts.json). Every change is a store transaction, so two
 * launches never take the same host.
 */
import { Collection } from '../../state/store';

export interface HostUse {
  cluster: string;
  rank: number;
  state: 'running' | 'stopped';
}

interface HostTable {
  /** `<pool>|<host id>` -> use. */
  inUse: Record<string, HostUse>;
}

function hostTable(): Collection<HostTable> {
  return new Collection<HostTable>({ name: 'ssh-hosts', initial: () => ({ inUse: {} }) });
}

export function hostKey(pool: string, hostId: string): string {
  return `${pool}|${hostId}`;
}

/** Reserves the first of `candidates` (host keys) that are free; returns those reserved. */
export async function reserveHosts(cluster: string, candidates: string[], count: number, firstRank: number): Promise<string[]> {
  return hostTable().update((t) => {
    const got: string[] = [];
    for (const key of candidates) {
      if (got.length >= count) break;
      const use = t.inUse[key];
      if (use && use.cluster !== cluster) continue;
      t.inUse[key] = { cluster, rank: firstRank + got.length, state: 'running' };
      got.push(key);
    }
    return got;
  });
}

export async function releaseHosts(cluster: string, keys?: string[]): Promise<void> {
  await hostTable().update((t) => {
    for (const [key, use] of Object.entries(t.inUse)) {
      if (use.cluster === cluster && (!keys || keys.includes(key))) delete t.inUse[key];
    }
  });
}

export async function setHostsState(cluster: string, state: HostUse['state']): Promise<void> {
  await hostTable().update((t) => {
    for (const use of Object.values(t.inUse)) if (use.cluster === cluster) use.state = state;
  });
}

export async function hostsOf(cluster: string): Promise<Record<string, HostUse>> {
  const t = await hostTable().read();
  return Object.fromEntries(Object.entries(t.inUse).filter(([, u]) => u.cluster === cluster));
}

export async function usedHosts(): Promise<Record<string, HostUse>> {
  return (await hostTable().read()).inUse;
}
