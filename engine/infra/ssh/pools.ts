/**
 * SSH node pools: SKYDECK_HOME/ssh_node_pools.yaml in SkyPilot's format
 * (skypilot-behavior.md 4.9). Top-level keys are pool names; each has optional defaults
 * `user`, `identity_file`, `password`, and `hosts:` as strings (IP or ssh alias, optional
 * `:port`) or `{ip, user, identity_file, password, port}`.
 *
 * `password` is accepted and dropped: SkyPilot uses it for sudo when `sky ssh up` deploys
 * Kubernetes onto the hosts; SkyDeck runs nothing with sudo there, and a PoolHost is stored in
 * the cluster's record (state/clusters.json), so it must not carry a secret.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseDocument } from 'yaml';
import { InputError } from '../../errors';
import { sshNodePoolsPath } from '../../config/sources';

export interface PoolHost {
  /** Stable id within the pool: 'user@ip:port'. */
  id: string;
  ip: string;
  port: number;
  user: string;
  identityFile?: string;
}

export interface NodePool {
  name: string;
  hosts: PoolHost[];
}

/** SKYDECK_HOME/ssh_node_pools.yaml, else SkyPilot's ~/.sky/ssh_node_pools.yaml (engine/config/sources.ts). */
export function nodePoolsFile(): string {
  return process.env.SKYDECK_SSH_NODE_POOLS || sshNodePoolsPath();
}

function expandHome(p: string): string {
  return p === '~' ? os.homedir() : p.startsWith('~/') ? path.join(os.homedir(), p.slice(2)) : p;
}

function parseHostString(s: string): { ip: string; port?: number; user?: string } {
  let rest = s.trim();
  let user: string | undefined;
  const at = rest.lastIndexOf('@');
  if (at > 0) {
    user = rest.slice(0, at);
    rest = rest.slice(at + 1);
  }
  const m = /^(.*):(\d+)$/.exec(rest);
  return m && !m[1].includes(':') ? { ip: m[1], port: Number(m[2]), user } : { ip: rest, user };
}

/** Parses the pools file; a missing file means no pools. Errors name the file and the pool. */
export function readNodePools(file = nodePoolsFile()): NodePool[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  const doc = parseDocument(text, { uniqueKeys: true });
  if (doc.errors.length) throw new InputError(`${file}: ${doc.errors[0].message}`, { hint: 'Fix the YAML of the SSH node pools file.' });
  const raw = doc.toJS() as Record<string, unknown> | null;
  if (!raw) return [];
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new InputError(`${file}: expected a mapping of pool names to pools.`);
  const pools: NodePool[] = [];
  for (const [name, value] of Object.entries(raw)) {
    const p = (value ?? {}) as Record<string, unknown>;
    const defUser = p.user !== undefined ? String(p.user) : undefined;
    const defKey = p.identity_file !== undefined ? expandHome(String(p.identity_file)) : undefined;
    if (!Array.isArray(p.hosts) || p.hosts.length === 0) throw new InputError(`${file}: pool '${name}' has no hosts.`, { hint: 'Add a `hosts:` list.' });
    const hosts = p.hosts.map((h: unknown, i: number): PoolHost => {
      let ip: string;
      let port: number | undefined;
      let user = defUser;
      let identityFile = defKey;
      if (typeof h === 'string') {
        const parsed = parseHostString(h);
        ip = parsed.ip;
        port = parsed.port;
        user = parsed.user ?? user;
      } else if (h && typeof h === 'object' && 'ip' in h) {
        const o = h as Record<string, unknown>;
        ip = String(o.ip);
        if (o.port !== undefined) port = Number(o.port);
        if (o.user !== undefined) user = String(o.user);
        if (o.identity_file !== undefined) identityFile = expandHome(String(o.identity_file));
      } else {
        throw new InputError(`${file}: pool '${name}', host ${i + 1}: expected a string or a mapping with 'ip'.`);
      }
      if (!user) throw new InputError(`${file}: pool '${name}', host ${ip}: no user.`, { hint: `Set \`user:\` on the pool or the host.` });
      port ??= 22;
      return { id: `${user}@${ip}:${port}`, ip, port, user, identityFile };
    });
    pools.push({ name, hosts });
  }
  return pools;
}
