/**
 * S3 and S3-compatible stores (MinIO, moto, Cloudflare R2) through @aws-sdk/client-s3, loaded
 * only when this module is (stores/index.ts requires it on first use).
 *
 * Endpoint: the standard `AWS_ENDPOINT_URL_S3`, else `AWS_ENDPOINT_URL` (how users reach MinIO
 * or another S3-compatible store); R2 without either uses `https://<account id>.r2.cloudflarestorage.com`
 * with the account id in `~/.cloudflare/accountid` (SkyPilot's file). Credentials: the SDK's default chain
 * (env, profile, SSO, instance role), resolved here and handed to rclone on the node only as
 * its process environment.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteBucketCommand,
  DeleteObjectsCommand,
  HeadBucketCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
  type BucketLocationConstraint,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { InputError, SkyDeckError } from '../../errors';
import type { BucketRef, ObjectStore, RcloneRemote, StoreKind, UploadResult } from './types';

/** Files above this size go up in parts (several in flight), as the AWS CLI does. */
const MULTIPART_THRESHOLD = 64 * 1024 * 1024;
const PART_SIZE = 16 * 1024 * 1024;
const FILES_IN_FLIGHT = 16;
const PARTS_IN_FLIGHT = 4;

function endpointFromEnv(): string | undefined {
  return process.env.AWS_ENDPOINT_URL_S3 || process.env.AWS_ENDPOINT_URL || undefined;
}

function r2Endpoint(): string {
  const file = path.join(os.homedir(), '.cloudflare', 'accountid');
  let account = '';
  try {
    account = fs.readFileSync(file, 'utf8').trim();
  } catch {
    /* reported below */
  }
  if (!account) throw new InputError(`R2 needs its account id in ${file} (or AWS_ENDPOINT_URL_S3 set to the R2 endpoint).`);
  return `https://${account}.r2.cloudflarestorage.com`;
}

function regionFromEnv(): string {
  return process.env.AWS_REGION || process.env.AWS_DEFAULT_REGION || 'us-east-1';
}

class S3Store implements ObjectStore {
  private clientPromise?: S3Client;
  private endpoint?: string;
  private region: string;

  constructor(readonly kind: StoreKind) {
    this.region = kind === 'r2' ? 'auto' : regionFromEnv();
  }

  private client(): S3Client {
    if (this.clientPromise) return this.clientPromise;
    this.endpoint = endpointFromEnv() ?? (this.kind === 'r2' ? r2Endpoint() : undefined);
    const config: S3ClientConfig = { region: this.region, forcePathStyle: !!this.endpoint };
    if (this.endpoint) config.endpoint = this.endpoint;
    // R2's keys come from the same default chain (env or an AWS profile), as for S3.
    this.clientPromise = new S3Client(config);
    return this.clientPromise;
  }

  async bucketExists(ref: BucketRef): Promise<boolean> {
    try {
      await this.client().send(new HeadBucketCommand({ Bucket: ref.bucket }));
      return true;
    } catch (e) {
      const status = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (status === 404) return false;
      if (status === 403) throw new SkyDeckError('STORAGE_ACCESS', `Bucket ${this.kind}://${ref.bucket} exists but these credentials cannot access it.`);
      throw storeError(this.kind, `check bucket ${ref.bucket}`, e);
    }
  }

  async createBucket(ref: BucketRef, region?: string): Promise<void> {
    const where = region ?? this.region;
    const constraint = where === 'us-east-1' || this.kind === 'r2' ? undefined : { LocationConstraint: where as BucketLocationConstraint };
    try {
      await this.client().send(new CreateBucketCommand({ Bucket: ref.bucket, CreateBucketConfiguration: constraint }));
    } catch (e) {
      throw storeError(this.kind, `create bucket ${ref.bucket}`, e);
    }
  }

  async deleteBucket(ref: BucketRef): Promise<void> {
    try {
      for (;;) {
        const page = await this.client().send(new ListObjectsV2Command({ Bucket: ref.bucket, MaxKeys: 1000 }));
        const keys = (page.Contents ?? []).map((o) => ({ Key: o.Key! }));
        if (keys.length === 0) break;
        await this.client().send(new DeleteObjectsCommand({ Bucket: ref.bucket, Delete: { Objects: keys, Quiet: true } }));
      }
      await this.client().send(new DeleteBucketCommand({ Bucket: ref.bucket }));
    } catch (e) {
      throw storeError(this.kind, `delete bucket ${ref.bucket}`, e);
    }
  }

  async upload(ref: BucketRef, root: string, files: string[]): Promise<UploadResult> {
    let bytes = 0;
    const queue = [...files];
    const worker = async (): Promise<void> => {
      for (let rel = queue.shift(); rel !== undefined; rel = queue.shift()) {
        const full = path.join(root, rel);
        const size = fs.statSync(full).size;
        const key = ref.prefix ? `${ref.prefix}/${rel}` : rel;
        if (size > MULTIPART_THRESHOLD) await this.uploadParts(ref.bucket, key, full, size);
        else await this.client().send(new PutObjectCommand({ Bucket: ref.bucket, Key: key, Body: fs.readFileSync(full), ContentLength: size }));
        bytes += size;
      }
    };
    try {
      await Promise.all(Array.from({ length: Math.min(FILES_IN_FLIGHT, files.length) }, worker));
    } catch (e) {
      throw storeError(this.kind, `upload to ${ref.bucket}`, e);
    }
    return { files: files.length, bytes };
  }

  private async uploadParts(bucket: string, key: string, file: string, size: number): Promise<void> {
    const { UploadId } = await this.client().send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }));
    const parts: { PartNumber: number; ETag?: string }[] = [];
    const numbers = Array.from({ length: Math.ceil(size / PART_SIZE) }, (_, i) => i + 1);
    const fd = await fs.promises.open(file, 'r');
    try {
      const worker = async (): Promise<void> => {
        for (let n = numbers.shift(); n !== undefined; n = numbers.shift()) {
          const start = (n - 1) * PART_SIZE;
          const buf = Buffer.alloc(Math.min(PART_SIZE, size - start));
          await fd.read(buf, 0, buf.length, start);
          const out = await this.client().send(
            new UploadPartCommand({ Bucket: bucket, Key: key, UploadId, PartNumber: n, Body: buf, ContentLength: buf.length }),
          );
          parts.push({ PartNumber: n, ETag: out.ETag });
        }
      };
      await Promise.all(Array.from({ length: PARTS_IN_FLIGHT }, worker));
    } finally {
      await fd.close();
    }
    parts.sort((a, b) => a.PartNumber - b.PartNumber);
    await this.client().send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId, MultipartUpload: { Parts: parts } }));
  }

  async list(ref: BucketRef): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    try {
      do {
        const page = await this.client().send(new ListObjectsV2Command({ Bucket: ref.bucket, Prefix: ref.prefix || undefined, ContinuationToken: token }));
        for (const o of page.Contents ?? []) if (o.Key) keys.push(o.Key);
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
    } catch (e) {
      throw storeError(this.kind, `list ${ref.bucket}`, e);
    }
    return ref.prefix ? keys.filter((k) => k === ref.prefix || k.startsWith(`${ref.prefix}/`)) : keys;
  }

  async rcloneRemote(): Promise<RcloneRemote> {
    const client = this.client();
    const creds = await client.config.credentials();
    const settings: Record<string, string> = {
      provider: this.kind === 'r2' ? 'Cloudflare' : this.endpoint ? 'Other' : 'AWS',
      env_auth: 'false',
      access_key_id: creds.accessKeyId,
      secret_access_key: creds.secretAccessKey,
      region: this.region,
    };
    if (creds.sessionToken) settings.session_token = creds.sessionToken;
    if (this.endpoint) settings.endpoint = this.endpoint;
    return { type: 's3', settings };
  }
}

function storeError(kind: StoreKind, what: string, e: unknown): SkyDeckError {
  const err = e as { name?: string; message?: string };
  return new SkyDeckError(
    'STORAGE_ERROR',
    `${kind}: could not ${what}: ${err.name && err.name !== 'Error' ? `${err.name}: ` : ''}${err.message ?? String(e)}`,
    { cause: e },
  );
}

export function createStore(kind: StoreKind): ObjectStore {
  return new S3Store(kind);
}
