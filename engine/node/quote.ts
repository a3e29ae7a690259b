import { InputError } from '../errors';
import { isEnvName } from './output';

/** The one helper that turns argv into a POSIX shell command line (for SSH and `bash -c`). */
export function shellQuote(arg: string): string {
  if (arg === '') return "''";
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

export function shellJoin(argv: readonly string[]): string {
  return argv.map(shellQuote).join(' ');
}

/**
 * Quotes a path for a remote shell, keeping a leading `~` meaningful: `~/a b` becomes
 * `"$HOME"/'a b'` (a quoted `~` would not expand). Other paths are quoted as usual.
 */
export function shellQuoteRemotePath(p: string): string {
  if (p === '~') return '"$HOME"';
  if (p.startsWith('~/')) return p.length === 2 ? '"$HOME"/' : `"$HOME"/${shellQuote(p.slice(2))}`;
  return shellQuote(p);
}

/**
 * `export K=V; cd DIR && ` to put before a command line for a remote shell (SSH's login
 * shell, `sh -c` in a pod): neither sshd nor Kubernetes exec takes env or cwd on its own.
 * Empty without env and cwd; an invalid variable name is the caller's error.
 */
export function envAndCwdPrefix(options: { env?: Record<string, string>; cwd?: string }): string {
  const env = Object.entries(options.env ?? {});
  for (const [k] of env) if (!isEnvName(k)) throw new InputError(`Invalid environment variable name '${k}'.`);
  let cmd = '';
  if (env.length) cmd += `export ${env.map(([k, v]) => `${k}=${shellQuote(v)}`).join(' ')}; `;
  if (options.cwd) cmd += `cd ${shellQuoteRemotePath(options.cwd)} && `;
  return cmd;
}
