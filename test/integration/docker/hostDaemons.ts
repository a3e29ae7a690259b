/**
 * A Docker daemon of its own on each network-namespace sshd host, as each machine of a real
 * node pool has: started over ssh inside the host (its network, mount and UTS namespaces), as
 * `dockerd --bridge=none --iptables=false`, so a `--network host` container gets that host's
 * network and hostname. Everything lives under the host's HOME (/root inside it, its own temp
 * dir seen from here), so the daemon's socket has the same path on every host
 * (HOST_DOCKER_SOCKET) and the engine's one SKYDECK_DOCKER_HOST reaches each host's own daemon.
 * The host's stop() ends the daemon with everything else that ran there; `stop()` here first
 * removes the containers, whose processes are in namespaces of their own.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { sshArgv, type SshHost } from '../../helpers/sshd';
import { buildTestImage } from '../../helpers/docker';

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

function ping(socket: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get({ socketPath: socket, path: '/_ping', timeout: 60_000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });
}

/** Resolves when `file` exists (watching its directory, no polling sleeps). */
function whenExists(file: string, timeoutMs: number, detail: () => string): Promise<void> {
  return new Promise((resolve, reject) => {
    const watcher = fs.watch(path.dirname(file), () => fs.existsSync(file) && done());
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
    `setsid dockerd --bridge=none --iptables=false --ip-masq=false --data-root=${d}/data --exec-root=${d}/exec ` +
    `--pidfile=${d}/dockerd.pid -H unix://${HOST_DOCKER_SOCKET} </dev/null >${d}/dockerd.log 2>&1 &`;
  const argv = sshArgv(host, cmd);
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`Starting dockerd on ${host.name} failed: ${r.stderr}`);
  const log = () => fs.readFileSync(path.join(dir, 'dockerd.log'), 'utf8').split('\n').slice(-20).join('\n');
  await whenExists(socket, 120_000, log);
  if (!(await ping(socket))) throw new Error(`dockerd on ${host.name} does not answer.\n${log()}`);
  const docker = (args: string[]): string => {
    const out = spawnSync('docker', ['-H', `unix://${socket}`, ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    if (out.status !== 0) throw new Error(`docker ${args.join(' ')} on ${host.name} failed (${out.status}): ${out.stderr}`);
    return out.stdout;
  };
  return { host, socket, docker };
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
  return d
    .docker(['ps', '-a', '--filter', `name=^${prefix}`, '--format', '{{.Names}}\t{{.State}}'])
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [name, state] = l.split('\t');
      return { name, state };
    });
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
