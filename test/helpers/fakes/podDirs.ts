/**
 * Removing a fake pod's directory the way a kubelet's teardown behaves for the bucket behind
 * it: the pod's FUSE mounts (rclone in MOUNT / MOUNT_CACHED storage) go away with the pod, and
 * the objects in the bucket stay. A fake pod is a host directory and its mounts are host mounts,
 * so a plain recursive delete would walk into a live mount and delete the bucket's objects
 * through it: every mount under the directory is unmounted first, and the delete never crosses
 * onto another filesystem (what is still mounted is skipped and reported, never entered).
 */
import { spawnSync } from 'node:child_process';
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

/** removePodDir, retried while a pod's last process still writes into it (ENOTEMPTY), as long as `wanted()` holds. */
export async function removePodDirEventually(dir: string, wanted: () => boolean = () => true, attempts = 10): Promise<string[]> {
  for (let i = 1; ; i++) {
    try {
      return removePodDir(dir);
    } catch (e) {
      if (i >= attempts) throw e;
      await new Promise((resolve) => setTimeout(resolve, 200));
      if (!wanted()) return [];
    }
  }
}
