/**
 * Cluster records in the store (SKYDECK_HOME/state/clusters.json). Every change goes
 * through Collection.update, so several processes (CLI, VS Code, controllers) can change
 * clusters at once without losing each other's writes.
 */
import { Collection } from '../state/store';
import { NotFoundError } from '../errors';
import type { ClusterRecord } from './types';

export interface ClusterTable {
  clusters: Record<string, ClusterRecord>;
}

/** Opened per call so SKYDECK_HOME is read when used (tests set it per test). */
export function clusterTable(): Collection<ClusterTable> {
  return new Collection<ClusterTable>({ name: 'clusters', initial: () => ({ clusters: {} }) });
}

export async function listClusters(): Promise<ClusterRecord[]> {
  const t = await clusterTable().read();
  return Object.values(t.clusters).sort((a, b) => a.launchedAt - b.launchedAt);
}

export async function findCluster(name: string): Promise<ClusterRecord | undefined> {
  return (await clusterTable().read()).clusters[name];
}

export async function getCluster(name: string): Promise<ClusterRecord> {
  const rec = await findCluster(name);
  if (!rec) throw new NotFoundError(`Cluster '${name}'`, { hint: 'Run `skydeck status` to see existing clusters.' });
  return rec;
}

export async function putCluster(rec: ClusterRecord): Promise<void> {
  await clusterTable().update((t) => {
    t.clusters[rec.name] = rec;
  });
}

/** Applies `change` to the stored record under the lock; returns the new record (undefined if gone). */
export async function patchCluster(name: string, change: (rec: ClusterRecord) => void): Promise<ClusterRecord | undefined> {
  return clusterTable().update((t) => {
    const rec = t.clusters[name];
    if (!rec) return undefined;
    change(rec);
    return rec;
  });
}

export async function removeCluster(name: string): Promise<void> {
  await clusterTable().update((t) => {
    delete t.clusters[name];
  });
}
