/**
 * Azure Blob Storage through `@azure/storage-blob`, loaded on first use only (the server and the
 * extension never load it). A SkyPilot bucket is a container in a storage account
 * (`https://<account>.blob.core.windows.net/<container>/...`).
 *
 * Which account and how, in order:
 * - `AZURE_STORAGE_CONNECTION_STRING` (the variable the Azure SDKs and azure-cli read): its
 *   account, key and endpoint. This is how an emulator such as azurite is reached
 *   (`BlobEndpoint=http://127.0.0.1:PORT/devstoreaccount1`).
 * - otherwise the account of the URL (`BucketRef.account`) or `AZURE_STORAGE_ACCOUNT`, with
 *   `AZURE_STORAGE_KEY` when set (azure-cli's variables), else the user's Azure login
 *   (`@azure/identity`'s DefaultAzureCredential: `az login`, a service principal, a managed identity).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { objectKey, pool, underPrefix } from './keys';
import type { BucketRef, ObjectStore, RcloneRemote, StoreKind, UploadResult } from './types';

// The SDK's types only; the SDK itself is required on first use.
type Sdk = typeof import('@azure/storage-blob');
type ServiceClient = import('@azure/storage-blob').BlobServiceClient;
type SharedKey = import('@azure/storage-blob').StorageSharedKeyCredential;

const PARALLEL_UPLOADS = 16;
/** How long the SAS handed to rclone on a node stays valid (user delegation keys allow at most 7 days). */
const SAS_LIFETIME_MS = 7 * 24 * 3600_000;

export interface AzureAccess {
  account: string;
  /** The Blob service URL, e.g. https://acct.blob.core.windows.net or an emulator's http://127.0.0.1:PORT/devstoreaccount1. */
  blobEndpoint: string;
  key?: string;
  /** True when the endpoint is not Azure's public one (an emulator, a sovereign cloud). */
  customEndpoint: boolean;
}

function parseConnectionString(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of text.split(';')) {
    const at = part.indexOf('=');
    if (at > 0) out[part.slice(0, at).trim()] = part.slice(at + 1).trim();
  }
  return out;
}

/** Where the store's account is and how it authenticates, from the environment and the URL's account. */
export function azureAccess(env: NodeJS.ProcessEnv, accountFromUrl?: string): AzureAccess {
  const cs = env.AZURE_STORAGE_CONNECTION_STRING?.trim();
  if (cs) {
    const p = parseConnectionString(cs);
    const account = p.AccountName;
    if (!account) throw new Error('AZURE_STORAGE_CONNECTION_STRING has no AccountName.');
    if (accountFromUrl && accountFromUrl !== account)
      throw new Error(`The bucket is in storage account "${accountFromUrl}", but AZURE_STORAGE_CONNECTION_STRING is for account "${account}".`);
    const suffix = p.EndpointSuffix ?? 'core.windows.net';
    const blobEndpoint = (p.BlobEndpoint ?? `${p.DefaultEndpointsProtocol ?? 'https'}://${account}.blob.${suffix}`).replace(/\/+$/, '');
    return { account, blobEndpoint, key: p.AccountKey, customEndpoint: !!p.BlobEndpoint || suffix !== 'core.windows.net' };
  }
  const account = accountFromUrl ?? env.AZURE_STORAGE_ACCOUNT;
  if (!account)
    throw new Error(
      'Azure Blob: no storage account. Use a https://<account>.blob.core.windows.net/<container> URL, set AZURE_STORAGE_ACCOUNT, or set AZURE_STORAGE_CONNECTION_STRING.',
    );
  return { account, blobEndpoint: `https://${account}.blob.core.windows.net`, key: env.AZURE_STORAGE_KEY || undefined, customEndpoint: false };
}

export class AzureBlobStore implements ObjectStore {
  readonly kind = 'azure' as const;
  private readonly clients = new Map<string, { sdk: Sdk; service: ServiceClient; access: AzureAccess; sharedKey?: SharedKey }>();

  constructor(private readonly env: NodeJS.ProcessEnv = process.env) {}

  private client(ref: BucketRef): { sdk: Sdk; service: ServiceClient; access: AzureAccess; sharedKey?: SharedKey } {
    const access = azureAccess(this.env, ref.account);
    const cached = this.clients.get(access.account);
    if (cached) return cached;
    // Loaded on first use only, never in the editor bundles.
    const sdk = require('@azure/storage-blob') as Sdk;
    let made: { sdk: Sdk; service: ServiceClient; access: AzureAccess; sharedKey?: SharedKey };
    if (access.key) {
      const sharedKey = new sdk.StorageSharedKeyCredential(access.account, access.key);
      made = { sdk, access, sharedKey, service: new sdk.BlobServiceClient(access.blobEndpoint, sharedKey) };
    } else {
      // The SDK's companion identity library, loaded with it.
      const { DefaultAzureCredential } = require('@azure/identity') as typeof import('@azure/identity');
      made = { sdk, access, service: new sdk.BlobServiceClient(access.blobEndpoint, new DefaultAzureCredential()) };
    }
    this.clients.set(access.account, made);
    return made;
  }

  private container(ref: BucketRef) {
    return this.client(ref).service.getContainerClient(ref.bucket);
  }

  async bucketExists(ref: BucketRef): Promise<boolean> {
    return this.container(ref).exists();
  }

  /** Containers have no region of their own: they live in the storage account's. */
  async createBucket(ref: BucketRef, _region?: string): Promise<void> {
    await this.container(ref).create();
  }

  /** Deleting a container deletes its blobs with it. */
  async deleteBucket(ref: BucketRef): Promise<void> {
    await this.container(ref).delete();
  }

  async upload(ref: BucketRef, root: string, files: string[]): Promise<UploadResult> {
    const container = this.container(ref);
    let bytes = 0;
    await pool(files, PARALLEL_UPLOADS, async (rel) => {
      const local = path.join(root, rel);
      const size = (await fs.promises.stat(local)).size;
      await container.getBlockBlobClient(objectKey(ref.prefix, rel)).uploadFile(local, { concurrency: 4 });
      bytes += size;
    });
    return { files: files.length, bytes };
  }

  async list(ref: BucketRef): Promise<string[]> {
    const { query, keep } = underPrefix(ref.prefix);
    const out: string[] = [];
    for await (const blob of this.container(ref).listBlobsFlat({ prefix: query || undefined })) if (keep(blob.name)) out.push(blob.name);
    return out;
  }

  /**
   * rclone's `azureblob` remote. With the account key on Azure's public endpoint: account and
   * key, as SkyPilot configures rclone. rclone 1.60 cannot take a custom endpoint with a port
   * (it builds https://<account>.<endpoint>) nor an Azure login, so for an emulator a SAS URL
   * for the container signed with the key, and for a login a SAS URL signed with a user
   * delegation key.
   */
  async rcloneRemote(ref: BucketRef): Promise<RcloneRemote> {
    const { sdk, service, access, sharedKey } = this.client(ref);
    if (sharedKey && !access.customEndpoint) return { type: 'azureblob', settings: { account: access.account, key: access.key as string } };
    const startsOn = new Date(Date.now() - 5 * 60_000);
    const expiresOn = new Date(Date.now() + SAS_LIFETIME_MS);
    const permissions = sdk.ContainerSASPermissions.parse('racwdl');
    const container = service.getContainerClient(ref.bucket);
    let query: string;
    if (sharedKey) query = sdk.generateBlobSASQueryParameters({ containerName: ref.bucket, permissions, startsOn, expiresOn }, sharedKey).toString();
    else {
      const delegation = await service.getUserDelegationKey(startsOn, expiresOn);
      query = sdk.generateBlobSASQueryParameters({ containerName: ref.bucket, permissions, startsOn, expiresOn }, delegation, access.account).toString();
    }
    return { type: 'azureblob', settings: { sas_url: `${container.url}?${query}` } };
  }
}

/** The entry point stores/index.ts requires this module by. */
export function createStore(_kind: StoreKind = 'azure'): ObjectStore {
  return createAzureStore();
}

export function createAzureStore(env: NodeJS.ProcessEnv = process.env): ObjectStore {
  return new AzureBlobStore(env);
}
