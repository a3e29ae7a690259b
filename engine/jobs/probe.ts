/**
 * The controller's cheap preemption check: ask the infrastructure (the provider's `query`,
 * SkyPilot's "cluster status from the cloud API") whether every node of a job's cluster is
 * still there and running. Unlike a full `status --refresh` it spawns nothing on the nodes
 * and writes nothing to the cluster store, so a controller can afford it for every job every
 * poll. One call per provider for all the clusters a controller watches (`queryMany`, where
 * the infra can list many clusters' instances at once), so a poll costs O(providers), not
 * O(jobs), and every cluster is checked every poll interval.
 * Node reachability and the job's state on the agent are checked by the slower inspection
 * (runner.ts) and by the run's log stream, which ends at once when a node goes away.
 */
import type { ClusterRecord } from '../cluster/types';
import type { ClusterHandle, NodeInfo, Provider } from '../infra/provider';
import { getProvider } from '../infra/registry';

/** 'ok', or why the cluster no longer runs the job (undefined reason = the cluster is gone). */
export type ProbeVerdict = { ok: true } | { ok: false; reason: string };

export type ClusterProbe = (records: ClusterRecord[]) => Promise<Map<string, ProbeVerdict>>;

/** What the infra's nodes say about a cluster recorded with `numNodes` nodes. */
export function verdictOf(nodes: NodeInfo[], numNodes: number): ProbeVerdict {
  if (nodes.length === 0) return { ok: false, reason: 'the cluster is gone (its nodes were terminated)' };
  if (nodes.length < numNodes) return { ok: false, reason: `${numNodes - nodes.length} of ${numNodes} nodes are gone` };
  const down = nodes.filter((n) => n.state !== 'running');
  return down.length
    ? { ok: false, reason: down.map((n) => `node ${n.rank} is ${n.state === 'pending' ? 'not reachable' : n.state}`).join('; ') }
    : { ok: true };
}

/** Nodes of each handle, in order (undefined: unknown), in one call where the provider can. */
async function queryAll(provider: Provider, handles: ClusterHandle[]): Promise<(NodeInfo[] | undefined)[]> {
  if (provider.queryMany) return provider.queryMany(handles).catch(() => handles.map(() => undefined));
  return Promise.all(handles.map((h) => provider.query(h).catch(() => undefined)));
}

/**
 * A probe of the records, one batch per provider (`providerOf`: the registry's, or a test's);
 * a cluster whose nodes cannot be read is left out (unknown).
 */
export const clusterProbe =
  (providerOf: (name: string) => Promise<Provider>): ClusterProbe =>
  async (records) => {
    const out = new Map<string, ProbeVerdict>();
    const byProvider = new Map<string, ClusterRecord[]>();
    for (const rec of records) {
      if (rec.status !== 'UP') {
        out.set(rec.name, { ok: false, reason: `the cluster is ${rec.status}${rec.lastError ? ` (${rec.lastError})` : ''}` });
        continue;
      }
      const group = byProvider.get(rec.handle.provider);
      if (group) group.push(rec);
      else byProvider.set(rec.handle.provider, [rec]);
    }
    await Promise.all(
      [...byProvider].map(async ([name, recs]) => {
        let provider: Provider;
        try {
          provider = await providerOf(name);
        } catch {
          return; /* unknown: the inspection decides */
        }
        const nodes = await queryAll(
          provider,
          recs.map((r) => r.handle),
        );
        recs.forEach((rec, i) => {
          const n = nodes[i];
          if (n) out.set(rec.name, verdictOf(n, rec.numNodes));
        });
      }),
    );
    return out;
  };

/** The controller's probe, through the provider registry. */
export const probeClusters: ClusterProbe = clusterProbe(getProvider);
