/**
 * `down --purge` when the infra could not be cleaned: SkyDeck's own bookkeeping for the
 * cluster (pool-host reservations, loopback addresses) is released so the names and hosts
 * can be used again; what may remain on the infra is the user's to check.
 */
import type { ClusterHandle } from '../infra/provider';
import { releaseHosts } from '../infra/ssh/hosts';
import { releaseIps } from '../infra/local/ips';

export async function forgetReservations(handle: ClusterHandle): Promise<void> {
  if (handle.provider === 'ssh') await releaseHosts(handle.nameOnCloud);
  if (handle.provider === 'local') await releaseIps(handle.nameOnCloud);
}
