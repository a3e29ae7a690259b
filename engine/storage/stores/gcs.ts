/**
 * Google Cloud Storage through `@google-cloud/storage`, loaded on first use only (the server
 * and the extension never load it). Credentials are the GCP provider's: application default
 * credentials, GOOGLE_APPLICATION_CREDENTIALS or SKYDECK_GCP_ACCESS_TOKEN, and the project
 * from the environment or gcloud (engine/infra/gcp/credentials.ts).
 *
 * An emulator is reached through `STORAGE_EMULATOR_HOST=http://HOST:PORT`, the Google
 * libraries' own convention; the libraries send no credentials to it, and neither does rclone.
 *
 * Keys: `list` returns whole object names (prefix included): the object named by the prefix
 * itself and those under `<prefix>/`; uploads land at `<prefix>/<relative path>`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { findGcpCredentials } from '../../infra/gcp/credentials';
import { objectKey, pool, underPrefix } from './keys';
import type { BucketRef, ObjectStore, RcloneRemote, StoreKind, UploadResult } from './types';

// The SDK's types only; the SDK itself is required on first use (connect()).
type Sdk = typeof import('@google-cloud/storage');
type Storage = import('@google-cloud/storage').Storage;

/** Files above this go through a resumable upload (survives a dropped connection); smaller ones in one request. */
const RESUMABLE_ABOVE = 8 * 1024 * 1024;
const PARALLEL_UPLOADS = 16;
/** The project a bucket is created in when an emulator is used and no project is configured. */
const EMULATOR_PROJECT = 'skydeck-emulator';

/** The emulator's origin, or undefined for the real service. */
export function gcsEmulatorOrigin(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const raw = env.STORAGE_EMULATOR_HOST?.trim();
  if (!raw) return undefined;
  const withScheme = /^https?:\/\//.test(raw) ? raw : `http://${raw}`;
  return new URL(withScheme).origin;
}

export class GcsStore implements ObjectStore {
  readonly kind = 'gcs' as const;
  private client?: Promise<{ storage: Storage; project: string }>;

  constructor(private readonly env: NodeJS.ProcessEnv = process.env) {}

  private connect(): Promise<{ storage: Storage; project: string }> {
    this.client ??= (async () => {
      const emulator = gcsEmulatorOrigin(this.env);
      const creds = findGcpCredentials(this.env);
      if (!emulator && !creds.found) throw new Error(`GCS: ${creds.description}`);
      const project = creds.project ?? (emulator ? EMULATOR_PROJECT : '');
      // Loaded on first use only, never in the editor bundles.
      const sdk = require('@google-cloud/storage') as Sdk;
      const options: ConstructorParameters<typeof sdk.Storage>[0] = { projectId: project };
      if (emulator) options.apiEndpoint = emulator;
      else if (creds.accessToken) {
        // The SDK's own auth library, loaded with it.
        const { OAuth2Client } = require('google-auth-library') as typeof import('google-auth-library');
        const auth = new OAuth2Client();
        auth.setCredentials({ access_token: creds.accessToken, expiry_date: Date.now() + 3600_000 });
        // The storage SDK may pin another copy of google-auth-library; it uses the client through its interface.
        options.authClient = auth as unknown as NonNullable<typeof options>['authClient'];
      } else if (creds.keyFile) options.keyFilename = creds.keyFile;
      return { storage: new sdk.Storage(options), project };
    })();
    return this.client;
  }

  async bucketExists(ref: BucketRef): Promise<boolean> {
    const { storage } = await this.connect();
    const [exists] = await storage.bucket(ref.bucket).exists();
    return exists;
  }

  async createBucket(ref: BucketRef, region?: string): Promise<void> {
    const { storage } = await this.connect();
    // Uniform bucket-level access, as SkyPilot creates GCS buckets (rclone's bucket_policy_only relies on it).
    await storage.createBucket(ref.bucket, { ...(region ? { location: region } : {}), iamConfiguration: { uniformBucketLevelAccess: { enabled: true } } });
  }

  async deleteBucket(ref: BucketRef): Promise<void> {
    const { storage } = await this.connect();
    const bucket = storage.bucket(ref.bucket);
    await bucket.deleteFiles({ force: false });
    await bucket.delete();
  }

  async upload(ref: BucketRef, root: string, files: string[]): Promise<UploadResult> {
    const { storage } = await this.connect();
    const bucket = storage.bucket(ref.bucket);
    let bytes = 0;
    await pool(files, PARALLEL_UPLOADS, async (rel) => {
      const local = path.join(root, rel);
      const size = (await fs.promises.stat(local)).size;
      await bucket.upload(local, { destination: objectKey(ref.prefix, rel), resumable: size > RESUMABLE_ABOVE, validation: 'crc32c' });
      bytes += size;
    });
    return { files: files.length, bytes };
  }

  async list(ref: BucketRef): Promise<string[]> {
    const { storage } = await this.connect();
    const { query, keep } = underPrefix(ref.prefix);
    const [files] = await storage.bucket(ref.bucket).getFiles({ prefix: query, autoPaginate: true });
    return files.map((f) => f.name).filter(keep);
  }

  /**
   * rclone's `google cloud storage` remote. rclone 1.60 has no env_auth for GCS: with no key
   * file it uses application default credentials itself, so only a service-account key file
   * is named here. With an emulator: its endpoint, anonymously.
   */
  async rcloneRemote(_ref: BucketRef): Promise<RcloneRemote> {
    const emulator = gcsEmulatorOrigin(this.env);
    if (emulator) return { type: 'google cloud storage', settings: { endpoint: `${emulator}/storage/v1/`, anonymous: 'true', bucket_policy_only: 'true' } };
    const creds = findGcpCredentials(this.env);
    const settings: Record<string, string> = { bucket_policy_only: 'true' };
    if (creds.project) settings.project_number = creds.project;
    if (creds.keyFile && isServiceAccountKey(creds.keyFile)) settings.service_account_file = creds.keyFile;
    return { type: 'google cloud storage', settings };
  }
}

function isServiceAccountKey(file: string): boolean {
  try {
    return (JSON.parse(fs.readFileSync(file, 'utf8')) as { type?: string }).type === 'service_account';
  } catch {
    return false;
  }
}

/** The entry point stores/index.ts requires this module by. */
export function createStore(_kind: StoreKind = 'gcs'): ObjectStore {
  return createGcsStore();
}

export function createGcsStore(env: NodeJS.ProcessEnv = process.env): ObjectStore {
  return new GcsStore(env);
}
