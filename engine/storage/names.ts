/**
 * Bucket naming rules per store, as each cloud enforces them (and SkyPilot checks them before
 * creating a bucket). Returns why `name` is invalid for `store`, or undefined when it is valid.
 * Pure string checks: the editor's diagnostics and the launch path give the same answer.
 */
import type { StoreKind } from './stores/types';

const IP_LIKE = /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;

export function bucketNameProblem(store: StoreKind, name: string): string | undefined {
  switch (store) {
    case 's3':
    case 'r2':
      // R2 follows S3's rules (SkyPilot validates R2 names as S3 names).
      return s3NameProblem(name, store === 's3' ? 'S3' : 'R2');
    case 'gcs':
      return gcsNameProblem(name);
    case 'azure':
      return azureContainerProblem(name);
  }
}

function s3NameProblem(name: string, label: string): string | undefined {
  const what = `${label} bucket name "${name}"`;
  if (name.length < 3 || name.length > 63) return `${what} must be 3 to 63 characters long (it has ${name.length}).`;
  if (!/^[a-z0-9.-]+$/.test(name)) return `${what} may contain only lowercase letters, digits, dots (.) and hyphens (-).`;
  if (!/^[a-z0-9]/.test(name) || !/[a-z0-9]$/.test(name)) return `${what} must begin and end with a lowercase letter or digit.`;
  if (name.includes('..')) return `${what} must not contain two adjacent dots.`;
  if (IP_LIKE.test(name)) return `${what} must not be formatted as an IP address.`;
  if (name.startsWith('xn--')) return `${what} must not start with "xn--".`;
  if (name.startsWith('sthree-')) return `${what} must not start with "sthree-".`;
  if (name.endsWith('-s3alias')) return `${what} must not end with "-s3alias".`;
  if (name.endsWith('--ol-s3')) return `${what} must not end with "--ol-s3".`;
  return undefined;
}

function gcsNameProblem(name: string): string | undefined {
  const what = `GCS bucket name "${name}"`;
  if (!/^[a-z0-9._-]*$/.test(name)) return `${what} may contain only lowercase letters, digits, dots (.), hyphens (-) and underscores (_).`;
  if (name.length < 3) return `${what} must be at least 3 characters long.`;
  if (!/^[a-z0-9]/.test(name) || !/[a-z0-9]$/.test(name)) return `${what} must begin and end with a lowercase letter or digit.`;
  if (name.includes('.')) {
    // Dotted names are DNS names: up to 222 characters, each dot-separated part up to 63.
    if (name.length > 222) return `${what} contains dots, so it may be at most 222 characters long (it has ${name.length}).`;
    if (name.split('.').some((part) => part.length > 63)) return `${what}: each dot-separated part must be at most 63 characters long.`;
    if (name.includes('..')) return `${what} must not contain two adjacent dots.`;
  } else if (name.length > 63) return `${what} must be at most 63 characters long without dots (it has ${name.length}).`;
  if (IP_LIKE.test(name)) return `${what} must not be an IP address in dotted-decimal notation.`;
  if (name.startsWith('goog')) return `${what} must not begin with the "goog" prefix.`;
  if (/g[o0][o0]g[l1]e/.test(name)) return `${what} must not contain "google" or close misspellings of it.`;
  return undefined;
}

function azureContainerProblem(name: string): string | undefined {
  const what = `Azure container name "${name}"`;
  if (name.length < 3 || name.length > 63) return `${what} must be 3 to 63 characters long (it has ${name.length}).`;
  if (!/^[a-z0-9-]+$/.test(name)) return `${what} may contain only lowercase letters, digits and hyphens (-).`;
  if (!/^[a-z0-9]/.test(name)) return `${what} must start with a lowercase letter or digit.`;
  if (name.endsWith('-')) return `${what} must not end with a hyphen.`;
  if (name.includes('--')) return `${what} must not contain consecutive hyphens.`;
  return undefined;
}
