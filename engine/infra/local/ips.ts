/**
 * Loopback addresses for `local` nodes, and where each cluster's nodes live. Every node gets
 * its own 127.0.0.N (unique across clusters, recorded in the store), so replicas on one
 * machine can each bind the same port on their node's address. Linux routes all of
 * 127.0.0.0/8 to `lo`, so no setup is needed.
 *
 * The cluster directory is recorded in the same transaction, before it is created: a launch
 * killed at any point leaves an entry naming everything it may have made.
 */
import * as crypto from 'node:crypto';
import * as os from 'node:os';
import * as path from 'node:path';
import { Collection } from '../../state/store';
import { skydeckHome } from '../../util/paths';
import { ResourcesUnavailableError } from '../../errors';

interface IpTable {
  /** name on the infra -> addresses, in node order. */
  byCluster: Record<string, string[]>;
  /** name on the infra -> the cluster directory of its current launch. */
  dirs?: Record<string, string>;
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

/**
 * Reserves `count` addresses for the cluster (idempotent: keeps those it already has) and
 * records `clusterDir` as its directory.
 */
export async function allocateIps(cluster: string, count: number, clusterDir?: string): Promise<string[]> {
  return ipTable().update((t) => {
    const mine = t.byCluster[cluster] ?? [];
    if (mine.length < count) {
      const used = new Set(Object.values(t.byCluster).flat());
      for (const ip of candidates()) {
        if (mine.length >= count) break;
        if (!used.has(ip)) mine.push(ip);
      }
      if (mine.length < count) throw new ResourcesUnavailableError('No free loopback address left for local nodes.');
    }
    t.byCluster[cluster] = mine;
    if (clusterDir) (t.dirs ??= {})[cluster] = clusterDir;
    return mine.slice(0, count);
  });
}

/** What the table says about a cluster: its addresses and its current directory. */
export async function localAllocation(cluster: string): Promise<{ ips: string[]; dir?: string } | undefined> {
  const t = await ipTable().read();
  const ips = t.byCluster[cluster];
  return ips || t.dirs?.[cluster] ? { ips: ips ?? [], dir: t.dirs?.[cluster] } : undefined;
}

/**
 * Frees the cluster's addresses. `clusterDir`: only if they still belong to that launch (a
 * relaunch under the same name owns them now, and an old cluster's late teardown must not
 * free them).
 */
export async function releaseIps(cluster: string, clusterDir?: string): Promise<void> {
  await ipTable().update((t) => {
    const current = t.dirs?.[cluster];
    if (clusterDir && current && current !== clusterDir) return;
    delete t.byCluster[cluster];
    if (t.dirs) delete t.dirs[cluster];
  });
}
