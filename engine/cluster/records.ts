/**
 * Cluster records in the store (SKYDECK_HOME/state/clusters.json). Every change goes
 * through Collection.update, so several processes (CLI, VS Code, controllers) can change
 * clusters at once without losing each other's writes.
 *
 * A record that does not look like a cluster record (hand-edited, written by a newer
 * SkyDeck) is skipped by the listing with a warning naming it, and left in the file as it
 * is: one bad record must not hide the other clusters.
 */
import { Collection } from '../state/store';
import { NotFoundError, SkyDeckError } from '../errors';
import type { ClusterRecord } from './types';
import { recordEnded } from './history';

export interface ClusterTable {
  clusters: Record<string, ClusterRecord>;
}

const STATUSES = new Set(['INIT', 'UP', 'STOPPED', 'AUTOSTOPPING']);

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** What is wrong with one stored record, or undefined when it can be used. */
function recordProblem(key: string, rec: unknown): string | undefined {
  if (!isObject(rec)) return 'it is not an object';
  if (rec.name !== key) return `its "name" is ${JSON.stringify(rec.name)}, not "${key}"`;
  if (typeof rec.status !== 'string' || !STATUSES.has(rec.status))
    return `its "status" ${JSON.stringify(rec.status)} is not one of ${[...STATUSES].join(', ')}`;
  const h = rec.handle;
  if (!isObject(h) || typeof h.provider !== 'string' || typeof h.nameOnCloud !== 'string' || typeof h.region !== 'string' || !isObject(h.data)) {
    return '"handle" needs provider, nameOnCloud, region (strings) and data (an object)';
  }
  if (!isObject(rec.resources) || typeof rec.resources.cloud !== 'string') return '"resources" needs a "cloud"';
  if (typeof rec.numNodes !== 'number' || !Array.isArray(rec.nodes)) return '"numNodes" (a number) and "nodes" (a list) are required';
  if (typeof rec.launchedAt !== 'number') return '"launchedAt" is not a number';
  return undefined;
}

function tableProblem(data: unknown): string | undefined {
  return isObject(data) && isObject(data.clusters) ? undefined : '"data.clusters" is not an object of cluster records';
}

/** Opened per call so SKYDECK_HOME is read when used (tests set it per test). */
export function clusterTable(): Collection<ClusterTable> {
  return new Collection<ClusterTable>({ name: 'clusters', initial: () => ({ clusters: {} }), validate: tableProblem });
}

const warned = new Set<string>();

/** Warnings about skipped records go to stderr once per record and process (status is polled by the editor). */
function warnSkipped(file: string, key: string, problem: string): void {
  const line = `Warning: skipping cluster record '${key}' in ${file}: ${problem}. Fix it, or remove that entry, to see the cluster again.`;
  if (warned.has(line)) return;
  warned.add(line);
  process.stderr.write(`${line}\n`);
}

class BadClusterRecordError extends SkyDeckError {
  constructor(file: string, name: string, problem: string) {
    super('STATE_BAD_RECORD', `The record of cluster '${name}' in ${file} is unusable: ${problem}.`, {
      hint: `Fix that entry in ${file}, or remove it (what it tracked is then forgotten).`,
    });
  }
}

/** The well-formed records, oldest first; malformed ones are skipped with a warning naming the file. */
function validRecords(file: string, t: ClusterTable): ClusterRecord[] {
  const good: ClusterRecord[] = [];
  for (const [key, rec] of Object.entries(t.clusters)) {
    const problem = recordProblem(key, rec);
    if (problem) warnSkipped(file, key, problem);
    else good.push(rec);
  }
  return good.sort((a, b) => a.launchedAt - b.launchedAt);
}

export async function listClusters(): Promise<ClusterRecord[]> {
  const table = clusterTable();
  return validRecords(table.file, await table.read());
}

/** Same as listClusters(), synchronously (the CLI's `status` fast path: one read, no promise machinery). */
export function listClustersSync(): ClusterRecord[] {
  const table = clusterTable();
  return validRecords(table.file, table.readSync());
}

export async function findCluster(name: string): Promise<ClusterRecord | undefined> {
  const table = clusterTable();
  const rec = (await table.read()).clusters[name] as unknown;
  if (rec === undefined) return undefined;
  const problem = recordProblem(name, rec);
  if (problem) throw new BadClusterRecordError(table.file, name, problem);
  return rec as ClusterRecord;
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

/** Forgets a cluster; its lifetime and cost go to the cluster history (cost-report). */
export async function removeCluster(name: string): Promise<void> {
  const removed = await clusterTable().update((t) => {
    const rec = t.clusters[name];
    delete t.clusters[name];
    return rec;
  });
  if (removed && !recordProblem(name, removed)) {
    // The cluster is gone either way: a history that cannot be written must not fail the teardown.
    await recordEnded(removed).catch((e: unknown) =>
      process.stderr.write(`Warning: the cost history of cluster '${name}' could not be recorded: ${e instanceof Error ? e.message : String(e)}\n`),
    );
  }
}
