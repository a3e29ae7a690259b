/**
 * The controller's cheap preemption check: ask the infrastructure (the provider's `query`,
 * SkyPilot's "cluster status from the cloud API") whether every node of a job's cluster is
 * still there and running. Unlike a full `status --refresh` it spawns nothing on the nodes
 * and writes nothing to the cluster store, so a controller can afford it for every job every
 * poll (200 jobs: a full refresh was two processes and a store write per job per poll).
 * Node reachability and the job's state on the agent are checked by the slower inspection
 * (runner.ts) and by the run's log stream, which ends at once when a node goes away.
 */
import type { ClusterRecord } from '../cluster/types';
import { getProvider } from '../infra/registry';

/** 'ok', or why the cluster no longer runs the job (undefined reason = the cluster is gone). */
export type ProbeVerdict = { ok: true } | { ok: false; reason: string };

export type ClusterProbe = (records: ClusterRecord[]) => Promise<Map<string, ProbeVerdict>>;

/** Probes each record through its provider; a cluster whose query fails is left out (unknown). */
export const probeClusters: ClusterProbe = async (records) => {
  const out = new Map<string, ProbeVerdict>();
  await Promise.all(
    records.map(async (rec) => {
      if (rec.status !== 'UP') {
        out.set(rec.name, { ok: false, reason: `the cluster is ${rec.status}${rec.lastError ? ` (${rec.lastError})` : ''}` });
        return;
      }
      try {
        const provider = await getProvider(rec.handle.provider);
        const nodes = await provider.query(rec.handle);
        if (nodes.length === 0) out.set(rec.name, { ok: false, reason: 'the cluster is gone (its nodes were terminated)' });
        else if (nodes.length < rec.numNodes) out.set(rec.name, { ok: false, reason: `${rec.numNodes - nodes.length} of ${rec.numNodes} nodes are gone` });
        else {
          const down = nodes.filter((n) => n.state !== 'running');
          out.set(
            rec.name,
            down.length
              ? { ok: false, reason: down.map((n) => `node ${n.rank} is ${n.state === 'pending' ? 'not reachable' : n.state}`).join('; ') }
              : { ok: true },
          );
        }
      } catch {
        /* unknown: the inspection decides */
      }
    }),
  );
  return out;
};
