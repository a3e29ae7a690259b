/**
 * Docker for the container tests: a daemon that answers, and small test images built here
 * (no public registry is reachable). When no daemon answers, one is started as
 * `dockerd --bridge=none --iptables=false` with its own data root, exec root and socket under
 * the temp dir, shared by every test file (it outlives the test process, so later files reuse
 * it). Never with its default iptables set-up: these machines allow loopback and the tests'
 * own namespaces only, which is also why containers always run with `--network host`.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';

/** Where the tests' own daemon keeps everything (short: a unix socket path has a length limit). */
const DAEMON_DIR = path.join(os.tmpdir(), 'skydeck-dockerd');
const SOCKET = path.join(DAEMON_DIR, 'docker.sock');

/** Why Docker cannot be used here (for requirePrerequisite), undefined when it can. */
export function dockerMissing(): string | undefined {
  for (const bin of ['docker', 'dockerd']) {
    if (spawnSync('sh', ['-c', `command -v ${bin}`]).status !== 0) return `${bin} (Debian package docker.io)`;
  }
  if (process.getuid?.() !== 0) return 'root (to start dockerd)';
  return undefined;
}

/** GET /_ping over a unix socket; resolves true on 200. Waits as long as the daemon takes to accept. */
function ping(socket: string, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get({ socketPath: socket, path: '/_ping', timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });
}

/** Resolves when `file` exists (watching its directory; no polling sleeps). */
function whenExists(file: string, timeoutMs: number, detail: () => string): Promise<void> {
  return new Promise((resolve, reject) => {
    if (fs.existsSync(file)) return resolve();
    const watcher = fs.watch(path.dirname(file), () => {
      if (fs.existsSync(file)) done();
    });
    const timer = setTimeout(() => {
      watcher.close();
      reject(new Error(`dockerd did not create ${file} within ${timeoutMs} ms.\n${detail()}`));
    }, timeoutMs);
    function done(): void {
      clearTimeout(timer);
      watcher.close();
      resolve();
    }
    if (fs.existsSync(file)) done();
  });
}

let daemon: Promise<string> | undefined;

/**
 * The DOCKER_HOST the tests use (also set in process.env, so the engine's docker commands on
 * `local` nodes and the tests' own reach it). An answering daemon is reused.
 */
export function ensureDockerDaemon(): Promise<string> {
  daemon ??= (async () => {
    const configured = process.env.DOCKER_HOST?.replace(/^unix:\/\//, '');
    for (const sock of [configured, SOCKET, '/var/run/docker.sock']) {
      if (sock && fs.existsSync(sock) && (await ping(sock, 5000))) return useHost(sock);
    }
    fs.mkdirSync(DAEMON_DIR, { recursive: true });
    fs.rmSync(SOCKET, { force: true });
    fs.rmSync(path.join(DAEMON_DIR, 'exec', 'docker.pid'), { force: true });
    const log = path.join(DAEMON_DIR, 'dockerd.log');
    const out = fs.openSync(log, 'a');
    const child = spawn(
      'dockerd',
      [
        '--bridge=none',
        '--iptables=false',
        '--ip-masq=false',
        `--data-root=${path.join(DAEMON_DIR, 'data')}`,
        `--exec-root=${path.join(DAEMON_DIR, 'exec')}`,
        `--pidfile=${path.join(DAEMON_DIR, 'dockerd.pid')}`,
        `-H`,
        `unix://${SOCKET}`,
      ],
      { detached: true, stdio: ['ignore', out, out] },
    );
    child.unref();
    fs.closeSync(out);
    const tail = () => fs.readFileSync(log, 'utf8').split('\n').slice(-20).join('\n');
    await whenExists(SOCKET, 60_000, tail);
    if (!(await ping(SOCKET, 60_000))) throw new Error(`dockerd at ${SOCKET} does not answer /_ping.\n${tail()}`);
    return useHost(SOCKET);
  })();
  return daemon;
}

function useHost(socket: string): string {
  const host = `unix://${socket}`;
  process.env.DOCKER_HOST = host;
  // SSH pool hosts run docker in a login shell that does not see this process's env.
  process.env.SKYDECK_DOCKER_HOST = host;
  return host;
}

/** Runs docker with the tests' daemon; throws with its stderr on failure. */
export function docker(args: string[], input?: string | Buffer): string {
  const r = spawnSync('docker', args, { input, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`docker ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

export function imageExists(ref: string): boolean {
  return spawnSync('docker', ['image', 'inspect', ref], { stdio: 'ignore' }).status === 0;
}

/** What the test image holds: the agent's needs (bash, coreutils, setsid, sed, tar; tee for multi-node logs) and a few tools. */
const IMAGE_COMMANDS = [
  'bash', 'sh', 'env', 'cat', 'ls', 'mkdir', 'rm', 'mv', 'cp', 'ln', 'chmod', 'touch', 'stat', 'head', 'tail', 'date', 'sleep',
  'timeout', 'nproc', 'id', 'mkfifo', 'kill', 'setsid', 'sed', 'grep', 'tar', 'gzip', 'printenv', 'echo', 'true', 'false', 'pwd',
  'readlink', 'dirname', 'basename', 'wc', 'tr', 'cut', 'sort', 'uname', 'hostname', 'df', 'mktemp', 'test', 'ps', 'whoami', 'seq', 'tee',
]; // prettier-ignore

const BUILD_ROOTFS = String.raw`
set -euo pipefail
root="$1"; shift
mkdir -p "$root/usr/bin" "$root/usr/lib" "$root/usr/lib64" "$root/root" "$root/tmp" "$root/etc" "$root/proc" "$root/sys" "$root/dev" "$root/var/tmp"
chmod 1777 "$root/tmp" "$root/var/tmp"
ln -sfn usr/bin "$root/bin"; ln -sfn usr/bin "$root/sbin"; ln -sfn usr/lib "$root/lib"; ln -sfn usr/lib64 "$root/lib64"
for c in "$@"; do
  p=$(command -v "$c" 2>/dev/null || true)
  case "$p" in /*) ;; *) continue ;; esac
  real=$(readlink -f "$p")
  cp -L "$real" "$root/usr/bin/$c"
  ldd "$real" 2>/dev/null | grep -oE '/[^ ]+' | while read -r lib; do
    [ -e "$lib" ] || continue
    dest="$root$lib"
    mkdir -p "$(dirname "$dest")"
    [ -e "$dest" ] || cp -L "$lib" "$dest"
  done
done
printf 'root:x:0:0:root:/root:/bin/bash\n' > "$root/etc/passwd"
printf 'root:x:0:\n' > "$root/etc/group"
`;

/**
 * A small image made from this machine's binaries (`docker import`), built once per daemon.
 * Two test runs may share one daemon, so the tag names its content (a hash of the recipe,
 * the command list and `marker`, a file written at / to tell images apart): a run never
 * rebuilds another run's image under its feet. Building goes to a tag of its own, then
 * `docker tag` (atomic) moves the shared tag; a concurrent build of the same content makes
 * the same image and either one is right.
 */
export function buildTestImage(marker = 'base'): string {
  const digest = crypto
    .createHash('sha256')
    .update(JSON.stringify([BUILD_ROOTFS, IMAGE_COMMANDS, marker]))
    .digest('hex')
    .slice(0, 12);
  const tag = `skydeck-test/${marker}:${digest}`;
  if (imageExists(tag)) return tag;
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'skydeck-rootfs-'));
  const building = `skydeck-test/building:${process.pid}-${crypto.randomBytes(4).toString('hex')}`;
  try {
    const r = spawnSync('bash', ['-c', BUILD_ROOTFS, 'build', root, ...IMAGE_COMMANDS], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`Building the test root filesystem failed: ${r.stderr}`);
    fs.writeFileSync(path.join(root, 'image-marker'), `${marker}\n`);
    const tar = spawnSync('tar', ['-C', root, '-c', '.'], { maxBuffer: 512 * 1024 * 1024 });
    if (tar.status !== 0) throw new Error(`tar of the test root filesystem failed: ${tar.stderr.toString()}`);
    docker(['import', '--change', 'ENV PATH=/usr/local/bin:/usr/bin:/bin', '--change', 'CMD ["/bin/bash"]', '-', building], tar.stdout);
    docker(['tag', building, tag]);
    return tag;
  } finally {
    // Untags only: the image stays under `tag`.
    spawnSync('docker', ['rmi', building], { stdio: 'ignore' });
    fs.rmSync(root, { recursive: true, force: true });
  }
}

/** Containers whose name starts with `prefix` (all states). */
export function containersNamed(prefix: string): { name: string; state: string }[] {
  const out = docker(['ps', '-a', '--filter', `name=^${prefix}`, '--format', '{{.Names}}\t{{.State}}']);
  return out
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [name, state] = l.split('\t');
      return { name, state };
    });
}
