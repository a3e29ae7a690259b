/**
 * SshTransport over ssh2. Connections are pooled (keyed by user/host/port/key/host-key policy):
 * one TCP+SSH connection multiplexes many exec channels, so a warm exec costs one channel
 * open (one round-trip) instead of a handshake. Keepalives detect dead peers; every failure
 * becomes a TransportError naming user@host:port and what to do.
 *
 * putDir streams a tar archive (the `tar` package) into `tar -x` on the node over one exec
 * channel: one round-trip for the whole tree, whereas SFTP costs several round-trips per file
 * (open, write, close, mkdir). SFTP is the fallback when the node has no `tar`, and is used
 * for putFile (atomic write + rename).
 *
 * With `proxyCommand` (`<cloud>.ssh_proxy_command`) the SSH stream runs over that command's
 * stdin/stdout (./proxyCommand.ts) instead of TCP, as OpenSSH's ProxyCommand does.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as crypto from 'node:crypto';
import { Readable } from 'node:stream';
import { Client, type Algorithms, type ClientChannel, type SFTPWrapper } from 'ssh2';
import { CancelledError, InputError, SkyDeckError } from '../errors';
import { BoundedOutput } from './output';
import { envAndCwdPrefix, shellJoin, shellQuoteRemotePath } from './quote';
import { NO_TAR_EXIT, packDir, unpackCommand } from './tarStream';
import { TransportError, type ExecOptions, type ExecResult, type InteractiveShell, type Transport, type TransportFailure } from './transport';
import { algorithmsFor, knownHostName, lookupHost, skydeckKnownHostsFile, verifyHostKey, type HostKeyRefusal } from './knownHosts';
import { sshConfigPath } from './sshConfigQuote';
import { PROXY_HINT, proxyFailureMessage, startProxy, type RunningProxy } from './proxyCommand';

/**
 * How to check the node's host key: a known_hosts file (with `acceptNew`, trust on first use:
 * an unknown host's key is recorded), or 'accept-any' (no check: tests and benchmarks against
 * throwaway sshds only). Default: SkyDeck's own known_hosts with trust on first use.
 */
export type HostKeyPolicy = 'accept-any' | { knownHostsFile: string; acceptNew?: boolean };

/** The default policy: SKYDECK_HOME/known_hosts, trust on first use. */
function defaultHostKeyPolicy(): HostKeyPolicy {
  return { knownHostsFile: skydeckKnownHostsFile(), acceptNew: true };
}

/** Key types recorded for a host, most preferred first, so ssh2 asks the host for a key we can check. */
const HOST_KEY_ALGORITHMS = ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'];

export interface SshTransportOptions {
  host: string;
  port?: number;
  user: string;
  /** Private key file (OpenSSH or PEM). Either this or privateKey. */
  keyPath?: string;
  privateKey?: string | Buffer;
  passphrase?: string;
  /** TCP connect + SSH handshake deadline (default 10 s). */
  connectTimeoutMs?: number;
  /** Keepalive interval (default 10 s); the peer is declared dead after `keepaliveCountMax` (3) misses. */
  keepaliveIntervalMs?: number;
  keepaliveCountMax?: number;
  hostKey?: HostKeyPolicy;
  /** Parallel exec channels per connection (sshd's MaxSessions default is 10). Default 8. */
  maxChannels?: number;
  /** putDir method: 'tar' (default; SFTP when the node has no tar) or 'sftp' (benchmarks). */
  putDirMethod?: 'tar' | 'sftp';
  /**
   * OpenSSH ProxyCommand (`%h`, `%p`, `%r` expanded): the connection runs over its stdin/stdout
   * instead of TCP to host:port (a node on a private IP behind a jump host).
   */
  proxyCommand?: string;
  /** Where proxyCommand came from (`aws.ssh_proxy_command (file:line)`), named in its errors. */
  proxyCommandSource?: string;
}

/** Thrown internally when a channel could not be opened (the command never started: safe to retry). */
class ChannelOpenError extends Error {}

class PooledConnection {
  readonly client = new Client();
  ready!: Promise<void>;
  dead = false;
  refs = 0;
  /** Pending end of an unused connection (pool linger). */
  idleTimer?: NodeJS.Timeout;
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  /** Rejecters of in-flight commands, called when the connection dies. */
  readonly inflight = new Set<(err: Error) => void>();
  private sftpSession?: Promise<SFTPWrapper>;

  constructor(
    readonly key: string,
    private readonly maxChannels: number,
  ) {}

  async slot(): Promise<() => void> {
    if (this.active >= this.maxChannels) await new Promise<void>((r) => this.waiting.push(r));
    this.active++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.active--;
      this.waiting.shift()?.();
    };
  }

  sftp(): Promise<SFTPWrapper> {
    this.sftpSession ??= new Promise<SFTPWrapper>((resolve, reject) => {
      this.client.sftp((err, sftp) => {
        if (err) return reject(err);
        // A closed SFTP session (server side, or channel error) is reopened on next use.
        sftp.on('close', () => (this.sftpSession = undefined));
        resolve(sftp);
      });
    });
    this.sftpSession.catch(() => (this.sftpSession = undefined));
    return this.sftpSession;
  }

  markDead(err: Error): void {
    if (this.dead) return;
    this.dead = true;
    if (pool.get(this.key) === this) pool.delete(this.key);
    for (const reject of [...this.inflight]) reject(err);
    this.inflight.clear();
    for (const w of this.waiting.splice(0)) w();
  }
}

const pool = new Map<string, PooledConnection>();
let lingerMs = 0;

/**
 * How long an unused pooled connection stays open for the next transport to the same target
 * (default 0: ended when its last transport closes, so a CLI process can exit). Long-lived
 * hosts (the extension) set a few minutes; the timer never keeps a process alive.
 */
export function configureSshPool(options: { idleMs: number }): void {
  lingerMs = Math.max(0, options.idleMs);
}

/** Live pooled connections (one per user/host/port/key): for health views and tests. */
export function sshPoolSize(): number {
  return [...pool.values()].filter((c) => !c.dead).length;
}

/** Ends every pooled SSH connection (tests, process shutdown). */
export function closeAllSshConnections(): void {
  for (const conn of [...pool.values()]) {
    conn.markDead(new Error('closed'));
    conn.client.end();
  }
  pool.clear();
}

export class SshTransport implements Transport {
  readonly description: string;
  private readonly options: Required<Pick<SshTransportOptions, 'port' | 'connectTimeoutMs' | 'keepaliveIntervalMs' | 'keepaliveCountMax' | 'maxChannels'>> &
    SshTransportOptions;
  private held?: PooledConnection;
  private closed = false;

  constructor(options: SshTransportOptions) {
    this.options = { port: 22, connectTimeoutMs: 10_000, keepaliveIntervalMs: 10_000, keepaliveCountMax: 3, maxChannels: 8, ...options };
    this.options.hostKey ??= defaultHostKeyPolicy();
    this.description = `${options.user}@${options.host}:${this.options.port}`;
  }

  private poolKey(): string {
    const o = this.options;
    const keyId = o.keyPath ?? (o.privateKey ? crypto.createHash('sha256').update(o.privateKey).digest('hex').slice(0, 16) : 'none');
    const hk = o.hostKey === undefined || o.hostKey === 'accept-any' ? 'any' : `${o.hostKey.knownHostsFile}:${o.hostKey.acceptNew ? 1 : 0}`;
    return `${o.user}@${o.host}:${o.port}|${keyId}|${hk}|${o.proxyCommand ?? ''}`;
  }

  /** A ready pooled connection (connecting when none is alive). */
  private async connection(): Promise<PooledConnection> {
    if (this.closed)
      throw new TransportError('closed', this.description, `The SSH transport to ${this.description} was closed.`, { hint: 'Create a new transport.' });
    const key = this.poolKey();
    let conn = pool.get(key);
    if (!conn || conn.dead) {
      conn = this.connect(key);
      pool.set(key, conn);
    }
    if (this.held !== conn) {
      if (this.held) this.release(this.held);
      this.held = conn;
      conn.refs++;
      if (conn.idleTimer) {
        clearTimeout(conn.idleTimer);
        conn.idleTimer = undefined;
      }
    }
    await conn.ready;
    return conn;
  }

  private release(conn: PooledConnection): void {
    conn.refs--;
    if (conn.refs <= 0 && lingerMs > 0 && !conn.dead) {
      conn.idleTimer = setTimeout(() => {
        if (conn.refs > 0) return;
        if (pool.get(conn.key) === conn) pool.delete(conn.key);
        conn.markDead(new Error('idle'));
        conn.client.end();
      }, lingerMs);
      conn.idleTimer.unref();
      return;
    }
    if (conn.refs <= 0) {
      if (pool.get(conn.key) === conn) pool.delete(conn.key);
      conn.markDead(new Error('released'));
      conn.client.end();
    }
  }

  private connect(key: string): PooledConnection {
    const o = this.options;
    const conn = new PooledConnection(key, o.maxChannels);
    let hostKeyProblem: HostKeyRefusal | undefined;
    conn.ready = new Promise<void>((resolve, reject) => {
      let privateKey: string | Buffer | undefined = o.privateKey;
      if (!privateKey && o.keyPath) {
        try {
          privateKey = fs.readFileSync(o.keyPath);
        } catch (err) {
          conn.dead = true;
          reject(
            new TransportError('auth', this.description, `Cannot read the SSH identity file ${o.keyPath} for ${this.description}.`, {
              hint: 'Check the path in the node pool / cluster config and its permissions.',
              cause: err,
            }),
          );
          return;
        }
      }
      let settled = false;
      let proxy: RunningProxy | undefined;
      if (o.proxyCommand) {
        try {
          proxy = startProxy({ command: o.proxyCommand, source: o.proxyCommandSource }, { host: o.host, port: o.port, user: o.user });
        } catch (err) {
          conn.dead = true;
          reject(err);
          return;
        }
        const running = proxy;
        conn.client.on('close', () => running.stop());
      }
      // Before the handshake, a proxy that ended is the cause to report (not "connection closed").
      const failBeforeReady = (fallback: TransportError): void => {
        if (!proxy) {
          settled = true;
          conn.markDead(fallback);
          reject(fallback);
          return;
        }
        const running = proxy;
        settled = true;
        void Promise.race([running.exited, new Promise<undefined>((r) => setTimeout(() => r(undefined), 2000).unref())]).then((result) => {
          const via = `through the SSH proxy command of ${o.proxyCommandSource ?? 'the node'}`;
          const terr =
            fallback.kind === 'host-key' || fallback.kind === 'auth'
              ? fallback
              : result === undefined
                ? new TransportError(fallback.kind, this.description, `${fallback.message} (${via})`, { hint: PROXY_HINT, cause: fallback })
                : new TransportError(
                    'unreachable',
                    this.description,
                    proxyFailureMessage({ command: o.proxyCommand!, source: o.proxyCommandSource }, o, result),
                    {
                      hint: PROXY_HINT,
                      cause: fallback,
                    },
                  );
          running.stop();
          conn.markDead(terr);
          reject(terr);
        });
      };
      conn.client.on('ready', () => {
        settled = true;
        resolve();
      });
      conn.client.on('error', (err: Error & { level?: string; code?: string }) => {
        const terr = this.classify(err, hostKeyProblem, settled);
        if (!settled) failBeforeReady(terr);
        else conn.markDead(terr);
      });
      conn.client.on('close', () => {
        const terr = new TransportError(
          'closed',
          this.description,
          `The SSH connection to ${this.description} was closed (the node may have stopped, rebooted or its SSH server was stopped).`,
          {
            hint: 'Check that the node is up (`skydeck status --refresh`); commands that were running have an unknown outcome.',
          },
        );
        if (!settled) {
          failBeforeReady(
            new TransportError('unreachable', this.description, `The SSH connection to ${this.description} closed during the handshake.`, {
              hint: 'Check that an SSH server is listening on that port.',
            }),
          );
          return;
        }
        conn.markDead(terr);
      });
      try {
        conn.client.connect({
          ...(proxy ? { sock: proxy.stream } : { host: o.host, port: o.port }),
          username: o.user,
          privateKey,
          passphrase: o.passphrase,
          readyTimeout: o.connectTimeoutMs,
          keepaliveInterval: o.keepaliveIntervalMs,
          keepaliveCountMax: o.keepaliveCountMax,
          algorithms: this.hostKeyAlgorithms(),
          hostVerifier: (hostKey: Buffer) => {
            const policy = o.hostKey;
            if (policy === undefined || policy === 'accept-any') return true;
            hostKeyProblem = verifyHostKey(policy.knownHostsFile, knownHostName(o.host, o.port), hostKey, {
              acceptNew: !!policy.acceptNew,
              target: this.description,
            });
            return hostKeyProblem === undefined;
          },
        });
      } catch (err) {
        settled = true;
        conn.dead = true;
        proxy?.stop();
        reject(
          new TransportError('auth', this.description, `Cannot use the SSH key for ${this.description}: ${(err as Error).message}`, {
            hint: 'Check the identity file (format, passphrase).',
            cause: err,
          }),
        );
      }
    });
    conn.ready.catch(() => undefined);
    return conn;
  }

  /**
   * Host key algorithms with the types recorded for this host first: a host with several keys
   * (ed25519, ecdsa, rsa) must show the one we know, or a known host would look changed.
   */
  private hostKeyAlgorithms(): Algorithms | undefined {
    const policy = this.options.hostKey;
    if (policy === undefined || policy === 'accept-any') return undefined;
    const recorded = lookupHost(policy.knownHostsFile, knownHostName(this.options.host, this.options.port)).filter((e) => !e.marker);
    if (recorded.length === 0) return undefined;
    const first = [...new Set(recorded.flatMap((e) => algorithmsFor(e.type)))].filter((a) => HOST_KEY_ALGORITHMS.includes(a));
    return { serverHostKey: [...first, ...HOST_KEY_ALGORITHMS.filter((a) => !first.includes(a))] as Algorithms['serverHostKey'] };
  }

  private classify(err: Error & { level?: string; code?: string }, hostKeyProblem: HostKeyRefusal | undefined, connected: boolean): TransportError {
    const d = this.description;
    const o = this.options;
    const mk = (kind: TransportFailure, msg: string, hint: string): TransportError => new TransportError(kind, d, msg, { hint, cause: err });
    if (hostKeyProblem) return mk('host-key', `Host key verification failed for ${d}. ${hostKeyProblem.message}`, hostKeyProblem.hint);
    if (err.level === 'client-authentication')
      return mk(
        'auth',
        `Permission denied for ${d} (publickey${o.keyPath ? `, key ${o.keyPath}` : ''}).`,
        `Check the user name and that the public key is in ~${o.user}/.ssh/authorized_keys on ${o.host}.`,
      );
    if (err.level === 'client-timeout') {
      if (connected)
        return mk('closed', `The SSH connection to ${d} stopped answering (keepalive timeout).`, 'The node or the network to it is down; check it and retry.');
      return mk('timeout', `Timed out after ${o.connectTimeoutMs} ms connecting to ${d}.`, 'Check that the host is up and reachable (address, firewall, VPN).');
    }
    if (err.code === 'ECONNREFUSED')
      return mk(
        'unreachable',
        `Connection refused by ${o.host}:${o.port} (${d}): no SSH server is listening.`,
        'Check that sshd runs on the node and the port is right.',
      );
    if (err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN')
      return mk('unreachable', `Cannot resolve host name ${o.host} (${d}).`, 'Check the host name or use an IP address.');
    if (err.code && ['EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ETIMEDOUT', 'EADDRNOTAVAIL'].includes(err.code))
      return mk('unreachable', `Cannot reach ${d} (${err.code}).`, 'Check that the host is up and that this machine has a route to it.');
    if (connected) return mk('closed', `The SSH connection to ${d} failed: ${err.message}.`, 'Check the node and retry.');
    return mk('unreachable', `Cannot connect to ${d}: ${err.message}.`, 'Check that the host is up and runs an SSH server.');
  }

  async exec(argv: string[], options: ExecOptions = {}): Promise<ExecResult> {
    if (argv.length === 0) throw new InputError('exec needs a command (empty argv).');
    const command = buildRemoteCommand(argv, options);
    for (let attempt = 0; ; attempt++) {
      if (options.signal?.aborted) throw new CancelledError(`Command on ${this.description}`);
      const conn = await this.connection();
      try {
        return await this.run(conn, command, argv, options);
      } catch (err) {
        // The channel never opened (the pooled connection had just died): reconnect once.
        if (err instanceof ChannelOpenError && attempt === 0 && conn.dead) continue;
        if (err instanceof ChannelOpenError) {
          throw new TransportError(
            conn.dead ? 'closed' : 'unreachable',
            this.description,
            `Cannot open a command channel on ${this.description}: ${err.message}.`,
            {
              hint: conn.dead ? 'The connection was lost; check the node and retry.' : 'The SSH server refused a new session (MaxSessions?); retry.',
            },
          );
        }
        throw err;
      }
    }
  }

  private async run(conn: PooledConnection, command: string, argv: string[], options: ExecOptions): Promise<ExecResult> {
    const release = await conn.slot();
    try {
      return await new Promise<ExecResult>((resolve, reject) => {
        const stdout = new BoundedOutput();
        const stderr = new BoundedOutput();
        let channel: ClientChannel | undefined;
        let exitCode: number | undefined;
        let done = false;
        let timer: NodeJS.Timeout | undefined;
        const finish = (err: Error | undefined, result?: ExecResult): void => {
          if (done) return;
          done = true;
          conn.inflight.delete(onConnectionLost);
          options.signal?.removeEventListener('abort', onAbort);
          if (timer) clearTimeout(timer);
          if (err) {
            try {
              channel?.close();
            } catch {
              /* connection already gone */
            }
            reject(err);
          } else resolve(result as ExecResult);
        };
        const onConnectionLost = (err: Error): void => {
          if (!channel) return finish(new ChannelOpenError(err.message));
          finish(
            err instanceof TransportError
              ? new TransportError(
                  err.kind === 'timeout' ? 'closed' : err.kind,
                  this.description,
                  `${err.message} '${argv[0]}' was running; its outcome is unknown.`,
                  { hint: err.hint, cause: err },
                )
              : new TransportError(
                  'closed',
                  this.description,
                  `The SSH connection to ${this.description} was lost while '${argv[0]}' was running; its outcome is unknown.`,
                  { hint: 'Check the node and retry.', cause: err },
                ),
          );
        };
        const onAbort = (): void => {
          try {
            channel?.signal('KILL');
          } catch {
            /* best effort: sshd may not support signals */
          }
          finish(new CancelledError(`Command on ${this.description}`));
        };
        conn.inflight.add(onConnectionLost);
        options.signal?.addEventListener('abort', onAbort, { once: true });
        if (options.timeoutMs) {
          timer = setTimeout(() => {
            try {
              channel?.signal('KILL');
            } catch {
              /* best effort */
            }
            finish(
              new TransportError('timeout', this.description, `'${argv[0]}' on ${this.description} did not finish within ${options.timeoutMs} ms.`, {
                hint: 'Raise the timeout or check what the command waits for.',
              }),
            );
          }, options.timeoutMs);
        }
        try {
          conn.client.exec(command, (err, stream) => {
            if (err) return finish(new ChannelOpenError(err.message));
            if (done) {
              stream.close();
              return;
            }
            channel = stream;
            stream.on('data', (c: Buffer) => {
              stdout.push(c);
              options.onStdout?.(c);
            });
            stream.stderr.on('data', (c: Buffer) => {
              stderr.push(c);
              options.onStderr?.(c);
            });
            stream.on('exit', (code: number | null, signalName?: string) => {
              exitCode = code ?? 128 + signalNumber(signalName);
            });
            stream.on('close', () => finish(undefined, { exitCode: exitCode ?? (conn.dead ? -1 : 0), stdout: stdout.toString(), stderr: stderr.toString() }));
            stream.on('error', (e: Error) =>
              finish(
                new TransportError('closed', this.description, `Command channel on ${this.description} failed: ${e.message}.`, { hint: 'Retry.', cause: e }),
              ),
            );
            if (options.stdin instanceof Readable) options.stdin.pipe(stream);
            else stream.end(options.stdin ?? '');
          });
        } catch (err) {
          finish(new ChannelOpenError((err as Error).message));
        }
      });
    } finally {
      release();
    }
  }

  async putFile(remotePath: string, content: string | Buffer, mode?: number): Promise<void> {
    const conn = await this.connection();
    const sftp = await conn.sftp().catch((err: Error) => {
      throw new TransportError('closed', this.description, `Cannot start SFTP on ${this.description}: ${err.message}.`, {
        hint: 'Check that the SSH server enables the sftp subsystem.',
        cause: err,
      });
    });
    const target = sftpPath(remotePath);
    const tmp = `${target}.tmp-${crypto.randomBytes(4).toString('hex')}`;
    const write = (): Promise<void> =>
      new Promise((resolve, reject) => sftp.writeFile(tmp, content, mode !== undefined ? { mode } : {}, (err) => (err ? reject(err) : resolve())));
    try {
      await write();
    } catch (err) {
      if ((err as { code?: number }).code !== 2) throw this.sftpError('write', remotePath, err);
      // No such directory: create parents (one exec) and retry.
      const mk = await this.exec(['mkdir', '-p', path.posix.dirname(target) || '.']);
      if (mk.exitCode !== 0)
        throw new SkyDeckError('REMOTE_WRITE_FAILED', `Cannot create ${path.posix.dirname(remotePath)} on ${this.description}: ${mk.stderr.trim()}`);
      await write().catch((e: unknown) => {
        throw this.sftpError('write', remotePath, e);
      });
    }
    if (mode !== undefined)
      await new Promise<void>((resolve, reject) => sftp.chmod(tmp, mode, (err) => (err ? reject(this.sftpError('chmod', remotePath, err)) : resolve())));
    await new Promise<void>((resolve, reject) =>
      sftp.ext_openssh_rename(tmp, target, (err) => (err ? reject(this.sftpError('rename', remotePath, err)) : resolve())),
    );
  }

  private sftpError(op: string, remotePath: string, err: unknown): Error {
    if (err instanceof TransportError) return err;
    return new SkyDeckError('REMOTE_WRITE_FAILED', `SFTP ${op} of ${remotePath} on ${this.description} failed: ${(err as Error).message}.`, {
      hint: 'Check permissions and free space on the node.',
      cause: err,
    });
  }

  async putDir(localDir: string, remoteDir: string, filter?: (relPath: string) => boolean): Promise<void> {
    const src = path.resolve(localDir);
    if (this.options.putDirMethod === 'sftp') return this.putDirSftp(src, remoteDir, filter);
    const result = await this.exec(unpackCommand(remoteDir), { stdin: packDir(src, filter) });
    if (result.exitCode === NO_TAR_EXIT) return this.putDirSftp(src, remoteDir, filter);
    if (result.exitCode !== 0)
      throw new SkyDeckError('REMOTE_WRITE_FAILED', `Copying ${localDir} to ${remoteDir} on ${this.description} failed: ${result.stderr.trim()}`, {
        hint: 'Check permissions and free space on the node.',
      });
  }

  /** Fallback for nodes without tar: one SFTP write per file. */
  private async putDirSftp(src: string, remoteDir: string, filter?: (relPath: string) => boolean): Promise<void> {
    const files: string[] = [];
    const dirs: string[] = [''];
    const walk = (rel: string): void => {
      for (const e of fs.readdirSync(path.join(src, rel), { withFileTypes: true })) {
        const r = rel ? `${rel}/${e.name}` : e.name;
        if (filter && !filter(r)) continue;
        if (e.isDirectory()) {
          dirs.push(r);
          walk(r);
        } else if (e.isFile()) files.push(r);
      }
    };
    walk('');
    const base = remoteDir.replace(/\/+$/, '');
    const mk = await this.exec(['sh', '-c', `mkdir -p ${dirs.map((d) => shellQuoteRemotePath(d ? `${base}/${d}` : base)).join(' ')}`]);
    if (mk.exitCode !== 0) throw new SkyDeckError('REMOTE_WRITE_FAILED', `Cannot create ${remoteDir} on ${this.description}: ${mk.stderr.trim()}`);
    // A few files in flight at once (SFTP pipelines requests on its one channel).
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < files.length) {
        const f = files[next++];
        const st = fs.statSync(path.join(src, f));
        await this.putFile(`${base}/${f}`, fs.readFileSync(path.join(src, f)), st.mode & 0o777);
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
  }

  /** OpenSSH with a terminal, as SkyPilot's generated ssh config would connect. */
  interactiveShell(): InteractiveShell {
    const o = this.options;
    const policy = o.hostKey;
    const hostKeyOptions =
      policy === undefined || policy === 'accept-any'
        ? ['-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null']
        : [
            '-o',
            `StrictHostKeyChecking=${policy.acceptNew ? 'accept-new' : 'yes'}`,
            '-o',
            `UserKnownHostsFile=${sshConfigPath(policy.knownHostsFile)}`,
            '-o',
            'GlobalKnownHostsFile=/dev/null',
          ];
    const argv = ['ssh', '-t', '-p', String(o.port), ...hostKeyOptions, '-o', 'LogLevel=ERROR'];
    if (o.keyPath) argv.push('-i', o.keyPath, '-o', 'IdentitiesOnly=yes');
    // OpenSSH expands the tokens itself, as in the generated ssh config.
    if (o.proxyCommand) argv.push('-o', `ProxyCommand=${o.proxyCommand}`);
    argv.push(`${o.user}@${o.host}`);
    return { argv };
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.held) {
      this.release(this.held);
      this.held = undefined;
    }
  }
}

/** `export K=V; cd DIR && argv...` for the login shell on the node (sshd does not accept env requests by default). */
export function buildRemoteCommand(argv: string[], options: Pick<ExecOptions, 'env' | 'cwd'> = {}): string {
  return envAndCwdPrefix(options) + shellJoin(argv);
}

/** SFTP paths are relative to the login directory, so `~/x` is `x`. */
function sftpPath(remotePath: string): string {
  if (remotePath === '~') return '.';
  if (remotePath.startsWith('~/')) return remotePath.slice(2) || '.';
  return remotePath;
}

const SIGNAL_NUMBERS: Record<string, number> = { HUP: 1, INT: 2, QUIT: 3, ABRT: 6, KILL: 9, SEGV: 11, PIPE: 13, ALRM: 14, TERM: 15, USR1: 10, USR2: 12 };
function signalNumber(name: string | undefined): number {
  return name ? (SIGNAL_NUMBERS[name.replace(/^SIG/, '')] ?? 1) : 0;
}
