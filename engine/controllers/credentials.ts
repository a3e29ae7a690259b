/**
 * What a controller needs to launch and reach its jobs' clusters, copied to the controller
 * node's SKYDECK_HOME (as SkyPilot copies the user's credentials to its controllers):
 * the SSH node pools with their identity files (0600, paths rewritten), and the resolved
 * configuration (given to the remote CLI as SKYDECK_CONFIG, so `--config` and the config
 * files in force on this machine are the controller's too).
 *
 * Not copied yet: cloud credentials (~/.aws, gcloud, Azure) and kubeconfig; a controller on
 * a cluster can therefore launch jobs on SSH node pools only, and says so when asked for more.
 */
import * as fs from 'node:fs';
import { stringify } from 'yaml';
import type { ConfigMap } from '../config/types';
import type { Transport } from '../node/transport';
import { readNodePools } from '../infra/ssh/pools';

export interface RemoteHome {
  /** Absolute SKYDECK_HOME on the node. */
  home: string;
}

/** Writes the pools file and keys; returns nothing when there are no pools. */
export async function uploadNodePools(t: Transport, remote: RemoteHome): Promise<void> {
  const pools = readNodePools();
  if (pools.length === 0) return;
  const keys = new Map<string, string>();
  const doc: Record<string, unknown> = {};
  for (const pool of pools) {
    doc[pool.name] = {
      hosts: pool.hosts.map((h) => {
        const entry: Record<string, unknown> = { ip: h.ip, port: h.port, user: h.user };
        if (h.identityFile) {
          if (!keys.has(h.identityFile)) keys.set(h.identityFile, `${remote.home}/credentials/ssh/key-${keys.size}`);
          entry.identity_file = keys.get(h.identityFile);
        }
        return entry;
      }),
    };
  }
  for (const [local, dest] of keys) await t.putFile(dest, fs.readFileSync(local), 0o600);
  await t.putFile(`${remote.home}/ssh_node_pools.yaml`, stringify(doc), 0o600);
}

/** Writes the resolved configuration; returns its path on the node. */
export async function uploadConfig(t: Transport, remote: RemoteHome, config: ConfigMap): Promise<string> {
  const file = `${remote.home}/config/controller-config.yaml`;
  await t.putFile(file, stringify(config ?? {}), 0o600);
  return file;
}
