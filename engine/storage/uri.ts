/**
 * Cloud URIs as SkyPilot writes them in `file_mounts` and in a storage `source`: `s3://`,
 * `gs://`, `r2://` and Azure's `https://<account>.blob.core.windows.net/<container>/<path>`.
 * Anything else with a scheme is refused by name (SkyPilot's other stores are not implemented).
 */
import type { BucketRef, StoreKind } from './stores/types';

const SCHEMES: Record<string, StoreKind> = { s3: 's3', gs: 'gcs', r2: 'r2' };

/** Stores SkyPilot knows that SkyDeck does not implement (a clear error, not "unknown"). */
const NOT_IMPLEMENTED = ['cos', 'oci', 'nebius', 'cw', 'vastdata', 'hf'];

const AZURE_HOST = /^([a-z0-9]{3,24})\.blob\.core\.windows\.net$/;

/** True for anything written as `<scheme>://...` (a URI, whether or not SkyDeck can use it). */
export function looksLikeUri(value: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(value);
}

export type UriParse = { ok: true; ref: BucketRef } | { ok: false; problem: string };

export function parseBucketUri(uri: string): UriParse {
  const m = /^([a-z][a-z0-9+.-]*):\/\/([^/]*)\/?(.*)$/i.exec(uri);
  if (!m) return { ok: false, problem: `"${uri}" is not a bucket URI` };
  const scheme = m[1].toLowerCase();
  const host = m[2];
  const rest = m[3].replace(/\/+$/, '');
  if (scheme === 'https' || scheme === 'http') {
    const az = AZURE_HOST.exec(host.toLowerCase());
    if (!az)
      return {
        ok: false,
        problem: `"${uri}" is not a bucket URI: only Azure Blob URLs (https://<account>.blob.core.windows.net/<container>/...) are accepted over https`,
      };
    const [container, ...path] = rest.split('/');
    if (!container) return { ok: false, problem: `"${uri}" names no container` };
    return { ok: true, ref: { store: 'azure', account: az[1], bucket: container, prefix: path.join('/') } };
  }
  const store = SCHEMES[scheme];
  if (!store) {
    if (NOT_IMPLEMENTED.includes(scheme))
      return { ok: false, problem: `${scheme}:// buckets are not implemented by SkyDeck (it supports s3://, gs://, r2:// and Azure Blob URLs)` };
    return { ok: false, problem: `unknown scheme ${scheme}:// in "${uri}" (expected s3://, gs://, r2:// or https://<account>.blob.core.windows.net/...)` };
  }
  if (!host) return { ok: false, problem: `"${uri}" names no bucket` };
  return { ok: true, ref: { store, bucket: host, prefix: rest } };
}

/** The URI of a bucket reference, as the user would write it. */
export function formatBucketUri(ref: BucketRef): string {
  const tail = ref.prefix ? `/${ref.prefix}` : '';
  switch (ref.store) {
    case 'azure':
      return `https://${ref.account ?? '<account>'}.blob.core.windows.net/${ref.bucket}${tail}`;
    case 'gcs':
      return `gs://${ref.bucket}${tail}`;
    default:
      return `${ref.store}://${ref.bucket}${tail}`;
  }
}
