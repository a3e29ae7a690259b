/**
 * GCP errors -> ProvisionError with SkyPilot's blocklist scope (skypilot-behavior.md 4.3,
 * FailoverCloudErrorHandlerV2). Errors arrive two ways: in a finished operation
 * (`error.errors[].code`, e.g. ZONE_RESOURCE_POOL_EXHAUSTED) or as an HTTP error on the
 * call (a GoogleError with `reason`, gRPC `code` and the API's message).
 */
import { ProvisionError, type BlockScope, type ProvisionErrorKind } from '../provider';

export interface GcpErrorInfo {
  code: string;
  message: string;
}

const ZONE_CAPACITY = new Set([
  'ZONE_RESOURCE_POOL_EXHAUSTED',
  'ZONE_RESOURCE_POOL_EXHAUSTED_WITH_DETAILS',
  'UNSUPPORTED_OPERATION',
  'insufficientCapacity',
  'RESOURCE_NOT_READY',
  'RESOURCE_OPERATION_RATE_EXCEEDED',
]);
const QUOTA = new Set(['QUOTA_EXCEEDED', 'quotaExceeded', 'rateLimitExceeded']);
const ALL_REGIONS = new Set(['VPC_NOT_FOUND', 'IAM_PERMISSION_DENIED']);
// gRPC codes google-gax assigns to HTTP errors.
const GRPC_UNAUTHENTICATED = 16;
const GRPC_PERMISSION_DENIED = 7;
const GRPC_RESOURCE_EXHAUSTED = 8;

/** The API's error code and message, from an operation error entry or a thrown GoogleError. */
export function gcpErrorInfo(err: unknown): GcpErrorInfo & { grpc?: number } {
  if (!err || typeof err !== 'object') return { code: 'UNKNOWN', message: String(err) };
  const e = err as { code?: unknown; reason?: string; message?: string; details?: string };
  const message = e.message ?? e.details ?? 'unknown error';
  if (typeof e.code === 'string') return { code: e.code, message };
  const known =
    /\b(ZONE_RESOURCE_POOL_EXHAUSTED(?:_WITH_DETAILS)?|QUOTA_EXCEEDED|VPC_NOT_FOUND|SUBNET_NOT_FOUND_FOR_VPC|IAM_PERMISSION_DENIED|RESOURCE_NOT_FOUND|UNSUPPORTED_OPERATION)\b/.exec(
      message,
    )?.[1];
  const grpc = typeof e.code === 'number' ? e.code : undefined;
  return { code: e.reason || known || (grpc !== undefined ? `GRPC_${grpc}` : 'UNKNOWN'), message, grpc };
}

function classify(info: GcpErrorInfo & { grpc?: number }): { kind: ProvisionErrorKind; scope: BlockScope } {
  const { code, message } = info;
  if (
    code === 'CREDENTIALS' ||
    info.grpc === GRPC_UNAUTHENTICATED ||
    code === 'required' ||
    /invalid_grant|Could not load the default credentials/i.test(message)
  ) {
    return { kind: 'auth', scope: 'cloud' };
  }
  if (QUOTA.has(code) || /Quota '.*' exceeded/i.test(message) || info.grpc === GRPC_RESOURCE_EXHAUSTED) {
    if (/GPUS_ALL_REGIONS/.test(message)) return { kind: 'quota', scope: 'launchable' };
    if (/ in zone /i.test(message)) return { kind: 'quota', scope: 'zone' };
    return { kind: 'quota', scope: 'region' };
  }
  if (ZONE_CAPACITY.has(code)) return { kind: 'capacity', scope: 'zone' };
  if (ALL_REGIONS.has(code) || /Requested disk size cannot be smaller than the image size|Policy update access denied/i.test(message)) {
    return { kind: 'config', scope: 'launchable' };
  }
  if (code === 'SUBNET_NOT_FOUND_FOR_VPC') return { kind: 'config', scope: 'region' };
  if (info.grpc === GRPC_PERMISSION_DENIED || code === 'forbidden') return { kind: 'auth', scope: 'cloud' };
  // RESOURCE_NOT_FOUND, "not found or access is unauthorized", TPU codes and anything unparsed.
  return { kind: 'other', scope: 'zone' };
}

const HINTS: Partial<Record<ProvisionErrorKind, string>> = {
  auth: 'Check `gcloud auth application-default login` and the project, then run `skydeck check`.',
  quota: 'Request more quota in the Google Cloud console (IAM & Admin > Quotas), or use other resources.',
  config: 'Check the project network (default VPC), the disk size versus the image, and IAM permissions.',
};

export function mapGcpError(err: unknown, where: { region: string; zone?: string }): ProvisionError {
  if (err instanceof ProvisionError) return err;
  const info = gcpErrorInfo(err);
  const { kind, scope } = classify(info);
  const place = where.zone ?? where.region;
  return new ProvisionError(kind, scope, `GCP ${place}: ${info.code}: ${info.message}`, { hint: HINTS[kind], cause: err });
}

/** gRPC NOT_FOUND (5) or an HTTP 404 on a get/delete. */
export function isNotFound(err: unknown): boolean {
  const e = err as { code?: unknown; message?: string } | undefined;
  return e?.code === 5 || e?.code === 404 || /was not found/.test(e?.message ?? '');
}
