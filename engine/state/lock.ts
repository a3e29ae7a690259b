/**
 * The cross-process lock of a state file: proper-lockfile's lock directory (`<file>.lock`,
 * created atomically with mkdir, its mtime refreshed while held) plus an owner file
 * (`<file>.lock-owner`: pid, process start time, host, the lock directory's inode).
 *
 * proper-lockfile alone only knows a lock is abandoned when its mtime is older than
 * `stale` (60 s: a CPU-starved holder on a loaded machine must not be overtaken), so a
 * lock left by a killed process stalled every writer for a minute. With the owner file a
 * waiter sees at once that the holder is gone (same host, pid not running or recycled) and
 * takes the lock over, saying so. A lock without an owner file (the holder died between
 * the mkdir and writing it) still falls back to the mtime rule.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as lockfile from 'proper-lockfile';
import { SkyDeckError } from '../errors';
import { identify, isAlive, type ProcessIdentity } from '../util/detached';
import { writeFileAtomicSync } from './atomicWrite';

interface LockOwner extends ProcessIdentity {
  host: string;
  /** Inode of the lock directory this owner created: an owner file left beside a newer lock is not that lock's. */
  lockIno: number;
  token: string;
}

class StateLockTimeoutError extends SkyDeckError {
  constructor(file: string, owner: LockOwner | undefined, waitedMs: number) {
    super(
      'STATE_LOCKED',
      `The state file ${file} stayed locked for ${Math.round(waitedMs / 1000)} s${owner ? ` by process ${owner.pid} on ${owner.host}` : ''}.`,
      {
        hint: owner ? `If process ${owner.pid} is stuck, stop it; the lock is then taken over.` : `If no SkyDeck process is running, remove ${file}.lock.`,
      },
    );
  }
}

export interface LockOptions {
  /** How long to wait for a live holder before giving up (default 180 s). */
  waitMs?: number;
  /** Told when an abandoned lock is taken over (default: a line on stderr). */
  onTakeover?: (message: string) => void;
}

const held = new Set<string>();
process.once('exit', () => {
  // A normal exit while holding a lock (process.exit in a transaction): proper-lockfile's
  // exit hook removes the lock directory; the owner file goes with it.
  for (const f of held) fs.rmSync(f, { force: true });
});

function lockDir(file: string): string {
  return `${file}.lock`;
}

function ownerFile(file: string): string {
  return `${file}.lock-owner`;
}

function readOwner(path: string): LockOwner | undefined {
  try {
    const o = JSON.parse(fs.readFileSync(path, 'utf8')) as LockOwner;
    return typeof o?.pid === 'number' && typeof o.token === 'string' ? o : undefined;
  } catch {
    return undefined;
  }
}

function inodeOf(path: string): number | undefined {
  try {
    return fs.statSync(path).ino;
  } catch {
    return undefined;
  }
}

/**
 * Removes the lock when its recorded owner is a process of this host that is no longer
 * running. Several waiters may try at once: the owner file is renamed away first (one
 * rename wins), and checked to still be the dead owner's before the lock directory goes.
 */
function takeOverIfAbandoned(file: string, onTakeover: (m: string) => void): boolean {
  const owner = readOwner(ownerFile(file));
  if (!owner || owner.host !== os.hostname() || isAlive(owner)) return false;
  if (inodeOf(lockDir(file)) !== owner.lockIno) return false;
  const claimed = `${ownerFile(file)}.takeover-${process.pid}-${crypto.randomBytes(4).toString('hex')}`;
  try {
    fs.renameSync(ownerFile(file), claimed);
  } catch {
    return true; // another waiter took it over first: try the lock again at once
  }
  const got = readOwner(claimed);
  if (got?.token !== owner.token) {
    // A new holder wrote its owner file between our read and the rename: give it back.
    fs.renameSync(claimed, ownerFile(file));
    return false;
  }
  try {
    fs.rmdirSync(lockDir(file));
  } catch {
    /* already gone */
  }
  fs.rmSync(claimed, { force: true });
  onTakeover(`Took over the lock on ${file}: its holder, process ${owner.pid}, is no longer running.`);
  return true;
}

function currentOwner(file: string): LockOwner | undefined {
  return readOwner(ownerFile(file));
}

/** Takes the lock of `file` (which need not exist); resolves to its release. */
export async function lockStateFile(file: string, options: LockOptions = {}): Promise<() => Promise<void>> {
  const waitMs = options.waitMs ?? 180_000;
  const onTakeover = options.onTakeover ?? ((m: string) => process.stderr.write(`${m}\n`));
  const started = Date.now();
  let delay = 5;
  for (;;) {
    try {
      const release = await lockfile.lock(file, {
        // A holder refreshes the lock every 5 s; only one silent for 60 s counts as dead by mtime.
        // A short stale time let a CPU-starved (not dead) holder be overtaken under heavy load.
        stale: 60_000,
        update: 5_000,
        retries: 0,
        realpath: false,
      });
      const owner: LockOwner = {
        ...identify(process.pid),
        host: os.hostname(),
        lockIno: inodeOf(lockDir(file)) ?? -1,
        token: crypto.randomBytes(8).toString('hex'),
      };
      writeFileAtomicSync(ownerFile(file), JSON.stringify(owner));
      held.add(ownerFile(file));
      return async () => {
        held.delete(ownerFile(file));
        if (currentOwner(file)?.token === owner.token) fs.rmSync(ownerFile(file), { force: true });
        await release();
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ELOCKED') throw e;
    }
    if (takeOverIfAbandoned(file, onTakeover)) continue;
    if (Date.now() - started > waitMs) throw new StateLockTimeoutError(file, currentOwner(file), Date.now() - started);
    await new Promise((r) => setTimeout(r, delay * (0.5 + Math.random())));
    delay = Math.min(delay * 1.5, 150);
  }
}

/** Tries once, without waiting: the release, or undefined when a live process holds the lock. */
export async function tryLockStateFile(file: string, options: LockOptions = {}): Promise<(() => Promise<void>) | undefined> {
  try {
    return await lockStateFile(file, { ...options, waitMs: 0 });
  } catch (e) {
    if (e instanceof StateLockTimeoutError) return undefined;
    throw e;
  }
}

/** The live holder of `file`'s lock, if any (for "cluster X is being launched by process N"). */
export function lockHolder(file: string): LockOwner | undefined {
  if (inodeOf(lockDir(file)) === undefined) return undefined;
  const owner = currentOwner(file);
  return owner && isAlive(owner) ? owner : undefined;
}
