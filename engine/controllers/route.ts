/**
 * The CLI's side of controller placement: which verbs go to a controller cluster, and the
 * argv they are forwarded with. A verb that goes remote runs the same verb of the CLI on
 * the controller node (`node cli.js jobs queue --json`): one contract, and the extension,
 * which runs the CLI, follows without change.
 */
import type { Command } from 'commander';
import { activeConfig } from '../config/active';
import { findCluster } from '../cluster/records';
import type { ClusterRecord } from '../cluster/types';
import { discoverController } from './discover';
import { connectController, type ControllerConnection } from './remote';
import { controllerClusterName, type ControllerKind } from './names';
import { placementForVerb } from './placement';

export const CONTROLLER_OPTION = ['--controller <where>', "where the controller runs: 'local' (this machine) or 'cluster' (a controller cluster)"] as const;

/**
 * The command's words as typed, without the placement option (the node always runs its
 * controllers locally). `jobs logs --controller` and `serve logs --controller` are
 * SkyPilot's flags for the controller's log: those verbs have no placement option and keep it.
 */
export function forwardedArgv(cmd: Command): string[] {
  const placement = cmd.options.some((o) => o.long === '--controller' && o.required);
  let root: Command = cmd;
  while (root.parent) root = root.parent;
  const raw = (root as unknown as { rawArgs: string[] }).rawArgs ?? [];
  const start = raw.indexOf(cmd.parent?.name() ?? '');
  const words = start >= 0 ? raw.slice(start) : raw;
  const out: string[] = [];
  for (let i = 0; i < words.length; i++) {
    if (placement && words[i] === '--controller') i++;
    else if (!placement || !words[i].startsWith('--controller=')) out.push(words[i]);
  }
  return out;
}

/** The connection for a verb on existing jobs/services, or undefined to run it here. */
export async function remoteForVerb(
  kind: ControllerKind,
  opts: Record<string, unknown>,
  onProgress?: (m: string) => void,
): Promise<ControllerConnection | undefined> {
  const config = activeConfig();
  const exists = !!(await findCluster(controllerClusterName(kind)));
  // `logs --controller` is a boolean (the controller's log), not a placement.
  const flag = typeof opts.controller === 'string' ? opts.controller : undefined;
  // Not launched from here: another machine of the user's may have (discover.ts), unless this command is to run here.
  const asked = placementForVerb(kind, { flag, config, clusterExists: true });
  const discovered = !exists && asked === 'cluster' ? await discoverController(kind) : undefined;
  const where = placementForVerb(kind, { flag, config, clusterExists: exists || !!discovered });
  if (where === 'local') return undefined;
  return connectController(kind, { launch: exists, config, onProgress, ...(discovered ? { discovered } : {}) });
}

/**
 * The controller cluster when the verb would go to it but it is stopped (its autostop fired
 * after the last job): a listing then says so instead of starting it, as SkyPilot's `jobs
 * queue` does without `--refresh`, so a sidebar refreshing every few seconds does not undo
 * the autostop.
 */
export async function stoppedController(kind: ControllerKind, opts: Record<string, unknown>): Promise<ClusterRecord | undefined> {
  const rec = await findCluster(controllerClusterName(kind));
  if (!rec || rec.status !== 'STOPPED') return undefined;
  const flag = typeof opts.controller === 'string' ? opts.controller : undefined;
  return placementForVerb(kind, { flag, config: activeConfig(), clusterExists: true }) === 'cluster' ? rec : undefined;
}
