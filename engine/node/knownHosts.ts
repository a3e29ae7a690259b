/**
 * SkyDeck's own known_hosts (SKYDECK_HOME/known_hosts, 0600, OpenSSH's format), so the ssh2
 * transport and plain OpenSSH (through the generated ssh config's UserKnownHostsFile) check
 * the same keys. Trust on first use: an unknown host's key is recorded; a recorded host that
 * offers another key is refused with both fingerprints and the command that forgets the old
 * one. Clouds that publish a new VM's host keys record them at launch (`recordHostKeys`),
 * which also replaces what an earlier VM at the same address left behind.
 *
 * Hosts are named as OpenSSH names them: `host` on port 22, `[host]:port` otherwise. Hashed
 * names (`|1|salt|hash`, `ssh-keygen -H`) and the `@revoked` marker are understood;
 * `@cert-authority` lines are ignored (no certificate support).
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { skydeckHome } from '../util/paths';

export function skydeckKnownHostsFile(): string {
  return path.join(skydeckHome(), 'known_hosts');
}

/** OpenSSH's name for a host in known_hosts. */
export function knownHostName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/** `SHA256:<base64 without padding>` of a public key blob, as `ssh-keygen -l` prints it. */
export function fingerprint(keyBlob: Buffer): string {
  return `SHA256:${crypto.createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '')}`;
}

/** The key type inside an SSH public key blob (its first string). */
function keyTypeOf(keyBlob: Buffer): string {
  if (keyBlob.length < 4) return 'unknown';
  const len = keyBlob.readUInt32BE(0);
  return keyBlob.subarray(4, 4 + len).toString('latin1');
}

export interface KnownHostEntry {
  /** 1-based line number in the file. */
  line: number;
  marker?: '@revoked' | '@cert-authority';
  type: string;
  /** Base64 key blob. */
  key: string;
}

export interface HostKeyCheck {
  /** The name the host is recorded under. */
  name: string;
  file: string;
  entries: KnownHostEntry[];
}

/** Why a key was refused (undefined: accepted). The text is complete: what, where, what to do. */
export interface HostKeyRefusal {
  reason: 'changed' | 'revoked' | 'unknown';
  message: string;
  hint: string;
}

function nameMatches(field: string, name: string): boolean {
  for (const pattern of field.split(',')) {
    if (pattern.startsWith('|1|')) {
      const [salt, hash] = pattern.slice(3).split('|');
      if (!salt || !hash) continue;
      const mac = crypto.createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64');
      if (mac === hash) return true;
    } else if (pattern === name) return true;
  }
  return false;
}

/** The entries recorded for `name` (empty when the file does not exist). */
export function lookupHost(file: string, name: string): KnownHostEntry[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  const out: KnownHostEntry[] = [];
  text.split('\n').forEach((raw, i) => {
    const fields = raw.trim().split(/\s+/);
    if (!fields[0] || fields[0].startsWith('#')) return;
    let marker: KnownHostEntry['marker'];
    if (fields[0] === '@revoked' || fields[0] === '@cert-authority') marker = fields.shift() as KnownHostEntry['marker'];
    if (fields.length < 3 || !nameMatches(fields[0], name)) return;
    out.push({ line: i + 1, marker, type: fields[1], key: fields[2] });
  });
  return out;
}

/** The command that forgets every key recorded for `name` in `file`. */
function forgetCommand(file: string, name: string): string {
  return `ssh-keygen -R '${name}' -f '${file}'`;
}

/**
 * Checks `keyBlob` offered by `name` against `file`; with `acceptNew` an unknown host's key
 * is recorded. `target` (e.g. user@host:port) only names the connection in messages.
 */
export function verifyHostKey(file: string, name: string, keyBlob: Buffer, options: { acceptNew: boolean; target: string }): HostKeyRefusal | undefined {
  const type = keyTypeOf(keyBlob);
  const key = keyBlob.toString('base64');
  const offered = `${type} ${fingerprint(keyBlob)}`;
  const entries = lookupHost(file, name).filter((e) => e.marker !== '@cert-authority');
  const revoked = entries.find((e) => e.marker === '@revoked' && e.key === key);
  if (revoked) {
    return {
      reason: 'revoked',
      message: `The host key of ${name} (${options.target}), ${offered}, is marked @revoked on line ${revoked.line} of ${file}.`,
      hint: 'Do not connect: the key was revoked. If the host has a new key, make sure the host offers it.',
    };
  }
  const trusted = entries.filter((e) => !e.marker);
  if (trusted.some((e) => e.type === type && e.key === key)) return undefined;
  if (trusted.length > 0) {
    const old = trusted[0];
    const recorded = `${old.type} ${fingerprint(Buffer.from(old.key, 'base64'))}`;
    const lines = trusted.map((e) => e.line).join(', ');
    return {
      reason: 'changed',
      message:
        `The host key of ${name} (${options.target}) has changed: ${file} line ${lines} records ${recorded}, ` +
        `the host now offers ${offered}. Someone may be impersonating the host, or it was reinstalled or its key regenerated.`,
      hint: `If you know the key changed (host reinstalled, new VM at that address), forget the old key and connect again: \`${forgetCommand(file, name)}\` (or delete line ${lines} of ${file}). Otherwise do not connect.`,
    };
  }
  if (!options.acceptNew) {
    return {
      reason: 'unknown',
      message: `No host key is recorded for ${name} (${options.target}) in ${file}; the host offers ${offered}.`,
      hint: `Check that fingerprint on the host (\`ssh-keygen -lf /etc/ssh/ssh_host_${type.replace(/^ssh-/, '').replace(/-.*$/, '')}_key.pub\`), then record it with \`ssh-keyscan -p ${portOf(name)} ${hostOf(name)} >> '${file}'\`.`,
    };
  }
  appendEntries(file, [`${name} ${type} ${key}`]);
  return undefined;
}

function hostOf(name: string): string {
  const m = /^\[(.*)\]:\d+$/.exec(name);
  return m ? m[1] : name;
}

function portOf(name: string): number {
  const m = /^\[.*\]:(\d+)$/.exec(name);
  return m ? Number(m[1]) : 22;
}

/** Appends lines with one write (O_APPEND: concurrent recorders do not interleave); the file stays 0600. */
function appendEntries(file: string, lines: string[]): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  let prefix = '';
  try {
    const st = fs.statSync(file);
    if (st.size > 0) {
      const fd = fs.openSync(file, 'r');
      try {
        const last = Buffer.alloc(1);
        fs.readSync(fd, last, 0, 1, st.size - 1);
        if (last[0] !== 0x0a) prefix = '\n';
      } finally {
        fs.closeSync(fd);
      }
    }
  } catch {
    /* new file */
  }
  fs.appendFileSync(file, prefix + lines.map((l) => `${l}\n`).join(''), { mode: 0o600 });
  fs.chmodSync(file, 0o600);
}

/**
 * Replaces whatever is recorded for `name` with `keys` (`type base64` each): a new VM's keys
 * as its cloud published them. The rest of the file is kept byte for byte.
 */
export function recordHostKeys(file: string, name: string, keys: { type: string; key: string }[]): void {
  forgetHost(file, name);
  if (keys.length)
    appendEntries(
      file,
      keys.map((k) => `${name} ${k.type} ${k.key}`),
    );
}

/** Removes every (unmarked or marked) line for `name`: the host at that address is new. */
export function forgetHost(file: string, name: string): void {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return;
  }
  const lines = text.split('\n');
  const kept = lines.filter((raw) => {
    const fields = raw.trim().split(/\s+/);
    if (fields[0] === '@revoked' || fields[0] === '@cert-authority') fields.shift();
    return !(fields.length >= 3 && !fields[0].startsWith('#') && nameMatches(fields[0], name));
  });
  if (kept.length === lines.length) return;
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, kept.join('\n'), { mode: 0o600 });
  fs.renameSync(tmp, file);
}

/** Parses `type base64 [comment]` lines (an OpenSSH .pub file or console output); others are skipped. */
export function parsePublicKeys(text: string): { type: string; key: string }[] {
  const out: { type: string; key: string }[] = [];
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*((?:ssh-(?:ed25519|rsa|dss))|ecdsa-sha2-nistp(?:256|384|521))\s+([A-Za-z0-9+/]+=*)(?:\s|$)/.exec(line);
    if (!m) continue;
    const blob = Buffer.from(m[2], 'base64');
    if (keyTypeOf(blob) !== m[1]) continue; // not a key blob of that type (truncated or noise)
    out.push({ type: m[1], key: m[2] });
  }
  return out;
}

/** ssh2 host key algorithms for a key type recorded in known_hosts. */
export function algorithmsFor(type: string): string[] {
  return type === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [type];
}
