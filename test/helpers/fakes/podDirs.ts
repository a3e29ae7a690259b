/**
 * Removing a fake pod's directory the way a kubelet's teardown behaves for the bucket behind
 * it: the pod's FUSE mounts (rclone in MOUNT / MOUNT_CACHED storage) go away with the pod, and
 * the objects in the bucket stay. A fake pod is a host directory and its mounts are host mounts,
 * so a plain recursive delete would walk into a live mount and delete the bucket's objects
 * through it: every mount under the directory is unmounted first, and the delete never crosses
 * onto another filesystem (what is still mounted is skipped and reported, never entered).
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';

/** `\040` and friends in /proc/self/mountinfo paths. */
function unescapeMountPath(p: string): string {
  return p.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/** Mount points at or below `dir` in this process's mount namespace, deepest first. */
export function mountsUnder(dir: string): string[] {
  let real: string;
  try {
    real = fs.realpathSync(dir);
  } catch {
    return [];
  }
  const targets = fs
    .readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((t): t is string => Boolean(t))
    .map(unescapeMountPath)
    .filter((t) => t === real || t.startsWith(`${real}/`));
  return [...new Set(targets)].sort((a, b) => b.length - a.length);
}

/** Unmounts every mount under `dir` (FUSE's own unmount, else a lazy detach); returns what is still mounted. */
export function unmountUnder(dir: string): string[] {
  for (const target of mountsUnder(dir)) {
    if (spawnSync('fusermount3', ['-u', target], { stdio: 'ignore' }).status === 0) continue;
    spawnSync('umount', ['-l', target], { stdio: 'ignore' });
  }
  return mountsUnder(dir);
}

/**
 * Unmounts, then deletes `dir` on its own filesystem only (`rm --one-file-system`). Returns
 * the mounts it had to leave (and did not enter); throws when the delete failed otherwise.
 */
export function removePodDir(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  const left = unmountUnder(dir);
  const r = spawnSync('rm', ['-rf', '--one-file-system', '--', dir], { encoding: 'utf8' });
  if (r.status !== 0 && left.length === 0) throw new Error(`rm -rf --one-file-system ${dir}: ${r.stderr.trim()}`);
  return left;
}

/** Whether `p` is `dir` or lies below it. */
function within(p: string | undefined, dir: string): boolean {
  return p !== undefined && (p === dir || p.startsWith(`${dir}/`));
}

/**
 * The processes of the pods at or below `dir`: their HOME is a pod's directory (the fake's
 * exec sets it, and what a pod starts with setsid, such as the agent's daemon, keeps it outside
 * the process group the fake tracks) or they work inside one.
 */
export function processesUnder(dir: string): number[] {
  const pids: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      const home = fs
        .readFileSync(`/proc/${pid}/environ`, 'latin1')
        .split('\0')
        .find((v) => v.startsWith('HOME='))
        ?.slice('HOME='.length);
      if (within(home, dir) || within(fs.readlinkSync(`/proc/${pid}/cwd`), dir)) pids.push(pid);
    } catch {
      /* gone meanwhile, or a kernel thread */
    }
  }
  return pids;
}

/** Resolves once every one of `pids` has exited: the kernel's exit notification on a pidfd (python3's os.pidfd_open). */
export function processesExited(pids: number[]): Promise<void> {
  const waiter = String.raw`import os, select, sys
fds = []
for pid in sys.argv[1:]:
    try:
        fds.append(os.pidfd_open(int(pid)))
    except ProcessLookupError:
        pass
while fds:
    ready, _, _ = select.select(fds, [], [])
    fds = [fd for fd in fds if fd not in ready]`;
  return new Promise((resolve, reject) => {
    // The system's own python3 (what a version manager's shim first on PATH finds takes seconds to start).
    const python = fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
    const child = spawn(python, ['-c', waiter, ...pids.map(String)], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', (e) => reject(new Error(`waiting for the pod's processes to exit needs python3: ${e.message}`)));
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`waiting for pids ${pids.join(' ')} to exit failed: ${stderr.trim()}`))));
  });
}

/** SIGKILLs the processes of the pods at or below `dir` (processesUnder); returns their pids. */
function killProcessesUnder(dir: string): number[] {
  const pids = processesUnder(dir);
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
  return pids;
}

/**
 * The kubelet's teardown of pod directories at or below `dir`: every process of those pods is
 * killed (SIGKILL, as the kubelet ends what outlived its grace period, including what left the
 * tracked process group) and the directory removed (removePodDir) at once. A process the scan
 * could not see yet (forked while it ran) is found once the killed ones have exited, and so on
 * until none is left; then whatever a last write put back is removed too, unless `wanted()` no
 * longer holds (a new pod of the same name owns the directory and its processes by then).
 */
export async function releasePodDir(dir: string, wanted: () => boolean = () => true): Promise<string[]> {
  let pids = killProcessesUnder(dir);
  let left: string[] = [];
  try {
    left = removePodDir(dir);
  } catch (e) {
    if (!pids.length) throw e;
  }
  while (pids.length) {
    await processesExited(pids);
    if (!wanted()) return left;
    pids = killProcessesUnder(dir);
  }
  return fs.existsSync(dir) && wanted() ? removePodDir(dir) : left;
}
