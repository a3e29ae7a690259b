/** Object keys and upload concurrency the SDK-backed stores share (no SDK here). */
import * as path from 'node:path';

/** The object key of `rel` (a path relative to the upload root) under `prefix`. */
export function objectKey(prefix: string, rel: string): string {
  const p = prefix.replace(/^\/+|\/+$/g, '');
  const r = rel.split(path.sep).join('/');
  return p ? `${p}/${r}` : r;
}

/** The prefix as a directory or a single object: keys equal to it or under `<prefix>/`. */
export function underPrefix(prefix: string): { query: string; keep: (key: string) => boolean } {
  const p = prefix.replace(/^\/+|\/+$/g, '');
  return { query: p, keep: (key) => !p || key === p || key.startsWith(`${p}/`) };
}

/** Runs `work` over `items`, at most `width` at a time. */
export async function pool<T>(items: T[], width: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
}
