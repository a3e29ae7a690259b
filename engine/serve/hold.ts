/**
 * `serve hold`: the job the serve controller cluster's agent runs while any service exists
 * (engine/controllers/hold.ts), so the cluster is not idle, and its autostop does not fire,
 * while it serves. As SkyPilot's serve controller runs one job per service on its cluster,
 * idleness starts when the last service is gone. Ends when the services table is empty.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { servicesTable } from './state';

/** How often the table is read again when no change woke the hold (a missed watch event). */
const RECHECK_MS = 30_000;

export async function holdWhileServices(): Promise<void> {
  const table = servicesTable();
  const dir = path.dirname(table.file);
  for (;;) {
    // Watching starts before the read, so a removal between the two still wakes the hold.
    let watcher: fs.FSWatcher | undefined;
    let wake = () => undefined as void;
    const woken = new Promise<void>((resolve) => (wake = resolve));
    try {
      watcher = fs.watch(dir, () => wake());
    } catch {
      /* no directory yet or no watch support: the timer re-checks */
    }
    const timer = setTimeout(() => wake(), RECHECK_MS);
    try {
      const state = await table.read();
      if (!Object.keys(state.services).length) return;
      await woken;
    } finally {
      clearTimeout(timer);
      watcher?.close();
    }
  }
}
