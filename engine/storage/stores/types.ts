/**
 * The seam between SkyDeck's storage layer and one object store (S3 and S3-compatible stores
 * such as R2 and MinIO, GCS, Azure Blob). Each store lives in its own file beside this one and
 * loads its SDK lazily, so the editor and the server never load a storage SDK.
 */

/** SkyPilot's `store:` values. */
export type StoreKind = 's3' | 'gcs' | 'azure' | 'r2';

/** A bucket (Azure: a container in a storage account) and an optional key prefix inside it. */
export interface BucketRef {
  store: StoreKind;
  bucket: string;
  /** Key prefix without a leading slash; '' for the whole bucket. */
  prefix: string;
  /** Azure only: the storage account that holds the container. */
  account?: string;
}

export interface UploadResult {
  files: number;
  bytes: number;
}

/**
 * How rclone on a node reaches this store: the remote's type and its settings, passed as
 * `RCLONE_CONFIG_<REMOTE>_<KEY>` environment variables to the rclone process only, never
 * written to SkyDeck's state, logs or `--json` output.
 */
export interface RcloneRemote {
  type: 's3' | 'google cloud storage' | 'azureblob';
  settings: Record<string, string>;
}

export interface ObjectStore {
  readonly kind: StoreKind;
  bucketExists(ref: BucketRef): Promise<boolean>;
  /** Creates the bucket; `region` where the store has regions. */
  createBucket(ref: BucketRef, region?: string): Promise<void>;
  /** Deletes every object, then the bucket. */
  deleteBucket(ref: BucketRef): Promise<void>;
  /** Uploads `files` (paths relative to `root`, already filtered by .skyignore/.gitignore) under `ref.prefix`. */
  upload(ref: BucketRef, root: string, files: string[]): Promise<UploadResult>;
  /** Object keys under `ref.prefix` (used by tests and `storage ls`). */
  list(ref: BucketRef): Promise<string[]>;
  rcloneRemote(ref: BucketRef): Promise<RcloneRemote>;
}
