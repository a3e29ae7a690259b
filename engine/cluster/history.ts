/**
 * Clusters that are gone, for `cost-report` (SkyPilot's cluster history): when a cluster's
 * record is removed (down, autodown, terminated outside SkyDeck and found by a refresh) its
 * lifetime is kept here with what it cost: when it was launched and ended, how long it was UP
 * in all, its resources and its price per hour. A record that was never more than provisional
 * (the launch created nothing usable) is not a cluster that ran and is not kept.
 * SKYDECK_HOME/state/cluster_history.json; the newest `HISTORY_MAX` lifetimes are kept.
 */
import { Collection } from '../state/store';
import { upSeconds } from './format';
import type { ClusterRecord, LaunchedResources } from './types';

export interface EndedCluster {
  name: string;
  /** epoch ms */
  launchedAt: number;
  /** epoch ms: when the record was removed. */
  endedAt: number;
  /** Seconds the cluster was UP over its whole life (stopped periods are not billed as compute). */
  upSeconds: number;
  resources: LaunchedResources;
  numNodes: number;
  /** Price of the whole cluster per hour (per-node price x nodes). */
  pricePerHour: number;
  owner?: string;
}

interface HistoryTable {
  ended: EndedCluster[];
}

const HISTORY_MAX = 5000;

function historyTable(): Collection<HistoryTable> {
  return new Collection<HistoryTable>({
    name: 'cluster_history',
    initial: () => ({ ended: [] }),
    validate: (d) => (typeof d === 'object' && d !== null && Array.isArray((d as HistoryTable).ended) ? undefined : '"data.ended" is not a list'),
  });
}

function endedCluster(rec: ClusterRecord, now = Date.now()): EndedCluster {
  return {
    name: rec.name,
    launchedAt: rec.launchedAt,
    endedAt: now,
    upSeconds: Math.floor(upSeconds(rec, now).total),
    resources: rec.resources,
    numNodes: rec.numNodes,
    pricePerHour: rec.resources.pricePerHour * rec.numNodes,
    ...(rec.owner ? { owner: rec.owner } : {}),
  };
}

/** Keeps the lifetime of a cluster whose record was just removed. */
export async function recordEnded(rec: ClusterRecord, now = Date.now()): Promise<void> {
  if (rec.provisional) return;
  await historyTable().update((t) => {
    t.ended.push(endedCluster(rec, now));
    if (t.ended.length > HISTORY_MAX) t.ended.splice(0, t.ended.length - HISTORY_MAX);
  });
}

export async function listEnded(): Promise<EndedCluster[]> {
  return (await historyTable().read()).ended;
}

export function endedCost(e: EndedCluster): number {
  return (e.upSeconds / 3600) * e.pricePerHour;
}
