/**
 * `--tail N` over a streamed log: the last N lines of what the log holds now, then (when
 * following) what is appended after it. The engine's log readers stream from the start, so
 * the log is read once to its current end, and the follow skips what was already read.
 */

export function lastLines(text: string, n: number): string {
  if (n <= 0) return text;
  const body = text.endsWith('\n') ? text.slice(0, -1) : text;
  const lines = body.split('\n');
  if (lines.length <= n) return text;
  return `${lines.slice(-n).join('\n')}${text.endsWith('\n') ? '\n' : ''}`;
}

/** Passes `onData` everything after the first `skip` characters of the stream. */
export function skipping(skip: number, onData: (chunk: string) => void): (chunk: string) => void {
  let left = skip;
  return (chunk) => {
    if (left >= chunk.length) {
      left -= chunk.length;
      return;
    }
    onData(chunk.slice(left));
    left = 0;
  };
}
