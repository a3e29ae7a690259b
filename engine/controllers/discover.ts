/**
 * Finding the controller cluster from a machine that did not launch it. SkyPilot finds its
 * controller from any machine of the same user because the name is derived from the user
 * (names.ts) and the cluster is looked up on the infra; SkyDeck does the same for what it
 * can ask without local state: the hosts of the SSH node pools this machine has, whose
 * claim file (`~/.skydeck_claim`, engine/infra/ssh/claim.ts) names the cluster's name on
 * the infra. The record built from it is used for this command only and never saved: the
 * host's reservation belongs to the machine that launched it, which alone stops or tears
 * it down.
 *
 * A scan asks every pool host over SSH, so a miss is remembered for a short while
 * (state/controller-discovery.json) and a hit is asked first next time: the sidebar runs
 * `jobs queue` every few seconds.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ClusterRecord } from '../cluster/types';
import { nameOnCloud } from '../cluster/naming';
import type { ClusterHandle, NodeInfo } from '../infra/provider';
import { getProvider } from '../infra/registry';
import { readNodePools, type PoolHost } from '../infra/ssh/pools';
import { homeSubdir } from '../util/paths';
import { controllerClusterName, controllerOwner, type ControllerKind } from './names';

/** How long a scan that found nothing is trusted. */
const MISS_TTL_MS = 60_000;

interface CacheEntry {
  at: number;
  /** pool and host id of the last hit. */
  hit?: { pool: string; host: string };
}

function cacheFile(): string {
  return path.join(homeSubdir('state'), 'controller-discovery.json');
}

function readCache(): Record<string, CacheEntry> {
  try {
    return JSON.parse(fs.readFileSync(cacheFile(), 'utf8')) as Record<string, CacheEntry>;
  } catch {
    return {};
  }
}

function writeCache(kind: ControllerKind, entry: CacheEntry): void {
  const all = { ...readCache(), [kind]: entry };
  const tmp = `${cacheFile()}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(all));
  fs.renameSync(tmp, cacheFile());
}

function recordFor(kind: ControllerKind, pool: string, host: PoolHost): ClusterRecord {
  const name = controllerClusterName(kind);
  const handle: ClusterHandle = {
    clusterName: name,
    nameOnCloud: nameOnCloud(name),
    provider: 'ssh',
    region: pool,
    data: { pool, hosts: [host] } as unknown as Record<string, unknown>,
  };
  const node: NodeInfo = {
    id: host.id,
    rank: 0,
    state: 'running',
    internalIp: host.ip,
    ssh: { host: host.ip, port: host.port, user: host.user, identityFile: host.identityFile },
  };
  return {
    name,
    status: 'UP',
    handle,
    resources: { cloud: 'ssh', region: pool, instanceType: '-', useSpot: false, diskSizeGb: 0, ports: [], pricePerHour: 0 },
    numNodes: 1,
    nodes: [node],
    launchedAt: 0,
    accumulatedUpSeconds: 0,
    owner: controllerOwner(kind),
  };
}

/** Whether the host is claimed by the controller cluster (any machine's claim: the name on the infra is the user's). */
async function claimedBy(kind: ControllerKind, pool: string, host: PoolHost): Promise<ClusterRecord | undefined> {
  const rec = recordFor(kind, pool, host);
  const provider = await getProvider('ssh');
  const t = provider.transport(rec.handle, rec.nodes[0]);
  try {
    const r = await t.exec(['sh', '-c', 'cat "$HOME/.skydeck_claim" 2>/dev/null; true'], { timeoutMs: 15_000 });
    const claim = r.stdout.trim().split(/\s+/);
    return r.exitCode === 0 && claim.length === 2 && claim[1] === rec.handle.nameOnCloud ? rec : undefined;
  } catch {
    return undefined; // an unreachable host holds no controller we could use
  } finally {
    await t.close().catch(() => undefined);
  }
}

/** The kind's controller cluster as the infra shows it, or undefined. */
export async function discoverController(kind: ControllerKind, options: { fresh?: boolean } = {}): Promise<ClusterRecord | undefined> {
  const pools = readNodePools();
  if (pools.length === 0) return undefined;
  const cached = readCache()[kind];
  if (cached?.hit) {
    const pool = pools.find((p) => p.name === cached.hit!.pool);
    const host = pool?.hosts.find((h) => h.id === cached.hit!.host);
    const rec = pool && host ? await claimedBy(kind, pool.name, host) : undefined;
    if (rec) return rec;
  } else if (cached && !options.fresh && Date.now() - cached.at < MISS_TTL_MS) return undefined;
  const found = (await Promise.all(pools.flatMap((p) => p.hosts.map((h) => claimedBy(kind, p.name, h))))).find((r) => r);
  const hit = found ? { pool: found.handle.region, host: found.nodes[0].id } : undefined;
  writeCache(kind, { at: Date.now(), ...(hit ? { hit } : {}) });
  return found;
}
