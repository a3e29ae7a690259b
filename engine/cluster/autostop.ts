/**
 * Autostop on the node (docs/AUTOSTOP.md). The head's agent measures idleness by SkyPilot's
 * rules (wait_for) and, once the limit is reached, runs the action written here at launch or
 * at `skydeck autostop`: it stops or tears down the cluster from the node, through the
 * provider's own mechanism (Provider.autostopCommands), with no client involved. `local`
 * nodes are processes on this machine, so their action is this machine's CLI (`status -r`).
 */
import * as os from 'node:os';
import { AUTOSTOP_FILES_DIR, type AutostopCommands, type AutostopFile, type Provider } from '../infra/provider';
import type { AutostopWaitFor } from '../node/agentClient';
import type { Task } from '../task/types';
import type { Transport } from '../node/transport';
import { SkyDeckError } from '../errors';
import { skydeckCliArgv, skydeckHome } from '../util/paths';
import type { ClusterAccess } from './access';
import { hostLauncherFor } from './nodeOps';
import type { ClusterRecord, LaunchOptions } from './types';

export type { AutostopWaitFor };

export interface AutostopSetting {
  idleMinutes: number;
  down: boolean;
  /** Absent: SkyPilot's default, jobs_and_ssh. */
  waitFor?: AutostopWaitFor;
}

/** SkyPilot's `-i 0` (and `autostop: true`) means one minute. */
const MIN_IDLE_MINUTES = 1;

/**
 * The autostop a launch asks for: `-i`/`--down`/`--wait-for` over the task's
 * `resources.autostop`; undefined when neither sets one (or the task says `autostop: false`
 * and no `-i` is given).
 */
export function launchAutostop(task: Task, options: Pick<LaunchOptions, 'idleMinutesToAutostop' | 'down' | 'waitFor'>): AutostopSetting | undefined {
  const spec = task.resources.base.autostop;
  const fromTask = spec && spec.enabled !== false && spec.idleMinutes >= 0 ? spec : undefined;
  const idle = options.idleMinutesToAutostop ?? fromTask?.idleMinutes;
  if (idle === undefined || idle < 0) return undefined;
  const waitFor = options.waitFor ?? fromTask?.waitFor;
  return {
    idleMinutes: Math.max(idle, MIN_IDLE_MINUTES),
    // The CLI's --down is a flag: absent means the task decides.
    down: options.down === true || (fromTask?.down ?? false),
    ...(waitFor && waitFor !== 'jobs_and_ssh' ? { waitFor } : {}),
  };
}

/**
 * The `local` action: a detached `skydeck status -r NAME` outside the node (no node marker,
 * not in the node dir), so the stop it performs does not count it as one of the node's processes.
 */
function localAutostopHook(rec: ClusterRecord): string[] {
  return [
    'env',
    '-C',
    os.homedir(),
    '-u',
    'SKYDECK_LOCAL_NODE',
    `HOME=${os.homedir()}`,
    `SKYDECK_HOME=${skydeckHome()}`,
    ...skydeckCliArgv(),
    'status',
    '--refresh',
    rec.name,
  ];
}

/** A shell word for bash: single-quoted. */
function q(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** A launcher argv as a bash array literal; a leading `~/` is the head's HOME (as the agent reads it). */
function launcherArray(argv: string[]): string {
  return `(${argv.map((a) => (a.startsWith('~/') ? `"$HOME"/${q(a.slice(2))}` : q(a))).join(' ')})`;
}

/**
 * The action the head runs when autostop fires (SKYDECK_AUTOSTOP_DOWN=0|1 says which): the
 * cluster's jobs are cancelled (`wait_for: none` may leave some), each worker runs the
 * provider's command through its rank launcher, then the head runs its own. Workers first,
 * as SkyPilot does: the head is the one that can still reach them.
 */
export function renderAutostopAction(clusterName: string, commands: { stop: string; down: string }, workerLaunchers: string[][]): string {
  const lines = [
    '#!/usr/bin/env bash',
    `# SkyDeck autostop action for cluster ${JSON.stringify(clusterName)}: written by the client, run by the head's agent.`,
    'set -u',
    'if [ "${SKYDECK_AUTOSTOP_DOWN:-0}" = 1 ]; then action=down; else action=stop; fi',
    `stop_cmd=${q(commands.stop)}`,
    `down_cmd=${q(commands.down)}`,
    'if [ "$action" = down ]; then cmd="$down_cmd"; else cmd="$stop_cmd"; fi',
    // Activity or a new autostop after the firing re-arms it (the agent removes autostop_fired): the action then stands down.
    'standing() { local f=""; [ -z "${SKYDECK_AUTOSTOP_FIRED:-}" ] && return 0; read -r f _ 2>/dev/null <"$HOME/.skydeck_node/autostop_fired"; [ "$f" = "$SKYDECK_AUTOSTOP_FIRED" ]; }',
    'standing || { echo "autostop: superseded by activity or a new autostop; nothing done"; exit 0; }',
    'echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) autostop: $action"',
    'bash "$HOME/.skydeck_node/agent.sh" cancel all >/dev/null 2>&1 || true',
  ];
  workerLaunchers.forEach((l, i) => {
    lines.push(`L=${launcherArray(l)}`, `timeout 120 "\${L[@]}" "$cmd" </dev/null || echo "worker ${i + 1}: the $action command failed ($?)"`);
  });
  lines.push('standing || { echo "autostop: superseded before the head\'s $action; nothing more done"; exit 0; }', 'bash -c "$cmd" </dev/null');
  return `${lines.join('\n')}\n`;
}

/**
 * What the agent runs when the cluster's autostop fires: the CLI hook for `local`, the
 * provider's commands on every node otherwise; undefined when the provider has none (the
 * client then carries autostop out at its next `status -r`).
 */
function autostopAction(
  rec: ClusterRecord,
  access: Pick<ClusterAccess, 'provider' | 'nodes'>,
  commands: AutostopCommands | undefined,
): string[] | string | undefined {
  if (rec.handle.provider === 'local') return localAutostopHook(rec);
  if (!commands) return undefined;
  // The machines themselves, not their containers: the commands shut the node down.
  const workers = access.nodes.filter((n) => n.rank > 0).map((n) => hostLauncherFor(access as ClusterAccess, rec, n));
  return renderAutostopAction(rec.name, commands, workers);
}

/** Sets (or, with idleMinutes < 0, cancels) autostop on the cluster's head, with the action for its infra. */
export async function applyAutostop(rec: ClusterRecord, access: ClusterAccess, setting: AutostopSetting | undefined): Promise<void> {
  const hasNodeAction = rec.handle.provider !== 'local' && access.provider.autostopCommands !== undefined;
  if (!setting || setting.idleMinutes < 0) {
    await access.agent.setAutostop(-1, false);
    if (hasNodeAction) await placeAutostopFiles(access.head, []);
    return;
  }
  await prepareInfra(access.provider, rec, setting.down);
  const commands = hasNodeAction ? access.provider.autostopCommands?.(rec.handle, setting.down) : undefined;
  // What the commands need on the head (a program, a credential) is there before they can run.
  if (hasNodeAction) await placeAutostopFiles(access.head, commands?.files ?? []);
  await access.agent.setAutostop(setting.idleMinutes, setting.down, autostopAction(rec, access, commands), setting.waitFor ?? 'jobs_and_ssh');
}

async function runOnHead(head: Transport, script: string, what: string): Promise<void> {
  const r = await head.exec(['bash', '-c', script]);
  if (r.exitCode !== 0) {
    throw new SkyDeckError('REMOTE_WRITE_FAILED', `Could not ${what} on ${head.description}: ${r.stderr.trim() || `exit ${r.exitCode}`}`);
  }
}

/**
 * Makes the head's AUTOSTOP_FILES_DIR hold exactly `files` (the directory 0700, every file
 * 0600), written through the transport (SFTP) so a secret passes through no argv, environment,
 * log or record; none: the directory goes, so a credential is on the node only while an
 * action may need it.
 */
async function placeAutostopFiles(head: Transport, files: AutostopFile[]): Promise<void> {
  const dir = `"$HOME/${AUTOSTOP_FILES_DIR}"`;
  if (!files.length) {
    await runOnHead(head, `rm -rf ${dir}`, 'remove the autostop credential directory');
    return;
  }
  await runOnHead(head, `umask 077 && rm -rf ${dir} && mkdir -p ${dir} && chmod 700 ${dir}`, 'prepare the autostop credential directory');
  for (const f of files) {
    if (!/^[A-Za-z0-9._-]+$/.test(f.name)) throw new SkyDeckError('INTERNAL', `Invalid autostop file name '${f.name}'.`);
    await head.putFile(`${AUTOSTOP_FILES_DIR}/${f.name}`, f.content, 0o600);
  }
  // SFTP applies the server's umask to the mode it is given: make sure nothing is wider than 0600.
  await runOnHead(head, `chmod 600 ${dir}/*`, 'restrict the autostop credential files');
}

async function prepareInfra(provider: Provider, rec: ClusterRecord, down: boolean): Promise<void> {
  if (provider.prepareAutostop) await provider.prepareAutostop(rec.handle, down);
}

/**
 * After a node shut itself down by autostop (all nodes stopped while the record says UP):
 * autodown on a cloud whose guest shutdown only stops the VM (GCP, Azure) is finished by a
 * teardown; Azure keeps a VM powered off from inside allocated, so autostop deallocates it.
 */
export async function finishNodeAutostop(rec: ClusterRecord, provider: Provider, down: () => Promise<void>): Promise<'gone' | 'stopped'> {
  if (rec.autostop?.down) {
    await down();
    return 'gone';
  }
  if (provider.name === 'azure') await provider.stop(rec.handle);
  return 'stopped';
}
