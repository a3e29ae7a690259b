/**
 * What a controller needs to launch and reach its jobs' clusters, copied to the controller
 * node's SKYDECK_HOME (as SkyPilot copies the user's credentials to its controllers):
 * the SSH node pools with their identity files (0600, paths rewritten), the cloud
 * credential files and kubeconfig (cloudCredentials.ts) with `credentials/env.sh` pointing
 * the clouds' SDKs at them, this machine's cluster key when the node has none (so the user
 * reaches job clusters with the same key), and the resolved configuration (given to the
 * remote CLI as SKYDECK_CONFIG, so `--config` and the config files in force on this machine
 * are the controller's too). Every file is 0600 and nothing secret is logged.
 */
import * as fs from 'node:fs';
import { stringify } from 'yaml';
import type { ConfigMap } from '../config/types';
import type { Transport } from '../node/transport';
import { readNodePools } from '../infra/ssh/pools';
import { homeSubdir } from '../util/paths';
import { cloudCredentialPlan, type CloudCredentialPlan } from './cloudCredentials';

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

/** The file the remote CLI sources before it runs (remote.ts): the clouds' variables. */
export function credentialEnvFile(remote: RemoteHome): string {
  return `${remote.home}/credentials/env.sh`;
}

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** Removes the files under a folder that are not in the list (paths relative to it). */
const PRUNE_SCRIPT = [
  'd="$1"; shift; [ -d "$d" ] || exit 0; cd "$d" || exit 1',
  'find . -type f | while IFS= read -r f; do keep=0; for x in "$@"; do [ "$f" = "./$x" ] && keep=1; done; [ $keep = 1 ] || rm -f "$f"; done',
].join('\n');

/**
 * Brings the node's cloud credential copies in line with this machine's (a cloud logged out
 * here is logged out there too) and rewrites env.sh; returns which clouds they cover. The
 * files are replaced in place: controllers already running read them at the same paths.
 */
export async function uploadCloudCredentials(
  t: Transport,
  remote: RemoteHome,
  plan: CloudCredentialPlan = cloudCredentialPlan(),
): Promise<CloudCredentialPlan> {
  const dir = `${remote.home}/credentials/cloud`;
  for (const f of plan.files) await t.putFile(`${dir}/${f.dest}`, f.content, 0o600);
  const r = await t.exec(['sh', '-c', PRUNE_SCRIPT, 'sh', dir, ...plan.files.map((f) => f.dest)]);
  if (r.exitCode !== 0) throw new Error(`Could not remove the controller's stale credential copies: ${r.stderr.trim()}`);
  const lines = plan.env.map((e) => `export ${e.name}=${quote(e.dest !== undefined ? `${dir}/${e.dest}` : (e.value ?? ''))}`);
  await t.putFile(credentialEnvFile(remote), `${lines.join('\n')}\n`, 0o600);
  return plan;
}

/**
 * This machine's cluster key, unless the node's controllers already have one: the clusters
 * they launched authorize that one, and replacing it would lock them out of those clusters.
 */
export async function uploadClusterKey(t: Transport, remote: RemoteHome): Promise<void> {
  const dir = homeSubdir('keys');
  const priv = `${dir}/sky-key`;
  if (!fs.existsSync(priv) || !fs.existsSync(`${priv}.pub`)) return;
  const keys = `${remote.home}/keys`;
  const has = await t.exec(['sh', '-c', 'test -f "$1/sky-key" && test -f "$1/sky-key.pub"', 'sh', keys]);
  if (has.exitCode === 0) return;
  await t.putFile(`${keys}/sky-key.pub`, fs.readFileSync(`${priv}.pub`), 0o644);
  await t.putFile(`${keys}/sky-key`, fs.readFileSync(priv), 0o600);
}
