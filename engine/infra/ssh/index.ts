/**
 * The `ssh` provider: SSH node pools of existing machines (./pools, SkyPilot's
 * ssh_node_pools.yaml). The pool is the region: infra `ssh/<pool>`. A cluster takes free
 * hosts from its pool (recorded in the store, ./hosts); an unreachable host is skipped,
 * and when the pool cannot supply enough reachable hosts the launch fails with a
 * ProvisionError scoped to the pool, so failover moves to the next pool.
 *
 * stop = the cluster's jobs and agent daemon stop (the machines stay up, the hosts stay
 * the cluster's); start = reachable again; terminate = node dirs cleaned, hosts freed.
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import type { AutostopCommands, ClusterHandle, CredentialCheck, HoldsVolumeDirs, LaunchRequest, NodeInfo, Provider } from '../provider';
import { shellQuoteRemotePath } from '../../node/quote';
import { ProvisionError } from '../provider';
import type { Transport } from '../../node/transport';
import { SshTransport } from '../../node/ssh';
import { AgentClient, HEAD_LAUNCHER, sshLauncher } from '../../node/agentClient';
import { errorMessage } from '../../errors';
import { readNodePools, type PoolHost } from './pools';
import { hostKey, hostsOf, releaseHosts, reserveHosts, setHostsState } from './hosts';
import { autostopCommands, claimHost, claimId, claimIsOurs, cleanClaimedHost, releasedByAutodown } from './claim';

interface SshHandleData {
  pool: string;
  hosts: PoolHost[];
}

/** Where the head keeps the key it uses to reach worker `rank` (head's HOME). */
function workerKeyPath(rank: number): string {
  return `~/.skydeck_node/keys/node-${rank}`;
}

const CONNECT_TIMEOUT_MS = Number(process.env.SKYDECK_SSH_CONNECT_TIMEOUT_MS ?? 5000);

function dataOf(handle: ClusterHandle): SshHandleData {
  return handle.data as unknown as SshHandleData;
}

/**
 * The handle's hosts; for a provisional handle (recorded before launch() returned) the hosts
 * the store says this cluster reserved in its pool (reservations are written before a host
 * is touched), in rank order.
 */
async function resolveData(handle: ClusterHandle): Promise<SshHandleData> {
  const d = handle.data as Partial<SshHandleData>;
  if (d.pool && d.hosts) return d as SshHandleData;
  const pool = handle.region;
  const uses = Object.entries(await hostsOf(handle.nameOnCloud)).sort((a, b) => a[1].rank - b[1].rank);
  const byKey = new Map((readNodePools().find((p) => p.name === pool)?.hosts ?? []).map((h) => [hostKey(pool, h.id), h]));
  return { pool, hosts: uses.map(([k]) => byKey.get(k)).filter((h): h is PoolHost => !!h) };
}

function transportTo(h: PoolHost): SshTransport {
  return new SshTransport({ host: h.ip, port: h.port, user: h.user, keyPath: h.identityFile, connectTimeoutMs: CONNECT_TIMEOUT_MS });
}

/** A TCP connect to the host's ssh port (cheap liveness for query()). */
function tcpReachable(h: PoolHost, timeoutMs = 3000): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: h.ip, port: h.port });
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

/**
 * Runs `true` over SSH (reachability, auth and a working shell in one round-trip); with
 * `claim`, also claims the host for the cluster (./claim) in the same session.
 */
async function probe(h: PoolHost, claim?: string): Promise<string | undefined> {
  const t = transportTo(h);
  try {
    if (claim) return await claimHost(t, claim);
    const r = await t.exec(['true'], { timeoutMs: CONNECT_TIMEOUT_MS * 2 });
    return r.exitCode === 0 ? undefined : `\`true\` exited ${r.exitCode}`;
  } catch (e) {
    return errorMessage(e);
  } finally {
    await t.close();
  }
}

/** Whether the cluster's autodown released this host (unknown when the check fails: not released). */
async function autodownReleased(h: PoolHost, nameOnCloud: string): Promise<boolean> {
  const t = transportTo(h);
  try {
    return await releasedByAutodown(t, claimId(nameOnCloud));
  } catch {
    return false;
  } finally {
    await t.close();
  }
}

export class SshProvider implements Provider, HoldsVolumeDirs {
  readonly name = 'ssh';
  readonly canStop = true;

  async check(): Promise<CredentialCheck> {
    const pools = readNodePools();
    return pools.length
      ? { enabled: true, reason: `Node pools: ${pools.map((p) => `${p.name} (${p.hosts.length} hosts)`).join(', ')}.` }
      : { enabled: false, reason: 'No node pools: add them to SKYDECK_HOME/ssh_node_pools.yaml.' };
  }

  async launch(request: LaunchRequest): Promise<ClusterHandle> {
    if (request.existing) return this.start(request.existing);
    const pool = readNodePools().find((p) => p.name === request.region);
    if (!pool) throw new ProvisionError('config', 'region', `SSH node pool '${request.region}' is not in ssh_node_pools.yaml.`);
    const cluster = request.nameOnCloud;
    const byKey = new Map(pool.hosts.map((h) => [hostKey(pool.name, h.id), h]));
    const bad = new Map<string, string>();
    const good: string[] = [];
    for (;;) {
      if (request.signal?.aborted) {
        await releaseHosts(cluster);
        throw new ProvisionError('other', 'zone', 'Launch cancelled.');
      }
      const need = request.numNodes - good.length;
      const candidates = [...byKey.keys()].filter((k) => !bad.has(k) && !good.includes(k));
      const reserved = await reserveHosts(cluster, candidates, need, good.length);
      if (reserved.length === 0) break;
      const results = await Promise.all(
        reserved.map(async (k) => {
          request.onProgress?.(`Checking ${byKey.get(k)!.id} in pool '${pool.name}'.`);
          return { k, err: await probe(byKey.get(k)!, claimId(cluster)) };
        }),
      );
      for (const { k, err } of results) {
        if (err) {
          bad.set(k, err);
          request.onProgress?.(`Host ${byKey.get(k)!.id} is unusable: ${err}`);
        } else good.push(k);
      }
      await releaseHosts(cluster, [...bad.keys()]);
      if (good.length >= request.numNodes) break;
    }
    if (good.length < request.numNodes) {
      await releaseHosts(cluster);
      const reasons = [...bad.entries()].map(([k, e]) => `${byKey.get(k)!.id}: ${e}`);
      const free = [...byKey.keys()].length - bad.size;
      throw new ProvisionError(
        bad.size ? 'unreachable' : 'capacity',
        'region',
        `SSH node pool '${pool.name}' has ${good.length} usable free host(s) of ${request.numNodes} needed${reasons.length ? ` (${reasons.join('; ')})` : free ? '' : ' (all hosts in use)'}.`,
        { hint: 'Check the hosts (`ssh user@host`), free some with `skydeck down`, or add hosts to the pool.' },
      );
    }
    // Rank order = the pool's host order among those reserved (stable).
    const hosts = good.map((k) => byKey.get(k)!);
    await reserveHosts(cluster, good, good.length, 0);
    const handle: ClusterHandle = {
      clusterName: request.clusterName,
      nameOnCloud: cluster,
      provider: 'ssh',
      region: pool.name,
      data: { pool: pool.name, hosts } as unknown as Record<string, unknown>,
    };
    await this.installWorkerKeys(handle);
    return handle;
  }

  /** The head reaches each worker with that worker's identity file (copied to the head, 0600). */
  private async installWorkerKeys(handle: ClusterHandle): Promise<void> {
    const { hosts } = dataOf(handle);
    if (hosts.length < 2) return;
    const head = transportTo(hosts[0]);
    try {
      for (let rank = 1; rank < hosts.length; rank++) {
        const key = hosts[rank].identityFile;
        if (!key) continue;
        await head.putFile(workerKeyPath(rank), fs.readFileSync(key), 0o600);
      }
    } finally {
      await head.close();
    }
  }

  async query(handle: ClusterHandle): Promise<NodeInfo[]> {
    const { pool, hosts } = await resolveData(handle);
    const uses = await hostsOf(handle.nameOnCloud);
    const out = await Promise.all(
      hosts.map(async (h, rank): Promise<NodeInfo | undefined> => {
        const use = uses[hostKey(pool, h.id)];
        if (!use) return undefined; // freed: the node is gone
        const reachable = await tcpReachable(h);
        // The cluster's own autodown freed the host on the host itself: the node is gone.
        if (reachable && use.state === 'running' && (await autodownReleased(h, handle.nameOnCloud))) return undefined;
        return {
          id: h.id,
          rank,
          state: use.state === 'stopped' ? 'stopped' : reachable ? 'running' : 'pending',
          internalIp: h.ip,
          ssh: { host: h.ip, port: h.port, user: h.user, identityFile: h.identityFile },
        };
      }),
    );
    return out.filter((n): n is NodeInfo => !!n);
  }

  autostopCommands(handle: ClusterHandle): AutostopCommands {
    return autostopCommands(claimId(handle.nameOnCloud));
  }

  async stop(handle: ClusterHandle): Promise<void> {
    await this.eachHost(dataOf(handle), (t) => new AgentClient(t).stopDaemon());
    await setHostsState(handle.nameOnCloud, 'stopped');
  }

  async start(handle: ClusterHandle): Promise<ClusterHandle> {
    const { hosts } = dataOf(handle);
    const errors = (await Promise.all(hosts.map(async (h) => ({ h, err: await probe(h) })))).filter((r) => r.err);
    if (errors.length) {
      throw new ProvisionError('unreachable', 'region', `Cannot start: ${errors.map((e) => `${e.h.id}: ${e.err}`).join('; ')}.`);
    }
    await setHostsState(handle.nameOnCloud, 'running');
    return handle;
  }

  /**
   * Stops the agent and removes the node files on every host, then frees the hosts. A host
   * that cannot be reached (or cleaned) keeps its reservation and the call fails: its jobs
   * may still be running, so the host is not handed to another cluster.
   */
  /** `volumes delete` of a volume on this pool: its directory goes from every host (the reachable ones; the others are named). */
  async removeVolumeDir(pool: string, dir: string): Promise<{ host: string; error?: string }[]> {
    const hosts = readNodePools().find((p) => p.name === pool)?.hosts ?? [];
    return Promise.all(
      hosts.map(async (h) => {
        const t = transportTo(h);
        try {
          const r = await t.exec(['bash', '-c', `rm -rf -- ${shellQuoteRemotePath(dir)}`], { timeoutMs: CONNECT_TIMEOUT_MS * 4 });
          return { host: h.id, error: r.exitCode === 0 ? undefined : r.stderr.trim() || `exit ${r.exitCode}` };
        } catch (e) {
          return { host: h.id, error: errorMessage(e) };
        } finally {
          await t.close();
        }
      }),
    );
  }

  async terminate(handle: ClusterHandle): Promise<void> {
    const data = await resolveData(handle);
    // A provisional handle: the launch died before the agent was installed, so nothing of ours runs on an unreachable host.
    const provisional = !(handle.data as Partial<SshHandleData>).hosts;
    const failed: string[] = [];
    await Promise.all(
      data.hosts.map(async (h) => {
        if (!(await tcpReachable(h, 3000))) {
          if (!provisional) failed.push(`${h.id}: not reachable`);
          return;
        }
        const t = transportTo(h);
        const id = claimId(handle.nameOnCloud);
        try {
          // Another home's or cluster's node files on a shared host are theirs: left alone.
          if (await claimIsOurs(t, id)) {
            await new AgentClient(t).stopDaemon().catch(() => undefined);
            await cleanClaimedHost(t, id);
          }
        } catch (e) {
          failed.push(`${h.id}: ${errorMessage(e)}`);
        } finally {
          await t.close();
        }
      }),
    );
    const failedIds = new Set(failed.map((f) => f.slice(0, f.indexOf(': '))));
    const done = data.hosts.filter((h) => !failedIds.has(h.id)).map((h) => hostKey(data.pool, h.id));
    // Reservations of hosts the handle does not list (a launch that died mid-way) are freed too: nothing ran there.
    const listed = new Set(data.hosts.map((h) => hostKey(data.pool, h.id)));
    const unlisted = Object.keys(await hostsOf(handle.nameOnCloud)).filter((k) => !listed.has(k));
    await releaseHosts(handle.nameOnCloud, [...done, ...unlisted]);
    if (failed.length) {
      throw new ProvisionError('unreachable', 'region', `SSH node pool '${data.pool}': ${failed.join('; ')}.`, {
        hint: 'Those hosts stay reserved for the cluster until a teardown reaches them.',
      });
    }
  }

  async openPorts(): Promise<void> {
    // Existing machines: ports are whatever their firewalls allow.
  }

  rankLauncher(handle: ClusterHandle, node: NodeInfo): string[] {
    if (node.rank === 0) return [...HEAD_LAUNCHER];
    const h = dataOf(handle).hosts[node.rank];
    return sshLauncher({ host: h.ip, port: h.port, user: h.user, keyPath: workerKeyPath(node.rank) });
  }

  transport(handle: ClusterHandle, node: NodeInfo): Transport {
    return transportTo(dataOf(handle).hosts[node.rank]);
  }

  /** Best effort on every reachable host (a dead host must not block stop/down). */
  private async eachHost(data: SshHandleData, fn: (t: Transport) => Promise<unknown>): Promise<void> {
    await Promise.all(
      data.hosts.map(async (h) => {
        if (!(await tcpReachable(h, 2000))) return;
        const t = transportTo(h);
        try {
          await fn(t);
        } catch {
          /* best effort */
        } finally {
          await t.close();
        }
      }),
    );
  }
}

export function createProvider(): Provider {
  return new SshProvider();
}
