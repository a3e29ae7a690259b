/**
 * Talking to a node: one interface over local processes, SSH (ssh2) and Kubernetes exec.
 * Commands are argv arrays; a transport that needs a shell string (SSH) quotes them with
 * `shellQuote` from ./quote, the one quoting helper.
 */
import type { Readable } from 'node:stream';
import { SkyDeckError } from '../errors';

export interface ExecOptions {
  env?: Record<string, string>;
  cwd?: string;
  /** Data for the command's stdin (a stream is piped, e.g. a tar archive); stdin is closed after it. */
  stdin?: string | Buffer | Readable;
  onStdout?: (chunk: Buffer) => void;
  onStderr?: (chunk: Buffer) => void;
  signal?: AbortSignal;
  timeoutMs?: number;
}

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface Transport {
  /** Human-readable target for messages, e.g. 'ubuntu@10.0.0.5:22' or 'local node 127.0.0.2'. */
  readonly description: string;
  /** Runs argv on the node (through `bash -lc` only when argv[0] is 'bash'). Never throws for a non-zero exit. */
  exec(argv: string[], options?: ExecOptions): Promise<ExecResult>;
  /** Writes a file on the node (parents created). */
  putFile(remotePath: string, content: string | Buffer, mode?: number): Promise<void>;
  /** Copies a local directory to the node; `filter` returns false for paths to skip (relative, posix). */
  putDir(localDir: string, remoteDir: string, filter?: (relPath: string) => boolean): Promise<void>;
  /** Releases connections. */
  close(): Promise<void>;
  /**
   * How to open an interactive shell on the node from this machine (a terminal runs it):
   * `ssh -t ...` for SSH nodes, a login bash with the node's env for local nodes.
   */
  interactiveShell?(): InteractiveShell;
}

export interface InteractiveShell {
  argv: string[];
  env?: Record<string, string>;
  cwd?: string;
}

/** Transport failures (as opposed to a command's non-zero exit). */
export type TransportFailure = 'auth' | 'host-key' | 'unreachable' | 'timeout' | 'closed';

/**
 * The node could not be reached or the connection broke (never a command's non-zero exit).
 * `target` is 'user@host:port' (or the local node's description); the message says what to do.
 * Code: TRANSPORT_<KIND> (TRANSPORT_AUTH, TRANSPORT_HOST_KEY, ...).
 */
export class TransportError extends SkyDeckError {
  constructor(
    readonly kind: TransportFailure,
    readonly target: string,
    message: string,
    options?: { hint?: string; cause?: unknown },
  ) {
    super(`TRANSPORT_${kind.toUpperCase().replace('-', '_')}`, message, options);
  }
}

/** Shape check (errors may cross bundle boundaries, where `instanceof` fails). */
export function isTransportError(err: unknown): err is TransportError {
  return err instanceof Error && err.name === 'TransportError' && typeof (err as TransportError).kind === 'string';
}
