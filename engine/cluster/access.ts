/**
 * Reaching a cluster's nodes: its provider, one transport per node, and the agent
 * (engine/node's AgentClient) on the head. Callers close() when done (SSH connections
 * are pooled by the transport layer, so reopening is cheap).
 */
import type { NodeInfo, Provider } from '../infra/provider';
import { getProvider } from '../infra/registry';
import type { Transport } from '../node/transport';
import { AgentClient } from '../node/agentClient';
import type { ClusterRecord } from './types';
import { agentTransport, containerTransports } from './containers';

export interface ClusterAccess {
  provider: Provider;
  nodes: NodeInfo[];
  transports: Transport[];
  head: Transport;
  agent: AgentClient;
  close(): Promise<void>;
}

/** Agent timing overrides (tests, rehearsal): SKYDECK_AGENT_TICK_MS, SKYDECK_AGENT_MINUTE_MS. */
function agentEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const k of ['SKYDECK_AGENT_TICK_MS', 'SKYDECK_AGENT_MINUTE_MS', 'SKYDECK_AGENT_KILL_GRACE_MS']) if (process.env[k]) env[k] = process.env[k]!;
  return env;
}

export async function openAccess(rec: ClusterRecord, nodes: NodeInfo[] = rec.nodes): Promise<ClusterAccess> {
  const provider = await getProvider(rec.handle.provider);
  const sorted = [...nodes].sort((a, b) => a.rank - b.rank);
  const transports = containerTransports(
    rec,
    sorted,
    sorted.map((n) => provider.transport(rec.handle, n)),
  );
  const head = transports[0];
  return {
    provider,
    nodes: sorted,
    transports,
    head,
    agent: new AgentClient(agentTransport(rec, head), { agentEnv: agentEnv() }),
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
