/**
 * Reaching a cluster's nodes: its provider, one transport per node, and the agent on the
 * head. Callers close() when done (SSH connections are pooled by the transport layer).
 */
import type { NodeInfo, Provider } from '../infra/provider';
import { getProvider } from '../infra/registry';
import type { Transport } from '../node/transport';
import type { NodeAgent } from './agent';
import { createAgent } from './agentFactory';
import type { ClusterRecord } from './types';

export interface ClusterAccess {
  provider: Provider;
  nodes: NodeInfo[];
  transports: Transport[];
  head: Transport;
  agent: NodeAgent;
  close(): Promise<void>;
}

export const DEFAULT_AGENT_ROOT = '.skydeck/agent';

export async function openAccess(rec: ClusterRecord, nodes: NodeInfo[] = rec.nodes): Promise<ClusterAccess> {
  const provider = await getProvider(rec.handle.provider);
  const sorted = [...nodes].sort((a, b) => a.rank - b.rank);
  const transports = sorted.map((n) => provider.transport(rec.handle, n));
  const head = transports[0];
  const root = provider.agentRoot?.(rec.handle, sorted[0]) ?? DEFAULT_AGENT_ROOT;
  return {
    provider,
    nodes: sorted,
    transports,
    head,
    agent: createAgent(head, root),
    close: async () => {
      await Promise.all(transports.map((t) => t.close().catch(() => undefined)));
    },
  };
}

/** Runs `fn` with access to the cluster, closing the transports afterwards. */
export async function withAccess<R>(rec: ClusterRecord, fn: (a: ClusterAccess) => Promise<R>): Promise<R> {
  const a = await openAccess(rec);
  try {
    return await fn(a);
  } finally {
    await a.close();
  }
}
