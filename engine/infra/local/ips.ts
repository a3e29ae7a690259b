/**
 * Loopback addresses for `local` nodes. Every node gets its own 127.0.0.N (unique across
 * clusters, recorded in the store), so replicas on one machine can each bind the same
 * port on their node's address. Linux routes all of 127.0.0.0/8 to `lo`, so no setup is needed.
 */
import * as crypto from 'node:crypto';
import * as os from 'node:os';
import * as path from 'node:path';
import { Collection } from '../../state/store';
import { skydeckHome } from '../../util/paths';
import { ResourcesUnavailableError } from '../../errors';

interface IpTable {
  /** cluster name -> addresses, in node order. */
  byCluster: Record<string, string[]>;
}

/** Opened per call so SKYDECK_HOME is read when used (tests set it per test). */
function ipTable(): Collection<IpTable> {
  return new Collection<IpTable>({ name: 'local-ips', initial: () => ({ byCluster: {} }) });
}

/**
 * 127.0.0.2 .. 127.0.0.254, then 127.0.1.1 .. : skips .0/.255 and 127.0.0.1 itself. The
 * table is per SKYDECK_HOME, so a non-default home (tests, a second user) starts at an
 * offset derived from its path: two homes on one machine rarely hand out the same address.
 */
function* candidates(): Generator<string> {
  const home = skydeckHome();
  let start = 0;
  if (home !== path.join(os.homedir(), '.skydeck')) {
    start = 1 + (crypto.createHash('sha1').update(home).digest().readUInt32BE(0) % 250);
  }
  for (let i = 0; i < 256; i++) {
    const b = (start + i) % 256;
    for (let c = 1; c < 255; c++) {
      if (b === 0 && c === 1) continue;
      yield `127.0.${b}.${c}`;
    }
  }
}

/** Reserves `count` addresses for the cluster (idempotent: keeps those it already has). */
export async function allocateIps(cluster: string, count: number): Promise<string[]> {
  return ipTable().update((t) => {
    const mine = t.byCluster[cluster] ?? [];
    if (mine.length >= count) return mine.slice(0, count);
    const used = new Set(Object.values(t.byCluster).flat());
    for (const ip of candidates()) {
      if (mine.length >= count) break;
      if (!used.has(ip)) mine.push(ip);
    }
    if (mine.length < count) throw new ResourcesUnavailableError('No free loopback address left for local nodes.');
    t.byCluster[cluster] = mine;
    return [...mine];
  });
}

export async function releaseIps(cluster: string): Promise<void> {
  await ipTable().update((t) => {
    delete t.byCluster[cluster];
  });
}
