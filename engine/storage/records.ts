/**
 * What SkyDeck knows about storage, in the store (SKYDECK_HOME/state/storage.json): one
 * StorageRecord per storage object (the `storage ls` rows), and per cluster the mounts it
 * brought up on its nodes (what `down` flushes and unmounts). Credentials are never here.
 */
import { Collection } from '../state/store';
import type { MountMode } from './node/commands';
import type { BucketRef } from './stores/types';
import type { StorageRecord } from './types';

/** One mount on one cluster's nodes. */
export interface ClusterMount {
  dst: string;
  mode: MountMode;
  ref: BucketRef;
  remotePath: string;
  isFile?: boolean;
  /** The storage object's name (StorageRecord key), when it is one. */
  storage?: string;
  /** Per node rank: where the FUSE mount really is when not at dst (local nodes). */
  mountDirs?: Record<number, string>;
  stateDir: string;
}

export interface StorageTable {
  storage: Record<string, StorageRecord & { ref: BucketRef }>;
  mounts: Record<string, ClusterMount[]>;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function storageTable(): Collection<StorageTable> {
  return new Collection<StorageTable>({
    name: 'storage',
    initial: () => ({ storage: {}, mounts: {} }),
    validate: (d) => (isObject(d) && isObject(d.storage) && isObject(d.mounts) ? undefined : '"data.storage" and "data.mounts" must be objects'),
  });
}

export type StoredStorage = StorageTable['storage'][string];

export async function listStorage(): Promise<StoredStorage[]> {
  return Object.values((await storageTable().read()).storage).sort((a, b) => a.name.localeCompare(b.name));
}

/** The public row (`storage ls --json`): the record without SkyDeck's internal bucket reference. */
export function publicRecord(r: StoredStorage): StorageRecord {
  const { ref: _ref, ...row } = r;
  void _ref;
  return row;
}

/** Mounts a cluster brought up (synchronous read: cheap, and `down` of a cluster without storage loads nothing else). */
export function clusterMountsSync(cluster: string): ClusterMount[] {
  try {
    return storageTable().readSync().mounts[cluster] ?? [];
  } catch {
    return [];
  }
}
