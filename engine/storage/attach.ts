/**
 * The node side of a launch's storage: on every node in parallel, make sure the mount tools are
 * there (VM clouds and Kubernetes pods: installed as SkyPilot's setup does; local and SSH nodes:
 * checked, with an error naming the missing tool), then COPY, MOUNT or MOUNT_CACHED each mount
 * in task order (in a pod: inside the pod, through the exec transport).
 * MOUNT on a VM cloud uses the store's own FUSE tool as SkyPilot does (./node/nativeMounts.ts).
 * The store's rclone settings (with credentials) reach rclone only as its environment.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SkyDeckError } from '../errors';
import type { NodeInfo } from '../infra/provider';
import { LocalTransport } from '../node/local';
import type { Transport } from '../node/transport';
import { skydeckHome } from '../util/paths';
import { mountCachedTransfers } from './mountCachedConfig';
import { checkToolsScript, installToolsScript, MISSING_TOOL_EXIT, MISSING_TOOL_MARK, mountScript, rcloneEnv, type NodeMount } from './node/commands';
import { nativeInstallScript, nativeMountEnv, nativeMountScript, nativeMountTool, type NativeMountTool } from './node/nativeMounts';
import type { CheckedMount } from './prepare';
import { storageTable, type ClusterMount } from './records';
import { getStore } from './stores';
import type { RcloneRemote } from './stores/types';

/**
 * Infra whose nodes SkyDeck sets up itself: VM images and pod images (SkyPilot's default, or
 * the task's image_id) may lack rclone and fuse3, and SkyPilot installs them there too.
 */
const INSTALLS_TOOLS = ['aws', 'gcp', 'azure', 'kubernetes'];

/** Why a pod has no /dev/fuse, and what gives it one (engine/infra/kubernetes/README.md "FUSE"). */
const POD_WITHOUT_FUSE_HINT =
  'SkyDeck asks for FUSE (a privileged container, or the smarter-devices/fuse device with CAP_SYS_ADMIN) when a task with MOUNT or MOUNT_CACHED storage creates the pods: a cluster launched without such a task has none (`skydeck down` it and launch again). Otherwise something replaced the pod spec (kubernetes.pod_config setting privileged: false?). Or use mode: COPY.';

export class MountToolMissingError extends SkyDeckError {
  constructor(node: string, tool: string, cloud?: string) {
    super('MOUNT_TOOL_MISSING', `${tool} is not installed on ${node}: bucket file mounts need rclone (and fuse3 with /dev/fuse for MOUNT and MOUNT_CACHED).`, {
      hint:
        cloud === 'kubernetes' && tool === '/dev/fuse'
          ? POD_WITHOUT_FUSE_HINT
          : 'Install them on the node (Debian/Ubuntu: apt-get install rclone fuse3), or use mode: COPY where FUSE is unavailable.',
    });
  }
}

export interface AttachTarget {
  cluster: string;
  cloud: string;
  nodes: NodeInfo[];
  transports: Transport[];
}

/** Where a mount's FUSE mount goes on a node: local nodes keep it outside the node directory, which `down` removes recursively. */
function localMountDir(t: Transport, dst: string): string | undefined {
  if (!(t instanceof LocalTransport)) return undefined;
  const resolved = t.resolve(dst);
  if (resolved !== t.nodeDir && !resolved.startsWith(`${t.nodeDir}${path.sep}`)) return undefined;
  return path.join(skydeckHome(), 'mounts', createHash('sha256').update(resolved).digest('hex').slice(0, 16));
}

function stateDirOf(dst: string): string {
  return `~/.skydeck_node/storage/${createHash('sha256').update(dst).digest('hex').slice(0, 12)}`;
}

function remotePathOf(m: CheckedMount): string {
  return m.ref.prefix ? `${m.ref.bucket}/${m.ref.prefix}` : m.ref.bucket;
}

async function runScript(t: Transport, script: string, env?: Record<string, string>, cloud?: string): Promise<void> {
  const r = await t.exec(['bash', '-c', script], { env });
  if (r.exitCode === 0) return;
  if (r.exitCode === MISSING_TOOL_EXIT) {
    const tool = new RegExp(`${MISSING_TOOL_MARK} (.*)`).exec(r.stderr)?.[1] ?? 'rclone';
    throw new MountToolMissingError(t.description, tool, cloud);
  }
  throw new SkyDeckError('MOUNT_FAILED', `${t.description}: ${r.stderr.trim() || `exit ${r.exitCode}`}`);
}

/** Brings every mount up on every node; records them for `down`. */
export async function attachStorage(target: AttachTarget, mounts: CheckedMount[], onMessage: (m: string) => void): Promise<void> {
  if (mounts.length === 0) return;
  const needsFuse = mounts.some((m) => m.mode !== 'COPY');
  const remotes = new Map<CheckedMount, RcloneRemote>();
  for (const m of mounts) remotes.set(m, await getStore(m.ref.store).rcloneRemote(m.ref));
  const records: ClusterMount[] = mounts.map((m) => ({
    dst: m.dst,
    mode: m.mode,
    ref: m.ref,
    remotePath: remotePathOf(m),
    isFile: m.isFile,
    storage: m.kind === 'storage' ? (m.name ?? m.ref.bucket) : undefined,
    stateDir: stateDirOf(m.dst),
    mountDirs: {},
  }));
  // Recorded before any mount exists, so a launch that dies half-way is still unmounted by `down`.
  await recordMounts(target.cluster, records);
  sweepStaleLocalMounts();
  onMessage(`Mounting ${mounts.length} bucket file mount(s) on ${target.transports.length} node(s).`);
  await Promise.all(
    target.transports.map(async (t, i) => {
      const rank = target.nodes[i]?.rank ?? i;
      const installed = new Set<NativeMountTool>();
      if (INSTALLS_TOOLS.includes(target.cloud)) await runScript(t, installToolsScript(), undefined, target.cloud);
      await runScript(t, checkToolsScript(needsFuse), undefined, target.cloud);
      for (const [j, m] of mounts.entries()) {
        const mountDir = m.mode === 'COPY' ? undefined : localMountDir(t, m.dst);
        if (mountDir) {
          records[j].mountDirs![rank] = mountDir;
          fs.mkdirSync(path.dirname(mountDir), { recursive: true });
          fs.writeFileSync(`${mountDir}.owner`, (t as LocalTransport).nodeDir);
        }
        const nodeMount: NodeMount = {
          dst: m.dst,
          mode: m.mode,
          remotePath: records[j].remotePath,
          isFile: m.isFile,
          mountDir,
          stateDir: records[j].stateDir,
          ...(m.mode === 'MOUNT_CACHED' ? { transfers: mountCachedTransfers() } : {}),
        };
        const remote = remotes.get(m)!;
        const tool = nativeMountTool(m.ref.store, m.mode, target.cloud);
        if (!tool) {
          await runScript(t, mountScript(nodeMount), rcloneEnv(remote));
          continue;
        }
        if (!installed.has(tool)) await runScript(t, nativeInstallScript(tool));
        installed.add(tool);
        const native = { ...nodeMount, bucket: m.ref.bucket, prefix: m.ref.prefix, endpoint: remote.settings.endpoint };
        await runScript(t, nativeMountScript(tool, native), { ...rcloneEnv(remote), ...nativeMountEnv(tool, remote) });
      }
    }),
  );
  await recordMounts(target.cluster, records);
}

async function recordMounts(cluster: string, records: ClusterMount[]): Promise<void> {
  await storageTable().update((t) => {
    const kept = (t.mounts[cluster] ?? []).filter((old) => !records.some((r) => r.dst === old.dst));
    t.mounts[cluster] = [...kept, ...records];
    for (const r of records) {
      const s = r.storage ? t.storage[r.storage] : undefined;
      if (s && !s.clusters.includes(cluster)) s.clusters.push(cluster);
    }
  });
}

/**
 * Local nodes that vanished without `down` (preemption) leave their rclone killed and its FUSE
 * mount dead outside the node directory: unmount and remove those whose node directory is gone.
 */
export function sweepStaleLocalMounts(): void {
  const dir = path.join(skydeckHome(), 'mounts');
  let entries: string[];
  try {
    entries = fs.readdirSync(dir).filter((e) => e.endsWith('.owner'));
  } catch {
    return;
  }
  for (const e of entries) {
    const owner = fs.readFileSync(path.join(dir, e), 'utf8');
    if (fs.existsSync(owner)) continue;
    const mountDir = path.join(dir, e.slice(0, -'.owner'.length));
    unmountLocal(mountDir);
    try {
      fs.rmdirSync(mountDir);
      fs.rmSync(path.join(dir, e), { force: true });
    } catch {
      /* still busy: the next sweep retries */
    }
  }
}

/** Unmounts a local FUSE mount (lazily: a dead one refuses a plain unmount). */
function unmountLocal(mountDir: string): void {
  for (const argv of [
    ['fusermount3', '-uz', mountDir],
    ['fusermount', '-uz', mountDir],
  ]) {
    if (spawnSync(argv[0], argv.slice(1), { stdio: 'ignore' }).status === 0) return;
  }
}
