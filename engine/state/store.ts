/**
 * The store: small JSON databases under `SKYDECK_HOME/state/`, one file per concern
 * (clusters, managed jobs, services, ...), each safe to use from several processes at
 * once (VS Code windows, the CLI, detached controllers).
 *
 * Every change is a transaction: take the file's cross-process lock (proper-lockfile),
 * read the newest copy, apply the change, write atomically (lowdb's steno: temp file +
 * rename), release. Reads without a lock see either the old or the new file, never half.
 * A file that does not parse is never overwritten: it is copied aside and the caller gets
 * a StateCorruptError naming both paths.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Low } from 'lowdb';
import { TextFile } from 'lowdb/node';
import * as lockfile from 'proper-lockfile';
import { SkyDeckError } from '../errors';
import { homeSubdir } from '../util/paths';

export class StateCorruptError extends SkyDeckError {
  constructor(readonly file: string, readonly backup: string, cause: unknown) {
    super(
      'STATE_CORRUPT',
      `The state file ${file} is not valid JSON (${cause instanceof Error ? cause.message : String(cause)}).`,
      { hint: `A copy was kept at ${backup}. Fix or delete ${file} to continue; nothing was overwritten.`, cause },
    );
  }
}

export class StateVersionError extends SkyDeckError {
  constructor(file: string, found: number, supported: number) {
    super('STATE_TOO_NEW', `The state file ${file} has schema version ${found}, newer than this SkyDeck understands (${supported}).`, {
      hint: 'Update SkyDeck, or use a different SKYDECK_HOME.',
    });
  }
}

interface Envelope<T> {
  version: number;
  data: T;
}

/** A migration takes the data at version N-1 and returns it at version N (index N-1). */
export type Migration = (old: unknown) => unknown;

export interface CollectionOptions<T> {
  /** File name without extension, e.g. 'clusters'. */
  name: string;
  /** The empty state of a fresh file. */
  initial: () => T;
  /** migrations[i] upgrades version i+1 to i+2; the current version is migrations.length + 1. */
  migrations?: Migration[];
  /** Folder override (tests); default `SKYDECK_HOME/state`. */
  dir?: string;
}

export class Collection<T> {
  readonly file: string;
  private readonly version: number;

  constructor(private readonly options: CollectionOptions<T>) {
    const dir = options.dir ?? homeSubdir('state');
    fs.mkdirSync(dir, { recursive: true });
    this.file = path.join(dir, `${options.name}.json`);
    this.version = (options.migrations?.length ?? 0) + 1;
  }

  /** A consistent snapshot, without taking the lock. */
  async read(): Promise<T> {
    return this.decode(await new TextFile(this.file).read());
  }

  /** Same as read(), synchronously (tree views, status bar). */
  readSync(): T {
    let text: string | null = null;
    try {
      text = fs.readFileSync(this.file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    return this.decode(text);
  }

  /**
   * Runs `change` on the newest data under the cross-process lock and saves the result.
   * Whatever `change` returns is returned; if it throws, nothing is written.
   */
  async update<R>(change: (data: T) => R | Promise<R>): Promise<R> {
    const release = await this.lock();
    try {
      const adapter = new TextFile(this.file);
      const db = new Low<T>({ read: async () => this.decode(await adapter.read()), write: async (d: T) => adapter.write(this.encode(d)) }, this.options.initial());
      await db.read();
      const result = await change(db.data);
      await db.write();
      return result;
    } finally {
      await release();
    }
  }

  private async lock(): Promise<() => Promise<void>> {
    // The lock guards a sibling directory, so it works before the file exists.
    if (!fs.existsSync(this.file)) {
      try {
        fs.writeFileSync(this.file, this.encode(this.options.initial()), { flag: 'wx' });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
    }
    return lockfile.lock(this.file, {
      // A holder refreshes the lock every 5 s; only one silent for 60 s counts as dead.
      // A short stale time let a CPU-starved (not dead) holder be overtaken under heavy
      // load (200 controllers on 2 cores), losing its write. Waiters outlast `stale`.
      stale: 60_000,
      update: 5_000,
      retries: { retries: 1_000, factor: 1.2, minTimeout: 5, maxTimeout: 150, randomize: true },
      realpath: false,
    });
  }

  private encode(data: T): string {
    const env: Envelope<T> = { version: this.version, data };
    return JSON.stringify(env, null, 1);
  }

  private decode(text: string | null): T {
    if (text === null || text.trim() === '') return this.options.initial();
    let parsed: Envelope<unknown>;
    try {
      parsed = JSON.parse(text) as Envelope<unknown>;
      if (typeof parsed !== 'object' || parsed === null || typeof parsed.version !== 'number') {
        throw new Error('missing "version" envelope');
      }
    } catch (cause) {
      const backup = `${this.file}.corrupt-${Date.now()}`;
      try {
        fs.copyFileSync(this.file, backup, fs.constants.COPYFILE_EXCL);
      } catch {
        /* a backup of this content may already exist */
      }
      throw new StateCorruptError(this.file, backup, cause);
    }
    if (parsed.version > this.version) throw new StateVersionError(this.file, parsed.version, this.version);
    let data: unknown = parsed.data;
    for (let v = parsed.version; v < this.version; v++) data = this.options.migrations![v - 1](data);
    return data as T;
  }
}
