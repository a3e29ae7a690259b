/**
 * Completion of bucket URIs where a task takes one: a `file_mounts` value and a storage
 * object's `source`. Offers each store's URI form (s3://, gs://, r2://, Azure's blob URL).
 */
import { URI_PREFIXES } from './storageFacts';

export interface UriCompletion {
  label: string;
  detail: string;
}

/** Completions for the value at `path` (keys from the task root, list items as `[]`), or undefined when it is not a bucket URI position. */
export function storageUriCompletions(path: string[], partial: string): UriCompletion[] | undefined {
  if (path[0] !== 'file_mounts') return undefined;
  const tail = path.filter((p) => p !== '[]');
  const isMountValue = tail.length === 2;
  const isSource = tail.length === 3 && tail[2] === 'source';
  if (!isMountValue && !isSource) return undefined;
  // A local path is being written: nothing to offer.
  if (/^[~./]/.test(partial)) return [];
  return URI_PREFIXES.filter((u) => u.prefix.startsWith(partial.toLowerCase()) || partial === '').map((u) => ({ label: u.prefix, detail: u.detail }));
}
