/**
 * Docker for the container tests: a daemon that answers, and small test images built here
 * (no public registry is reachable). When no daemon answers, one is started as
 * `dockerd --bridge=none --iptables=false` with its own data root, exec root and socket under
 * the temp dir, shared by every test file (it outlives the test process, so later files reuse
 * it). Never with its default iptables set-up: these machines allow loopback and the tests'
 * own namespaces only, which is also why containers always run with `--network host`.
 *
 * Node pools and cloud VMs get a daemon of their own on each network-namespace sshd host
 * (startHostDaemon), as each machine of a real pool or SkyPilot's VM image has.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { sshArgv, startSshHosts, type SshHost, type SshTestHosts } from './sshd';
import { startTogether } from './startTogether';

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

/** A daemon's command line: no bridge, no iptables; everything under `dir` (data, exec, pid file). */
function dockerdArgs(dir: string, socket: string): string[] {
  return [
    '--bridge=none',
    '--iptables=false',
    '--ip-masq=false',
    `--data-root=${dir}/data`,
    `--exec-root=${dir}/exec`,
    `--pidfile=${dir}/dockerd.pid`,
    '-H',
    `unix://${socket}`,
  ];
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
    const child = spawn('dockerd', dockerdArgs(DAEMON_DIR, SOCKET), { detached: true, stdio: ['ignore', out, out] });
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

/** Runs docker with the tests' daemon (or the one at `socket`); throws with its stderr on failure. */
export function docker(args: string[], input?: string | Buffer, socket?: string): string {
  const argv = socket ? ['-H', `unix://${socket}`, ...args] : args;
  const r = spawnSync('docker', argv, { input, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`docker ${argv.join(' ')} failed (${r.status}): ${r.stderr}`);
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

/** Containers whose name starts with `prefix` (all states), on the tests' daemon or the one at `socket`. */
export function containersNamed(prefix: string, socket?: string): { name: string; state: string }[] {
  const out = docker(['ps', '-a', '--filter', `name=^${prefix}`, '--format', '{{.Names}}\t{{.State}}'], undefined, socket);
  return out
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [name, state] = l.split('\t');
      return { name, state };
    });
}

// A Docker daemon of its own on each network-namespace sshd host: started over ssh inside the
// host (its network, mount and UTS namespaces), so a `--network host` container gets that host's
// network and hostname. Everything lives under the host's HOME (/root inside it, its own temp
// dir seen from here), so the daemon's socket has the same path on every host
// (HOST_DOCKER_SOCKET) and the engine's one SKYDECK_DOCKER_HOST reaches each host's own daemon.
// The host's stop() ends the daemon with everything else that ran there; stopHostDaemon first
// removes the containers, whose processes are in namespaces of their own.

/** Inside each host: the daemon's directory and socket. */
const HOST_DOCKER_DIR = '/root/.dockerd';
export const HOST_DOCKER_SOCKET = `${HOST_DOCKER_DIR}/docker.sock`;

export interface HostDaemon {
  host: SshHost;
  /** The daemon's socket as seen from the test process. */
  socket: string;
  /** Runs docker against this host's daemon; throws with stderr on failure. */
  docker(args: string[]): string;
}

/** Starts the host's daemon (over ssh, detached inside the host) and builds the test image in it. */
export async function startHostDaemon(host: SshHost): Promise<HostDaemon> {
  const dir = path.join(host.homeDir, '.dockerd');
  fs.mkdirSync(dir, { recursive: true });
  const socket = path.join(dir, 'docker.sock');
  const d = HOST_DOCKER_DIR;
  // `ip netns exec` remounted /sys for the host, without the cgroup hierarchies dockerd needs:
  // the machine's own (as its first process sees them) are mounted again, in the host's mount
  // namespace only.
  const cmd =
    `awk '$2 ~ "^/sys/fs/cgroup" {print $3, $2, $4}' /proc/1/mounts | while read -r type dir opts; do ` +
    'mkdir -p "$dir" 2>/dev/null; mountpoint -q "$dir" || mount -t "$type" -o "$opts" "$type" "$dir"; done; ' +
    `setsid dockerd ${dockerdArgs(d, HOST_DOCKER_SOCKET).join(' ')} </dev/null >${d}/dockerd.log 2>&1 &`;
  const argv = sshArgv(host, cmd);
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`Starting dockerd on ${host.name} failed: ${r.stderr}`);
  const log = () => fs.readFileSync(path.join(dir, 'dockerd.log'), 'utf8').split('\n').slice(-20).join('\n');
  await whenExists(socket, 120_000, log);
  if (!(await ping(socket, 60_000))) throw new Error(`dockerd on ${host.name} does not answer.\n${log()}`);
  return { host, socket, docker: (args) => docker(args, undefined, socket) };
}

/**
 * The test image in every daemon (no registry between them): built in the first (building its
 * root filesystem is the slow part), then copied into the others with `docker save | load`.
 */
export function buildImageOn(daemons: HostDaemon[]): string {
  const saved = process.env.DOCKER_HOST;
  let image: string;
  try {
    process.env.DOCKER_HOST = `unix://${daemons[0].socket}`;
    image = buildTestImage();
  } finally {
    if (saved === undefined) delete process.env.DOCKER_HOST;
    else process.env.DOCKER_HOST = saved;
  }
  for (const d of daemons.slice(1)) {
    const tar = spawnSync('docker', ['-H', `unix://${daemons[0].socket}`, 'save', image], { maxBuffer: 512 * 1024 * 1024 });
    if (tar.status !== 0) throw new Error(`docker save ${image} failed: ${tar.stderr.toString()}`);
    const load = spawnSync('docker', ['-H', `unix://${d.socket}`, 'load', '-q'], { input: tar.stdout, encoding: 'utf8' });
    if (load.status !== 0) throw new Error(`docker load of ${image} on ${d.host.name} failed: ${load.stderr}`);
  }
  return image;
}

/** Names and states of the daemon's containers whose name starts with `prefix`. */
export function containersOn(d: HostDaemon, prefix: string): { name: string; state: string }[] {
  return containersNamed(prefix, d.socket);
}

/** Removes every container of the daemon (their processes outlive the host's own), then lets the host's stop() end it. */
export async function stopHostDaemon(d: HostDaemon): Promise<void> {
  try {
    const ids = d.docker(['ps', '-aq']).split('\n').filter(Boolean);
    if (ids.length) d.docker(['rm', '-f', ...ids]);
  } catch {
    /* the daemon is gone already */
  }
  const pidFile = path.join(d.host.homeDir, '.dockerd', 'dockerd.pid');
  const pid = fs.existsSync(pidFile) ? Number(fs.readFileSync(pidFile, 'utf8')) : 0;
  if (pid > 0) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      return;
    }
    // dockerd unmounts its data root on the way out: wait for it before the host's HOME is removed.
    await new Promise<void>((resolve) => {
      const child = spawn('tail', [`--pid=${pid}`, '-f', '/dev/null'], { stdio: 'ignore' });
      const timer = setTimeout(() => child.kill(), 30_000);
      child.on('exit', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}

/**
 * A daemon on each of `hosts` with the test image in it, and SKYDECK_DOCKER_HOST set to the
 * socket path they share (restored by the returned stop, which also removes the containers).
 */
export async function useHostDaemons(hosts: SshHost[]): Promise<{ daemons: HostDaemon[]; image: string; stop: () => Promise<void> }> {
  const saved = process.env.SKYDECK_DOCKER_HOST;
  const daemons = await Promise.all(hosts.map((h) => startHostDaemon(h)));
  const image = buildImageOn(daemons);
  process.env.SKYDECK_DOCKER_HOST = `unix://${HOST_DOCKER_SOCKET}`;
  return {
    daemons,
    image,
    stop: async () => {
      await Promise.all(daemons.map((d) => stopHostDaemon(d)));
      if (saved === undefined) delete process.env.SKYDECK_DOCKER_HOST;
      else process.env.SKYDECK_DOCKER_HOST = saved;
    },
  };
}

/** Cloud VMs stood in for by network-namespace sshd hosts with a Docker daemon each (SkyPilot's VM image has one). */
export interface DockerVmHosts<F> {
  /** The cloud's fake API. */
  fake: F;
  hosts: SshTestHosts;
  daemons: HostDaemon[];
  image: string;
  /** SKYDECK_TEST_ADDRESS_MAP: the cloud's nodes, by rank, onto the hosts. */
  addressMap: string;
  /** Removes the containers and ends the daemons, then stops the fake and the hosts. */
  stop(): Promise<void>;
}

/**
 * Starts the cloud's fake API beside `count` network-namespace sshd hosts, then a daemon with
 * the test image on each host (useHostDaemons). What started is stopped again if any of it fails.
 */
export async function startDockerVmHosts<F extends { close(): Promise<unknown> }>(startFake: Promise<F>, count: number): Promise<DockerVmHosts<F>> {
  const [fake, hosts] = await startTogether<[F, SshTestHosts]>([startFake, startSshHosts({ loopback: false, netnsHosts: count })], (s) =>
    'stop' in s ? s.stop() : s.close(),
  );
  const stopServers = async () => void (await Promise.allSettled([fake.close(), hosts.stop()]));
  let daemons: Awaited<ReturnType<typeof useHostDaemons>>;
  try {
    daemons = await useHostDaemons(hosts.hosts);
  } catch (e) {
    await stopServers();
    throw e;
  }
  return {
    fake,
    hosts,
    daemons: daemons.daemons,
    image: daemons.image,
    addressMap: JSON.stringify({ '*': hosts.hosts.map((h) => `${h.user}@${h.host}:${h.port}`) }),
    stop: async () => {
      await daemons.stop();
      await stopServers();
    },
  };
}
