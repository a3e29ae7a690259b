/**
 * Hover on storage values in a task: a bucket URI (store, bucket, prefix, whether this machine
 * has credentials for it), a storage object's `store` (modes, credentials) and `mode` (what it
 * does, which stores support it). Keys are documented by the task schema itself.
 */
import { parseBucketUri, MODE_DOCS, STORE_MODES, STORE_TITLES, storeCredentials, type StorageMode } from './storageFacts';
import type { StoreKind } from '../../engine/storage/stores/types';

function credentialLine(store: StoreKind, env: NodeJS.ProcessEnv): string | undefined {
  const c = storeCredentials(store, env);
  if (!c) return undefined;
  return c.enabled ? `Credentials: ${c.reason}` : `⚠️ No credentials: ${c.reason}`;
}

/**
 * Markdown for the storage value at `path` (keys from the task root, list items as `[]`), or
 * undefined when the value is not a storage value.
 */
export function storageHover(path: string[], value: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (path[0] !== 'file_mounts' || path.length < 2) return undefined;
  const field = path.length === 2 ? 'mount' : path[path.length - 1] === '[]' ? path[path.length - 2] : path[path.length - 1];
  if (field === 'mount' || field === 'source') {
    const uri = parseBucketUri(value);
    if (!uri) return undefined;
    const parts = [`**${STORE_TITLES[uri.store]}** bucket \`${uri.bucket}\``];
    if (uri.account) parts.push(`Storage account: \`${uri.account}\``);
    if (uri.prefix) parts.push(`Prefix: \`${uri.prefix}\``);
    if (field === 'mount') parts.push('Copied onto every node before setup (COPY). Use a storage object `{source, mode: MOUNT}` to mount it instead.');
    const cred = credentialLine(uri.store, env);
    if (cred) parts.push(cred);
    return parts.join('\n\n');
  }
  if (field === 'store') {
    const store = value.toLowerCase();
    const modes = STORE_MODES[store];
    if (!modes) return undefined;
    const title = STORE_TITLES[store as StoreKind];
    const parts = [`**${title ?? store}**`, `Modes: ${modes.join(', ')}`];
    if (!title) parts.push('SkyDeck does not run this store yet: SkyPilot does.');
    else {
      const cred = credentialLine(store as StoreKind, env);
      if (cred) parts.push(cred);
    }
    return parts.join('\n\n');
  }
  if (field === 'mode') {
    const mode = value.toUpperCase() as StorageMode;
    if (!MODE_DOCS[mode]) return undefined;
    const stores = Object.entries(STORE_MODES)
      .filter(([, m]) => m.includes(mode))
      .map(([s]) => s);
    return `**${mode}**\n\n${MODE_DOCS[mode]}\n\nStores: ${stores.join(', ')}`;
  }
  return undefined;
}
