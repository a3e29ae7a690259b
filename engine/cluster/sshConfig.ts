/**
 * SSH access to clusters (skypilot-behavior.md 4.8, editor-anchors.md 3 and style lesson 9):
 * one generated file per cluster under SKYDECK_HOME/generated/ssh/<cluster> (head
 * `Host <cluster>`, workers `Host <cluster>-worker<i>`), and one marker-delimited
 * `Include` block at the TOP of the user's ssh config (hosts from an Include placed after
 * a `Host` line are invisible to Remote-SSH). Every write is atomic (temp + rename) and
 * keeps the file's mode; nothing outside our block is touched, byte for byte, and a
 * symlinked config stays a link (its target is rewritten).
 * `SKYDECK_SSH_CONFIG` names the user ssh config to edit (tests never touch ~/.ssh/config).
 *
 * Host keys: every entry points OpenSSH at SkyDeck's known_hosts (engine/node/knownHosts.ts),
 * the file the engine's own connections record keys in, with `StrictHostKeyChecking yes`
 * when the node's key is already recorded there (the launch connected to it), `accept-new`
 * (trust on first use) when it is not yet; a changed key is refused either way. Kubernetes
 * pods (reached through a proxy command, the API server's tunnel) are the exception.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { NodeInfo } from '../infra/provider';
import { knownHostName, lookupHost, skydeckKnownHostsFile } from '../node/knownHosts';
import { sshConfigPath, sshConfigQuote } from '../node/sshConfigQuote';
import { homeSubdir, skydeckHome } from '../util/paths';

const BEGIN = '# >>> Added by SkyDeck for ssh config of all clusters (do not edit this block) >>>';
const END = '# <<< Added by SkyDeck <<<';

export function userSshConfigPath(): string {
  return process.env.SKYDECK_SSH_CONFIG || path.join(os.homedir(), '.ssh', 'config');
}

function generatedSshDir(): string {
  return path.join(skydeckHome(), 'generated', 'ssh');
}

export function clusterSshConfigPath(cluster: string): string {
  return path.join(generatedSshDir(), cluster);
}

/** Where writes to `file` must land: the final target when it is a symlink (kept a link). */
function writeTarget(file: string): string {
  let target = file;
  for (let hops = 0; hops < 40; hops++) {
    let link: string;
    try {
      link = fs.readlinkSync(target);
    } catch {
      return target; // not a symlink (or does not exist)
    }
    target = path.resolve(path.dirname(target), link);
  }
  throw new Error(`${file}: too many levels of symbolic links.`);
}

function atomicWrite(linkOrFile: string, content: string | Buffer, defaultMode: number): void {
  const file = writeTarget(linkOrFile);
  let mode = defaultMode;
  try {
    mode = fs.statSync(file).mode & 0o777;
  } catch {
    /* new file */
  }
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.skydeck-${process.pid}-${Date.now()}.tmp`);
  fs.writeFileSync(tmp, content, { mode });
  fs.chmodSync(tmp, mode);
  fs.renameSync(tmp, file);
}

/**
 * The user config with our Include block at the top (and nowhere else), then one blank line
 * of ours, then the user's text unchanged (removeIncludeBlock takes exactly that back off).
 */
export function withIncludeBlock(userConfig: string, includeGlob: string): string {
  const block = `${BEGIN}\nInclude ${sshConfigQuote(includeGlob)}\n${END}\n`;
  const rest = removeIncludeBlock(userConfig);
  return block + (rest.length ? '\n' : '') + rest;
}

export function removeIncludeBlock(userConfig: string): string {
  const start = userConfig.indexOf(BEGIN);
  if (start < 0) return userConfig;
  const end = userConfig.indexOf(END, start);
  if (end < 0) return userConfig; // a half block is user-edited: leave it alone
  let after = end + END.length;
  if (userConfig[after] === '\n') after++;
  if (start === 0 && userConfig[after] === '\n') after++; // the blank line we added
  return userConfig.slice(0, start) + userConfig.slice(after);
}

/** Ensures the Include block is at the top of the user's ssh config (idempotent). */
export function ensureInclude(): void {
  const file = userSshConfigPath();
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  let current = '';
  try {
    current = fs.readFileSync(file, 'latin1');
  } catch {
    /* no config yet */
  }
  // The file is handled as bytes (latin1), so text that is not UTF-8 survives unchanged.
  const next = withIncludeBlock(current, Buffer.from(`${generatedSshDir()}/*`).toString('latin1'));
  if (next !== current) atomicWrite(file, Buffer.from(next, 'latin1'), 0o600);
}

export interface SshHostEntry {
  alias: string;
  hostName: string;
  user: string;
  port: number;
  identityFile?: string;
  proxyCommand?: string;
  /** Set when proxyCommand is the user's (`<cloud>.ssh_proxy_command`), not SkyDeck's own tunnel. */
  proxyCommandSource?: string;
  /** Run instead of the login shell (a `docker:` cluster lands in the node's container, as SkyPilot's ssh does). */
  remoteCommand?: string;
}

export interface HostKeyOptions {
  /** SkyDeck's known_hosts (default SKYDECK_HOME/known_hosts). */
  knownHostsFile?: string;
}

export function renderHostEntries(cluster: string, entries: SshHostEntry[], options: HostKeyOptions = {}): string {
  const knownHosts = options.knownHostsFile ?? skydeckKnownHostsFile();
  const lines: string[] = [];
  for (const e of entries) {
    lines.push(`# Added by skydeck (use \`skydeck stop/down ${cluster}\` to remove)`);
    lines.push(`Host ${e.alias}`);
    lines.push(`  HostName ${e.hostName}`);
    lines.push(`  User ${e.user}`);
    if (e.identityFile) {
      lines.push(`  IdentityFile ${sshConfigPath(e.identityFile)}`);
      lines.push('  IdentitiesOnly yes');
    }
    if (e.proxyCommand && !e.proxyCommandSource) {
      // A Kubernetes pod, reached through the API server's authenticated tunnel (the proxy
      // command), named by its pod name, which a relaunch reuses with a new key: a recorded key
      // would refuse every relaunched pod and protect nothing the tunnel does not.
      lines.push('  StrictHostKeyChecking no');
      lines.push('  UserKnownHostsFile /dev/null');
    } else {
      const recorded = lookupHost(knownHosts, knownHostName(e.hostName, e.port)).some((k) => !k.marker);
      lines.push(`  StrictHostKeyChecking ${recorded ? 'yes' : 'accept-new'}`);
      lines.push(`  UserKnownHostsFile ${sshConfigPath(knownHosts)}`);
    }
    lines.push('  GlobalKnownHostsFile /dev/null');
    lines.push(`  Port ${e.port}`);
    // Written as configured: OpenSSH expands %h/%p itself (a node behind the user's jump host
    // keeps its host key checked, as it is reached at its own stable address).
    if (e.proxyCommand) lines.push(`  ProxyCommand ${e.proxyCommand}`);
    if (e.remoteCommand) {
      lines.push(`  RemoteCommand ${e.remoteCommand.replace(/%/g, '%%')}`);
      lines.push('  RequestTTY yes');
    }
    lines.push('');
  }
  return lines.join('\n');
}

/** Host entries for the nodes that have an SSH endpoint (head first, then workers). */
export function hostEntries(cluster: string, nodes: NodeInfo[], remoteCommand?: (rank: number) => string | undefined): SshHostEntry[] {
  return [...nodes]
    .sort((a, b) => a.rank - b.rank)
    .filter((n) => n.ssh)
    .map((n) => ({
      alias: n.rank === 0 ? cluster : `${cluster}-worker${n.rank}`,
      hostName: n.ssh!.host,
      user: n.ssh!.user,
      port: n.ssh!.port,
      identityFile: n.ssh!.identityFile,
      proxyCommand: n.ssh!.proxyCommand,
      proxyCommandSource: n.ssh!.proxyCommandSource,
      remoteCommand: remoteCommand?.(n.rank),
    }));
}

/** Writes the cluster's file and the Include; returns false when no node is reachable over SSH. */
export function writeClusterSshConfig(cluster: string, nodes: NodeInfo[], remoteCommand?: (rank: number) => string | undefined): boolean {
  const entries = hostEntries(cluster, nodes, remoteCommand);
  if (entries.length === 0) {
    removeClusterSshConfig(cluster);
    return false;
  }
  homeSubdir('generated', 'ssh');
  atomicWrite(clusterSshConfigPath(cluster), renderHostEntries(cluster, entries), 0o644);
  ensureInclude();
  return true;
}

/** Removes the cluster's file; the Include stays (it matches nothing harmful) unless no cluster is left. */
export function removeClusterSshConfig(cluster: string): void {
  fs.rmSync(clusterSshConfigPath(cluster), { force: true });
  let left: string[] = [];
  try {
    left = fs.readdirSync(generatedSshDir()).filter((f) => !f.startsWith('.'));
  } catch {
    /* none */
  }
  if (left.length === 0) {
    const file = userSshConfigPath();
    try {
      const current = fs.readFileSync(file, 'latin1');
      const next = removeIncludeBlock(current);
      if (next !== current) atomicWrite(file, Buffer.from(next, 'latin1'), 0o600);
    } catch {
      /* no user config */
    }
  }
}
