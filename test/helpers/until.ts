/**
 * Waiting in tests for what another process (a controller, an agent, a node) does. `check`
 * runs at once, then again whenever something under `watch` changes (the store files are
 * replaced on every write, so a status change wakes the wait at once), and otherwise every
 * `everyMs` for conditions that have no file to watch (a process's exit, a reply over HTTP).
 * The wait fails after `timeoutMs` with `what` and, if given, `detail()` (a log to read).
 * A value of undefined, null or false means "not yet"; anything else is returned.
 */
import * as fs from 'node:fs';

export interface UntilOptions {
  timeoutMs?: number;
  /** Re-check at least this often (ms). */
  everyMs?: number;
  /** Files or directories whose changes trigger a re-check (missing ones are skipped). */
  watch?: string[];
  /** More to say when the wait times out. */
  detail?: () => string;
}

type Pending = undefined | null | false;

export async function until<T>(what: string, check: () => T | Pending | Promise<T | Pending>, options: UntilOptions = {}): Promise<Exclude<T, Pending>> {
  const { timeoutMs = 30_000, everyMs = 100, watch = [], detail } = options;
  const deadline = Date.now() + timeoutMs;
  let changed: boolean;
  let wake: (() => void) | undefined;
  const watchers: fs.FSWatcher[] = [];
  for (const p of watch) {
    try {
      const w = fs.watch(p, () => {
        changed = true;
        wake?.();
      });
      w.on('error', () => undefined);
      watchers.push(w);
    } catch {
      /* not there (yet): the periodic re-check covers it */
    }
  }
  try {
    for (;;) {
      changed = false;
      const v = await check();
      if (v !== undefined && v !== null && v !== false) return v as Exclude<T, Pending>;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${detail ? `\n${detail()}` : ''}`);
      // A change during the check counts: re-check at once.
      if (changed) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, Math.min(everyMs, left));
        function done() {
          clearTimeout(timer);
          wake = undefined;
          resolve();
        }
        wake = done;
      });
    }
  } finally {
    for (const w of watchers) w.close();
  }
}
