/**
 * `image_id: docker:<image>` on infra whose nodes are machines (local, SSH node pools, the VM
 * clouds): each node runs the task's container (engine/node/container), and the cluster's
 * transports are wrapped so the agent, setup, run, exec, logs, queue and cancel all happen
 * inside it (for a multi-node cluster on machines, the head's agent stays on its host and
 * each rank enters its container: agentOnHost). Kubernetes runs the image as the pod itself
 * and needs none of this.
 * The lifecycle hooks here are called by ./lifecycle.ts: bring-up starts (or restarts) the
 * containers, stop stops them, down removes them, preempt kills them.
 */
import * as crypto from 'node:crypto';
import { SkyDeckError } from '../errors';
import { configValue } from '../config/cloudLabels';
import type { NodeInfo, Provider } from '../infra/provider';
import { getProvider } from '../infra/registry';
import {
  CONTAINER_EXIT,
  DOCKER_CLI_IN_CONTAINER,
  DOCKER_SOCKET_IN_CONTAINER,
  containerName,
  dockerImageName,
  ensureContainerScript,
  homeSharedWithNode,
  type ContainerSpec,
  type RegistryLogin,
} from '../node/container/dockerRun';
import { ContainerTransport } from '../node/container/transport';
import { parseEntry, type ContainerEntry } from '../node/container/enter';
import { throughHostLauncher } from '../node/container/launcher';
import type { Transport } from '../node/transport';
import type { ResourcesSpec, Task } from '../task/types';
import type { ClusterRecord } from './types';
import { patchCluster } from './records';
import { shellJoin, shellQuote } from '../node/quote';

/** The cluster record's container part: no credentials, ever. */
export interface ClusterContainer extends ContainerSpec {
  /** HOME inside each node's container (by rank), learnt at bring-up. */
  homes: string[];
  /** How each node's container is entered (by rank; null: by `docker exec`), learnt at bring-up. */
  entries?: (ContainerEntry | null)[];
  /** Random, chosen at launch: part of every container's name (containerName). */
  id?: string;
}

/** What bring-up learns about each node's container, by rank. */
export interface StartedContainers {
  homes: string[];
  entries: (ContainerEntry | null)[];
}

/** The name of node `rank`'s container. */
export function nodeContainerName(rec: ClusterRecord, rank: number): string {
  return containerName(rec.handle.nameOnCloud, rank, rec.container?.id);
}

/** Docker is missing or not running on a node: names what to install or start. */
class ContainerRuntimeError extends SkyDeckError {
  constructor(message: string, hint: string) {
    super('CONTAINER_RUNTIME', message, { hint });
    this.name = 'ContainerRuntimeError';
  }
}

function dockerImageOfSpec(spec: ResourcesSpec): string | undefined {
  const id = spec.imageId;
  if (typeof id === 'string') return dockerImageName(id);
  return id?.docker !== undefined ? dockerImageName(`docker:${id.docker}`) : undefined;
}

/** The task's container image (base or any candidate), without `docker:`. */
function taskDockerImage(task: Task): string | undefined {
  for (const s of [task.resources.base, ...task.resources.candidates]) {
    const image = dockerImageOfSpec(s);
    if (image) return image;
  }
  return undefined;
}

/** SkyPilot's `docker.run_options` (a string or a list of strings) from the config in force. */
function configuredRunOptions(): string[] {
  const v = configValue(['docker', 'run_options']);
  if (typeof v === 'string') return [v];
  if (Array.isArray(v)) return v.filter((x): x is string => typeof x === 'string');
  return [];
}

/** The container a new cluster on `cloud` runs its nodes in; undefined without a docker image or on Kubernetes. */
export function containerFor(task: Task, cloud: string): ClusterContainer | undefined {
  const image = taskDockerImage(task);
  if (!image || cloud === 'kubernetes') return undefined;
  return { image, runOptions: configuredRunOptions(), homes: [], entries: [], id: crypto.randomBytes(3).toString('hex') };
}

/**
 * SKYPILOT_DOCKER_USERNAME / PASSWORD / SERVER from the task's envs and secrets (with the
 * command line's overrides), as SkyPilot reads them; undefined when not all three are set.
 */
export function registryLogin(task: Task, overrides: Record<string, string> = {}): RegistryLogin | undefined {
  const pick = (k: string): string | undefined => overrides[k] ?? task.secrets[k] ?? task.envs[k] ?? undefined;
  const username = pick('SKYPILOT_DOCKER_USERNAME');
  const password = pick('SKYPILOT_DOCKER_PASSWORD');
  const server = pick('SKYPILOT_DOCKER_SERVER');
  return username && password && server ? { username, password, server } : undefined;
}

/** The docker client's env on nodes: SKYDECK_DOCKER_HOST names another daemon socket (tests). */
function dockerClientEnv(): Record<string, string> {
  const host = process.env.SKYDECK_DOCKER_HOST;
  return host ? { DOCKER_HOST: host } : {};
}

/** The record with what bring-up learnt of each container (after startContainers). */
export async function withContainers(rec: ClusterRecord, started: StartedContainers): Promise<ClusterRecord> {
  const updated = await patchCluster(rec.name, (r) => {
    if (r.container) Object.assign(r.container, started);
  });
  return updated ?? { ...rec, container: rec.container && { ...rec.container, ...started } };
}

/** For the ssh config: the command that lands `ssh <cluster>` in node `rank`'s container. */
export function containerAttach(rec: ClusterRecord): ((rank: number) => string | undefined) | undefined {
  const c = rec.container;
  if (!c) return undefined;
  const env = Object.entries(dockerClientEnv());
  const prefix = env.length ? `${env.map(([k, v]) => `${k}=${shellQuote(v)}`).join(' ')} ` : '';
  return (rank) => {
    const home = c.homes[rank];
    const argv = ['docker', 'exec', '-it', ...(home ? ['-w', home] : []), nodeContainerName(rec, rank), 'bash', '-l'];
    return prefix + shellJoin(argv);
  };
}

/**
 * Whether the cluster's nodes share one Docker daemon, so the head's container starts the
 * other ranks in theirs with `docker exec` (local: every node is this machine).
 */
function nodesShareDaemon(rec: ClusterRecord): boolean {
  return rec.handle.provider === 'local' && rec.numNodes > 1;
}

/**
 * Whether the head's agent runs on the head's host rather than in its container: a
 * multi-node cluster whose nodes are different machines (SSH pools, the VM clouds). The
 * agent needs an ssh client and the workers' key to start their ranks, which the host has
 * and an arbitrary image has not; every rank, the head's included, then enters its node's
 * container (../node/container/launcher.ts), so the job runs in the containers all the same.
 */
export function agentOnHost(rec: ClusterRecord): boolean {
  return rec.container !== undefined && rec.handle.provider !== 'local' && rec.numNodes > 1;
}

/**
 * How the head's agent starts a rank on `node`, given the node's own launcher (`onHost`):
 * - nodes sharing one daemon (local): a worker is `docker exec`ed into from the head's
 *   container, with the node's docker client and socket given to it at bring-up;
 * - the agent on the head's host (agentOnHost): `onHost`, then into the node's container.
 * Undefined: `onHost` applies (no container, or the head itself on local).
 */
export function containerRankLauncher(rec: ClusterRecord, node: NodeInfo, onHost: readonly string[]): string[] | undefined {
  const c = rec.container;
  if (!c) return undefined;
  const home = c.homes[node.rank];
  if (agentOnHost(rec)) {
    if (!home) return undefined; // not brought up yet: nothing can run there
    const target = { name: nodeContainerName(rec, node.rank), home, entry: c.entries?.[node.rank] ?? undefined, dockerEnv: dockerClientEnv() };
    return throughHostLauncher(onHost, target);
  }
  if (node.rank === 0 || !nodesShareDaemon(rec)) return undefined;
  return [
    DOCKER_CLI_IN_CONTAINER,
    '-H',
    `unix://${DOCKER_SOCKET_IN_CONTAINER}`,
    'exec',
    '-i',
    ...(home ? ['-w', home] : []),
    nodeContainerName(rec, node.rank),
    'bash',
    '-c',
  ];
}

/** Wraps each node's transport in its container's; the transports as given for a cluster without one. */
export function containerTransports(rec: ClusterRecord, nodes: NodeInfo[], transports: Transport[]): Transport[] {
  const c = rec.container;
  if (!c) return transports;
  return transports.map((t, i) => {
    const home = c.homes[nodes[i].rank];
    if (!home) return t; // not brought up yet: the bring-up starts it first
    const rank = nodes[i].rank;
    return new ContainerTransport(t, { name: nodeContainerName(rec, rank), home, dockerEnv: dockerClientEnv(), entry: c.entries?.[rank] ?? undefined });
  });
}

/** The transport the head's agent is reached through: the head's host for agentOnHost, else the head (in its container, if any). */
export function agentTransport(rec: ClusterRecord, head: Transport): Transport {
  return agentOnHost(rec) && head instanceof ContainerTransport ? head.base : head;
}

function runtimeProblem(exitCode: number, stderr: string, where: string, image: string, login: RegistryLogin | undefined): Error {
  const detail = stderr.trim().split('\n').slice(-3).join(' ');
  switch (exitCode) {
    case CONTAINER_EXIT.noDocker:
      return new ContainerRuntimeError(
        `image_id docker:${image} needs Docker on ${where}, and it has none.`,
        'Install Docker Engine there (Debian/Ubuntu: `sudo apt-get install docker.io`; others: https://docs.docker.com/engine/install/), or remove image_id: docker:... from the task.',
      );
    case CONTAINER_EXIT.noDaemon:
      return new ContainerRuntimeError(
        `Docker on ${where} does not answer${detail ? ` (${detail})` : ''}.`,
        'Start the Docker daemon there (`sudo systemctl start docker`) and check that this user may use it (the docker group).',
      );
    case CONTAINER_EXIT.login:
      return new ContainerRuntimeError(
        `docker login to ${login?.server ?? 'the registry'} as ${login?.username ?? '?'} failed on ${where}: ${detail}`,
        'Check SKYPILOT_DOCKER_USERNAME, SKYPILOT_DOCKER_PASSWORD and SKYPILOT_DOCKER_SERVER.',
      );
    case CONTAINER_EXIT.pull:
      return new ContainerRuntimeError(
        `Could not pull docker:${image} on ${where}: ${detail}`,
        login
          ? 'Check the image name and that the registry account can read it.'
          : 'Check the image name; a private registry needs SKYPILOT_DOCKER_USERNAME, SKYPILOT_DOCKER_PASSWORD and SKYPILOT_DOCKER_SERVER (envs or secrets).',
      );
    default:
      return new ContainerRuntimeError(
        `Could not start the container of docker:${image} on ${where} (exit ${exitCode}): ${detail}`,
        'Check the image and docker.run_options.',
      );
  }
}

/**
 * Makes every node's container run (created, or restarted after stop), logging in to the
 * registry first when credentials are given (the password travels on stdin only). Returns
 * the HOME inside each container and how to enter it, by rank.
 */
export async function startContainers(rec: ClusterRecord, nodes: NodeInfo[], login?: RegistryLogin): Promise<StartedContainers> {
  const c = rec.container;
  const homes: string[] = [];
  const entries: (ContainerEntry | null)[] = [];
  if (!c) return { homes, entries };
  const provider = await getProvider(rec.handle.provider);
  await Promise.all(
    nodes.map(async (node) => {
      const base = provider.transport(rec.handle, node);
      try {
        const name = nodeContainerName(rec, node.rank);
        const options = { ...(provider.containerOptions?.(rec.handle, node) ?? {}), dockerClient: nodesShareDaemon(rec) };
        // A cluster never brought up has no container yet: its script skips the checks for one.
        const script = ensureContainerScript(c, name, options, login, c.homes.length === 0);
        const r = await base.exec(['bash', '-c', script], { stdin: login ? `${login.password}\n` : '', env: dockerClientEnv() });
        if (r.exitCode !== 0) throw runtimeProblem(r.exitCode, r.stderr, base.description, c.image, login);
        const [entry, home] = r.stdout.trim().split('\n').slice(-2);
        if (!home?.startsWith('/')) throw new ContainerRuntimeError(`The container ${name} on ${base.description} reports no HOME.`, 'Check the image.');
        homes[node.rank] = home;
        entries[node.rank] = parseEntry(entry) ?? null;
      } finally {
        await base.close().catch(() => undefined);
      }
    }),
  );
  return { homes, entries };
}

/**
 * The nodes' own transports when the cluster was never brought up and every node's container
 * will mount the node's HOME as its own (local nodes): the agent's directory is then the same
 * on the node and in the container, so the agent can be installed and configured from the node
 * while `docker run` starts the container, rather than through the container after it.
 * Undefined otherwise (the container's HOME is the image's: only reachable inside).
 */
export async function agentDirsOnNodes(rec: ClusterRecord, nodes: NodeInfo[]): Promise<Transport[] | undefined> {
  const c = rec.container;
  if (!c || c.homes.length > 0) return undefined;
  const provider = await getProvider(rec.handle.provider);
  const options = nodes.map((node) => provider.containerOptions?.(rec.handle, node));
  if (!options.every((o) => o && homeSharedWithNode(o))) return undefined;
  return [...nodes].sort((a, b) => a.rank - b.rank).map((node) => provider.transport(rec.handle, node));
}

type ContainerVerb = 'stop' | 'remove' | 'kill';

const VERB_ARGV: Record<ContainerVerb, (name: string) => string> = {
  stop: (n) => `docker stop -t 5 ${n}`,
  remove: (n) => `docker rm -f ${n}`,
  kill: (n) => `docker rm -f ${n}`,
};

/**
 * Stops, removes or kills the cluster's containers, best effort (a node that is gone has
 * none left; a container already gone is fine). Reported problems are returned, not thrown.
 */
export async function containersDo(rec: ClusterRecord, verb: ContainerVerb, provider?: Provider): Promise<string[]> {
  if (!rec.container) return [];
  const p = provider ?? (await getProvider(rec.handle.provider));
  const nodes = nodesOf(rec);
  const problems: string[] = [];
  await Promise.all(
    nodes.map(async (node) => {
      let base: Transport | undefined;
      try {
        base = p.transport(rec.handle, node);
        const name = nodeContainerName(rec, node.rank);
        const script = `command -v docker >/dev/null 2>&1 || exit 0; ${VERB_ARGV[verb](name)} >/dev/null 2>&1 || ! docker inspect ${name} >/dev/null 2>&1`;
        const r = await base.exec(['bash', '-c', script], { env: dockerClientEnv(), timeoutMs: 60_000 });
        if (r.exitCode !== 0) problems.push(`could not ${verb} container ${name} on ${base.description}`);
      } catch (e) {
        problems.push(e instanceof Error ? e.message : String(e));
      } finally {
        await base?.close().catch(() => undefined);
      }
    }),
  );
  return problems;
}

/** Every node the record knows (ranks 0..n-1), also before the first bring-up recorded them. */
function nodesOf(rec: ClusterRecord): NodeInfo[] {
  if (rec.nodes.length) return rec.nodes;
  return Array.from({ length: rec.numNodes }, (_, rank) => ({ id: String(rank), rank, state: 'running' as const, internalIp: '' }));
}
