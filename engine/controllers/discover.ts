/**
 * Finding the controller cluster from a machine that did not launch it. SkyPilot finds its
 * controller from any machine of the same user because the name is derived from the user
 * (names.ts) and the cluster is looked up on the infra; SkyDeck does the same with what it
 * can ask without local state, in order:
 * - the hosts of the SSH node pools this machine has, whose claim file (`~/.skydeck_claim`,
 *   engine/infra/ssh/claim.ts) names the cluster's name on the infra;
 * - the enabled Kubernetes contexts, whose pods carry the cluster's label (the provider's
 *   own query);
 * - AWS, whose instances carry the cluster's tag, in the region `<kind>.controller.resources`
 *   names, else the credentials' default region, else us-east-1 (a scan of every region on
 *   each command would cost more than it finds);
 * - GCP, whose instances carry the cluster's label, in any zone of the credentials' project
 *   (one aggregated list; the provider's findCluster);
 * - Azure, where the cluster's resource group follows from its name and carries its tag, in
 *   whichever region the group is (the provider's findCluster).
 * Reaching a VM over SSH then needs this machine's SkyDeck key to be the one the controller
 * was launched with (copy SKYDECK_HOME/keys from the first machine); pods and pool hosts need
 * nothing more.
 * The record built from it is used for this command only and never saved: the cluster
 * belongs to the machine that launched it, which alone stops or tears it down.
 *
 * A scan asks every pool host and infra, so a miss is remembered for a short while
 * (state/controller-discovery.json) and a hit is asked first next time: the sidebar runs
 * `jobs queue` every few seconds.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ClusterRecord } from '../cluster/types';
import { nameOnCloud } from '../cluster/naming';
import type { ClusterHandle, NodeInfo } from '../infra/provider';
import { getProvider } from '../infra/registry';
import { readNodePools, type NodePool, type PoolHost } from '../infra/ssh/pools';
import { findAwsCredentials } from '../infra/aws/credentials';
import { enabledInfra } from '../cluster';
import { activeConfig } from '../config/active';
import type { ConfigMap } from '../config/types';
import { homeSubdir } from '../util/paths';
import { controllerClusterName, controllerOwner, type ControllerKind } from './names';

/** How long a scan that found nothing is trusted. */
const MISS_TTL_MS = 60_000;

/** Infra whose provider finds a cluster by name alone (findCluster), wherever it runs. */
type FindingInfra = 'gcp' | 'azure';

/** Where the last hit was: a pool host, or an infra's region (a Kubernetes context). */
type Hit = { provider: 'ssh'; pool: string; host: string } | { provider: 'aws' | 'kubernetes' | FindingInfra; region: string };

interface CacheEntry {
  at: number;
  hit?: Hit;
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

function handleFor(kind: ControllerKind, provider: string, region: string, data: Record<string, unknown>): ClusterHandle {
  const name = controllerClusterName(kind);
  return { clusterName: name, nameOnCloud: nameOnCloud(name), provider, region, data };
}

function recordFor(kind: ControllerKind, handle: ClusterHandle, nodes: NodeInfo[]): ClusterRecord {
  return {
    name: handle.clusterName,
    status: 'UP',
    handle,
    resources: { cloud: handle.provider, region: handle.region, instanceType: '-', useSpot: false, diskSizeGb: 0, ports: [], pricePerHour: 0 },
    numNodes: nodes.length,
    nodes,
    launchedAt: 0,
    accumulatedUpSeconds: 0,
    owner: controllerOwner(kind),
  };
}

function poolRecord(kind: ControllerKind, pool: string, host: PoolHost): ClusterRecord {
  const handle = handleFor(kind, 'ssh', pool, { pool, hosts: [host] });
  const node: NodeInfo = {
    id: host.id,
    rank: 0,
    state: 'running',
    internalIp: host.ip,
    ssh: { host: host.ip, port: host.port, user: host.user, identityFile: host.identityFile },
  };
  return recordFor(kind, handle, [node]);
}

/** The controller on an infra's region, as its provider lists the cluster's instances or pods. */
async function onInfra(kind: ControllerKind, provider: 'aws' | 'kubernetes', region: string): Promise<ClusterRecord | undefined> {
  const handle = handleFor(kind, provider, region, provider === 'kubernetes' ? { context: region } : {});
  try {
    const nodes = await (await getProvider(provider)).query(handle);
    return nodes.length > 0 && nodes.every((n) => n.state === 'running') ? recordFor(kind, handle, nodes) : undefined;
  } catch {
    return undefined; // an infra that cannot be asked holds no controller we could use
  }
}

/** GCP or Azure: the cluster the provider finds by its name, in whichever zone or region it is. */
async function foundByName(kind: ControllerKind, infra: FindingInfra): Promise<ClusterRecord | undefined> {
  const name = controllerClusterName(kind);
  try {
    const provider = await getProvider(infra);
    const handle = await provider.findCluster?.(name, nameOnCloud(name));
    if (!handle) return undefined;
    const nodes = await provider.query(handle);
    return nodes.length > 0 && nodes.every((n) => n.state === 'running') ? recordFor(kind, handle, nodes) : undefined;
  } catch {
    return undefined; // a project or subscription that cannot be asked holds no controller we could use
  }
}

/** The infra regions to ask, from the enabled infra (Kubernetes contexts, AWS's likely regions). */
function infraRegions(
  kind: ControllerKind,
  enabled: string[],
  config: ConfigMap,
  env: NodeJS.ProcessEnv,
): { provider: 'aws' | 'kubernetes'; region: string }[] {
  const out: { provider: 'aws' | 'kubernetes'; region: string }[] = enabled
    .filter((i) => i.startsWith('k8s/'))
    .map((i) => ({ provider: 'kubernetes' as const, region: i.slice('k8s/'.length) }));
  if (enabled.includes('aws')) {
    const section = (config[kind] as { controller?: { resources?: { infra?: unknown } } } | undefined)?.controller?.resources;
    const configured = typeof section?.infra === 'string' && section.infra.startsWith('aws/') ? section.infra.split('/')[1] : undefined;
    const regions = [configured, env.AWS_REGION, env.AWS_DEFAULT_REGION, findAwsCredentials(env).region, 'us-east-1'].filter((r): r is string => !!r);
    for (const region of new Set(regions)) out.push({ provider: 'aws', region });
  }
  return out;
}

/** Whether the host is claimed by the controller cluster (any machine's claim: the name on the infra is the user's). */
async function claimedBy(kind: ControllerKind, pool: string, host: PoolHost): Promise<ClusterRecord | undefined> {
  const rec = poolRecord(kind, pool, host);
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

async function lookAt(kind: ControllerKind, hit: Hit, pools: NodePool[]): Promise<ClusterRecord | undefined> {
  if (hit.provider === 'gcp' || hit.provider === 'azure') return foundByName(kind, hit.provider);
  if (hit.provider !== 'ssh') return onInfra(kind, hit.provider, hit.region);
  const pool = pools.find((p) => p.name === hit.pool);
  const host = pool?.hosts.find((h) => h.id === hit.host);
  return pool && host ? claimedBy(kind, pool.name, host) : undefined;
}

function hitOf(rec: ClusterRecord): Hit {
  if (rec.handle.provider === 'ssh') return { provider: 'ssh', pool: rec.handle.region, host: rec.nodes[0].id };
  return { provider: rec.handle.provider as 'aws' | 'kubernetes' | FindingInfra, region: rec.handle.region };
}

/** The kind's controller cluster as the infra shows it, or undefined. */
export async function discoverController(
  kind: ControllerKind,
  options: { fresh?: boolean; enabledInfra?: string[]; config?: ConfigMap; env?: NodeJS.ProcessEnv } = {},
): Promise<ClusterRecord | undefined> {
  const pools = readNodePools();
  const cached = readCache()[kind];
  if (cached?.hit) {
    const rec = await lookAt(kind, cached.hit, pools);
    if (rec) return rec;
  } else if (cached && !options.fresh && Date.now() - cached.at < MISS_TTL_MS) return undefined;
  let located = (await Promise.all(pools.flatMap((p) => p.hosts.map((h) => claimedBy(kind, p.name, h))))).find((r) => r);
  if (!located) {
    const enabled = options.enabledInfra ?? (await enabledInfra());
    const where = infraRegions(kind, enabled, options.config ?? activeConfig(), options.env ?? process.env);
    const asks = where.map((w) => onInfra(kind, w.provider, w.region));
    for (const infra of ['gcp', 'azure'] as const) if (enabled.includes(infra)) asks.push(foundByName(kind, infra));
    located = (await Promise.all(asks)).find((r) => r);
  }
  writeCache(kind, { at: Date.now(), ...(located ? { hit: hitOf(located) } : {}) });
  return located;
}
