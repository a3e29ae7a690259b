/**
 * Who is following a managed job's output right now (`skydeck jobs logs -f`, the extension's
 * live log document). A follower keeps a marker file `managed_jobs/followed/<id>.<pid>` fresh
 * while it follows and removes it when it stops; the job's controller reads the folder (one
 * readdir a second, wherever the store is: this machine or the controller cluster) and gives
 * the followed jobs a live log stream first (logStreams.ts). A follower that died without
 * removing its marker stops counting once the marker is stale.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { homeSubdir } from '../util/paths';

/** How often a follower refreshes its marker. */
export const FOLLOW_REFRESH_MS = 5_000;
/** A marker older than this is a follower that died: it no longer counts (and is removed). */
const FOLLOW_STALE_MS = 3 * FOLLOW_REFRESH_MS;

function followedDir(): string {
  return homeSubdir('managed_jobs', 'followed');
}

/**
 * Marks job `id` followed by this process until the returned function is called. Best effort:
 * a marker that cannot be written only means the job's log may lag by one inspection.
 */
export function markFollowing(id: number): () => void {
  const file = path.join(followedDir(), `${id}.${process.pid}`);
  const touch = () => {
    try {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, '');
    } catch {
      /* best effort (see above) */
    }
  };
  touch();
  const timer = setInterval(touch, FOLLOW_REFRESH_MS);
  timer.unref();
  return () => {
    clearInterval(timer);
    fs.rmSync(file, { force: true });
  };
}

/** The jobs someone follows now (fresh markers); stale markers are removed. */
export function followedJobs(now = Date.now()): Set<number> {
  const followed = new Set<number>();
  const dir = followedDir();
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return followed;
  }
  for (const name of names) {
    const id = Number(name.split('.')[0]);
    if (!Number.isInteger(id)) continue;
    const file = path.join(dir, name);
    try {
      if (now - fs.statSync(file).mtimeMs <= FOLLOW_STALE_MS) followed.add(id);
      else fs.rmSync(file, { force: true });
    } catch {
      /* removed meanwhile: its follower stopped */
    }
  }
  return followed;
}
