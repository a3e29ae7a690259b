/**
 * LocalTransport: a `local` provider node is a directory on this machine (its HOME) plus the
 * env the provider gives it (its own loopback IP, ...). Commands run as local processes with
 * HOME set to the node directory, so `~` on the "node" is that directory.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { CancelledError, InputError } from '../errors';
import { BoundedOutput, isEnvName } from './output';
import { TransportError, type ExecOptions, type ExecResult, type InteractiveShell, type Transport } from './transport';

export interface LocalTransportOptions {
  /** The node's HOME-like directory (created if missing). */
  nodeDir: string;
  /** Env for every command on this node (e.g. the node's loopback IP given by the provider). */
  env: Record<string, string>;
  /** Shown in messages; default 'local node <nodeDir>'. */
  description?: string;
}

export class LocalTransport implements Transport {
  readonly description: string;
  readonly nodeDir: string;
  private readonly env: Record<string, string>;

  constructor(options: LocalTransportOptions) {
    this.nodeDir = path.resolve(options.nodeDir);
    this.env = options.env;
    this.description = options.description ?? `local node ${this.nodeDir}`;
  }

  /** `~`, `~/x` and relative paths are inside the node directory; absolute paths are used as is. */
  resolve(remotePath: string): string {
    if (remotePath === '~') return this.nodeDir;
    if (remotePath.startsWith('~/')) return path.join(this.nodeDir, remotePath.slice(2));
    return path.resolve(this.nodeDir, remotePath);
  }

  /** The environment commands on this node see. */
  nodeEnv(extra?: Record<string, string>): Record<string, string> {
    const base: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined) base[k] = v;
    return { ...base, HOME: this.nodeDir, ...this.env, ...(extra ?? {}) };
  }

  exec(argv: string[], options: ExecOptions = {}): Promise<ExecResult> {
    if (argv.length === 0) return Promise.reject(new InputError('exec needs a command (empty argv).'));
    for (const k of Object.keys(options.env ?? {})) {
      if (!isEnvName(k)) return Promise.reject(new InputError(`Invalid environment variable name '${k}'.`));
    }
    if (options.signal?.aborted) return Promise.reject(new CancelledError(`Command on ${this.description}`));
    fs.mkdirSync(this.nodeDir, { recursive: true });
    return new Promise<ExecResult>((resolve, reject) => {
      // Own process group, so abort/timeout can stop the whole command tree.
      const child = spawn(argv[0], argv.slice(1), {
        cwd: options.cwd ? this.resolve(options.cwd) : this.nodeDir,
        env: this.nodeEnv(options.env),
        stdio: ['pipe', 'pipe', 'pipe'],
        detached: true,
      });
      const stdout = new BoundedOutput();
      const stderr = new BoundedOutput();
      let failure: Error | undefined;
      const killGroup = (): void => {
        try {
          if (child.pid) process.kill(-child.pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
      };
      const onAbort = (): void => {
        failure ??= new CancelledError(`Command on ${this.description}`);
        killGroup();
      };
      options.signal?.addEventListener('abort', onAbort, { once: true });
      const timer = options.timeoutMs
        ? setTimeout(() => {
            failure ??= new TransportError(
              'timeout',
              this.description,
              `Command '${argv[0]}' on ${this.description} did not finish within ${options.timeoutMs} ms.`,
              {
                hint: 'Raise the timeout or check what the command waits for.',
              },
            );
            killGroup();
          }, options.timeoutMs)
        : undefined;
      child.stdout.on('data', (c: Buffer) => {
        stdout.push(c);
        options.onStdout?.(c);
      });
      child.stderr.on('data', (c: Buffer) => {
        stderr.push(c);
        options.onStderr?.(c);
      });
      child.stdin.on('error', () => {
        /* the command may exit without reading stdin */
      });
      if (options.stdin instanceof Readable) options.stdin.pipe(child.stdin);
      else child.stdin.end(options.stdin ?? '');
      child.on('error', (err: NodeJS.ErrnoException) => {
        failure ??=
          err.code === 'ENOENT'
            ? new InputError(`Command not found on ${this.description}: ${argv[0]}`, { hint: 'Install it on this machine or check PATH.' })
            : err;
      });
      child.on('close', (code, sig) => {
        if (timer) clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
        if (failure) return reject(failure);
        resolve({ exitCode: code ?? 128 + signalNumber(sig), stdout: stdout.toString(), stderr: stderr.toString() });
      });
    });
  }

  async putFile(remotePath: string, content: string | Buffer, mode?: number): Promise<void> {
    const target = this.resolve(remotePath);
    await fs.promises.mkdir(path.dirname(target), { recursive: true });
    const tmp = `${target}.tmp-${process.pid}-${Date.now()}`;
    await fs.promises.writeFile(tmp, content, mode !== undefined ? { mode } : undefined);
    if (mode !== undefined) await fs.promises.chmod(tmp, mode);
    await fs.promises.rename(tmp, target);
  }

  async putDir(localDir: string, remoteDir: string, filter?: (relPath: string) => boolean): Promise<void> {
    const src = path.resolve(localDir);
    const dest = this.resolve(remoteDir);
    await fs.promises.mkdir(dest, { recursive: true });
    await fs.promises.cp(src, dest, {
      recursive: true,
      force: true,
      verbatimSymlinks: true,
      filter: (from) => {
        const rel = path.relative(src, from).split(path.sep).join('/');
        return rel === '' || !filter || filter(rel);
      },
    });
  }

  async close(): Promise<void> {
    /* nothing held */
  }

  interactiveShell(): InteractiveShell {
    return { argv: ['bash', '-l'], env: this.nodeEnv(), cwd: this.nodeDir };
  }
}

function signalNumber(sig: NodeJS.Signals | null): number {
  return sig ? (os.constants.signals[sig] ?? 1) : 0;
}
