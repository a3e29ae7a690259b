/**
 * `skydeck storage ls | delete`, as SkyPilot's `sky storage` verbs: list the storage objects
 * SkyDeck has prepared, and delete them. A bucket SkyDeck created is deleted with its objects;
 * one it did not create only leaves the list (SkyPilot's rule: buckets it does not manage are
 * never deleted). A storage object still mounted by a cluster is refused until that cluster is down.
 */
import { InputError, NotFoundError } from '../errors';
import { listStorage, publicRecord, storageTable, type StoredStorage } from './records';
import { getStore } from './stores';
import type { StorageRecord } from './types';
import { formatBucketUri } from './uri';

export async function storageRows(): Promise<StorageRecord[]> {
  return (await listStorage()).map(publicRecord);
}

export interface DeleteOutcome {
  name: string;
  /** True when the bucket itself was deleted (SkyDeck created it). */
  bucketDeleted: boolean;
}

export async function deleteStorage(names: string[], onMessage: (m: string) => void): Promise<DeleteOutcome[]> {
  const all = await listStorage();
  const chosen: StoredStorage[] = [];
  for (const n of names) {
    const rec = all.find((r) => r.name === n);
    if (!rec) throw new NotFoundError(`Storage '${n}'`, { hint: 'See `skydeck storage ls`.' });
    if (rec.clusters.length)
      throw new InputError(`Storage '${n}' is used by cluster(s) ${rec.clusters.join(', ')}.`, {
        hint: `Run \`skydeck down ${rec.clusters.join(' ')}\` first.`,
      });
    chosen.push(rec);
  }
  const out: DeleteOutcome[] = [];
  for (const rec of chosen) {
    const ref = { ...rec.ref, prefix: '' };
    if (rec.createdBySkydeck) {
      const store = getStore(ref.store);
      if (await store.bucketExists(ref)) await store.deleteBucket(ref);
      onMessage(`Deleted storage '${rec.name}' and its bucket ${formatBucketUri(ref)}.`);
    } else onMessage(`Removed storage '${rec.name}' from the list; its bucket ${formatBucketUri(ref)} was not created by SkyDeck and is kept.`);
    await storageTable().update((t) => void delete t.storage[rec.name]);
    out.push({ name: rec.name, bucketDeleted: rec.createdBySkydeck });
  }
  return out;
}
