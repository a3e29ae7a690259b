/**
 * AWS errors -> ProvisionError with SkyPilot's blocklist scope (skypilot-behavior.md 4.3):
 * credential problems rule out all of AWS; everything else rules out the zones tried.
 * Quota errors are regional limits (vCPU, spot count), so they rule out the region, which
 * is what SkyPilot's quota pre-check amounts to.
 */
import { ProvisionError, type ProvisionErrorKind, type BlockScope } from '../provider';

const AUTH = new Set([
  'AuthFailure',
  'UnauthorizedOperation',
  'InvalidClientTokenId',
  'SignatureDoesNotMatch',
  'ExpiredToken',
  'ExpiredTokenException',
  'InvalidAccessKeyId',
  'MissingAuthenticationToken',
  'CredentialsProviderError',
  'InvalidCloudCredentials',
  'Blocked',
  'AccessDenied',
  'AccessDeniedException',
]);
const CAPACITY = new Set([
  'InsufficientInstanceCapacity',
  'InsufficientHostCapacity',
  'InsufficientReservedInstanceCapacity',
  'InsufficientCapacity',
  'InsufficientCapacityOnHost',
  'InsufficientAddressCapacity',
  'InsufficientFreeAddressesInSubnet',
  'Unsupported',
  'SpotMaxPriceTooLow',
  'CapacityNotAvailable',
  'InsufficientInstanceCapacityException',
]);
const QUOTA = new Set([
  'VcpuLimitExceeded',
  'InstanceLimitExceeded',
  'MaxSpotInstanceCountExceeded',
  'PendingVerification',
  'ResourceLimitExceeded',
  'SecurityGroupLimitExceeded',
  'KeyPairLimitExceeded',
  'VolumeLimitExceeded',
  'MaxIOPSLimitExceeded',
]);
const NETWORK = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'ETIMEDOUT', 'EHOSTUNREACH', 'TimeoutError', 'RequestTimeout']);

export function awsErrorCode(err: unknown): string {
  if (!err || typeof err !== 'object') return 'Unknown';
  const e = err as { name?: string; Code?: string; code?: string };
  if (e.code && NETWORK.has(e.code)) return e.code;
  return e.Code || e.name || e.code || 'Unknown';
}

export function isAwsCode(err: unknown, ...codes: string[]): boolean {
  const c = awsErrorCode(err);
  return codes.some((x) => c === x || c.startsWith(`${x}.`));
}

function classify(code: string): { kind: ProvisionErrorKind; scope: BlockScope } {
  if (AUTH.has(code)) return { kind: 'auth', scope: 'cloud' };
  if (CAPACITY.has(code)) return { kind: 'capacity', scope: 'zone' };
  if (QUOTA.has(code)) return { kind: 'quota', scope: 'region' };
  if (code === 'OptInRequired') return { kind: 'config', scope: 'region' };
  if (code.startsWith('InvalidAMIID')) return { kind: 'config', scope: 'region' };
  if (NETWORK.has(code)) return { kind: 'unreachable', scope: 'region' };
  return { kind: 'other', scope: 'zone' };
}

const HINTS: Partial<Record<ProvisionErrorKind, string>> = {
  auth: 'Check your AWS credentials (`aws sts get-caller-identity`), then run `skydeck check`.',
  quota: 'Request a quota increase in the AWS console (Service Quotas > EC2), or try another region.',
  config: 'Check that the region is enabled for your account and that the image exists there.',
  unreachable: 'Check network access to the EC2 endpoint (or SKYDECK_AWS_ENDPOINT).',
};

/** Already-mapped errors pass through, so nested helpers can map early. */
export function mapAwsError(err: unknown, where: { region: string; zone?: string }): ProvisionError {
  if (err instanceof ProvisionError) return err;
  const code = awsErrorCode(err);
  const { kind, scope } = classify(code);
  const raw = err instanceof Error ? err.message : String(err);
  const place = where.zone ? `${where.region}/${where.zone}` : where.region;
  const message = code === 'CredentialsProviderError' ? 'No AWS credentials could be loaded.' : raw;
  return new ProvisionError(kind, scope, `AWS ${place}: ${code}: ${message}`, { hint: HINTS[kind], cause: err });
}

/**
 * EC2 refusing the instance profile of `aws.remote_identity` (real EC2: InvalidParameterValue
 * naming iamInstanceProfile; an emulator may pass IAM's NoSuchEntity through): the profile is
 * missing account-wide (IAM is global), so no AWS region can host the cluster. SkyDeck has no
 * IAM client to create it, so the message says how.
 */
export function instanceProfileError(err: unknown, profile: string | undefined, identity: string): ProvisionError | undefined {
  if (!profile) return undefined;
  const message = err instanceof Error ? err.message : String(err);
  const refused = isAwsCode(err, 'NoSuchEntity') || (isAwsCode(err, 'InvalidParameterValue') && /iam ?instance ?profile/i.test(message));
  if (!refused) return undefined;
  const create =
    profile === 'skypilot-v1'
      ? `aws iam create-role --role-name skypilot-v1 --assume-role-policy-document '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}' && ` +
        'aws iam attach-role-policy --role-name skypilot-v1 --policy-arn arn:aws:iam::aws:policy/AmazonEC2FullAccess && ' +
        'aws iam attach-role-policy --role-name skypilot-v1 --policy-arn arn:aws:iam::aws:policy/AmazonS3FullAccess && ' +
        // SkyPilot's inline policy: a controller running with the role may pass it to the clusters it launches.
        `aws iam put-role-policy --role-name skypilot-v1 --policy-name SkyPilotPassRolePolicy --policy-document '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:GetRole","iam:PassRole"],"Resource":"arn:aws:iam::*:role/skypilot-v1"},{"Effect":"Allow","Action":"iam:GetInstanceProfile","Resource":"arn:aws:iam::*:instance-profile/skypilot-v1"}]}' && ` +
        'aws iam create-instance-profile --instance-profile-name skypilot-v1 && ' +
        'aws iam add-role-to-instance-profile --instance-profile-name skypilot-v1 --role-name skypilot-v1'
      : `aws iam create-instance-profile --instance-profile-name ${profile} (then add a role to it)`;
  return new ProvisionError(
    'config',
    'cloud',
    `AWS: the IAM instance profile '${profile}' (${identity}) does not exist or cannot be used: ${awsErrorCode(err)}: ${message}`,
    {
      hint: `SkyDeck attaches the instance profile but does not create it (no IAM client is bundled). Create it once with: ${create}`,
      cause: err,
    },
  );
}
