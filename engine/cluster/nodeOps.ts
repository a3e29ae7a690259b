/**
 * What the launch pipeline does on nodes: sync the workdir and local file mounts to every
 * node in parallel, and submit the task as one job to the head's agent. The agent runs
 * setup (SETTING_UP; a failure is FAILED_SETUP) and then run on every rank in parallel,
 * starting each rank through the provider's launcher, with SkyPilot's env vars.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { NodeInfo } from '../infra/provider';
import type { AcceleratorRequest, Task } from '../task/types';
import { CancelledError } from '../errors';
import { AGENT_KEY_PATH, HEAD_LAUNCHER, JobDoesNotFitError, sshLauncher, type JobNode, type JobSpec } from '../node/agentClient';
import type { ClusterAccess } from './access';
import { containerRankLauncher } from './containers';
import { clusterInfoObject, gpusPerNode, userEnvs } from './envVars';
import { formatJobResources } from './format';
import { currentUser } from './naming';
import { syncFilter } from './syncFilter';
import { isBucketMount } from '../storage/spec';
import type { ClusterRecord } from './types';

export const REMOTE_WORKDIR = '~/sky_workdir';

function checkAbort(signal?: AbortSignal): void {
  if (signal?.aborted) throw new CancelledError('Launch');
}

export async function syncWorkdir(access: ClusterAccess, workdir: string, signal?: AbortSignal): Promise<void> {
  checkAbort(signal);
  if (!fs.existsSync(workdir) || !fs.statSync(workdir).isDirectory()) throw new Error(`workdir ${workdir} is not a directory.`);
  const filter = syncFilter(workdir);
  await Promise.all(access.transports.map((t) => t.putDir(workdir, REMOTE_WORKDIR, filter)));
}

/** Local-path file mounts (dir or file) to every node; bucket URIs and storage objects are the storage layer's (engine/storage). */
export async function syncFileMounts(access: ClusterAccess, task: Task, _onMessage: (m: string) => void, signal?: AbortSignal): Promise<void> {
  for (const [target, source] of Object.entries(task.fileMounts)) {
    checkAbort(signal);
    if (typeof source !== 'string' || isBucketMount(source)) continue;
    const local = source.startsWith('~/') ? path.join(os.homedir(), source.slice(2)) : path.resolve(task.workdir ?? process.cwd(), source);
    const st = fs.statSync(local, { throwIfNoEntry: false });
    if (!st) throw new Error(`file_mounts: source ${source} (${local}) does not exist.`);
    if (st.isDirectory()) {
      const filter = syncFilter(local);
      await Promise.all(access.transports.map((t) => t.putDir(local, target, filter)));
    } else {
      const content = fs.readFileSync(local);
      await Promise.all(access.transports.map((t) => t.putFile(target, content, st.mode & 0o777)));
    }
  }
}

/** How the head reaches `node` itself (not its container): the provider's launcher, else itself or ssh to the node. */
export function hostLauncherFor(access: ClusterAccess, rec: ClusterRecord, node: NodeInfo): string[] {
  if (access.provider.rankLauncher) return access.provider.rankLauncher(rec.handle, node);
  if (node.rank === 0) return [...HEAD_LAUNCHER];
  const ssh = node.ssh;
  return sshLauncher({ host: node.internalIp, port: ssh?.port ?? 22, user: ssh?.user ?? currentUser(), keyPath: AGENT_KEY_PATH });
}

/** How the head starts a rank on `node`: into the node's container when the task has one (containerRankLauncher), else on the node. */
export function launcherFor(access: ClusterAccess, rec: ClusterRecord, node: NodeInfo): string[] {
  const onHost = hostLauncherFor(access, rec, node);
  return containerRankLauncher(rec, node, onHost) ?? onHost;
}

export interface SubmitOptions {
  withSetup: boolean;
  internalEnvs?: Record<string, string>;
}

/** What each node offers the agent's scheduler: the cluster's accelerators and CPUs per node. */
export function nodeCapacity(rec: ClusterRecord): { gpusPerNode: number; cpusPerNode?: number } {
  return { gpusPerNode: gpusPerNode(rec), cpusPerNode: rec.resources.cpus };
}

/** SkyPilot's per-job CPU demand on each node: many CPU-only jobs share a node. */
export const JOB_CPUS_PER_NODE = 0.5;

/**
 * The accelerators the job itself asks for per node (its scheduling demand): the task's own,
 * the one the cluster has when the task accepts several; none when the task asks for none,
 * whatever the cluster has.
 */
export function jobAccelerators(rec: ClusterRecord, task: Task): AcceleratorRequest | undefined {
  const asked = [...(task.resources.base.accelerators ?? []), ...task.resources.candidates.flatMap((c) => c.accelerators ?? [])];
  if (asked.length === 0) return undefined;
  const have = rec.resources.accelerators?.name.toLowerCase();
  return asked.find((a) => a.name.toLowerCase() === have) ?? asked[0];
}

/**
 * Submits the task as a job on the first `task.numNodes` nodes; returns the job id. The job
 * demands its own accelerators (not the cluster's), so jobs share a cluster's GPUs; the agent
 * refuses one that needs more than a node has (JobDoesNotFitError).
 */
export async function submitJob(
  access: ClusterAccess,
  rec: ClusterRecord,
  task: Task,
  envOverrides: Record<string, string>,
  options: SubmitOptions,
): Promise<number> {
  const nodes: NodeInfo[] = access.nodes.slice(0, task.numNodes);
  const jobNodes: JobNode[] = nodes.map((node) => ({ ip: node.internalIp, launcher: launcherFor(access, rec, node) }));
  const { SKYPILOT_TASK_ID: fixedTaskId, ...internal } = options.internalEnvs ?? {};
  const acc = jobAccelerators(rec, task);
  const gpus = acc ? Math.ceil(acc.count) : 0;
  const spec: JobSpec = {
    name: task.name,
    user: currentUser(),
    resources: formatJobResources(task.numNodes, acc, JOB_CPUS_PER_NODE),
    clusterName: rec.name,
    taskId: fixedTaskId,
    clusterInfo: clusterInfoObject(rec),
    run: task.run ?? '',
    setup: options.withSetup ? task.setup : undefined,
    workdir: task.workdir ? 'sky_workdir' : undefined,
    envs: { ...userEnvs(task, envOverrides), ...internal },
    nodes: jobNodes,
    numGpusPerNode: gpus,
    gpusPerNode: gpus,
    cpusPerNode: JOB_CPUS_PER_NODE,
  };
  try {
    return await access.agent.submit(spec);
  } catch (e) {
    // A node brought up before its capacity was configured (an older SkyDeck) knows no GPUs:
    // tell it what the cluster has and try once more; a job that still does not fit is refused.
    const capacity = nodeCapacity(rec);
    if (!(e instanceof JobDoesNotFitError) || gpus > capacity.gpusPerNode) throw e;
    await access.agent.configure(capacity);
    return access.agent.submit(spec);
  }
}
