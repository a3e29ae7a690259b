/**
 * SSH access to clusters (skypilot-behavior.md 4.8, editor-anchors.md 3 and style lesson 9):
 * one generated file per cluster under SKYDECK_HOME/generated/ssh/<cluster> (head
 * `Host <cluster>`, workers `Host <cluster>-worker<i>`), and one marker-delimited
 * `Include` block at the TOP of the user's ssh config (hosts from an Include placed after
 * a `Host` line are invisible to Remote-SSH). Every write is atomic (temp + rename) and
 * keeps the file's mode; nothing outside our block is touched.
 * `SKYDECK_SSH_CONFIG` names the user ssh config to edit (tests never touch ~/.ssh/config).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { NodeInfo } from '../infra/provider';
import { homeSubdir, skydeckHome } from '../util/paths';

const BEGIN = '# >>> Added by SkyDeck for ssh config of all clusters (do not edit this block) >>>';
const END = '# <<< Added by SkyDeck <<<';

export function userSshConfigPath(): string {
  return process.env.SKYDECK_SSH_CONFIG || path.join(os.homedir(), '.ssh', 'config');
}

export function generatedSshDir(): string {
  return path.join(skydeckHome(), 'generated', 'ssh');
}

export function clusterSshConfigPath(cluster: string): string {
  return path.join(generatedSshDir(), cluster);
}

function atomicWrite(file: string, content: string, defaultMode: number): void {
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

/** The user config with our Include block at the top (and nowhere else). */
export function withIncludeBlock(userConfig: string, includeGlob: string): string {
  const block = `${BEGIN}\nInclude ${includeGlob}\n${END}\n`;
  const rest = removeIncludeBlock(userConfig);
  return block + (rest.length && !rest.startsWith('\n') ? '\n' : '') + rest;
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
    current = fs.readFileSync(file, 'utf8');
  } catch {
    /* no config yet */
  }
  const next = withIncludeBlock(current, `${generatedSshDir()}/*`);
  if (next !== current) atomicWrite(file, next, 0o600);
}

export interface SshHostEntry {
  alias: string;
  hostName: string;
  user: string;
  port: number;
  identityFile?: string;
  proxyCommand?: string;
}

export function renderHostEntries(cluster: string, entries: SshHostEntry[]): string {
  const lines: string[] = [];
  for (const e of entries) {
    lines.push(`# Added by skydeck (use \`skydeck stop/down ${cluster}\` to remove)`);
    lines.push(`Host ${e.alias}`);
    lines.push(`  HostName ${e.hostName}`);
    lines.push(`  User ${e.user}`);
    if (e.identityFile) {
      lines.push(`  IdentityFile ${e.identityFile}`);
      lines.push('  IdentitiesOnly yes');
    }
    lines.push('  StrictHostKeyChecking no');
    lines.push('  UserKnownHostsFile=/dev/null');
    lines.push('  GlobalKnownHostsFile=/dev/null');
    lines.push(`  Port ${e.port}`);
    if (e.proxyCommand) lines.push(`  ProxyCommand ${e.proxyCommand}`);
    lines.push('');
  }
  return lines.join('\n');
}

/** Host entries for the nodes that have an SSH endpoint (head first, then workers). */
export function hostEntries(cluster: string, nodes: NodeInfo[]): SshHostEntry[] {
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
    }));
}

/** Writes the cluster's file and the Include; returns false when no node is reachable over SSH. */
export function writeClusterSshConfig(cluster: string, nodes: NodeInfo[]): boolean {
  const entries = hostEntries(cluster, nodes);
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
      const current = fs.readFileSync(file, 'utf8');
      const next = removeIncludeBlock(current);
      if (next !== current) atomicWrite(file, next, 0o600);
    } catch {
      /* no user config */
    }
  }
}
