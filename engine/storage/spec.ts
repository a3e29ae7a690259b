/**
 * The task's bucket file mounts, read the way SkyPilot reads them (skypilot-behavior.md 1.6):
 * a cloud URI string is COPY'd onto every node; a storage object `{name, source, store, mode,
 * persistent}` names a bucket (created when missing) that a local `source` is uploaded to, or
 * takes an existing bucket from a URI `source`. Only checks that need no network are here;
 * bucket existence and local paths are checked by ./check.ts before anything is provisioned.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import { bucketNameProblem } from './names';
import { isStoreKind } from './stores';
import type { BucketRef, StoreKind } from './stores/types';
import type { MountMode } from './node/commands';
import { looksLikeUri, parseBucketUri } from './uri';
import type { StorageSpec, Task } from '../task/types';

export interface PlannedMount {
  /** Destination as written (`/data`, `~/ckpt`). */
  dst: string;
  /** Dotted field path for messages: `file_mounts./data`. */
  field: string;
  /** A plain URI string (always COPY), or a storage object. */
  kind: 'uri' | 'storage';
  ref: BucketRef;
  mode: MountMode;
  /** Storage object: `name`, i.e. the bucket it creates or uses. */
  name?: string;
  /** The storage object's `source` as written. */
  source?: string | string[];
  /** Local paths to upload, resolved (storage objects with a local source). */
  localSources: string[];
  persistent: boolean;
  /** A storage `name` (not a URI source): SkyDeck may create the bucket. */
  mayCreate: boolean;
}

export interface StorageProblem {
  field: string;
  message: string;
  /** The field as YAML keys (`['file_mounts', '/data', 'name']`): a destination may hold dots. */
  path: string[];
}

/** A problem with `file_mounts.<dst>` or one of its storage object's fields. */
export function storageProblem(dst: string, sub: string | undefined, message: string): StorageProblem {
  const path = sub ? ['file_mounts', dst, sub] : ['file_mounts', dst];
  return { field: path.join('.'), message, path };
}

/** SkyPilot's `store:` values SkyDeck does not implement. */
const OTHER_STORES = ['ibm', 'oci', 'nebius', 'coreweave', 'vastdata', 'hf', 'volume'];

/** The store a storage object without `store:` lands on: the planned cloud's, else S3 (SkyPilot's default order). */
function defaultStore(cloud: string | undefined): StoreKind {
  if (cloud === 'gcp') return 'gcs';
  if (cloud === 'azure') return 'azure';
  return 's3';
}

/** Local paths as the existing file-mount sync resolves them: `~` is the user's home, relative paths the workdir's or the cwd's. */
function resolveLocalPath(p: string, task: Task): string {
  if (p === '~') return os.homedir();
  if (p.startsWith('~/')) return path.join(os.homedir(), p.slice(2));
  return path.resolve(task.workdir ?? process.cwd(), p);
}

/** True when a file_mounts entry is the storage layer's (a URI string or a storage object). */
export function isBucketMount(source: string | StorageSpec): boolean {
  return typeof source !== 'string' || looksLikeUri(source);
}

/**
 * SkyPilot's `requires_fuse`: the task mounts a bucket through FUSE (a storage object in mode
 * MOUNT, the default, or MOUNT_CACHED), so its nodes need /dev/fuse and the right to mount.
 */
export function requiresFuse(task: Task): boolean {
  return Object.values(task.fileMounts).some((s) => typeof s !== 'string' && String(s.mode ?? 'MOUNT').toUpperCase() !== 'COPY');
}

export function planStorage(task: Task, cloud?: string): { mounts: PlannedMount[]; problems: StorageProblem[] } {
  const mounts: PlannedMount[] = [];
  const problems: StorageProblem[] = [];
  for (const [dst, source] of Object.entries(task.fileMounts)) {
    if (!isBucketMount(source)) continue;
    const field = `file_mounts.${dst}`;
    if (typeof source === 'string') {
      const parsed = parseBucketUri(source);
      if (!parsed.ok) problems.push(storageProblem(dst, undefined, parsed.problem));
      else mounts.push({ dst, field, kind: 'uri', ref: parsed.ref, mode: 'COPY', localSources: [], persistent: true, mayCreate: false });
      continue;
    }
    const planned = planStorageObject(dst, field, source, task, cloud, problems);
    if (planned) mounts.push(planned);
  }
  return { mounts, problems };
}

function planStorageObject(
  dst: string,
  field: string,
  spec: StorageSpec,
  task: Task,
  cloud: string | undefined,
  problems: StorageProblem[],
): PlannedMount | undefined {
  const before = problems.length;
  const mode = (spec.mode ?? 'MOUNT').toUpperCase() as MountMode;
  const persistent = spec.persistent ?? true;
  let store: StoreKind | undefined;
  if (spec.store !== undefined) {
    const s = String(spec.store).toLowerCase();
    if (isStoreKind(s)) store = s;
    else if (OTHER_STORES.includes(s))
      problems.push(storageProblem(dst, 'store', `store: ${s} is not implemented by SkyDeck (it supports s3, gcs, azure and r2).`));
    else problems.push(storageProblem(dst, 'store', `unknown store "${spec.store}" (expected s3, gcs, azure or r2).`));
  }
  const sources = spec.source === undefined ? [] : Array.isArray(spec.source) ? spec.source : [spec.source];
  const uriSources = sources.filter(looksLikeUri);
  if (!spec.name && sources.length === 0) {
    problems.push(storageProblem(dst, undefined, 'a storage object needs a name (the bucket) or a source (a local path or a bucket URI).'));
    return undefined;
  }
  if (uriSources.length) {
    if (sources.length > 1) {
      problems.push(storageProblem(dst, 'source', 'a bucket URI source must be the only source.'));
      return undefined;
    }
    if (spec.name) {
      problems.push(storageProblem(dst, 'name', `name must not be set when source is a bucket URI (${uriSources[0]}): the bucket is the source's.`));
      return undefined;
    }
    const parsed = parseBucketUri(uriSources[0]);
    if (!parsed.ok) {
      problems.push(storageProblem(dst, 'source', parsed.problem));
      return undefined;
    }
    if (store && store !== parsed.ref.store)
      problems.push(storageProblem(dst, 'store', `store: ${store} does not match the source ${uriSources[0]} (a ${parsed.ref.store} bucket).`));
    if (problems.length > before) return undefined;
    return { dst, field, kind: 'storage', ref: parsed.ref, mode, source: spec.source, localSources: [], persistent, mayCreate: false };
  }
  const kind = store ?? defaultStore(cloud);
  const name = String(spec.name);
  const nameProblem = bucketNameProblem(kind, name);
  if (nameProblem) problems.push(storageProblem(dst, 'name', nameProblem));
  if (problems.length > before) return undefined;
  return {
    dst,
    field,
    kind: 'storage',
    ref: { store: kind, bucket: name, prefix: '' },
    mode,
    name,
    source: spec.source,
    localSources: sources.map((s) => resolveLocalPath(s, task)),
    persistent,
    mayCreate: true,
  };
}
