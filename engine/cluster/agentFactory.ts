/** The agent implementation the engine uses (switch point to engine/node's AgentClient). */
import type { Transport } from '../node/transport';
import type { NodeAgent } from './agent';
import { StandinAgent } from './standin/agent';

export function createAgent(head: Transport, root: string): NodeAgent {
  return new StandinAgent(head, root);
}
