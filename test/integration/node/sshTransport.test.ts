/**
 * SshTransport against real sshd: one on loopback and two network-namespace hosts.
 * exec (exit codes, env, cwd, stdin, quoting), streaming, connection reuse, SFTP putFile,
 * tar putDir with a filter, and the typed errors: auth, host key, unreachable, sshd stopped.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { closeAllSshConnections, configureSshPool, sshPoolSize, SshTransport } from '../../../engine/node/ssh';
import { isTransportError, TransportError } from '../../../engine/node/transport';
import { netnsSkipReason, startSshHosts, type SshHost, type SshTestHosts } from '../../helpers/sshd';
import { requirePrerequisite } from '../../helpers/prerequisites';

const skip = requirePrerequisite(netnsSkipReason());
let env: SshTestHosts;
let loop: SshHost;
let h1: SshHost;
let h2: SshHost;
const transports: SshTransport[] = [];

function connect(h: SshHost, extra: Partial<ConstructorParameters<typeof SshTransport>[0]> = {}): SshTransport {
  const t = new SshTransport({ host: h.host, port: h.port, user: h.user, keyPath: h.keyPath, connectTimeoutMs: 5000, hostKey: 'accept-any', ...extra });
  transports.push(t);
  return t;
}

async function rejectsWith(p: Promise<unknown>, kind: TransportError['kind'] | TransportError['kind'][], target: string): Promise<TransportError> {
  try {
    await p;
  } catch (err) {
    assert.ok(isTransportError(err), `expected a TransportError, got ${String(err)}`);
    const kinds = Array.isArray(kind) ? kind : [kind];
    assert.ok(kinds.includes(err.kind), `kind ${err.kind} not in ${kinds.join('|')}: ${err.message}`);
    assert.ok(err.message.includes(target), `message names ${target}: ${err.message}`);
    assert.ok(err.hint && err.hint.length > 10, 'says what to do');
    return err;
  }
  assert.fail('expected a rejection');
}

before(async () => {
  if (skip) return;
  env = await startSshHosts({ loopback: true, netnsHosts: 2 });
  [loop, h1, h2] = env.hosts;
});

after(async () => {
  for (const t of transports) await t.close();
  closeAllSshConnections();
  await env?.stop();
});

test('exec: exit codes, stderr, env, cwd, stdin and awkward arguments', { skip }, async () => {
  const t = connect(loop);
  const r = await t.exec(['printf', '%s|', 'a b', "it's", '$HOME', '`x`', 'line\nbreak', '']);
  assert.equal(r.exitCode, 0);
  assert.equal(r.stdout, "a b|it's|$HOME|`x`|line\nbreak||");
  const f = await t.exec(['bash', '-c', 'echo oops >&2; exit 42']);
  assert.equal(f.exitCode, 42);
  assert.equal(f.stderr, 'oops\n');
  fs.mkdirSync(path.join(loop.homeDir, 'sub dir'), { recursive: true });
  const e = await t.exec(['bash', '-c', 'echo "$FOO|$PWD"; cat'], { env: { FOO: "x 'y' $z" }, cwd: '~/sub dir', stdin: 'from-stdin' });
  assert.equal(e.stdout, "x 'y' $z|/root/sub dir\nfrom-stdin");
  const killed = await t.exec(['bash', '-c', 'kill -TERM $$']);
  assert.equal(killed.exitCode, 128 + 15);
});

test('streaming output and many commands multiplexed over one connection', { skip }, async () => {
  const t = connect(loop);
  spawnSync('mkfifo', [path.join(loop.homeDir, 'gate')]);
  let firstSeen!: () => void;
  const first = new Promise<void>((r) => (firstSeen = r));
  let streamed = '';
  const long = t.exec(['bash', '-c', 'echo first; cat ~/gate; echo second'], {
    onStdout: (c) => {
      streamed += c.toString();
      if (streamed.includes('first')) firstSeen();
    },
  });
  await first; // output arrived while the command still runs (it waits on the gate)
  const other = connect(loop); // a second transport to the same target shares the connection
  await other.exec(['bash', '-c', 'echo go > ~/gate']);
  const r = await long;
  assert.equal(r.stdout, 'first\ngo\nsecond\n');
  assert.equal(streamed, r.stdout);
  // More parallel commands than channels per connection: queued, all succeed.
  const many = await Promise.all(Array.from({ length: 20 }, (_, i) => t.exec(['bash', '-c', `echo ${i}`])));
  assert.deepEqual(
    many.map((m) => m.stdout.trim()),
    Array.from({ length: 20 }, (_, i) => String(i)),
  );
  assert.equal(sshPoolSize(), 1, 'one pooled connection for one target');
  const sessions = spawnSync('bash', ['-c', `ss -tn state established '( dport = :${loop.port} )' | tail -n +2 | wc -l`], { encoding: 'utf8' });
  if (sessions.status === 0) assert.equal(sessions.stdout.trim(), '1', 'one TCP connection to sshd');
});

test('pool linger: an unused connection is kept for the next transport only when configured', { skip }, async () => {
  closeAllSshConnections();
  const logins = (): number => (fs.readFileSync(path.join(env.dir, `sshd_${loop.name}.log`), 'utf8').match(/Accepted publickey/g) ?? []).length;
  const once = async (): Promise<void> => {
    const t = new SshTransport({ host: loop.host, port: loop.port, user: loop.user, keyPath: loop.keyPath, hostKey: 'accept-any' });
    assert.equal((await t.exec(['true'])).exitCode, 0);
    await t.close();
  };
  const l0 = logins();
  await once();
  await once();
  assert.equal(logins() - l0, 2, 'default: each transport after the last one closed logs in again');
  assert.equal(sshPoolSize(), 0);
  configureSshPool({ idleMs: 60_000 });
  try {
    const l1 = logins();
    await once();
    await once();
    await once();
    assert.equal(logins() - l1, 1, 'linger: one login for three transports in a row');
    assert.equal(sshPoolSize(), 1);
  } finally {
    configureSshPool({ idleMs: 0 });
    closeAllSshConnections();
  }
});

test('putFile (SFTP, atomic, parents created, mode) and putDir (tar) with a filter', { skip }, async () => {
  const t = connect(loop);
  await t.putFile('~/deep/er/file.txt', 'hello\n', 0o640);
  const p = path.join(loop.homeDir, 'deep/er/file.txt');
  assert.equal(fs.readFileSync(p, 'utf8'), 'hello\n');
  assert.equal(fs.statSync(p).mode & 0o777, 0o640);
  await t.putFile('~/deep/er/file.txt', Buffer.from('replaced'));
  assert.equal(fs.readFileSync(p, 'utf8'), 'replaced');
  assert.deepEqual(fs.readdirSync(path.dirname(p)), ['file.txt'], 'no temp files left');

  const src = fs.mkdtempSync(path.join(os.tmpdir(), 'skydeck-putdir-'));
  try {
    const files: Record<string, string> = {
      'train.py': 'print(1)\n',
      'data/a.csv': 'x\n',
      'data/deeper/b.csv': 'y\n',
      'node_modules/pkg/index.js': 'skip me',
      'logs/run.log': 'skip me too',
      'notes.log': 'and me',
      'with space/ok.txt': 'ok',
    };
    for (const [rel, content] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(src, rel)), { recursive: true });
      fs.writeFileSync(path.join(src, rel), content);
    }
    fs.chmodSync(path.join(src, 'train.py'), 0o755);
    const seen: string[] = [];
    await t.putDir(src, '~/sky_workdir', (rel) => {
      seen.push(rel);
      return !rel.startsWith('node_modules') && !rel.endsWith('.log');
    });
    const dest = path.join(loop.homeDir, 'sky_workdir');
    const listed = spawnSync('find', ['.', '-type', 'f'], { cwd: dest, encoding: 'utf8' })
      .stdout.split('\n')
      .filter(Boolean)
      .map((f) => f.slice(2))
      .sort();
    assert.deepEqual(listed, ['data/a.csv', 'data/deeper/b.csv', 'train.py', 'with space/ok.txt']);
    assert.equal(fs.readFileSync(path.join(dest, 'data/deeper/b.csv'), 'utf8'), 'y\n');
    assert.equal(fs.statSync(path.join(dest, 'train.py')).mode & 0o777, 0o755);
    assert.ok(seen.includes('data/deeper/b.csv') && seen.every((s) => !s.startsWith('./')), 'filter sees relative posix paths');
  } finally {
    fs.rmSync(src, { recursive: true, force: true });
  }
});

test('auth failure: TransportError auth naming user@host:port', { skip }, async () => {
  const other = path.join(env.dir, 'wrong_key');
  spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', other]);
  const t = connect(loop, { keyPath: other });
  await rejectsWith(t.exec(['true']), 'auth', `root@127.0.0.1:${loop.port}`);
  const missing = connect(loop, { keyPath: path.join(env.dir, 'no-such-key') });
  await rejectsWith(missing.exec(['true']), 'auth', 'no-such-key');
});

test('host key: mismatch is refused, accept-new records the key and then verifies it', { skip }, async () => {
  const known = path.join(env.dir, 'known_hosts_test');
  fs.writeFileSync(known, `[127.0.0.1]:${loop.port} ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\n`);
  await rejectsWith(connect(loop, { hostKey: { knownHostsFile: known } }).exec(['true']), 'host-key', `root@127.0.0.1:${loop.port}`);
  const fresh = path.join(env.dir, 'known_hosts_new');
  await rejectsWith(connect(loop, { hostKey: { knownHostsFile: fresh } }).exec(['true']), 'host-key', `root@127.0.0.1:${loop.port}`);
  assert.equal((await connect(loop, { hostKey: { knownHostsFile: fresh, acceptNew: true } }).exec(['true'])).exitCode, 0);
  assert.match(fs.readFileSync(fresh, 'utf8'), new RegExp(`^\\[127\\.0\\.0\\.1\\]:${loop.port} ssh-ed25519 `));
  assert.equal((await connect(loop, { hostKey: { knownHostsFile: fresh } }).exec(['true'])).exitCode, 0);
});

test('unreachable: nothing listening, and an address nobody answers for', { skip }, async () => {
  const closedPort = { ...loop, port: 1 };
  await rejectsWith(connect(closedPort).exec(['true']), 'unreachable', 'root@127.0.0.1:1');
  const ghost = { ...h1, host: h1.host.replace(/\.\d+$/, '.250') };
  await rejectsWith(connect(ghost, { connectTimeoutMs: 1500 }).exec(['true']), ['unreachable', 'timeout'], `root@${ghost.host}:22`);
});

test('network-namespace hosts: own address and hostname each', { skip }, async () => {
  for (const h of [h1, h2]) {
    const t = connect(h);
    const r = await t.exec(['bash', '-c', 'hostname; ip -4 -o addr show dev eth0']);
    assert.equal(r.exitCode, 0);
    assert.equal(r.stdout.split('\n')[0], h.hostname);
    assert.ok(r.stdout.includes(`inet ${h.host}/24`), r.stdout);
  }
});

test('sshd stopped mid-session: the running command fails with a clear error; reconnects once sshd is back', { skip }, async () => {
  const t = connect(h2, { keepaliveIntervalMs: 1000, keepaliveCountMax: 2 });
  assert.equal((await t.exec(['true'])).exitCode, 0);
  let started!: () => void;
  const running = new Promise<void>((r) => (started = r));
  const long = t.exec(['bash', '-c', 'echo up; sleep 60'], { onStdout: () => started() });
  await running;
  const failed = rejectsWith(long, 'closed', `root@${h2.host}:22`); // handler attached before the failure
  await h2.stopSshd();
  const err = await failed;
  assert.match(err.message, /outcome is unknown/);
  await rejectsWith(t.exec(['true']), 'unreachable', `root@${h2.host}:22`);
  await h2.startSshd();
  assert.equal((await t.exec(['hostname'])).stdout.trim(), h2.hostname);
});

test('interactiveShell: the OpenSSH argv reaches the node', { skip }, () => {
  const sh = connect(h1).interactiveShell();
  assert.equal(sh.argv[0], 'ssh');
  assert.ok(sh.argv.includes('-t'));
  const r = spawnSync(sh.argv[0], [...sh.argv.slice(1), 'hostname'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), h1.hostname);
});
