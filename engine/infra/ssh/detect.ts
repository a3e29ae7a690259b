/** Node pools of ssh_node_pools.yaml (pools.ts), one infra `ssh/<pool>` each. */
import { errorMessage } from '../../errors';
import type { InfraDetection } from '../provider';
import { nodePoolsFile, readNodePools, type NodePool } from './pools';

export function detect(): InfraDetection[] {
  const file = nodePoolsFile();
  let pools: NodePool[];
  try {
    pools = readNodePools(file);
  } catch (e) {
    return [{ infra: 'ssh', enabled: false, reason: errorMessage(e) }];
  }
  if (pools.length === 0) return [{ infra: 'ssh', enabled: false, reason: `No node pools: add them to ${file}.` }];
  return pools.map((p) =>
    p.hosts.length
      ? { infra: `ssh/${p.name}`, enabled: true, reason: `${p.hosts.length} host(s): ${p.hosts.map((h) => h.ip).join(', ')}` }
      : { infra: `ssh/${p.name}`, enabled: false, reason: `Pool '${p.name}' lists no hosts.` },
  );
}
