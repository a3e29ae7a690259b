/** Cluster names, as SkyPilot checks and generates them. */
import * as crypto from 'node:crypto';
import * as os from 'node:os';
import { InputError } from '../errors';

const NAME_RE = /^[a-zA-Z]([-_.a-zA-Z0-9]*[a-zA-Z0-9])?$/;

export function validateClusterName(name: string): void {
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
  const user = currentUser().toLowerCase().replace(/[^a-z0-9]/g, '') || 'user';
  return `sky-${crypto.randomBytes(2).toString('hex')}-${user}`;
}

/** The name on the infrastructure: the cluster name plus a short user hash, so two users never collide. */
export function nameOnCloud(name: string): string {
  const hash = crypto.createHash('md5').update(currentUser()).digest('hex').slice(0, 4);
  return `${name.toLowerCase().replace(/[^a-z0-9-]/g, '-')}-${hash}`;
}
