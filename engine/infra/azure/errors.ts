/**
 * Azure errors -> ProvisionError with SkyPilot's blocklist scope (skypilot-behavior.md 4.3):
 * a disabled subscription or failed authentication rules out all of Azure, anything else the
 * region (SkyPilot provisions Azure per region, without zones). Errors arrive as a RestError
 * (`code` from ARM's error body) or, for a failed long-running operation, as an Error whose
 * message carries the code ("The long-running operation has failed. AllocationFailed. ...").
 */
import { ProvisionError, type ProvisionErrorKind } from '../provider';

const AUTH_CODES = new Set([
  'ReadOnlyDisabledSubscription',
  'InvalidAuthenticationToken',
  'InvalidAuthenticationTokenTenant',
  'ExpiredAuthenticationToken',
  'AuthenticationFailed',
  'AuthorizationFailed',
  'SubscriptionNotFound',
  'InvalidSubscriptionId',
  'DisabledSubscription',
]);
const AUTH_NAMES = new Set([
  'ClientAuthenticationError',
  'CredentialUnavailableError',
  'AuthenticationError',
  'AggregateAuthenticationError',
  'AuthenticationRequiredError',
]);
const CAPACITY = new Set([
  'SkuNotAvailable',
  'AllocationFailed',
  'ZonalAllocationFailed',
  'OverconstrainedAllocationRequest',
  'OverconstrainedZonalAllocationRequest',
  'SpotMaxPriceTooLow',
  'AllocationFailedVMSeriesNotAvailable',
]);
const QUOTA = new Set(['QuotaExceeded', 'OperationNotAllowed', 'ResourceQuotaExceeded', 'SubscriptionRequestsThrottled', 'PublicIPCountLimitReached']);

export function azureErrorCode(err: unknown): string {
  if (!err || typeof err !== 'object') return 'Unknown';
  const e = err as { code?: unknown; name?: string; message?: string };
  const lro = /long-running operation has failed\. ([A-Za-z]+)\./.exec(e.message ?? '')?.[1];
  if (lro) return lro;
  if (typeof e.code === 'string' && e.code) return e.code;
  return e.name ?? 'Unknown';
}

export function mapAzureError(err: unknown, region: string): ProvisionError {
  if (err instanceof ProvisionError) return err;
  const code = azureErrorCode(err);
  const name = (err as { name?: string } | undefined)?.name ?? '';
  const message = err instanceof Error ? err.message : String(err);
  let kind: ProvisionErrorKind = 'other';
  if (AUTH_CODES.has(code) || AUTH_NAMES.has(name) || AUTH_NAMES.has(code)) kind = 'auth';
  else if (CAPACITY.has(code)) kind = 'capacity';
  else if (QUOTA.has(code) || /quota/i.test(message)) kind = 'quota';
  else if (['ECONNREFUSED', 'ENOTFOUND', 'ETIMEDOUT', 'REQUEST_SEND_ERROR'].includes(code)) kind = 'unreachable';
  const scope = kind === 'auth' ? 'cloud' : 'region';
  const hint =
    kind === 'auth'
      ? 'Check `az login` / `az account show` (the subscription must be enabled), then run `skydeck check`.'
      : kind === 'quota'
        ? 'Request a quota increase for this VM family in the Azure portal (Subscriptions > Usage + quotas), or use another region.'
        : undefined;
  return new ProvisionError(kind, scope, `Azure ${region}: ${code}: ${message}`, { hint, cause: err });
}

export function isAzureNotFound(err: unknown): boolean {
  const e = err as { statusCode?: number; code?: string } | undefined;
  return e?.statusCode === 404 || e?.code === 'ResourceGroupNotFound' || e?.code === 'ResourceNotFound' || e?.code === 'NotFound';
}
