/** What SkyDeck records about a storage object it has prepared for a task (SkyPilot's `sky storage ls`). */
import type { StoreKind } from './stores/types';

export interface StorageRecord {
  /** The storage object's `name` (the bucket), or the bucket of a mounted URI. */
  name: string;
  store: StoreKind;
  /** The `source` as written (a local path or a bucket URI), when there is one. */
  source?: string | string[];
  mode: 'MOUNT' | 'COPY' | 'MOUNT_CACHED';
  /** `persistent: false` buckets are deleted on `down` of their last cluster. */
  persistent: boolean;
  /** True when SkyDeck created the bucket; buckets it did not create are never deleted. */
  createdBySkydeck: boolean;
  /** Clusters whose tasks use it. */
  clusters: string[];
  /** ISO time of first use. */
  createdAt: string;
  /** READY, or UPLOAD_FAILED / INIT as SkyPilot's storage statuses. */
  status: 'INIT' | 'READY' | 'UPLOAD_FAILED';
}
