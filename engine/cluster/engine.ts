/**
 * The cluster engine (types.ts): launch = optimize -> provision with failover -> sync
 * workdir -> sync file mounts -> setup -> run; exec = sync workdir -> run; and the other
 * verbs. Progress events name SkyPilot's stages; everything takes an AbortSignal.
 */
import type { Task, TaskFile } from '../task/types';
import { CancelledError, errorMessage, InputError } from '../errors';
import type { LaunchRequest } from '../infra/provider';
import { getProvider } from '../infra/registry';
import { withClusterLock } from './clusterLock';
import { withAccess, type ClusterAccess } from './access';
import { clientKey } from './keys';
import { enabledInfra } from '../infra/check';
import { validateClusterName, generateClusterName, nameOnCloud } from './naming';
import { provisionWithFailover } from './provision';
import { endProvisionLog, withProvisionLog } from './provisionLog';
import { findCluster, getCluster, putCluster, patchCluster } from './records';
import { bringUp, downCluster, refreshCluster, setAutostop, startCluster, statusClusters, stopCluster } from './lifecycle';
import { submitJob, syncFileMounts, syncWorkdir } from './nodeOps';
import { applyAutostop, launchAutostop, type AutostopSetting } from './autostop';
import { ClusterStateError, ResourcesMismatchError, SetupFailedError } from './errors';
import type { ClusterEngine, ClusterJob, ClusterJobStatus, ClusterRecord, LaunchOptions, LaunchResult, LaunchStage } from './types';
import { TERMINAL_JOB_STATUSES } from './types';
import type { Candidate } from '../optimizer/types';
import type { AgentClient } from '../node/agentClient';
import { plannedInfraOf } from '../task/unsupported';
import { attachStorage, checkStorage, materializeStorage, type CheckedMount } from '../storage';
import { checkedGitWorkdir, cloneGitWorkdir, type CheckedGitWorkdir } from './gitWorkdir';
import { mountVolumes, prepareVolumes, type PreparedVolumes } from '../volumes/launch';

/** What a launch or exec checked before provisioning and needs again on the nodes. */
interface Prepared {
  git?: CheckedGitWorkdir;
  volumes?: PreparedVolumes;
  /** Bucket mounts (launch only: exec does not mount). */
  storage?: CheckedMount[];
  /** A new cluster's autostop, set on its head just before the job is submitted (bringUp's deferAutostop). */
  autostop?: AutostopSetting;
}
import { containerFor, registryLogin } from './containers';

function singleTask(t: Task | TaskFile): Task {
  if ('tasks' in t) {
    if (t.tasks.length !== 1)
      throw new InputError(`This file is a pipeline of ${t.tasks.length} tasks; launch runs one task.`, { hint: 'Use `skydeck jobs launch` for pipelines.' });
    return t.tasks[0];
  }
  return t;
}

function progress(options: LaunchOptions, stage: LaunchStage, message: string): void {
  options.onProgress?.({ stage, message });
}

function checkAbort(signal?: AbortSignal): void {
  if (signal?.aborted) throw new CancelledError('Launch');
}

/** SkyPilot's check_resources_fit_cluster, for the fields this engine knows. */
export function checkFit(rec: ClusterRecord, task: Task): void {
  const want = task.resources.base;
  const problems: string[] = [];
  if (task.numNodes > rec.numNodes) problems.push(`${task.numNodes} nodes requested, the cluster has ${rec.numNodes}`);
  const infra = want.infra;
  if (infra?.cloud && infra.cloud !== rec.resources.cloud) problems.push(`infra ${infra.cloud} requested, the cluster is on ${rec.resources.cloud}`);
  else if (infra?.region && infra.region !== rec.resources.region) problems.push(`region ${infra.region} requested, the cluster is in ${rec.resources.region}`);
  const acc = want.accelerators?.[0];
  if (acc) {
    const have = rec.resources.accelerators;
    if (!have || have.name.toLowerCase() !== acc.name.toLowerCase() || have.count < acc.count) {
      problems.push(`${acc.name}:${acc.count} requested, the cluster has ${have ? `${have.name}:${have.count}` : 'no accelerators'}`);
    }
  }
  if (want.useSpot !== undefined && want.useSpot !== rec.resources.useSpot)
    problems.push(`use_spot=${want.useSpot} requested, the cluster has use_spot=${rec.resources.useSpot}`);
  if (problems.length) {
    throw new ResourcesMismatchError(
      `The task does not fit the existing cluster '${rec.name}': ${problems.join('; ')}.`,
      'Launch it on a new cluster (another -c name), or down this one first.',
    );
  }
}

function newRecord(name: string, task: Task, handle: ClusterRecord['handle'], c: Candidate, options: LaunchOptions): ClusterRecord {
  const acc = c.accelerators ? Object.entries(c.accelerators)[0] : undefined;
  const base = task.resources.base;
  return {
    name,
    status: 'INIT',
    handle,
    resources: {
      cloud: c.cloud,
      region: c.region,
      zone: c.zone,
      instanceType: c.instanceType,
      accelerators: acc ? { name: acc[0], count: acc[1] } : undefined,
      cpus: c.cpus,
      memoryGb: c.memoryGb,
      useSpot: c.spot,
      diskSizeGb: base.diskSizeGb ?? 256,
      ports: base.ports ?? [],
      pricePerHour: c.pricePerHour,
    },
    numNodes: c.nodes,
    nodes: [],
    launchedAt: Date.now(),
    accumulatedUpSeconds: 0,
    autostop: launchAutostop(task, options),
    owner: options.owner,
    container: containerFor(task, c.cloud),
  };
}

/** The record a launch writes before the provider creates anything (provisional handle). */
function initRecord(name: string, task: Task, request: LaunchRequest, c: Candidate, options: LaunchOptions): ClusterRecord {
  const handle = { clusterName: name, nameOnCloud: request.nameOnCloud, provider: c.cloud, region: c.region, zone: c.zone, data: {} };
  return { ...newRecord(name, task, handle, c, options), provisional: true };
}

/** Provisions a new cluster or resumes an existing one; returns it UP. Holds the cluster's lock throughout. */
async function provisionCluster(name: string, task: Task, options: LaunchOptions, prepared: Prepared): Promise<ClusterRecord> {
  const onMessage = (stage: LaunchStage) => (m: string) => progress(options, stage, m);
  return withClusterLock(
    name,
    async () => {
      const existing = await findCluster(name);
      if (existing?.provisional) {
        // Only a dead launch leaves a provisional record behind the lock: reclaim what it made, then start over.
        progress(options, 'PROVISION', `An earlier launch of '${name}' did not finish; removing what it created.`);
        await downCluster(name);
      } else if (existing) {
        checkFit(existing, task);
        if (existing.status === 'UP') {
          progress(options, 'PROVISION', `Reusing UP cluster '${name}'.`);
          return existing;
        }
        if (existing.status === 'STOPPED') {
          progress(options, 'PROVISION', `Starting stopped cluster '${name}'.`);
          return startCluster(name, {}, onMessage('PROVISION'));
        }
        // INIT: half-provisioned or partly unreachable; re-check, else start it again on the same infra.
        progress(options, 'PROVISION', `Cluster '${name}' is INIT; checking it.`);
        const fresh = await refreshCluster(existing);
        if (fresh?.status === 'UP') return fresh;
        if (fresh) return startCluster(name, {}, onMessage('PROVISION'));
      }
      return provisionNew(name, task, options, prepared);
    },
    onMessage('PROVISION'),
  );
}

/**
 * Every resource is recorded before it is created: the INIT record (provisional handle) is
 * written before each provider.launch(), so a launch killed at any point leaves a record
 * that `status -r` and `down` reconcile with the infra. A cancelled launch (Ctrl-C, SIGTERM,
 * SIGHUP) tears down what it created before it returns.
 */
async function provisionNew(name: string, task: Task, options: LaunchOptions, prepared: Prepared): Promise<ClusterRecord> {
  const onMessage = (stage: LaunchStage) => (m: string) => progress(options, stage, m);
  progress(options, 'OPTIMIZE', 'Choosing where to run.');
  const enabled = await enabledInfra();
  const key = clientKey();
  let outcome: Awaited<ReturnType<typeof provisionWithFailover>>;
  try {
    outcome = await provisionWithFailover(task, {
      clusterName: name,
      nameOnCloud: nameOnCloud(name),
      enabledInfra: enabled,
      blocked: options.blocked,
      retryUntilUp: options.retryUntilUp,
      sshPublicKey: key.publicKey,
      autostop: launchAutostop(task, options),
      signal: options.signal,
      onProgress: onMessage('PROVISION'),
      volumes: prepared.volumes?.attachments,
      beforeLaunch: (request, c) => putCluster(initRecord(name, task, request, c, options)),
      afterFailedLaunch: async () => {
        const rec = await findCluster(name);
        if (rec?.provisional) await reclaimQuietly(rec, onMessage('PROVISION'));
      },
    });
  } catch (e) {
    // Nothing usable was made: whatever the last attempt left is removed with its record.
    if ((await findCluster(name))?.provisional)
      await downCluster(name).catch((err: unknown) => onMessage('PROVISION')(`Cleanup after the failed launch: ${errorMessage(err)}`));
    throw e;
  }
  const { handle, candidate } = outcome;
  const rec = newRecord(name, task, handle, candidate, options);
  await putCluster(rec);
  try {
    checkAbort(options.signal);
    const up = await bringUp(rec, onMessage('PROVISION'), registryLogin(task, options.envs), { deferAutostop: true });
    prepared.autostop = up.autostop && up.autostop.idleMinutes >= 0 ? up.autostop : undefined;
    checkAbort(options.signal);
    return up;
  } catch (e) {
    if (options.signal?.aborted) {
      onMessage('PROVISION')(`Launch cancelled: tearing down '${name}'.`);
      await downCluster(name);
      throw new CancelledError('Launch');
    }
    await patchCluster(name, (r) => void (r.lastError = e instanceof Error ? e.message : String(e)));
    throw e;
  }
}

/** provisionCluster, with what it prints kept in the cluster's provision log (`logs --provision`). */
async function provisionLogged(name: string, task: Task, options: LaunchOptions, prepared: Prepared): Promise<ClusterRecord> {
  try {
    const rec = await provisionCluster(name, task, withProvisionLog(name, options), prepared);
    endProvisionLog(name, `Cluster '${name}' is ${rec.status}.`);
    return rec;
  } catch (e) {
    endProvisionLog(name, `Provisioning failed: ${errorMessage(e)}`);
    throw e;
  }
}

/** After a failed candidate: remove what it may have left (the provider usually cleaned up already). */
async function reclaimQuietly(rec: ClusterRecord, onMessage: (m: string) => void): Promise<void> {
  try {
    const provider = await getProvider(rec.handle.provider);
    await provider.terminate(rec.handle);
  } catch (e) {
    onMessage(`Could not confirm ${rec.handle.provider} ${rec.handle.region} is clean after the failed attempt: ${errorMessage(e)}`);
  }
}

/** Follows a job's log; a cancelled signal detaches (returns undefined) instead of failing: the job keeps running. */
async function followJob(
  agent: AgentClient,
  jobId: number,
  options: { onData: (c: string) => void; signal?: AbortSignal; offset?: number },
): Promise<ClusterJobStatus | undefined> {
  try {
    return await agent.tail(jobId, { follow: true, onData: options.onData, signal: options.signal, ...(options.offset ? { offset: options.offset } : {}) });
  } catch (e) {
    if (options.signal?.aborted) return undefined;
    throw e;
  }
}

/** Keeps the last lines of a stream (for the FAILED_SETUP message). */
function lineTail(n: number): { push: (chunk: string) => void; text: () => string } {
  let buf = '';
  return {
    push: (chunk) => {
      buf = (buf + chunk)
        .split('\n')
        .slice(-(n + 1))
        .join('\n');
    },
    text: () => buf.trimEnd().split('\n').slice(-n).join('\n'),
  };
}

async function runOnCluster(rec: ClusterRecord, task: Task, options: LaunchOptions, withSetup: boolean, prepared: Prepared): Promise<LaunchResult> {
  const storage = prepared.storage ?? [];
  const envs = options.envs ?? {};
  return withAccess(rec, async (access) => {
    // A deferred autostop is set once the job is in, or, if the launch fails first, on the way out: never left unset.
    const setAutostopNow = async () => {
      const setting = prepared.autostop;
      prepared.autostop = undefined;
      if (setting) await applyAutostop(rec, access, setting);
    };
    try {
      return await syncAndSubmit(access, setAutostopNow);
    } finally {
      await setAutostopNow().catch((e: unknown) => progress(options, 'EXEC', `Warning: could not set autostop on '${rec.name}': ${errorMessage(e)}`));
    }
  });

  async function syncAndSubmit(access: ClusterAccess, setAutostopNow: () => Promise<void>): Promise<LaunchResult> {
    if (prepared.git) {
      const { workdir } = prepared.git;
      progress(
        options,
        'SYNC_WORKDIR',
        `Cloning ${workdir.displayUrl}${workdir.ref ? ` at ${workdir.ref}` : ''} to ~/sky_workdir on ${access.nodes.length} node(s).`,
      );
      const commit = await cloneGitWorkdir(access.transports, prepared.git, options.signal);
      progress(options, 'SYNC_WORKDIR', `Checked out ${commit}.`);
    } else if (task.workdir) {
      progress(options, 'SYNC_WORKDIR', `Syncing workdir ${task.workdir} to ~/sky_workdir on ${access.nodes.length} node(s).`);
      await syncWorkdir(access, task.workdir, options.signal);
    }
    if (prepared.volumes) await mountVolumes(access, rec, prepared.volumes, (m) => progress(options, 'SYNC_FILE_MOUNTS', m));
    const setup = withSetup && !!task.setup && !options.noSetup;
    if (withSetup && Object.keys(task.fileMounts).length) {
      progress(options, 'SYNC_FILE_MOUNTS', `Syncing ${Object.keys(task.fileMounts).length} file mount(s).`);
      await syncFileMounts(access, task, (m) => progress(options, 'SYNC_FILE_MOUNTS', m), options.signal);
    }
    if (withSetup && storage.length) {
      // Buckets (engine/storage): created and uploaded now that the cluster exists, then mounted on every node.
      const onStorage = (m: string) => progress(options, 'SYNC_FILE_MOUNTS', m);
      await materializeStorage(storage, onStorage);
      await attachStorage({ cluster: rec.name, cloud: rec.resources.cloud, nodes: access.nodes, transports: access.transports }, storage, onStorage);
    }
    checkAbort(options.signal);
    if (!task.run && !setup) {
      await setAutostopNow();
      progress(options, 'EXEC', 'No setup or run command: nothing to submit.');
      return { cluster: rec };
    }
    const jobId = await submitJob(access, rec, task, envs, { withSetup: setup, internalEnvs: options.internalEnvs });
    // After the submission, so the idle timer starts with the job running (however slow this machine is).
    await setAutostopNow();
    if (setup) progress(options, 'SETUP', `Job ${jobId}: running setup on ${task.numNodes} node(s), then the run.`);
    progress(options, 'EXEC', `Job submitted, ID: ${jobId}.`);
    if (options.detachRun) return { cluster: rec, jobId };
    const tail = lineTail(10);
    const jobStatus = await followJob(access.agent, jobId, {
      onData: (c) => {
        tail.push(c);
        options.onOutput?.(c);
      },
      signal: options.signal,
    });
    if (jobStatus === undefined) return { cluster: rec, jobId }; // detached by the caller (Ctrl-C): the job keeps running
    if (jobStatus === 'FAILED_SETUP') {
      const job = await access.agent.status(jobId).catch(() => undefined);
      throw new SetupFailedError(rec.name, jobId, job?.exitCode, tail.text());
    }
    return { cluster: rec, jobId, jobStatus };
  }
}

/** Checks made before anything is provisioned: the git workdir answers, the volumes exist and fit the infra. */
async function prepare(task: Task, options: LaunchOptions, clusterName: string): Promise<{ task: Task; prepared: Prepared }> {
  const git = await checkedGitWorkdir(task, (m) => progress(options, 'OPTIMIZE', m));
  const volumes = await prepareVolumes(task, clusterName);
  return { task: volumes?.task ?? task, prepared: { git, volumes } };
}

async function launch(taskOrFile: Task | TaskFile, options: LaunchOptions = {}): Promise<LaunchResult> {
  const name = options.clusterName ?? generateClusterName();
  validateClusterName(name);
  if (singleTask(taskOrFile).numNodes < 1) throw new InputError('num_nodes must be at least 1.');
  const { task, prepared } = await prepare(singleTask(taskOrFile), options, name);
  // Bad bucket mounts are refused before anything is provisioned or created (engine/storage).
  prepared.storage = await checkStorage(task, plannedInfraOf(task));
  let rec = await provisionLogged(name, task, options, prepared);
  if (options.idleMinutesToAutostop !== undefined && rec.autostop?.idleMinutes !== Math.max(options.idleMinutesToAutostop, 1)) {
    await setAutostop(name, Math.max(options.idleMinutesToAutostop, 1), !!options.down, options.waitFor);
    rec = await getCluster(name);
  }
  const result = await runOnCluster(rec, task, options, true, prepared);
  // `--down` without `-i`: tear down once the job is done (not on provisioning/setup errors).
  if (options.down && options.idleMinutesToAutostop === undefined) {
    if (options.detachRun) await setAutostop(name, 0, true);
    else {
      progress(options, 'DOWN', `Tearing down '${name}' (--down).`);
      await downCluster(name);
    }
  }
  return result;
}

async function exec(clusterName: string, task: Task, options: LaunchOptions = {}): Promise<LaunchResult> {
  const rec = await getCluster(clusterName);
  if (rec.status !== 'UP')
    throw new ClusterStateError(`Cluster '${clusterName}' is ${rec.status}; exec needs an UP cluster.`, `Run \`skydeck start ${clusterName}\` first.`);
  checkFit(rec, task);
  const { task: checked, prepared } = await prepare(task, options, clusterName);
  return runOnCluster(rec, checked, options, false, prepared);
}

async function upCluster(name: string): Promise<ClusterRecord> {
  const rec = await getCluster(name);
  if (rec.status !== 'UP')
    throw new ClusterStateError(
      `Cluster '${name}' is ${rec.status}.`,
      rec.status === 'STOPPED' ? `Run \`skydeck start ${name}\` first.` : `Run \`skydeck status -r ${name}\` to check it.`,
    );
  return rec;
}

async function queue(clusterName: string, options: { skipFinished?: boolean; record?: ClusterRecord } = {}): Promise<ClusterJob[]> {
  const rec = options.record ?? (await upCluster(clusterName));
  const jobs = await withAccess(rec, (a) => a.agent.queue());
  const list = options.skipFinished ? jobs.filter((j) => !TERMINAL_JOB_STATUSES.includes(j.status)) : jobs;
  return list.sort((a, b) => b.id - a.id);
}

async function tailLogs(
  clusterName: string,
  jobId: number | undefined,
  options: { follow: boolean; onData: (chunk: string) => void; signal?: AbortSignal; offset?: number; record?: ClusterRecord },
): Promise<ClusterJobStatus | undefined> {
  const rec = options.record ?? (await upCluster(clusterName));
  return withAccess(rec, async (a) => {
    const id = jobId ?? (await a.agent.queue()).reduce<number | undefined>((m, j) => (m === undefined || j.id > m ? j.id : m), undefined);
    if (id === undefined) return undefined;
    if (!options.follow) return a.agent.tail(id, options);
    const status = await followJob(a.agent, id, options);
    // Stopped by its caller (who no longer wants it): no further agent call for a status.
    if (status === undefined && options.signal?.aborted) return undefined;
    return status ?? (await a.agent.status(id))?.status;
  });
}

async function cancel(clusterName: string, jobIds: number[] | 'all'): Promise<number[]> {
  const rec = await upCluster(clusterName);
  return withAccess(rec, (a) => a.agent.cancel(jobIds));
}

export const engine: ClusterEngine = {
  launch,
  exec,
  status: statusClusters,
  queue,
  tailLogs,
  cancel,
  stop: stopCluster,
  start: (name, options) => startCluster(name, options),
  down: downCluster,
  autostop: setAutostop,
};
