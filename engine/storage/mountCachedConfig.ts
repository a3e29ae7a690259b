/**
 * `data.mount_cached.sequential_upload` (SkyPilot's deprecated key, sky/data/mounting_utils.py):
 * true makes MOUNT_CACHED mounts upload one file at a time (rclone `--transfers 1`), so objects
 * reach the bucket in the order they were written; unset or false keeps parallel uploads.
 */
import { activeConfig } from '../config/active';
import { getPath } from '../config/merge';
import type { ConfigMap } from '../config/types';

/** rclone's `--transfers` for MOUNT_CACHED write-back (undefined: the default). */
export function mountCachedTransfers(config: ConfigMap = activeConfig()): number | undefined {
  return getPath(config, ['data', 'mount_cached', 'sequential_upload']) === true ? 1 : undefined;
}
