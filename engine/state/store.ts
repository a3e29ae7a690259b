/**
 * The store: small JSON databases under `SKYDECK_HOME/state/`, one file per concern
 * (clusters, managed jobs, services, ...), each safe to use from several processes at
 * once (VS Code windows, the CLI, detached controllers).
 *
 * Every change is a transaction: take the file's cross-process lock (./lock), read the
 * newest copy, apply the change, write atomically (./atomicWrite: a 0600 temp file +
 * rename), release. Reads without a lock see either the old or the new file, never half.
 *
 * Only a missing file is a new store. A file that is empty, blank, not JSON, or JSON of
 * the wrong shape is never overwritten (running clusters would be orphaned): it is copied
 * aside and the caller gets an error naming the file, the copy and what to do.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SkyDeckError } from '../errors';
import { skydeckHome } from '../util/paths';
import { createFileExclusiveSync, ensurePrivateDir, STATE_FILE_MODE, writeFileAtomic } from './atomicWrite';

/** The cross-process lock, loaded on the first write: a read takes no lock, and `status` only reads. */
const lock = () => require('./lock') as typeof import('./lock');

export class StateCorruptError extends SkyDeckError {
  constructor(
    readonly file: string,
    readonly backup: string,
    cause: unknown,
    what = 'is not valid JSON',
  ) {
    super('STATE_CORRUPT', `The state file ${file} ${what} (${cause instanceof Error ? cause.message : String(cause)}).`, {
      hint: `A copy was kept at ${backup}. Fix ${file} by hand or restore it from a backup; nothing was overwritten. Delete it only to start with no records (what it tracked is then forgotten).`,
      cause,
    });
  }
}

/** Valid JSON, but not what this store holds: `problem` says what is wrong and where. */
export class StateShapeError extends StateCorruptError {
  constructor(file: string, backup: string, problem: string) {
    super(file, backup, new Error(problem), 'does not have the expected shape');
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
  /** What is wrong with decoded data (e.g. 'data.clusters is not an object'), or undefined when it fits. */
  validate?: (data: unknown) => string | undefined;
}

export class Collection<T> {
  readonly file: string;
  private readonly version: number;

  constructor(private readonly options: CollectionOptions<T>) {
    const dir = options.dir ?? path.join(skydeckHome(), 'state');
    ensurePrivateDir(dir);
    this.file = path.join(dir, `${options.name}.json`);
    this.version = (options.migrations?.length ?? 0) + 1;
  }

  /** A consistent snapshot, without taking the lock. */
  async read(): Promise<T> {
    return this.readFile();
  }

  /** Parses the file as it is now (subclasses may cache read(); a transaction never uses a cache). */
  private async readFile(): Promise<T> {
    let text: string | null = null;
    try {
      text = await fs.promises.readFile(this.file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    return this.decode(text);
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
    // Created whole or not at all (temp file + link), so a crash never leaves an empty store.
    if (!fs.existsSync(this.file)) createFileExclusiveSync(this.file, this.encode(this.options.initial()));
    const release = await lock().lockStateFile(this.file);
    try {
      const data = await this.readFile();
      const result = await change(data);
      await writeFileAtomic(this.file, this.encode(data));
      return result;
    } finally {
      await release();
    }
  }

  private encode(data: T): string {
    const env: Envelope<T> = { version: this.version, data };
    return JSON.stringify(env, null, 1);
  }

  /** Copies the unreadable file aside (once per content) and returns the copy's path. */
  private keepCopy(text: string): string {
    const dir = path.dirname(this.file);
    const prefix = `${path.basename(this.file)}.corrupt-`;
    for (const f of fs.readdirSync(dir)) {
      if (!f.startsWith(prefix)) continue;
      try {
        if (fs.readFileSync(path.join(dir, f), 'utf8') === text) return path.join(dir, f);
      } catch {
        /* vanished: look further */
      }
    }
    const backup = `${this.file}.corrupt-${Date.now()}`;
    try {
      fs.writeFileSync(backup, text, { flag: 'wx', mode: STATE_FILE_MODE });
    } catch {
      /* another process kept the same copy this millisecond */
    }
    return backup;
  }

  private decode(text: string | null): T {
    if (text === null) return this.options.initial();
    let parsed: Envelope<unknown>;
    try {
      // An empty or blank file is a write that never finished or a truncation, not a new store.
      if (text.trim() === '') throw new Error(text.length ? 'it holds only whitespace' : 'it is empty');
      parsed = JSON.parse(text) as Envelope<unknown>;
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed) || typeof parsed.version !== 'number') {
        throw new Error('missing the {"version": N, "data": ...} envelope');
      }
    } catch (cause) {
      throw new StateCorruptError(this.file, this.keepCopy(text), cause);
    }
    if (parsed.version > this.version) throw new StateVersionError(this.file, parsed.version, this.version);
    let data: unknown = parsed.data;
    try {
      for (let v = parsed.version; v < this.version; v++) data = this.options.migrations![v - 1](data);
    } catch (e) {
      throw new StateShapeError(
        this.file,
        this.keepCopy(text),
        `migrating it from version ${parsed.version} failed: ${e instanceof Error ? e.message : String(e)}`,
      );
    }
    const problem = data === null || typeof data !== 'object' || Array.isArray(data) ? '"data" is not an object' : this.options.validate?.(data);
    if (problem) throw new StateShapeError(this.file, this.keepCopy(text), problem);
    return data as T;
  }
}
