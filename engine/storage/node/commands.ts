/**
 * The shell scripts the storage layer runs on a node (`bash -c`), generated here so they can be
 * unit-tested: install the mount tools (VM clouds), check them (local, SSH), COPY a bucket or
 * object down, MOUNT through FUSE, MOUNT_CACHED through rclone's VFS cache, wait for that cache
 * to flush, unmount. rclone is configured only by `RCLONE_CONFIG_<REMOTE>_*` variables in the
 * rclone process's environment (rcloneEnv): nothing with credentials is written to disk.
 */
import { shellQuote, shellQuoteRemotePath } from '../../node/quote';
import type { RcloneRemote } from '../stores/types';

/** SkyPilot's pinned rclone release (sky/data/mounting_utils.py). */
export const RCLONE_VERSION = '1.67.0';

/** The rclone remote name every command uses; each rclone process gets its own definition. */
const REMOTE = 'skydeck';

/** Exit status of a script whose tool is missing; stderr then says which. */
export const MISSING_TOOL_EXIT = 93;
export const MISSING_TOOL_MARK = 'missing-mount-tool:';

export type MountMode = 'MOUNT' | 'MOUNT_CACHED' | 'COPY';

export interface NodeMount {
  /** The destination as written in the task (`~/x` or an absolute path). */
  dst: string;
  mode: MountMode;
  /** `bucket` or `bucket/prefix` on the remote. */
  remotePath: string;
  /** COPY of a single object rather than a prefix. */
  isFile?: boolean;
  /** Where the FUSE mount really lives when not at dst (local nodes: outside the node directory, dst a symlink to it). */
  mountDir?: string;
  /** rclone's VFS cache and log for this mount, on the node. */
  stateDir: string;
  /** MOUNT_CACHED: files uploaded at once (`data.mount_cached.sequential_upload`: 1); default 8. */
  transfers?: number;
}

/** The environment that configures the `skydeck` remote for one rclone process. */
export function rcloneEnv(remote: RcloneRemote): Record<string, string> {
  const prefix = `RCLONE_CONFIG_${REMOTE.toUpperCase()}_`;
  const env: Record<string, string> = { [`${prefix}TYPE`]: remote.type };
  for (const [k, v] of Object.entries(remote.settings)) env[`${prefix}${k.toUpperCase()}`] = v;
  return env;
}

/**
 * Installs rclone and fuse3 where missing, as SkyPilot's node setup does on VM clouds: the
 * distribution's fuse3, rclone's own .deb/.rpm at the pinned version, and the fusermount3
 * link older Ubuntu images need.
 */
export function installToolsScript(): string {
  const url = (ext: string) => `https://downloads.rclone.org/v${RCLONE_VERSION}/rclone-v${RCLONE_VERSION}-linux-$ARCH.${ext}`;
  return [
    'set -e',
    'if command -v rclone >/dev/null 2>&1 && { command -v fusermount3 || command -v fusermount; } >/dev/null 2>&1; then exit 0; fi',
    'SUDO=; [ "$(id -u)" = 0 ] || SUDO="sudo -n"',
    'case "$(uname -m)" in aarch64|arm64) ARCH=arm64 ;; *) ARCH=amd64 ;; esac',
    'if command -v apt-get >/dev/null 2>&1; then',
    '  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq',
    '  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fuse3 curl ca-certificates >/dev/null',
    '  if ! command -v rclone >/dev/null 2>&1; then',
    `    curl -fsSL -o /tmp/skydeck-rclone.deb "${url('deb')}"`,
    '    $SUDO dpkg -i /tmp/skydeck-rclone.deb >/dev/null && rm -f /tmp/skydeck-rclone.deb',
    '  fi',
    'elif command -v yum >/dev/null 2>&1; then',
    '  $SUDO yum install -y -q fuse3 curl',
    `  command -v rclone >/dev/null 2>&1 || $SUDO yum install -y -q "${url('rpm')}"`,
    'else',
    `  echo "${MISSING_TOOL_MARK} rclone (no apt-get or yum on this node to install it with)" >&2; exit ${MISSING_TOOL_EXIT}`,
    'fi',
    '[ -e /bin/fusermount3 ] || [ ! -e /bin/fusermount ] || $SUDO ln -s /bin/fusermount /bin/fusermount3',
  ].join('\n');
}

/** Fails with MISSING_TOOL_EXIT naming the first missing tool (rclone; for mounts also fuse3 and /dev/fuse). */
export function checkToolsScript(needsFuse: boolean): string {
  const lines = [`command -v rclone >/dev/null 2>&1 || { echo "${MISSING_TOOL_MARK} rclone" >&2; exit ${MISSING_TOOL_EXIT}; }`];
  if (needsFuse) {
    lines.push(
      `{ command -v fusermount3 || command -v fusermount; } >/dev/null 2>&1 || { echo "${MISSING_TOOL_MARK} fuse3 (fusermount3)" >&2; exit ${MISSING_TOOL_EXIT}; }`,
    );
    lines.push(`[ -e /dev/fuse ] || { echo "${MISSING_TOOL_MARK} /dev/fuse" >&2; exit ${MISSING_TOOL_EXIT}; }`);
  }
  return lines.join('\n');
}

/** rclone without the AWS CLI's CA-bundle variable, which rclone's S3 client cannot load from the environment. */
const RCLONE = 'env -u AWS_CA_BUNDLE rclone';

function unmountCommand(dir: string): string {
  return `{ fusermount3 -u ${dir} 2>/dev/null || fusermount -u ${dir} 2>/dev/null; }`;
}

function lazyUnmountCommand(dir: string): string {
  return `{ fusermount3 -uz ${dir} 2>/dev/null || fusermount -uz ${dir} 2>/dev/null || true; }`;
}

/** Brings one mount up on a node (idempotent: a live mount is kept, a dead one replaced). */
export function mountScript(m: NodeMount): string {
  const dst = shellQuoteRemotePath(m.dst);
  const remote = shellQuote(`${REMOTE}:${m.remotePath}`);
  const state = shellQuoteRemotePath(m.stateDir);
  const log = `${state}/rclone.log`;
  if (m.mode === 'COPY') {
    const verb = m.isFile ? 'copyto' : 'copy';
    return [
      'set -e',
      `mkdir -p ${m.isFile ? `"$(dirname ${dst})"` : dst} ${state}`,
      `${RCLONE} ${verb} ${remote} ${dst} --transfers 16 --checkers 16 --log-file ${log} --log-level NOTICE || { tail -n 20 ${log} >&2; exit 1; }`,
    ].join('\n');
  }
  const dir = m.mountDir ? shellQuote(m.mountDir) : dst;
  const flags =
    m.mode === 'MOUNT'
      ? // Writes stream straight to the bucket and close() returns once the object is stored.
        // Reads reach rclone in order: the kernel's out-of-order async reads make an uncached
        // reader seek back and reopen its ranged GET, which on a busy node repeats every few MB.
        ['--vfs-cache-mode off', '--async-read=false', '--dir-cache-time 5s']
      : [
          '--vfs-cache-mode full',
          `--cache-dir ${state}/cache`,
          '--vfs-write-back 1s',
          '--vfs-cache-max-age 1h',
          '--dir-cache-time 5s',
          `--transfers ${m.transfers ?? 8}`,
        ];
  const lines = [
    'set -e',
    `mkdir -p ${state}`,
    `if mountpoint -q ${dir} 2>/dev/null; then exit 0; fi`,
    // A mount whose rclone died (a preempted node) answers ENOTCONN until it is unmounted.
    lazyUnmountCommand(dir),
    `mkdir -p ${dir}`,
    `${RCLONE} mount ${remote} ${dir} --daemon --daemon-wait 60s ${flags.join(' ')} --log-file ${log} --log-level NOTICE </dev/null >/dev/null 2>&1 || { echo "rclone mount of ${m.remotePath} on ${m.dst} failed:" >&2; tail -n 20 ${log} >&2; exit 1; }`,
  ];
  if (m.mountDir) lines.push(`mkdir -p "$(dirname ${dst})"`, `rm -rf ${dst} 2>/dev/null || true`, `ln -sfn ${dir} ${dst}`);
  return lines.join('\n');
}

/**
 * Waits until rclone's VFS cache of a MOUNT_CACHED mount has uploaded every written file
 * (no cache entry left marked dirty), then unmounts. Exits 1 with what is still pending when
 * `timeoutSeconds` pass first, so `down` can refuse to lose the writes.
 */
export function flushAndUnmountScript(m: NodeMount, timeoutSeconds: number): string {
  const dir = m.mountDir ? shellQuote(m.mountDir) : shellQuoteRemotePath(m.dst);
  const meta = `${shellQuoteRemotePath(m.stateDir)}/cache/vfsMeta`;
  const lines: string[] = [];
  if (m.mode === 'MOUNT_CACHED') {
    lines.push(
      `deadline=$(( $(date +%s) + ${timeoutSeconds} ))`,
      `while pending=$(grep -rlE '"Dirty": ?true' ${meta} 2>/dev/null) && [ -n "$pending" ]; do`,
      `  if [ "$(date +%s)" -ge "$deadline" ]; then echo "uploads still pending after ${timeoutSeconds}s on ${m.dst}:" >&2; echo "$pending" | head -n 20 >&2; exit 1; fi`,
      '  sleep 1',
      'done',
    );
  }
  lines.push(`if mountpoint -q ${dir} 2>/dev/null; then ${unmountCommand(dir)} || ${lazyUnmountCommand(dir)}; else ${lazyUnmountCommand(dir)}; fi`);
  return lines.join('\n');
}
