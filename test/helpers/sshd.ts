/**
 * Real SSH test hosts (test-infrastructure.md section 2): an sshd on 127.0.0.1 on a free port,
 * and N network-namespace hosts on a bridge, each with its own IP, hostname, private HOME
 * (/root bind-mounted from a temp dir, so agents on different "hosts" do not share files)
 * and its own sshd. One generated client key pair authorizes root on all of them.
 *
 * Every host runs inside a holder process (`unshare --mount --uts`, in its netns if any);
 * sshd is started in it with nsenter, so a test can stop and restart sshd alone, and
 * stop() kills everything that ran on the host (sessions, agents, jobs) by mount namespace.
 * Names carry our pid (`skdt<pid>...`), so leftovers of a crashed run are recognised and
 * removed by the next run. Readiness is awaited on sshd's own "Server listening" line.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

export const SSHD = '/usr/sbin/sshd';
const PREFIX = 'skdt';
const SUBNET_LOCKS = path.join(os.tmpdir(), 'skydeck-test-subnets');

export interface SshHost {
  /** 'loopback' or 'h1', 'h2', ... */
  name: string;
  host: string;
  port: number;
  user: string;
  keyPath: string;
  /** The host's HOME (/root inside it), as seen from the test process. */
  homeDir: string;
  /** The host's hostname (what `hostname` prints over ssh). */
  hostname: string;
  /** Kills sshd and its sessions on this host (other processes keep running). */
  stopSshd(): Promise<void>;
  /** Starts sshd again after stopSshd(); resolves when it listens. */
  startSshd(): Promise<void>;
  /** Stops the host: every process that ran on it, its netns. */
  kill(): Promise<void>;
}

export interface SshTestHosts {
  hosts: SshHost[];
  /** Client private key (authorized on every host) and its public key text. */
  keyPath: string;
  publicKey: string;
  /** Temp dir holding keys, configs, homes, logs. */
  dir: string;
  stop(): Promise<void>;
}

/** What SSH test hosts need and this machine lacks (undefined when nothing): for requirePrerequisite. */
export function sshSkipReason(): string | undefined {
  if (!fs.existsSync(SSHD)) return `openssh-server (${SSHD}, installed by scripts/setup/10-sshd.sh)`;
  if (process.getuid?.() !== 0) return 'root (SSH test hosts give each sshd a private HOME through mount namespaces)';
  return undefined;
}

/** What network-namespace hosts need and this machine lacks (undefined when nothing). */
export function netnsSkipReason(): string | undefined {
  const base = sshSkipReason();
  if (base) return base;
  const r = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  if (r.status !== 0) return `network namespaces (\`ip netns list\` failed: ${(r.stderr || r.error?.message || '').trim()}; needs iproute2 and root)`;
  return undefined;
}

function run(argv: string[], allowFail = false): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8' });
  const res = { status: r.status ?? 1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
  if (res.status !== 0 && !allowFail) throw new Error(`${argv.join(' ')} failed (${res.status}): ${res.stderr.trim()}`);
  return res;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function mountNs(pid: number): string | undefined {
  try {
    return fs.readlinkSync(`/proc/${pid}/ns/mnt`);
  } catch {
    return undefined;
  }
}

/** Pids whose mount namespace is `ns` (optionally only those named `comm`). */
function pidsInMountNs(ns: string, comm?: string): number[] {
  const out: number[] = [];
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    const pid = Number(e);
    if (pid === process.pid || mountNs(pid) !== ns) continue;
    if (comm) {
      let c: string;
      try {
        c = fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
      } catch {
        continue;
      }
      if (c !== comm) continue;
    }
    out.push(pid);
  }
  return out;
}

function killAll(pids: number[]): void {
  for (const p of pids) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
}

/** Kills every process of hosts whose temp dir is `dir` (their whole mount namespaces). */
function killHostsOf(dir: string): void {
  const own = mountNs(process.pid);
  const namespaces = new Set<string>();
  const direct: number[] = [];
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e) || Number(e) === process.pid) continue;
    let cmd: string;
    try {
      cmd = fs.readFileSync(`/proc/${e}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    if (!cmd.includes(dir)) continue;
    direct.push(Number(e));
    const ns = mountNs(Number(e));
    if (ns && ns !== own) namespaces.add(ns);
  }
  killAll(direct);
  for (const ns of namespaces) killAll(pidsInMountNs(ns));
}

/** Removes netns, bridges, veths, subnet claims and host processes left by runs whose process is gone. */
export function cleanupStale(): void {
  const nsList = run(['ip', 'netns', 'list'], true).stdout.split('\n');
  for (const line of nsList) {
    const name = line.trim().split(/\s+/)[0];
    const m = name && new RegExp(`^${PREFIX}(\\d+)-`).exec(name);
    if (!m || pidAlive(Number(m[1]))) continue;
    const pids = run(['ip', 'netns', 'pids', name], true).stdout.split('\n').filter(Boolean).map(Number);
    killAll(pids);
    run(['ip', 'netns', 'del', name], true);
  }
  const links = run(['ip', '-o', 'link', 'show'], true).stdout.split('\n');
  for (const line of links) {
    const m = new RegExp(`^\\d+: (${PREFIX}(\\d+)[a-z]+\\d*)[@:]`).exec(line);
    if (m && !pidAlive(Number(m[2]))) run(['ip', 'link', 'del', m[1]], true);
  }
  for (const d of fs.readdirSync(os.tmpdir())) {
    if (!d.startsWith('skydeck-sshd-')) continue;
    const ownerFile = path.join(os.tmpdir(), d, 'owner.pid');
    let owner: number;
    try {
      owner = Number(fs.readFileSync(ownerFile, 'utf8'));
    } catch {
      continue; // not ours to judge (no owner recorded)
    }
    if (owner && !pidAlive(owner)) {
      const dir = path.join(os.tmpdir(), d);
      killHostsOf(dir);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  if (fs.existsSync(SUBNET_LOCKS)) {
    for (const f of fs.readdirSync(SUBNET_LOCKS)) {
      const owner = Number(fs.readFileSync(path.join(SUBNET_LOCKS, f), 'utf8'));
      if (!owner || !pidAlive(owner)) fs.rmSync(path.join(SUBNET_LOCKS, f), { force: true });
    }
  }
}

/** Claims an unused 10.X.Y.0/24 for this run (exclusive file per subnet; concurrent test files differ). */
function claimSubnet(): { prefix: string; release: () => void } {
  fs.mkdirSync(SUBNET_LOCKS, { recursive: true });
  const used = run(['ip', '-o', '-4', 'addr', 'show'], true).stdout;
  for (let i = 0; i < 200; i++) {
    const prefix = `10.${200 + Math.floor(Math.random() * 50)}.${Math.floor(Math.random() * 250) + 1}`;
    if (used.includes(` ${prefix}.`)) continue;
    const lock = path.join(SUBNET_LOCKS, prefix);
    try {
      fs.writeFileSync(lock, String(process.pid), { flag: 'wx' });
    } catch {
      continue;
    }
    return { prefix, release: () => fs.rmSync(lock, { force: true }) };
  }
  throw new Error('no free 10.x.y.0/24 subnet for test hosts');
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

function sshdConfig(dir: string, name: string, listen: string, port: number): string {
  const hostKey = path.join(dir, `hostkey_${name}`);
  if (!fs.existsSync(hostKey)) run(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-f', hostKey]);
  const cfg = path.join(dir, `sshd_config_${name}`);
  fs.writeFileSync(
    cfg,
    [
      `Port ${port}`,
      `ListenAddress ${listen}`,
      `HostKey ${hostKey}`,
      `PidFile ${path.join(dir, `sshd_${name}.pid`)}`,
      `AuthorizedKeysFile ${path.join(dir, 'authorized_keys')}`,
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PubkeyAuthentication yes',
      'PermitRootLogin prohibit-password',
      'StrictModes no',
      'UsePAM no',
      'MaxSessions 32',
      'MaxStartups 64:30:128',
      'Subsystem sftp internal-sftp',
      '',
    ].join('\n'),
  );
  return cfg;
}

/** Waits for `re` in the child's stderr (sshd -e logs there); resolves with the match. */
function waitForLine(child: ChildProcess, re: RegExp, what: string, timeoutMs = 30_000): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => done(new Error(`${what}: not ready after ${timeoutMs} ms. Output:\n${buf}`)), timeoutMs);
    const onData = (c: Buffer): void => {
      buf += c.toString();
      const m = re.exec(buf);
      if (m) done(undefined, m);
    };
    const onExit = (code: number | null): void => done(new Error(`${what} exited (${code}) before it was ready. Output:\n${buf}`));
    function done(err?: Error, match?: RegExpExecArray): void {
      clearTimeout(timer);
      child.stderr?.off('data', onData);
      child.off('exit', onExit);
      if (err) reject(err);
      else resolve(match!);
    }
    child.stderr?.on('data', onData);
    child.on('exit', onExit);
  });
}

/** Connects to host:port and waits for the SSH banner (readiness by connecting). */
function waitForBanner(host: string, port: number, timeoutMs = 30_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host, port });
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`no SSH banner from ${host}:${port}`));
    }, timeoutMs);
    sock.once('data', (d) => {
      clearTimeout(timer);
      sock.destroy();
      if (d.toString().startsWith('SSH-')) resolve();
      else reject(new Error(`unexpected banner from ${host}:${port}: ${d.toString().slice(0, 40)}`));
    });
    sock.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

interface HostSpec {
  name: string;
  /** netns name, or undefined for the root namespace (loopback). */
  netns?: string;
  listen: string;
  port: number;
  hostname: string;
}

class Host implements SshHost {
  readonly host: string;
  readonly port: number;
  readonly user = 'root';
  readonly homeDir: string;
  readonly hostname: string;
  private holder?: ChildProcess;
  private ns?: string;
  private sshd?: ChildProcess;
  private readonly cfg: string;

  constructor(
    private readonly spec: HostSpec,
    readonly keyPath: string,
    private readonly dir: string,
  ) {
    this.host = spec.listen;
    this.port = spec.port;
    this.hostname = spec.hostname;
    this.homeDir = path.join(dir, 'homes', spec.name);
    fs.mkdirSync(this.homeDir, { recursive: true });
    this.cfg = sshdConfig(dir, spec.name, spec.listen, spec.port);
  }

  get name(): string {
    return this.spec.name;
  }

  /** The holder: private mount + UTS namespace with HOME bind-mounted, in the host's netns. */
  async boot(): Promise<void> {
    // The sleeper's argv names our dir, so cleanupStale() can find the host after a crash.
    // The shell prints its pid, which `exec` keeps: that process is inside the namespaces
    // whether or not it has become `sleep` yet (looking for a `sleep` raced with the exec:
    // "holder process not found" under load).
    const inner = `hostname ${this.hostname} && mount --bind '${this.homeDir}' /root && echo "holder-ready $$" >&2 && exec -a 'skydeck-test-host ${this.dir}' sleep infinity`;
    const base = ['unshare', '--mount', '--uts', '--propagation', 'private', '--fork', '--kill-child', 'bash', '-c', inner];
    const argv = this.spec.netns ? ['ip', 'netns', 'exec', this.spec.netns, ...base] : base;
    this.holder = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
    const ready = await waitForLine(this.holder, /holder-ready (\d+)\n/, `host ${this.name} holder`);
    this.holder.stderr?.resume();
    const sleeper = Number(ready[1]);
    this.ns = mountNs(sleeper);
    this.sleeperPid = sleeper;
    await this.startSshd();
  }

  private sleeperPid = 0;

  async startSshd(): Promise<void> {
    const flags = this.spec.netns ? ['-m', '-u', '-n'] : ['-m', '-u'];
    const sshd = spawn('nsenter', ['-t', String(this.sleeperPid), ...flags, SSHD, '-D', '-e', '-f', this.cfg], { stdio: ['ignore', 'ignore', 'pipe'] });
    this.sshd = sshd;
    await waitForLine(sshd, /Server listening on/, `sshd on ${this.name} (${this.host}:${this.port})`);
    // Keep draining its log so it never blocks on a full pipe.
    sshd.stderr?.on('data', (c: Buffer) => {
      try {
        fs.appendFileSync(path.join(this.dir, `sshd_${this.name}.log`), c);
      } catch {
        /* the host was stopped and its dir removed */
      }
    });
    await waitForBanner(this.host, this.port);
  }

  async stopSshd(): Promise<void> {
    if (!this.ns) return;
    const stopping = this.sshd;
    const pids = pidsInMountNs(this.ns, 'sshd');
    killAll(pids);
    await waitGone(pids);
    if (this.sshd === stopping) this.sshd = undefined;
  }

  async kill(): Promise<void> {
    if (this.ns) {
      const pids = pidsInMountNs(this.ns);
      killAll(pids);
      await waitGone(pids);
    }
    if (this.holder?.pid && pidAlive(this.holder.pid)) this.holder.kill('SIGKILL');
    if (this.spec.netns) run(['ip', 'netns', 'del', this.spec.netns], true);
    this.ns = undefined;
  }
}

/** Waits until the pids are gone or zombies (SIGKILL was sent); bounded. */
async function waitGone(pids: number[]): Promise<void> {
  const deadline = Date.now() + 5000;
  const live = (p: number): boolean => {
    try {
      const st = fs.readFileSync(`/proc/${p}/stat`, 'utf8');
      return st.slice(st.lastIndexOf(')') + 2, st.lastIndexOf(')') + 3) !== 'Z';
    } catch {
      return false;
    }
  };
  while (pids.some(live) && Date.now() < deadline) await new Promise((r) => setImmediate(r));
}

function makeKeys(dir: string): { keyPath: string; publicKey: string } {
  const keyPath = path.join(dir, 'client_key');
  run(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', 'skydeck-test', '-f', keyPath]);
  const publicKey = fs.readFileSync(`${keyPath}.pub`, 'utf8');
  fs.writeFileSync(path.join(dir, 'authorized_keys'), publicKey, { mode: 0o600 });
  return { keyPath, publicKey };
}

export interface StartOptions {
  /** Start an sshd on 127.0.0.1 (default true). */
  loopback?: boolean;
  /** Number of network-namespace hosts (default 0). */
  netnsHosts?: number;
}

/**
 * Starts the requested hosts. hosts[0] is the loopback sshd when `loopback`, followed by
 * the netns hosts h1..hN (IPs 10.X.Y.2.. on a bridge whose root-side address is 10.X.Y.1).
 */
export async function startSshHosts(options: StartOptions = {}): Promise<SshTestHosts> {
  const reason = options.netnsHosts ? netnsSkipReason() : sshSkipReason();
  if (reason) throw new Error(reason);
  fs.mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  cleanupStale();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skydeck-sshd-'));
  fs.writeFileSync(path.join(dir, 'owner.pid'), String(process.pid));
  const { keyPath, publicKey } = makeKeys(dir);
  const hosts: Host[] = [];
  const undo: (() => void)[] = [];
  const runId = `${PREFIX}${process.pid}`;
  // A process may start several sets (e.g. per test file); keep names unique within it.
  const seq = nextSeq++;
  const stop = async (): Promise<void> => {
    for (const h of hosts) await h.kill().catch(() => undefined);
    for (const u of undo.reverse()) {
      try {
        u();
      } catch {
        /* best effort */
      }
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    if (options.loopback ?? true) {
      for (let attempt = 0; ; attempt++) {
        const port = await freePort();
        const h = new Host({ name: 'loopback', listen: '127.0.0.1', port, hostname: os.hostname() }, keyPath, dir);
        try {
          await h.boot();
          hosts.push(h);
          break;
        } catch (err) {
          await h.kill();
          if (attempt >= 3) throw err;
        }
      }
    }
    const n = options.netnsHosts ?? 0;
    if (n > 0) {
      const subnet = claimSubnet();
      undo.push(subnet.release);
      const bridge = `${runId}b${seq}`;
      run(['ip', 'link', 'add', bridge, 'type', 'bridge']);
      undo.push(() => run(['ip', 'link', 'del', bridge], true));
      run(['ip', 'addr', 'add', `${subnet.prefix}.1/24`, 'dev', bridge]);
      run(['ip', 'link', 'set', bridge, 'up']);
      for (let i = 1; i <= n; i++) {
        const ns = `${runId}-${seq}-h${i}`;
        const veth = `${runId}v${seq}${i}`.slice(0, 15);
        const ip = `${subnet.prefix}.${i + 1}`;
        run(['ip', 'netns', 'add', ns]);
        undo.push(() => run(['ip', 'netns', 'del', ns], true));
        run(['ip', 'link', 'add', veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
        undo.push(() => run(['ip', 'link', 'del', veth], true));
        run(['ip', 'link', 'set', veth, 'master', bridge]);
        run(['ip', 'link', 'set', veth, 'up']);
        run(['ip', '-n', ns, 'addr', 'add', `${ip}/24`, 'dev', 'eth0']);
        run(['ip', '-n', ns, 'link', 'set', 'eth0', 'up']);
        run(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
        const h = new Host({ name: `h${i}`, netns: ns, listen: ip, port: 22, hostname: `skydeck-h${i}` }, keyPath, dir);
        hosts.push(h);
        await h.boot();
      }
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { hosts, keyPath, publicKey, dir, stop };
}

let nextSeq = 1;

/** The argv for plain OpenSSH to one host (the baseline in benchmarks, `ssh host true`). */
export function sshArgv(h: Pick<SshHost, 'host' | 'port' | 'user' | 'keyPath'>, ...command: string[]): string[] {
  return [
    'ssh',
    '-i',
    h.keyPath,
    '-p',
    String(h.port),
    '-o',
    'StrictHostKeyChecking=no',
    '-o',
    'UserKnownHostsFile=/dev/null',
    '-o',
    'BatchMode=yes',
    '-o',
    'LogLevel=ERROR',
    `${h.user}@${h.host}`,
    ...command,
  ];
}
