/**
 * Node pools of ssh_node_pools.yaml (pools.ts), one infra `ssh/<pool>` each. With
 * `ssh.allowed_node_pools` set, only the pools it names are enabled (SkyPilot's
 * `SSH.existing_allowed_contexts`); the others are listed as disabled with the reason `sky
 * check` gives, and a named pool the file lacks is listed as missing.
 */
import { activeConfig } from '../../config/active';
import { getPath } from '../../config/merge';
import type { ConfigMap } from '../../config/types';
import { errorMessage } from '../../errors';
import type { InfraDetection } from '../provider';
import { nodePoolsFile, readNodePools, type NodePool } from './pools';

/** `ssh.allowed_node_pools`, or undefined when every pool may be used. */
export function allowedNodePools(config: ConfigMap = activeConfig()): string[] | undefined {
  const v = getPath(config, ['ssh', 'allowed_node_pools']);
  return Array.isArray(v) ? v.filter((p): p is string => typeof p === 'string') : undefined;
}

export function detect(config: ConfigMap = activeConfig()): InfraDetection[] {
  const allowed = allowedNodePools(config);
  const rows = detectPools();
  if (!allowed) return rows;
  const file = nodePoolsFile();
  const out = rows.map((r) =>
    r.infra.startsWith('ssh/') && !allowed.includes(r.infra.slice(4))
      ? { ...r, enabled: false, reason: 'Not included in ssh.allowed_node_pools of the SkyPilot config.' }
      : r,
  );
  for (const name of allowed)
    if (!rows.some((r) => r.infra === `ssh/${name}`))
      out.push({ infra: `ssh/${name}`, enabled: false, reason: `Pool '${name}' (ssh.allowed_node_pools) is not in ${file}.` });
  return out;
}

function detectPools(): InfraDetection[] {
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
