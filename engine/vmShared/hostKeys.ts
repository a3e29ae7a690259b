/**
 * Host keys of VMs a launch just created (engine/vmShared/HOSTKEYS.md): what the cloud
 * published is recorded in SkyDeck's known_hosts before the first connection, so even that
 * one is checked; without it the first connection trusts and records the key (TOFU). Either
 * way, entries that an earlier machine at the same address left are dropped first (cloud
 * addresses are reused; a new VM's key differs by design).
 */
import type { NodeInfo } from '../infra/provider';
import { forgetHost, knownHostName, parsePublicKeys, recordHostKeys, skydeckKnownHostsFile } from '../node/knownHosts';
import { hasAddressMap } from './addressMap';

/** Text holding the VM's public host keys (`type base64` lines), or undefined when the cloud has none (yet). */
export type HostKeySource = (node: NodeInfo) => Promise<string | undefined>;

/**
 * For each new node (`createdIds`): records the keys `source` finds, else forgets the address.
 * Under a test address mapping the mapped sshd is not the VM, so its published keys are not used.
 * Returns how many nodes got published keys.
 */
export async function recordNewNodeHostKeys(nodes: readonly NodeInfo[], createdIds: ReadonlySet<string>, source: HostKeySource | undefined): Promise<number> {
  const file = skydeckKnownHostsFile();
  let recorded = 0;
  await Promise.all(
    nodes.map(async (n) => {
      if (!n.ssh || !createdIds.has(n.id)) return;
      const name = knownHostName(n.ssh.host, n.ssh.port);
      const text = source && !hasAddressMap() ? await source(n).catch(() => undefined) : undefined;
      const keys = parsePublicKeys(text ?? '');
      if (keys.length) {
        recordHostKeys(file, name, keys);
        recorded++;
      } else forgetHost(file, name);
    }),
  );
  return recorded;
}
