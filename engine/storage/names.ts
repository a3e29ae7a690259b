/**
 * Bucket naming rules per store, as each cloud enforces them (and SkyPilot checks them before
 * creating a bucket). Returns why `name` is invalid for `store`, or undefined when it is valid.
 */
import type { StoreKind } from './stores/types';

export function bucketNameProblem(store: StoreKind, name: string): string | undefined {
  // Placeholder rule shared by every store until each store's own rules land.
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(name)) return `"${name}" is not a valid ${store} bucket name`;
  return undefined;
}
