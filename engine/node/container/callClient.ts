/**
 * The node side of the call server (./callServerScript.ts), for a container whose server
 * directory this process sees directly (a `local` node: the container's HOME is the node's
 * directory). A call starts no process here: it claims a ready slot by a rename, writes its
 * request, opens the slot's FIFOs and sends one line to the server. Streams stay streams:
 * stdout and stderr arrive as the command writes them.
 *
 * When the server cannot take a call (none running, the container stopped or restarted since,
 * no ready slot, a stream on stdin) `tryCall` returns undefined and the caller enters the
 * container as before; a server that ends before taking the request hands the call to the same
 * fallback, so nothing runs twice. A call the server took whose process vanishes without
 * reporting an exit code (the container stopped under it) rejects with a TransportError
 * `closed`, which the agent client's log follow retries.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { CancelledError } from '../../errors';
import { BoundedOutput } from '../output';
import { TransportError, type ExecOptions, type ExecResult } from '../transport';

const { O_RDONLY, O_WRONLY, O_NONBLOCK } = fs.constants;

/** A FIFO opened for reading without waiting for its writer, as a stream. */
function readEnd(file: string): net.Socket {
  return new net.Socket({ fd: fs.openSync(file, O_RDONLY | O_NONBLOCK), readable: true, writable: false });
}

/** Sends one line to the server; false when no server reads its FIFO (or it is backed up). */
function tell(root: string, line: string): boolean {
  let fd: number | undefined;
  try {
    fd = fs.openSync(path.join(root, 'ctl'), O_WRONLY | O_NONBLOCK);
    // One write below PIPE_BUF: atomic, whichever other clients write at the same time.
    return fs.writeSync(fd, line) === Buffer.byteLength(line);
  } catch {
    return false;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** A ready slot renamed to calls/ID, or undefined when there is none. */
function claimSlot(root: string): { id: string; dir: string } | undefined {
  let ready: string[];
  try {
    ready = fs.readdirSync(path.join(root, 'pool'));
  } catch {
    return undefined;
  }
  const id = crypto.randomBytes(8).toString('hex');
  const dir = path.join(root, 'calls', id);
  // Another client may take the same slot first: the rename of a taken one fails, try the next.
  for (const slot of ready) {
    try {
      fs.renameSync(path.join(root, 'pool', slot), dir);
      return { id, dir };
    } catch {
      /* taken */
    }
  }
  return undefined;
}

/** The request: cwd, stdin mode, the env's count and NAME=VALUE entries, argv; each NUL-terminated. */
function requestOf(argv: string[], env: Record<string, string>, cwd: string, stdinFile: boolean): Buffer {
  const kv = Object.entries(env).map(([k, v]) => `${k}=${v}`);
  return Buffer.from([cwd, stdinFile ? 'f' : '-', String(kv.length), ...kv, ...argv].map((f) => `${f}\0`).join(''));
}

/**
 * Runs `argv` through the server in `root` with `cwd` (inside the container), or returns
 * undefined when the server cannot take it. `fallback` runs the call the other way if the
 * server ends before taking it.
 */
export function tryCall(
  root: string,
  description: string,
  argv: string[],
  cwd: string,
  options: ExecOptions,
  fallback: () => Promise<ExecResult>,
): Promise<ExecResult> | undefined {
  if (options.stdin instanceof Readable) return undefined;
  const slot = claimSlot(root);
  if (!slot) return undefined;
  const { id, dir } = slot;
  const streams: net.Socket[] = [];
  const discard = (): void => {
    for (const s of streams) s.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    const stdin = options.stdin === undefined || options.stdin.length === 0 ? undefined : options.stdin;
    if (stdin !== undefined) fs.writeFileSync(path.join(dir, 'stdin'), stdin, { mode: 0o600, flag: 'wx' });
    fs.writeFileSync(path.join(dir, 'req'), requestOf(argv, options.env ?? {}, cwd, stdin !== undefined), { mode: 0o600, flag: 'wx' });
    // Opened before the request goes out: the call's writers find them, and `alive` has its
    // writer (the server) now, so its end is seen when the server goes.
    for (const name of ['out', 'err', 'st']) streams.push(readEnd(path.join(dir, name)));
    streams.push(readEnd(path.join(root, 'alive')));
  } catch {
    discard();
    return undefined;
  }
  if (!tell(root, `R ${id}\n`)) {
    discard();
    return undefined;
  }
  const [out, err, st, alive] = streams;
  return new Promise<ExecResult>((resolve, reject) => {
    const stdout = new BoundedOutput();
    const stderr = new BoundedOutput();
    let status = '';
    let code: number | undefined;
    let failure: Error | undefined;
    let settled = false;
    const open = new Set<net.Socket>([out, err, st]);
    const finish = (how: () => void): void => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      discard();
      how();
    };
    const check = (): void => {
      if (code !== undefined && !failure && !open.has(out) && !open.has(err))
        finish(() => resolve({ exitCode: code!, stdout: stdout.toString(), stderr: stderr.toString() }));
      else if (!open.has(st) && code === undefined) {
        finish(() =>
          reject(
            failure ??
              new TransportError('closed', description, `The command '${argv[0]}' in ${description} ended without an exit code (the container stopped?).`, {
                hint: 'Check the cluster with `skydeck status -r`.',
              }),
          ),
        );
      }
    };
    const stop = (why: Error): void => {
      failure ??= why;
      // The server kills the call's process group; its end closes `st`. With no server left, nothing will.
      if (!tell(root, `K ${id}\n`)) finish(() => reject(failure!));
    };
    const onAbort = (): void => stop(new CancelledError(`Command on ${description}`));
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const timer = options.timeoutMs
      ? setTimeout(
          () =>
            stop(
              new TransportError('timeout', description, `Command '${argv[0]}' on ${description} did not finish within ${options.timeoutMs} ms.`, {
                hint: 'Raise the timeout or check what the command waits for.',
              }),
            ),
          options.timeoutMs,
        )
      : undefined;
    out.on('data', (c: Buffer) => {
      stdout.push(c);
      options.onStdout?.(c);
    });
    err.on('data', (c: Buffer) => {
      stderr.push(c);
      options.onStderr?.(c);
    });
    st.on('data', (c: Buffer) => {
      status += c.toString('utf8');
      for (let nl = status.indexOf('\n'); nl >= 0; nl = status.indexOf('\n')) {
        const line = status.slice(0, nl);
        status = status.slice(nl + 1);
        // The command has its stdin open and the request read: the files with the call's values go.
        if (line === 'A') for (const f of ['req', 'stdin']) fs.rmSync(path.join(dir, f), { force: true });
        else if (line.startsWith('C ')) code = Number(line.slice(2));
        else if (line.startsWith('E ') && !failure) return finish(() => fallback().then(resolve, reject));
      }
    });
    for (const s of [out, err, st]) {
      s.on('error', () => s.destroy());
      s.on('close', () => {
        open.delete(s);
        check();
      });
    }
    alive.on('error', () => alive.destroy());
    alive.on('close', () => {
      // The server is gone. A call it never took runs the other way (it never started here).
      if (settled || fs.existsSync(path.join(dir, 'taken'))) return;
      finish(() => (failure ? reject(failure) : fallback().then(resolve, reject)));
    });
  });
}
