/**
 * The `local` provider: the embedded default, no account needed. Each node is a directory
 * SKYDECK_HOME/local/<cluster>/node-<i> (the node's home: ~/sky_workdir lives there) plus
 * the processes started on it, all marked with SKYDECK_LOCAL_NODE=<dir> (./processes).
 * Each node has its own loopback address 127.0.0.N (./ips).
 *
 * Lifecycle like a cloud's: stop kills the node's processes and keeps its directory;
 * start brings it back; terminate removes everything. preempt() makes the nodes vanish
 * without warning (kill -9, directories removed), as a spot VM would; with
 * SKYDECK_LOCAL_PREEMPT_RATE=p each query() preempts a running cluster with probability p
 * (rehearsal for managed-job recovery; SKYDECK_LOCAL_PREEMPT_SEED makes it reproducible,
 * ./randomPreemption).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ClusterHandle, CredentialCheck, LaunchRequest, NodeInfo, NodeState, Provider } from '../provider';
import { ProvisionError } from '../provider';
import type { Transport } from '../../node/transport';
import { skydeckHome } from '../../util/paths';
import { allocateIps, localAllocation, releaseIps } from './ips';
import { killNodeProcesses, NODE_ENV_MARKER } from './processes';
import { LocalTransport } from '../../node/local';
import { localLauncher } from '../../node/agent/spec';
import { removeTree } from '../../util/removeTree';
import { drawPreemption } from './randomPreemption';

interface LocalNodeData {
  dir: string;
  ip: string;
}

interface LocalHandleData {
  clusterDir: string;
  nodes: LocalNodeData[];
}

/** What a node dir records about itself; its absence means the node is gone. */
interface NodeMarker {
  state: 'running' | 'stopped';
  ip: string;
  rank: number;
}

const MARKER = '.skydeck-node.json';

/** Env of every process on a local node: the marker that finds them again, and the node's address. */
function nodeEnv(n: LocalNodeData): Record<string, string> {
  return { [NODE_ENV_MARKER]: n.dir, SKYDECK_NODE_IP: n.ip };
}

export function localClusterDir(nameOnCloud: string): string {
  return path.join(skydeckHome(), 'local', nameOnCloud);
}

function dataOf(handle: ClusterHandle): LocalHandleData {
  return handle.data as unknown as LocalHandleData;
}

/**
 * The handle's nodes; for a provisional handle (recorded before launch() returned, so it has
 * no node list) what the address table recorded for the launch, or undefined if nothing was.
 */
async function resolveData(handle: ClusterHandle): Promise<LocalHandleData | undefined> {
  const d = handle.data as Partial<LocalHandleData>;
  if (d.clusterDir && d.nodes) return d as LocalHandleData;
  const alloc = await localAllocation(handle.nameOnCloud);
  if (!alloc?.dir) return undefined;
  return { clusterDir: alloc.dir, nodes: alloc.ips.map((ip, i) => ({ dir: path.join(alloc.dir!, `node-${i}`), ip })) };
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Directories of earlier launches under this name on the infra (`<name>-<launch id>`). */
function launchDirsOf(nameOnCloud: string): string[] {
  const root = path.join(skydeckHome(), 'local');
  const re = new RegExp(`^${escapeRe(nameOnCloud)}-[0-9a-z]+$`);
  try {
    return fs
      .readdirSync(root)
      .filter((d) => re.test(d))
      .map((d) => path.join(root, d));
  } catch {
    return [];
  }
}

function nodeDirsIn(clusterDir: string): string[] {
  try {
    return fs
      .readdirSync(clusterDir)
      .filter((d) => /^node-\d+$/.test(d))
      .map((d) => path.join(clusterDir, d));
  } catch {
    return [];
  }
}

function writeMarker(dir: string, marker: NodeMarker): void {
  fs.mkdirSync(dir, { recursive: true });
  const tmp = path.join(dir, `${MARKER}.tmp`);
  fs.writeFileSync(tmp, JSON.stringify(marker));
  fs.renameSync(tmp, path.join(dir, MARKER));
}

function readMarker(dir: string): NodeMarker | undefined {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, MARKER), 'utf8')) as NodeMarker;
  } catch {
    return undefined;
  }
}

export class LocalProvider implements Provider {
  readonly name = 'local';
  readonly canStop = true;

  async check(): Promise<CredentialCheck> {
    return { enabled: true, reason: 'Always available: nodes are directories and processes on this machine.' };
  }

  async launch(request: LaunchRequest): Promise<ClusterHandle> {
    if (request.signal?.aborted) throw new ProvisionError('other', 'zone', 'Launch cancelled.');
    // A directory per launch: a relaunch under the same name (managed-job recovery) must not share
    // files or process markers with the old cluster, whose late cleanup would remove the new nodes.
    const clusterDir = localClusterDir(`${request.nameOnCloud}-${Date.now().toString(36)}`);
    let ips: string[];
    try {
      // Recorded (addresses and directory) before the directory exists.
      ips = await allocateIps(request.nameOnCloud, request.numNodes, clusterDir);
    } catch (e) {
      throw new ProvisionError('capacity', 'cloud', e instanceof Error ? e.message : String(e));
    }
    const nodes: LocalNodeData[] = ips.map((ip, i) => ({ dir: path.join(clusterDir, `node-${i}`), ip }));
    for (const [rank, n] of nodes.entries()) {
      request.onProgress?.(`local node ${rank}: ${n.ip} at ${n.dir}`);
      writeMarker(n.dir, { state: 'running', ip: n.ip, rank });
    }
    const data: LocalHandleData = { clusterDir, nodes };
    return {
      clusterName: request.clusterName,
      nameOnCloud: request.nameOnCloud,
      provider: 'local',
      region: 'local',
      data: data as unknown as Record<string, unknown>,
    };
  }

  async query(handle: ClusterHandle): Promise<NodeInfo[]> {
    const data = await resolveData(handle);
    if (!data) return [];
    const { nodes } = data;
    if (nodes.some((n) => readMarker(n.dir)?.state === 'running') && drawPreemption(handle.clusterName)) await this.preempt(handle);
    const out: NodeInfo[] = [];
    for (const [rank, n] of nodes.entries()) {
      const marker = readMarker(n.dir);
      if (!marker) continue;
      const state: NodeState = marker.state === 'running' ? 'running' : 'stopped';
      out.push({ id: path.basename(n.dir), rank, state, internalIp: n.ip });
    }
    return out;
  }

  async stop(handle: ClusterHandle): Promise<void> {
    const { nodes } = dataOf(handle);
    await killNodeProcesses(
      nodes.map((n) => n.dir),
      { graceful: true },
    );
    for (const [rank, n] of nodes.entries()) if (readMarker(n.dir)) writeMarker(n.dir, { state: 'stopped', ip: n.ip, rank });
  }

  async start(handle: ClusterHandle): Promise<ClusterHandle> {
    const { nodes } = dataOf(handle);
    if (nodes.some((n) => !readMarker(n.dir))) {
      throw new ProvisionError('capacity', 'zone', `Local cluster '${handle.clusterName}' has lost nodes; it cannot be started.`, {
        hint: `Run \`skydeck down ${handle.clusterName}\` and launch again.`,
      });
    }
    for (const [rank, n] of nodes.entries()) writeMarker(n.dir, { state: 'running', ip: n.ip, rank });
    return handle;
  }

  /**
   * Like a cloud's terminate: abrupt (stop is the graceful one). Also removes what earlier
   * launches under this name left (a launch killed before it was recorded as done), but
   * never the directory of the current launch of another handle of this name.
   */
  async terminate(handle: ClusterHandle): Promise<void> {
    const data = await resolveData(handle);
    const current = (await localAllocation(handle.nameOnCloud))?.dir;
    const clusterDirs = new Set(launchDirsOf(handle.nameOnCloud).filter((d) => d !== current));
    if (data) clusterDirs.add(data.clusterDir);
    const nodeDirs = [...new Set([...(data?.nodes.map((n) => n.dir) ?? []), ...[...clusterDirs].flatMap(nodeDirsIn)])];
    await killNodeProcesses(nodeDirs, { graceful: false });
    for (const dir of clusterDirs) await removeTree(dir); // a process killed a moment ago may still be writing its last bytes
    await releaseIps(handle.nameOnCloud, data?.clusterDir);
  }

  /** The nodes vanish without warning, as a preempted spot VM would. */
  async preempt(handle: ClusterHandle): Promise<void> {
    const data = await resolveData(handle);
    if (!data) return;
    const { nodes, clusterDir } = data;
    // Markers go first so a concurrent query already sees the nodes gone.
    for (const n of nodes) fs.rmSync(path.join(n.dir, MARKER), { force: true });
    await killNodeProcesses(
      nodes.map((n) => n.dir),
      { graceful: false },
    );
    await removeTree(clusterDir); // a process killed a moment ago may still be writing its last bytes
  }

  async openPorts(): Promise<void> {
    // Nothing to open: each node binds its own loopback address.
  }

  /** The head starts a rank on a local node as a process in that node's dir, marked as the node's. */
  rankLauncher(handle: ClusterHandle, node: NodeInfo): string[] {
    const n = dataOf(handle).nodes[node.rank];
    // `env -C`: the rank starts in its own node dir (a relative job workdir resolves there, not in the head's).
    const [envCmd, ...rest] = localLauncher(n.dir, nodeEnv(n));
    return [envCmd, '-C', n.dir, ...rest];
  }

  /** The node's directory is its HOME inside the container too, and its processes keep the node's marker. */
  containerOptions(handle: ClusterHandle, node: NodeInfo): { binds: string[]; env: Record<string, string> } {
    const n = dataOf(handle).nodes[node.rank];
    return { binds: [n.dir], env: { HOME: n.dir, ...nodeEnv(n) } };
  }

  transport(handle: ClusterHandle, node: NodeInfo): Transport {
    const n = dataOf(handle).nodes[node.rank];
    return new LocalTransport({ nodeDir: n.dir, env: nodeEnv(n), description: `local node ${node.rank} (${n.ip})` });
  }
}

export function createProvider(): Provider {
  return new LocalProvider();
}
