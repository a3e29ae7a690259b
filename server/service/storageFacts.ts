/**
 * What the editor knows about a task's storage: which store a `file_mounts` value or a storage
 * object uses (from `store:` or the source URI's scheme), which modes each store supports, and
 * whether its cloud has credentials (the same detection `skydeck check` starts from,
 * engine/infra/detection.ts; nothing is called, no SDK is loaded). Shared by the storage
 * diagnostics, hover and completion.
 */
import { detectCloud, type InfraDetection } from '../../engine/infra/detection';
import type { StoreKind } from '../../engine/storage/stores/types';

export type StorageMode = 'MOUNT' | 'COPY' | 'MOUNT_CACHED';

/**
 * Stores whose modes SkyPilot documents by implementing them: MOUNT_CACHED is the store's
 * rclone mount, which S3 and the S3-compatible stores, GCS, Azure and OCI have and IBM COS does
 * not (SkyPilot refuses it with NotSupportedError). Stores not listed are not judged here.
 */
export const STORE_MODES: Record<string, StorageMode[]> = {
  s3: ['MOUNT', 'COPY', 'MOUNT_CACHED'],
  gcs: ['MOUNT', 'COPY', 'MOUNT_CACHED'],
  azure: ['MOUNT', 'COPY', 'MOUNT_CACHED'],
  r2: ['MOUNT', 'COPY', 'MOUNT_CACHED'],
  nebius: ['MOUNT', 'COPY', 'MOUNT_CACHED'],
  coreweave: ['MOUNT', 'COPY', 'MOUNT_CACHED'],
  oci: ['MOUNT', 'COPY', 'MOUNT_CACHED'],
  ibm: ['MOUNT', 'COPY'],
};

export const STORE_TITLES: Record<StoreKind, string> = { s3: 'Amazon S3', gcs: 'Google Cloud Storage', azure: 'Azure Blob Storage', r2: 'Cloudflare R2' };

export const URI_PREFIXES: { prefix: string; store: StoreKind; detail: string }[] = [
  { prefix: 's3://', store: 's3', detail: 'Amazon S3 (or an S3-compatible endpoint from AWS_ENDPOINT_URL_S3)' },
  { prefix: 'gs://', store: 'gcs', detail: 'Google Cloud Storage' },
  { prefix: 'r2://', store: 'r2', detail: 'Cloudflare R2' },
  { prefix: 'https://ACCOUNT.blob.core.windows.net/', store: 'azure', detail: 'Azure Blob Storage: https://<account>.blob.core.windows.net/<container>/...' },
];

export interface BucketUri {
  store: StoreKind;
  bucket: string;
  prefix: string;
  account?: string;
}

/** A bucket URI as SkyPilot writes them, or undefined for anything else (a local path). */
export function parseBucketUri(text: string): BucketUri | undefined {
  const m = /^(s3|gs|r2):\/\/([^/]*)\/?(.*)$/.exec(text);
  if (m) return { store: m[1] === 'gs' ? 'gcs' : (m[1] as StoreKind), bucket: m[2], prefix: m[3] };
  const az = /^https:\/\/([a-z0-9]+)\.blob\.core\.windows\.net\/([^/]*)\/?(.*)$/.exec(text);
  if (az) return { store: 'azure', account: az[1], bucket: az[2], prefix: az[3] };
  return undefined;
}

/** Credentials of the cloud behind a store, as `skydeck check` detects them; undefined when SkyDeck has no detection for it. */
export function storeCredentials(store: StoreKind, env: NodeJS.ProcessEnv = process.env): InfraDetection | undefined {
  switch (store) {
    case 's3':
      return detectCloud('aws', env);
    case 'gcs':
      return detectCloud('gcp', env);
    case 'azure':
      // A connection string or an account key also reaches Blob storage without `az login`.
      if (env.AZURE_STORAGE_CONNECTION_STRING || (env.AZURE_STORAGE_ACCOUNT && env.AZURE_STORAGE_KEY))
        return { infra: 'azure', enabled: true, reason: 'AZURE_STORAGE_CONNECTION_STRING or AZURE_STORAGE_ACCOUNT/AZURE_STORAGE_KEY.' };
      return detectCloud('azure', env);
    default:
      return undefined;
  }
}

export const MODE_DOCS: Record<StorageMode, string> = {
  MOUNT: 'The bucket is mounted (FUSE) on every node; reads stream from the bucket and writes land in it.',
  COPY: 'The bucket is copied onto every node before setup; later writes stay on the node.',
  MOUNT_CACHED: 'The bucket is mounted with rclone and a local VFS cache; writes are uploaded asynchronously and `down` waits until they are flushed.',
};
