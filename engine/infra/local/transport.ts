/** The transport to a local node: a process on this machine, in the node dir, marked as the node's. */
import type { Transport } from '../../node/transport';
import { StandinLocalTransport } from '../../cluster/standin/localTransport';

export function createLocalTransport(nodeDir: string, env: Record<string, string>): Transport {
  return new StandinLocalTransport(nodeDir, env);
}
