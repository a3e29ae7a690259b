/** Writes a SkyPilot-format ssh_node_pools.yaml (skypilot-behavior.md 4.9) for test hosts. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { stringify } from 'yaml';
import type { SshHost } from './sshd';

export interface PoolHostEntry {
  host: string;
  port: number;
  user: string;
  keyPath: string;
}

/**
 * `pools` maps pool names to hosts. Each pool gets `user` and `identity_file` defaults from
 * its first host; hosts are `{ip, port}` dicts (plus `user`/`identity_file` where they differ).
 * Returns the file path.
 */
export function writeNodePoolsYaml(file: string, pools: Record<string, (SshHost | PoolHostEntry)[]>): string {
  const doc: Record<string, unknown> = {};
  for (const [name, hosts] of Object.entries(pools)) {
    if (hosts.length === 0) throw new Error(`pool ${name} has no hosts`);
    const first = hosts[0];
    doc[name] = {
      user: first.user,
      identity_file: first.keyPath,
      hosts: hosts.map((h) => {
        const entry: Record<string, unknown> = { ip: h.host };
        if (h.port !== 22) entry.port = h.port;
        if (h.user !== first.user) entry.user = h.user;
        if (h.keyPath !== first.keyPath) entry.identity_file = h.keyPath;
        return entry;
      }),
    };
  }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, stringify(doc));
  return file;
}
