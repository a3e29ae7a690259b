/**
 * The storage layer's entry points for the cluster engine and the CLI (README.md beside this
 * file). Importing it loads no storage SDK: each store is required on first use (./stores).
 */
export { checkStorage, materializeStorage, type CheckedMount } from './prepare';
export { attachStorage, MountToolMissingError } from './attach';
export { flushAndUnmount, hasMounts, releaseStorage } from './teardown';
export { isBucketMount, requiresFuse } from './spec';
