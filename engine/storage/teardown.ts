/**
 * The storage side of `down`. Before the nodes go: on each node, wait until MOUNT_CACHED
 * mounts have uploaded what was written (a timeout fails the `down`, which keeps the cluster:
 * its writes would be lost), then unmount every FUSE mount. After the nodes are gone: forget the
 * cluster's mounts, and delete the buckets of `persistent: false` storage objects that SkyDeck
 * created and no other cluster uses. A bucket SkyDeck did not create is never deleted.
 */
import { SkyDeckError, errorMessage } from '../errors';
import type { ClusterAccess } from '../cluster/access';
import type { ClusterRecord } from '../cluster/types';
import { flushAndUnmountScript } from './node/commands';
import { clusterMountsSync, storageTable, type ClusterMount } from './records';
import { attachStorage, sweepStaleLocalMounts } from './attach';
import type { CheckedMount } from './prepare';
import { getStore } from './stores';
import { formatBucketUri } from './uri';

function flushTimeoutSeconds(): number {
  const v = Number(process.env.SKYDECK_STORAGE_FLUSH_TIMEOUT_SECONDS);
  return Number.isFinite(v) && v > 0 ? v : 600;
}

/** True when `down` of this cluster has storage work to do (no other module is loaded otherwise). */
export function hasMounts(cluster: string): boolean {
  return clusterMountsSync(cluster).length > 0;
}

/** Flushes and unmounts the cluster's FUSE mounts on every node it can reach. */
export async function flushAndUnmount(cluster: string, access: ClusterAccess, onMessage: (m: string) => void): Promise<void> {
  const mounts = clusterMountsSync(cluster).filter((m) => m.mode !== 'COPY');
  if (mounts.length === 0) return;
  if (mounts.some((m) => m.mode === 'MOUNT_CACHED')) onMessage('Waiting for MOUNT_CACHED uploads to finish before tearing down.');
  const failures: string[] = [];
  await Promise.all(
    access.transports.map(async (t, i) => {
      const rank = access.nodes[i]?.rank ?? i;
      for (const m of mounts) {
        const script = flushAndUnmountScript(nodeMountOf(m, rank), flushTimeoutSeconds());
        let r;
        try {
          r = await t.exec(['bash', '-c', script]);
        } catch (e) {
          // A node that is gone (preempted, unreachable) took its mounts with it: nothing to wait for.
          onMessage(`Warning: could not reach ${t.description} to unmount ${m.dst}: ${errorMessage(e)}`);
          return;
        }
        if (r.exitCode !== 0 && m.mode === 'MOUNT_CACHED') failures.push(`${t.description} ${m.dst}: ${r.stderr.trim()}`);
      }
    }),
  );
  if (failures.length)
    throw new SkyDeckError('STORAGE_FLUSH_FAILED', `MOUNT_CACHED writes are not all in the bucket yet:\n${failures.join('\n')}`, {
      hint: `The cluster is kept so nothing is lost. Retry \`skydeck down ${cluster}\` (SKYDECK_STORAGE_FLUSH_TIMEOUT_SECONDS waits longer), or \`skydeck down --purge ${cluster}\` to give those writes up.`,
    });
}

/**
 * `start` of a stopped cluster: its FUSE mounts were taken down by `stop`; they are brought up
 * again on every node from the cluster's recorded mounts (COPY'd data stays on the node's disk).
 */
export async function remountStorage(rec: ClusterRecord, access: ClusterAccess, onMessage: (m: string) => void): Promise<void> {
  const mounts: CheckedMount[] = clusterMountsSync(rec.name)
    .filter((m) => m.mode !== 'COPY')
    .map((m) => ({
      dst: m.dst,
      field: `file_mounts.${m.dst}`,
      kind: m.storage ? 'storage' : 'uri',
      ref: m.ref,
      mode: m.mode,
      name: m.storage,
      localSources: [],
      persistent: true,
      mayCreate: false,
      isFile: m.isFile,
    }));
  await attachStorage({ cluster: rec.name, cloud: rec.resources.cloud, nodes: access.nodes, transports: access.transports }, mounts, onMessage);
}

function nodeMountOf(m: ClusterMount, rank: number) {
  return { dst: m.dst, mode: m.mode, remotePath: m.remotePath, isFile: m.isFile, mountDir: m.mountDirs?.[rank], stateDir: m.stateDir };
}

/** After the nodes are gone: forget the cluster's mounts; delete unused non-persistent buckets SkyDeck created. */
export async function releaseStorage(cluster: string, onMessage: (m: string) => void): Promise<void> {
  const toDelete = await storageTable().update((t) => {
    delete t.mounts[cluster];
    const out: { name: string; ref: ClusterMount['ref'] }[] = [];
    for (const s of Object.values(t.storage)) {
      s.clusters = s.clusters.filter((c) => c !== cluster);
      if (s.clusters.length === 0 && !s.persistent && s.createdBySkydeck) out.push({ name: s.name, ref: s.ref });
    }
    return out;
  });
  sweepStaleLocalMounts();
  for (const d of toDelete) {
    try {
      await getStore(d.ref.store).deleteBucket({ ...d.ref, prefix: '' });
      await storageTable().update((t) => void delete t.storage[d.name]);
      onMessage(`Deleted bucket ${formatBucketUri({ ...d.ref, prefix: '' })} (persistent: false).`);
    } catch (e) {
      onMessage(
        `Warning: could not delete bucket ${formatBucketUri({ ...d.ref, prefix: '' })}: ${errorMessage(e)}. Delete it with \`skydeck storage delete ${d.name}\`.`,
      );
    }
  }
}
