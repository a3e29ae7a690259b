/**
 * Runs a script on every node of a cluster, for a job group's networking (groupNetwork.ts):
 * the controller's own access to the nodes (the cluster engine's transports), not the
 * cluster's job queue, so it runs beside the task's run. Loaded on first use.
 */
import type { ClusterRecord } from '../cluster/types';
import type { ExecResult } from '../node/transport';

/** One result per node, in rank order. */
export type RunOnNodes = (record: ClusterRecord, script: string) => Promise<ExecResult[]>;

export const runOnClusterNodes: RunOnNodes = async (record, script) => {
  const { withAccess } = await import('../cluster/access');
  return withAccess(record, (a) => Promise.all(a.transports.map((t) => t.exec(['bash', '-c', script]))));
};
