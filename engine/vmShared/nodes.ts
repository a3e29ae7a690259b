/** Turning a cloud's instance list into ranked NodeInfo, the same way for every VM cloud. */
import type { NodeInfo, NodeState } from '../infra/provider';
import type { NodeNetworking } from '../config/networking';
import { hasAddressMap, resolveSshEndpoint } from './addressMap';

export interface CloudInstance {
  id: string;
  isHead: boolean;
  state: NodeState;
  internalIp?: string;
  externalIp?: string;
}

function ipKey(ip: string | undefined): string {
  if (!ip) return '~';
  const parts = ip.split('.');
  return parts.length === 4 ? parts.map((p) => p.padStart(3, '0')).join('.') : ip;
}

/** Head first, then workers in stable IP order (SkyPilot's rank order), then by id. */
function rankInstances(instances: readonly CloudInstance[]): CloudInstance[] {
  return [...instances].sort((a, b) => {
    if (a.isHead !== b.isHead) return a.isHead ? -1 : 1;
    const k = ipKey(a.internalIp).localeCompare(ipKey(b.internalIp));
    return k !== 0 ? k : a.id.localeCompare(b.id);
  });
}

/**
 * `networking` (the cluster's `<cloud>.use_internal_ips` / `ssh_proxy_command`): with internal
 * IPs the node is reached on its private address only; a proxy command goes with every endpoint.
 */
export function toNodeInfos(instances: readonly CloudInstance[], sshUser: string, identityFile?: string, networking?: NodeNetworking): NodeInfo[] {
  return rankInstances(instances).map((inst, rank) => {
    const node: NodeInfo = { id: inst.id, rank, state: inst.state, internalIp: inst.internalIp ?? '', externalIp: inst.externalIp };
    const internalOnly = networking?.useInternalIps === true;
    const addressKnown = Boolean(inst.internalIp || (!internalOnly && inst.externalIp));
    if (inst.state === 'running' && addressKnown) {
      try {
        const ep = resolveSshEndpoint(internalOnly ? [inst.internalIp, inst.id] : [inst.externalIp, inst.internalIp, inst.id], rank);
        node.ssh = { host: ep.host, port: ep.port, user: ep.user ?? sshUser, identityFile };
        if (networking?.proxyCommand) {
          node.ssh.proxyCommand = networking.proxyCommand;
          node.ssh.proxyCommandSource = networking.proxyCommandSource;
        }
        // Under a test mapping the mapped host *is* the machine: the head reaches workers
        // (rank launcher, SKYPILOT_NODE_IPS) at its address, not at the emulator's fake one.
        if (hasAddressMap()) node.internalIp = ep.host;
      } catch (err) {
        // An unmapped node under a test mapping has no reachable endpoint; others always resolve.
        if (!hasAddressMap()) throw err;
      }
    }
    return node;
  });
}
