/**
 * OpenSSH's ProxyCommand, for connections SkyDeck makes itself (ssh2, the SSH banner wait):
 * the command's stdin/stdout carry the SSH stream, so a node without a route from here (a
 * private IP behind a jump host) is reached exactly as `ssh -o ProxyCommand=...` would reach it.
 *
 * As OpenSSH does, the tokens `%h` (host), `%p` (port), `%r` (remote user), `%n` (the host as
 * given) and `%%` are expanded, and the result runs as `exec <command>` in /bin/sh. The user's
 * text is trusted as OpenSSH trusts its own config: it is theirs, run with their rights.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { Duplex } from 'node:stream';
import { InputError } from '../errors';

export interface ProxyTarget {
  host: string;
  port: number;
  user: string;
}

export interface ProxySpec {
  command: string;
  /** Where the command came from (`aws.ssh_proxy_command (file:line)`), named by every error. */
  source?: string;
}

/** The command with OpenSSH's tokens expanded; an unknown token is an error naming the source. */
export function expandProxyCommand(spec: ProxySpec, target: ProxyTarget): string {
  return spec.command.replace(/%(.)/gs, (whole, token: string) => {
    switch (token) {
      case 'h':
      case 'n':
        return target.host;
      case 'p':
        return String(target.port);
      case 'r':
        return target.user;
      case '%':
        return '%';
      default:
        throw new InputError(`The SSH proxy command of ${spec.source ?? 'the node'} has an unknown token '${whole}': '${spec.command}'.`, {
          hint: 'ProxyCommand tokens are %h (host), %p (port), %r (user), %n and %%; write a literal % as %%.',
        });
    }
  });
}

/** A running proxy: `stream` is its stdin/stdout; `exited` settles when it ends. */
export interface RunningProxy {
  stream: Duplex;
  child: ChildProcess;
  /** Its exit code (or 128+signal), and the tail of what it wrote to stderr. */
  exited: Promise<{ code: number; stderr: string }>;
  stop(): void;
}

const STDERR_KEEP = 4096;

export function startProxy(spec: ProxySpec, target: ProxyTarget): RunningProxy {
  const command = expandProxyCommand(spec, target);
  const child = spawn('/bin/sh', ['-c', `exec ${command}`], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => {
    stderr = (stderr + c.toString('utf8')).slice(-STDERR_KEEP);
  });
  const exited = new Promise<{ code: number; stderr: string }>((resolve) => {
    child.once('error', (err) => {
      stderr += err.message;
      resolve({ code: 127, stderr });
    });
    child.once('close', (code, signal) => resolve({ code: code ?? 128 + (signal === 'SIGKILL' ? 9 : 15), stderr }));
  });
  // Writes after the proxy exited fail with EPIPE; the exit itself is what gets reported.
  child.stdin!.on('error', () => undefined);
  const stream = Duplex.from({ readable: child.stdout!, writable: child.stdin! });
  stream.on('error', () => undefined);
  const stop = (): void => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  };
  return { stream, child, exited, stop };
}

/** What to tell the user when the proxy ended before the SSH connection was up. */
export function proxyFailureMessage(spec: ProxySpec, target: ProxyTarget, result: { code: number; stderr: string }): string {
  const said = result.stderr.trim().split('\n').slice(-3).join(' / ');
  const why = result.code === 127 ? 'its program was not found' : result.code === 126 ? 'its program cannot be run' : `it exited with code ${result.code}`;
  return (
    `The SSH proxy command of ${spec.source ?? 'the node'} could not connect to ${target.user}@${target.host}:${target.port}: ${why}` +
    `${said ? ` (${said})` : ''}. Command: ${expandProxyCommand(spec, target)}`
  );
}

export const PROXY_HINT = 'Check the ProxyCommand: run it by hand with %h and %p filled in; it must connect its stdin and stdout to the SSH port of the node.';
