/**
 * `jobs hold`: the job the jobs controller cluster's agent runs while any managed job is
 * unfinished (engine/controllers/jobsRemote.ts), so the controller cluster is not idle, and
 * its autostop does not fire, while it has work. Ends when every job is terminal.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { openJobsStore } from './state';
import { needsController } from './types';

/** How often the store is read again when no change woke the hold (a missed watch event). */
const RECHECK_MS = 30_000;

export async function holdWhileUnfinished(): Promise<void> {
  const store = openJobsStore();
  const dir = path.dirname(store.file);
  for (;;) {
    const state = await store.read();
    if (!Object.values(state.jobs).some((j) => needsController(j))) return;
    await new Promise<void>((resolve) => {
      let watcher: fs.FSWatcher | undefined;
      const done = () => {
        clearTimeout(timer);
        watcher?.close();
        resolve();
      };
      const timer = setTimeout(done, RECHECK_MS);
      try {
        watcher = fs.watch(dir, done);
      } catch {
        /* no watch support: the timer re-checks */
      }
    });
  }
}
