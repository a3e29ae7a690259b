/**
 * Cluster lifecycle: bring up (agent + ssh config), refresh against the provider, stop,
 * start, down, autostop. Status reconciles the store with what the infra reports
 * (skypilot-behavior.md 4.1): no nodes -> removed; all stopped -> STOPPED; some missing
 * or unreachable -> INIT with lastError; all running and the agent answers -> UP.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import type { ClusterHandle, NodeInfo } from '../infra/provider';
import { getProvider } from '../infra/registry';
import { errorMessage } from '../errors';
import { openAccess, withAccess } from './access';
import { applyAutostop, finishNodeAutostop, type AutostopSetting } from './autostop';
import { recordAutostopOutcome } from './autostopHistory';
import { ClusterStateError } from './errors';
import { clientKey } from './keys';
import { AgentClient, installAgent } from '../node/agentClient';
import { condaRequested } from '../node/conda';
import type { Transport } from '../node/transport';
import { nodeCapacity } from './nodeOps';
import { findCluster, getCluster, listClusters, patchCluster, removeCluster } from './records';
import { ifClusterUnlocked, withClusterLock } from './clusterLock';
import { forgetReservations } from './purge';
import { removeClusterSshConfig, userSshConfigPath, writeClusterSshConfig } from './sshConfig';
import type { ClusterRecord } from './types';
import { flushAndUnmount, hasMounts, releaseStorage, remountStorage } from '../storage/teardown';
import { agentDirsOnNodes, containerAttach, containersDo, startContainers, withContainers } from './containers';
import type { RegistryLogin } from '../node/container/dockerRun';

/** Seconds the UP period since startedAt adds to the record's accumulated up time. */
function closeUpPeriod(rec: ClusterRecord, now = Date.now()): void {
  if (rec.status === 'UP' && rec.startedAt) rec.accumulatedUpSeconds += (now - rec.startedAt) / 1000;
  rec.startedAt = undefined;
}

/** Nodes reported by the provider, all running, or a clear error. */
async function runningNodes(handle: ClusterHandle, expected: number): Promise<NodeInfo[]> {
  const provider = await getProvider(handle.provider);
  const nodes = (await provider.query(handle)).sort((a, b) => a.rank - b.rank);
  const notRunning = nodes.filter((n) => n.state !== 'running');
  if (nodes.length < expected || notRunning.length) {
    throw new ClusterStateError(
      `Cluster '${handle.clusterName}' is not fully up: ${nodes.length - notRunning.length} of ${expected} nodes running.`,
      `Run \`skydeck down ${handle.clusterName}\` and launch again.`,
    );
  }
  return nodes;
}

/**
 * After provision/start: install the agent, write ssh config, mark UP. A launch sets autostop
 * itself (`deferAutostop`) once the job is submitted, as SkyPilot's PRE_EXEC stage sets it
 * after the syncs: a node is not idle while its workdir, file mounts and buckets are synced.
 */
export async function bringUp(
  rec: ClusterRecord,
  onMessage: (m: string) => void = () => undefined,
  login?: RegistryLogin,
  options: { deferAutostop?: boolean } = {},
): Promise<ClusterRecord> {
  const nodes = await runningNodes(rec.handle, rec.numNodes);
  // Where the agent's directory is shared with the container, it is set up while the container starts.
  const early = rec.container && !condaRequested() ? await agentDirsOnNodes(rec, nodes) : undefined;
  if (rec.container) {
    const [started, agentReady] = await Promise.allSettled([startContainers(rec, nodes, login), early && installAndConfigure(rec, early, early[0])]);
    if (early) await Promise.all(early.map((t) => t.close().catch(() => undefined)));
    if (started.status === 'rejected') throw started.reason;
    if (agentReady.status === 'rejected') throw agentReady.reason;
    rec = await withContainers(rec, started.value);
  }
  const access = await openAccess(rec, nodes);
  try {
    if (!early) await installAndConfigure(rec, access.transports, access.agent.transport);
    // Multi-node clusters whose provider has no launcher of its own: the head reaches workers with our key.
    if (nodes.length > 1 && !access.provider.rankLauncher) await access.agent.installKey(fs.readFileSync(clientKey().privateKeyPath));
    if (!options.deferAutostop && rec.autostop && rec.autostop.idleMinutes >= 0) await applyAutostop(rec, access, rec.autostop);
  } finally {
    await access.close();
  }
  const updated = await patchCluster(rec.name, (r) => {
    r.nodes = nodes;
    r.status = 'UP';
    r.startedAt = Date.now();
    r.lastError = undefined;
  });
  if (!updated) throw new ClusterStateError(`Cluster '${rec.name}' was removed while it was being brought up.`);
  if (writeClusterSshConfig(rec.name, nodes, containerAttach(rec))) {
    onMessage(`SSH: \`ssh ${rec.name}\`${nodes.length > 1 ? ` (workers: ${rec.name}-worker1..${nodes.length - 1})` : ''}.`);
    const override = effectiveConfigProblem(rec.name, nodes[0]);
    if (override) onMessage(`Warning: ${override}`);
  } else if (rec.handle.provider === 'local') {
    onMessage(`Local nodes have no SSH server: they are the directories ${localNodeDirs(rec)} on this machine (each node's HOME).`);
  }
  return updated;
}

/**
 * Every node runs its ranks through its own copy of the agent; the head's scheduler shares
 * each node's GPUs and CPUs among the jobs (see submitJob).
 */
async function installAndConfigure(rec: ClusterRecord, transports: Transport[], head: Transport): Promise<void> {
  await installAgent(transports);
  await new AgentClient(head).configure(nodeCapacity(rec));
}

function localNodeDirs(rec: ClusterRecord): string {
  const nodes = (rec.handle.data as { nodes?: { dir: string }[] }).nodes ?? [];
  return nodes.map((n) => n.dir).join(', ');
}

/**
 * Style lesson 9: after writing, check what ssh will really use. A user `Host *` placed
 * before our Include (or a match block) can override User/HostName/Port silently.
 */
function effectiveConfigProblem(alias: string, head: NodeInfo): string | undefined {
  if (!head.ssh) return undefined;
  const r = spawnSync('ssh', ['-G', '-F', userSshConfigPath(), alias], { encoding: 'utf8', timeout: 5000 });
  if (r.status !== 0 || !r.stdout) return undefined; // no OpenSSH client: nothing to check
  const eff = new Map(r.stdout.split('\n').map((l) => [l.slice(0, l.indexOf(' ')), l.slice(l.indexOf(' ') + 1)] as [string, string]));
  const diffs: string[] = [];
  if (eff.get('user') !== head.ssh.user) diffs.push(`user ${eff.get('user')} instead of ${head.ssh.user}`);
  if (eff.get('hostname') !== head.ssh.host) diffs.push(`hostname ${eff.get('hostname')} instead of ${head.ssh.host}`);
  if (eff.get('port') !== String(head.ssh.port)) diffs.push(`port ${eff.get('port')} instead of ${head.ssh.port}`);
  return diffs.length
    ? `your ssh config overrides the entry for '${alias}' (${diffs.join(', ')}); check ${userSshConfigPath()} for a \`Host *\` or Match block.`
    : undefined;
}

/**
 * Reconciles one record with the infra; returns the new record, or undefined when the
 * cluster is gone. A cluster whose lock a live process holds (being launched, stopped,
 * torn down) is left as recorded: its nodes may not exist yet.
 */
export async function refreshCluster(rec: ClusterRecord): Promise<ClusterRecord | undefined> {
  return ifClusterUnlocked(
    rec.name,
    async () => {
      const fresh = await findCluster(rec.name);
      return fresh && (fresh.provisional ? reconcileProvisional(fresh) : reconcile(fresh));
    },
    () => rec,
  );
}

/**
 * A provisional record nobody is launching: the launch died. Nothing on the infra -> the
 * record goes (after the provider forgets any reservation); otherwise it stays INIT and
 * says what to do.
 */
async function reconcileProvisional(rec: ClusterRecord): Promise<ClusterRecord | undefined> {
  const provider = await getProvider(rec.handle.provider);
  let nodes: NodeInfo[];
  try {
    nodes = await provider.query(rec.handle);
  } catch (e) {
    return patchCluster(rec.name, (r) => void (r.lastError = `Could not query the infra: ${errorMessage(e)}`));
  }
  if (nodes.length === 0) {
    await provider.terminate(rec.handle);
    await removeCluster(rec.name);
    return undefined;
  }
  return patchCluster(rec.name, (r) => {
    r.status = 'INIT';
    r.lastError = `The launch of '${rec.name}' stopped before it finished (${nodes.length} node(s) exist). Run \`skydeck down ${rec.name}\` to remove them, or launch it again.`;
  });
}

async function reconcile(rec: ClusterRecord): Promise<ClusterRecord | undefined> {
  const provider = await getProvider(rec.handle.provider);
  let nodes: NodeInfo[];
  try {
    nodes = await provider.query(rec.handle);
  } catch (e) {
    return patchCluster(rec.name, (r) => void (r.lastError = `Could not query the infra: ${errorMessage(e)}`));
  }
  if (nodes.every((n) => n.state === 'terminated')) {
    // Terminated from outside (preempted, deleted) or by its own autodown: clean what is left here and forget it.
    if (rec.status === 'UP' && rec.autostop?.down) await recordAutostopOutcome(rec, 'torn down');
    await containersDo(rec, 'remove', provider);
    await provider.terminate(rec.handle).catch(() => undefined);
    removeClusterSshConfig(rec.name);
    await removeCluster(rec.name);
    return undefined;
  }
  if (nodes.every((n) => n.state === 'stopped' || n.state === 'stopping')) {
    // Stopped from inside (its autostop shut the nodes down): finish what the node could not do alone.
    if (rec.status === 'UP' && rec.autostop) {
      const finished = await finishNodeAutostop(rec, provider, () => downCluster(rec.name));
      await recordAutostopOutcome(rec, finished === 'gone' ? 'torn down' : 'stopped');
      if (finished === 'gone') return undefined;
    }
    removeClusterSshConfig(rec.name);
    return patchCluster(rec.name, (r) => {
      closeUpPeriod(r);
      r.status = 'STOPPED';
      r.lastError = undefined;
    });
  }
  const problems: string[] = [];
  if (nodes.length < rec.numNodes) problems.push(`${rec.numNodes - nodes.length} of ${rec.numNodes} nodes are gone`);
  for (const n of nodes) if (n.state !== 'running') problems.push(`node ${n.rank} (${n.internalIp}) is ${n.state === 'pending' ? 'not reachable' : n.state}`);
  let autostopFired = false;
  if (problems.length === 0) {
    const access = await openAccess(rec, nodes);
    try {
      const pings = await Promise.all(
        access.transports.map((t) =>
          t.exec(['true'], { timeoutMs: 10_000 }).then(
            (r) => (r.exitCode === 0 ? undefined : `exit ${r.exitCode}`),
            (e: unknown) => errorMessage(e),
          ),
        ),
      );
      pings.forEach((p, i) => p && problems.push(`node ${i} (${access.nodes[i].internalIp}) is unreachable: ${p}`));
      if (problems.length === 0 && rec.status === 'UP' && rec.autostop && rec.autostop.idleMinutes >= 0) {
        autostopFired = (await access.agent.idleState()).triggeredAt !== undefined;
      }
    } finally {
      await access.close();
    }
  }
  if (problems.length) {
    return patchCluster(rec.name, (r) => {
      closeUpPeriod(r);
      r.status = 'INIT';
      r.lastError = problems.join('; ');
    });
  }
  const updated = await patchCluster(rec.name, (r) => {
    if (r.status !== 'UP') r.startedAt = Date.now();
    r.status = 'UP';
    r.nodes = nodes.map((n) => ({ ...r.nodes.find((o) => o.rank === n.rank), ...n }));
    r.lastError = undefined;
  });
  // The agent decides when the cluster has been idle past the limit; the engine carries it out.
  if (updated?.autostop && autostopFired) {
    await patchCluster(rec.name, (r) => void (r.status = 'AUTOSTOPPING'));
    if (updated.autostop.down || !provider.canStop) {
      await downCluster(rec.name);
      await recordAutostopOutcome(updated, 'torn down');
      return undefined;
    }
    await stopCluster(rec.name);
    await recordAutostopOutcome(updated, 'stopped');
    return findCluster(rec.name);
  }
  return updated;
}

export async function statusClusters(options: { refresh?: boolean; names?: string[] } = {}): Promise<ClusterRecord[]> {
  let recs = await listClusters();
  if (options.names?.length) recs = recs.filter((r) => options.names!.includes(r.name));
  if (!options.refresh) return recs;
  const out = await Promise.all(recs.map((r) => refreshCluster(r).catch((e: unknown) => patchCluster(r.name, (x) => void (x.lastError = errorMessage(e))))));
  return out.filter((r): r is ClusterRecord => !!r);
}

export async function stopCluster(name: string): Promise<void> {
  await withClusterLock(name, () => stopLocked(name));
}

async function stopLocked(name: string): Promise<void> {
  const rec = await getCluster(name);
  if (rec.provisional) throw new ClusterStateError(`Cluster '${name}' was never fully launched.`, `Run \`skydeck down ${name}\` to remove what was created.`);
  const provider = await getProvider(rec.handle.provider);
  if (!provider.canStop) throw new ClusterStateError(`Clusters on ${rec.handle.provider} cannot be stopped.`, `Use \`skydeck down ${name}\`.`);
  if (rec.status === 'STOPPED') return;
  if (rec.status === 'UP' || rec.status === 'AUTOSTOPPING') {
    // Jobs are cancelled first (for SSH pools stop means exactly that); the infra then stops the nodes.
    await withAccess(rec, (a) => a.agent.cancel('all')).catch(() => undefined);
    // Then MOUNT_CACHED writes reach the bucket and FUSE mounts go, as for `down` (SkyPilot flushes before stopping too).
    if (hasMounts(name)) await withAccess(rec, (a) => flushAndUnmount(name, a, (m) => process.stderr.write(`${m}\n`)));
  }
  await containersDo(rec, 'stop', provider);
  await provider.stop(rec.handle);
  removeClusterSshConfig(name);
  await patchCluster(name, (r) => {
    closeUpPeriod(r);
    r.status = 'STOPPED';
    r.lastError = undefined;
  });
}

export async function startCluster(
  name: string,
  options: { idleMinutesToAutostop?: number; down?: boolean } = {},
  onMessage?: (m: string) => void,
): Promise<ClusterRecord> {
  return withClusterLock(name, () => startLocked(name, options, onMessage), onMessage);
}

async function startLocked(name: string, options: { idleMinutesToAutostop?: number; down?: boolean }, onMessage?: (m: string) => void): Promise<ClusterRecord> {
  let rec = await getCluster(name);
  if (rec.provisional)
    throw new ClusterStateError(
      `Cluster '${name}' was never fully launched.`,
      `Run \`skydeck down ${name}\` to remove what was created, then launch it again.`,
    );
  const provider = await getProvider(rec.handle.provider);
  if (options.idleMinutesToAutostop !== undefined) {
    rec = (await patchCluster(name, (r) => void (r.autostop = { idleMinutes: options.idleMinutesToAutostop!, down: !!options.down })))!;
  }
  if (rec.status === 'UP') return rec;
  const handle = await provider.start(rec.handle);
  rec = (await patchCluster(name, (r) => {
    r.handle = handle;
    r.status = 'INIT';
  }))!;
  rec = await bringUp(rec, onMessage);
  // The bucket mounts the stop took down come back, as SkyPilot re-mounts storage on start.
  if (hasMounts(name)) await withAccess(rec, (a) => remountStorage(rec, a, onMessage ?? (() => undefined)));
  return rec;
}

/**
 * Tears the cluster down and forgets it. When the infra cannot confirm everything was
 * removed (a pool host unreachable, a cloud call failing) the record is kept and the error
 * says so: jobs may still run there. `purge` forgets the cluster anyway (SkyPilot's --purge),
 * releasing SkyDeck's own reservations (pool hosts, loopback addresses).
 */
export async function downCluster(name: string, options: { purge?: boolean; onMessage?: (m: string) => void } = {}): Promise<void> {
  await withClusterLock(name, () => downLocked(name, options), options.onMessage ?? ((m) => process.stderr.write(`${m}\n`)));
}

async function downLocked(name: string, options: { purge?: boolean; onMessage?: (m: string) => void }): Promise<void> {
  const rec = await getCluster(name);
  const provider = await getProvider(rec.handle.provider);
  const usesStorage = hasMounts(name);
  if (usesStorage && rec.status === 'UP') await storageBeforeDown(rec, options);
  // Jobs are cancelled first where terminating the infra would not end them (SSH pools keep running).
  if (rec.status === 'UP' && rec.handle.provider !== 'local') await withAccess(rec, (a) => a.agent.cancel('all')).catch(() => undefined);
  try {
    const left = await containersDo(rec, 'remove', provider);
    if (left.length) (options.onMessage ?? ((m) => process.stderr.write(`${m}\n`)))(`Warning: ${left.join('; ')}`);
    await provider.terminate(rec.handle);
  } catch (e) {
    if (!options.purge) {
      await patchCluster(name, (r) => void (r.lastError = `Teardown failed: ${errorMessage(e)}`));
      throw new ClusterStateError(
        `Could not tear down cluster '${name}': ${e instanceof Error ? e.message : String(e)}`,
        `The cluster is kept (its jobs may still be running). Retry \`skydeck down ${name}\` when the infra is reachable, or \`skydeck down --purge ${name}\` to forget it anyway.`,
      );
    }
    (options.onMessage ?? ((m) => process.stderr.write(`${m}\n`)))(
      `Warning: purging '${name}' although teardown failed (${errorMessage(e)}); remove what is left on ${rec.handle.provider} ${rec.handle.region} by hand.`,
    );
    await forgetReservations(rec.handle);
  }
  removeClusterSshConfig(name);
  await removeCluster(name);
  if (usesStorage) await releaseStorage(name, options.onMessage ?? ((m) => process.stderr.write(`${m}\n`)));
}

/** MOUNT_CACHED writes reach the bucket and FUSE mounts go before the nodes do (engine/storage); --purge only warns. */
async function storageBeforeDown(rec: ClusterRecord, options: { purge?: boolean; onMessage?: (m: string) => void }): Promise<void> {
  const say = options.onMessage ?? ((m) => process.stderr.write(`${m}\n`));
  try {
    await withAccess(rec, (a) => flushAndUnmount(rec.name, a, say));
  } catch (e) {
    if (!options.purge) throw e;
    say(`Warning: purging '${rec.name}' although its storage could not be flushed: ${errorMessage(e)}`);
  }
}

export async function setAutostop(name: string, idleMinutes: number, down: boolean, waitFor?: AutostopSetting['waitFor']): Promise<void> {
  const rec = await getCluster(name);
  if (rec.status !== 'UP') throw new ClusterStateError(`Cluster '${name}' is ${rec.status}; autostop can only be set on an UP cluster.`);
  const setting: AutostopSetting | undefined =
    idleMinutes < 0 ? undefined : { idleMinutes, down, ...(waitFor && waitFor !== 'jobs_and_ssh' ? { waitFor } : {}) };
  await withAccess(rec, (a) => applyAutostop(rec, a, setting));
  await patchCluster(name, (r) => void (r.autostop = setting));
}

/** `skydeck debug preempt`: the cluster's nodes vanish as a cloud's spot VMs would (local only). */
export async function preemptCluster(name: string): Promise<void> {
  const rec = await getCluster(name);
  const provider = await getProvider(rec.handle.provider);
  if (!provider.preempt) throw new ClusterStateError(`Preemption can only be simulated on local clusters; '${name}' is on ${rec.handle.provider}.`);
  await containersDo(rec, 'kill', provider);
  await provider.preempt(rec.handle);
}
