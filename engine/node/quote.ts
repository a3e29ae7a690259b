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
