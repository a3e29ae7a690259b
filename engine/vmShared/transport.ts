/** The SSH transport to a VM node (the node engineer's SshTransport), honouring the test address mapping. */
import * as path from 'node:path';
import { SshTransport } from '../node/ssh';
import type { Transport } from '../node/transport';
import { SkyDeckError } from '../errors';
import type { NodeInfo } from '../infra/provider';
import { skydeckHome } from '../util/paths';

/** The SkyDeck client key the cluster engine authorizes on every node (engine/cluster/keys.ts). */
export function defaultIdentityFile(): string {
  return path.join(skydeckHome(), 'keys', 'sky-key');
}

export function sshTransportFor(node: NodeInfo): Transport {
  if (!node.ssh) {
    throw new SkyDeckError('NODE_UNREACHABLE', `Node ${node.id} (rank ${node.rank}) is ${node.state} and has no SSH address.`, {
      hint: 'Start the cluster (`skydeck start`) or refresh its status.',
    });
  }
  return new SshTransport({
    host: node.ssh.host,
    port: node.ssh.port,
    user: node.ssh.user,
    keyPath: node.ssh.identityFile ?? defaultIdentityFile(),
    proxyCommand: node.ssh.proxyCommand,
    proxyCommandSource: node.ssh.proxyCommandSource,
  });
}
