/** Cluster names, as SkyPilot checks and generates them, and their names on the infra. */
import * as crypto from 'node:crypto';
import * as os from 'node:os';
import { InputError } from '../errors';

const NAME_RE = /^[a-zA-Z]([-_.a-zA-Z0-9]*[a-zA-Z0-9])?$/;

/**
 * Longest cluster name accepted. Names become file names (locks, records' keys), ssh config
 * aliases and, truncated, names on clouds; a bound checked up front fails clearly before
 * anything exists instead of with ENAMETOOLONG halfway through a launch.
 */
export const MAX_CLUSTER_NAME_LENGTH = 128;

/** The on-infra name keeps at most this much of the cluster name (GCE and Kubernetes allow 63 in all). */
const ON_CLOUD_PREFIX_LENGTH = 40;

export function validateClusterName(name: string): void {
  if (typeof name === 'string' && name.length > MAX_CLUSTER_NAME_LENGTH) {
    throw new InputError(`Cluster name '${name.slice(0, 32)}...' is ${name.length} characters long; at most ${MAX_CLUSTER_NAME_LENGTH} are allowed.`, {
      hint: 'Choose a shorter name with `-c`.',
      code: 'INVALID_CLUSTER_NAME',
    });
  }
  if (!NAME_RE.test(name)) {
    throw new InputError(`Cluster name '${name}' is invalid.`, {
      hint: 'Use letters, digits, - _ and . ; start with a letter and end with a letter or digit.',
      code: 'INVALID_CLUSTER_NAME',
    });
  }
}

export function currentUser(): string {
  try {
    return os.userInfo().username;
  } catch {
    return process.env.USER ?? 'user';
  }
}

/** `sky-<4 hex>-<user>` like SkyPilot. */
export function generateClusterName(): string {
  const user =
    currentUser()
      .toLowerCase()
      .replace(/[^a-z0-9]/g, '') || 'user';
  return `sky-${crypto.randomBytes(2).toString('hex')}-${user}`;
}

function hex(text: string, length: number): string {
  return crypto.createHash('sha256').update(text).digest('hex').slice(0, length);
}

/**
 * The name on the infrastructure: the cluster name made infra-safe (lower case, `-` for
 * anything else, at most 40 characters), a hash of the exact cluster name and a short user
 * hash (SkyPilot appends the user hash too). The name hash keeps names that read the same
 * once made safe (`foo_bar`, `Foo-bar`, long names sharing a prefix) apart: they must never
 * share a loopback address, a pool host, or tags on a cloud.
 */
export function nameOnCloud(name: string): string {
  const safe = name
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-')
    .slice(0, ON_CLOUD_PREFIX_LENGTH)
    .replace(/-+$/, '');
  return `${safe}-${hex(name, 6)}-${hex(currentUser(), 4)}`;
}
