/**
 * Claims on pool hosts. The reservation table (./hosts) is per SKYDECK_HOME, so two homes
 * (two users' laptops, a CI runner and a developer) could both take one host and remove each
 * other's node files. A cluster therefore also claims each host on the host itself:
 * `~/.skydeck_claim` holds `<home id> <name on the infra>`, created with noclobber (O_EXCL),
 * so only one claim can exist. A host claimed by another home or cluster is unusable for this
 * launch, and teardown only removes node files under its own claim.
 */
import * as crypto from 'node:crypto';
import * as os from 'node:os';
import type { Transport } from '../../node/transport';
import { skydeckHome } from '../../util/paths';

export const CLAIM_FILE = '.skydeck_claim';

/** This SKYDECK_HOME on this machine plus the cluster: what a claim says. */
export function claimId(nameOnCloud: string): string {
  const home = crypto.createHash('sha256').update(`${os.hostname()}:${skydeckHome()}`).digest('hex').slice(0, 12);
  return `${home} ${nameOnCloud}`;
}

const CLAIM_SCRIPT = [
  'f="$HOME/.skydeck_claim"',
  'if (set -C; printf "%s\\n" "$1" > "$f") 2>/dev/null; then echo claimed',
  'elif [ "$(cat "$f" 2>/dev/null)" = "$1" ]; then echo ours',
  'else echo "taken $(cat "$f" 2>/dev/null)"; fi',
].join('\n');

/** Claims the host for the cluster; undefined when it is now (or already was) ours, else why not. */
export async function claimHost(t: Transport, id: string): Promise<string | undefined> {
  const r = await t.exec(['sh', '-c', CLAIM_SCRIPT, 'sh', id], { timeoutMs: 20_000 });
  const out = r.stdout.trim();
  if (r.exitCode !== 0) return `claiming it failed (exit ${r.exitCode}): ${r.stderr.trim()}`;
  if (out === 'claimed' || out === 'ours') return undefined;
  const other = out.replace(/^taken\s*/, '');
  return `it is in use by another SkyDeck cluster (claim '${other}' in ~/${CLAIM_FILE})`;
}

/**
 * Removes the node files and the claim when the claim is ours, or when there is none (a
 * cluster launched before claims existed). Resolves to 'foreign' when another claim holds the host.
 */
export async function cleanClaimedHost(t: Transport, id: string): Promise<'removed' | 'foreign'> {
  const script = [
    'f="$HOME/.skydeck_claim"',
    'if [ -e "$f" ] && [ "$(cat "$f" 2>/dev/null)" != "$1" ]; then echo foreign; exit 0; fi',
    'cd "$HOME" && rm -rf .skydeck_node sky_workdir && rm -f "$f" && echo removed',
  ].join('\n');
  const r = await t.exec(['sh', '-c', script, 'sh', id], { timeoutMs: 30_000 });
  if (r.exitCode !== 0) throw new Error(`removing the node files exited ${r.exitCode}: ${r.stderr.trim()}`);
  return r.stdout.trim() === 'foreign' ? 'foreign' : 'removed';
}

/** Whether the host's claim (if any) is ours: stopping an agent on a host another home owns would stop theirs. */
export async function claimIsOurs(t: Transport, id: string): Promise<boolean> {
  const r = await t.exec(['sh', '-c', 'f="$HOME/.skydeck_claim"; [ ! -e "$f" ] || [ "$(cat "$f")" = "$1" ]', 'sh', id], { timeoutMs: 20_000 });
  return r.exitCode === 0;
}

/** Left on a host by its cluster's autodown: `<claim> <epoch s>`; the claim itself is gone. */
export const AUTODOWN_FILE = '.skydeck_autodown';

/**
 * What a node runs when its cluster's autostop fires (the head runs it on every node): stop
 * = the agent daemon stops (the jobs were cancelled; the host stays the cluster's, as `skydeck
 * stop` leaves it); down = the node files and the claim are removed, so the host is free for
 * other clusters at once, and a note naming the claim says why (`query` reads it).
 */
export function autostopCommands(id: string): { stop: string; down: string } {
  const agent = 'bash "$HOME/.skydeck_node/agent.sh" stop-daemon >/dev/null 2>&1';
  const quoted = `'${id.replace(/'/g, `'\\''`)}'`;
  return {
    stop: `${agent}; true`,
    down: [
      `id=${quoted}; f="$HOME/${CLAIM_FILE}"`,
      '[ -e "$f" ] && [ "$(cat "$f" 2>/dev/null)" != "$id" ] && exit 0',
      // 75: the autostop that asked for this was superseded (agent.sh stop-daemon); the node stays.
      `${agent}; [ $? -ne 75 ] || exit 0`,
      `printf '%s %s\\n' "$id" "$(date +%s)" >"$HOME/${AUTODOWN_FILE}"`,
      'cd "$HOME" && rm -rf .skydeck_node sky_workdir && rm -f "$f"',
    ].join('\n'),
  };
}

/** Whether the host was released by this cluster's own autodown (its note names our claim, and the claim is no longer ours). */
export async function releasedByAutodown(t: Transport, id: string): Promise<boolean> {
  const script = [
    'c=$(cat "$HOME/.skydeck_claim" 2>/dev/null)',
    `[ "$c" != "$1" ] && [ "$(cut -d' ' -f1-2 "$HOME/${AUTODOWN_FILE}" 2>/dev/null)" = "$1" ]`,
  ].join('\n');
  const r = await t.exec(['sh', '-c', script, 'sh', id], { timeoutMs: 20_000 });
  return r.exitCode === 0;
}
