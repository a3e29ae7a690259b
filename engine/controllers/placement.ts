/**
 * Where a kind of controller runs: on the user's machine (`local`, today's detached
 * processes) or on its controller cluster (`cluster`). In order:
 * 1. `--controller local|cluster` on the command;
 * 2. SKYDECK_CONTROLLER (set to `local` for the CLI SkyDeck runs on a controller node);
 * 3. `<kind>.controller.consolidation_mode: true` (SkyPilot's key for "controllers run where
 *    the API server runs", which for SkyDeck is the user's machine) -> local;
 *    `<kind>.controller.resources` set -> cluster;
 * 4. a task whose every resource choice is `infra: local` -> local (SkyPilot keeps local work local);
 * 5. no infra but `local` enabled -> local;
 * 6. otherwise the controller cluster, on the cheapest enabled infra (SkyPilot's default),
 *    when the controller there can reach the task's infra (controllerCanReach: SSH pools and
 *    the clouds whose credential files are copied to it), else local.
 */
import { InputError } from '../errors';
import type { ConfigMap } from '../config/types';
import type { TaskFile } from '../task/types';
import { cloudCredentialPlan, cloudOfInfra } from './cloudCredentials';
import type { ControllerKind } from './names';

export type Placement = 'local' | 'cluster';

function parsePlacement(value: string, field: string): Placement {
  if (value === 'local' || value === 'cluster') return value;
  throw new InputError(`${field} must be 'local' or 'cluster' (got '${value}').`, {
    hint: "'local' runs controllers on this machine; 'cluster' on a controller cluster.",
  });
}

function section(config: ConfigMap, kind: ControllerKind): Record<string, unknown> {
  const top = config[kind];
  const c = top && typeof top === 'object' ? (top as Record<string, unknown>).controller : undefined;
  return c && typeof c === 'object' ? (c as Record<string, unknown>) : {};
}

/** Steps 1-3: what the user asked for, if anything. */
function explicitPlacement(kind: ControllerKind, options: { flag?: string; config: ConfigMap; env?: NodeJS.ProcessEnv }): Placement | undefined {
  if (options.flag !== undefined) return parsePlacement(options.flag, '--controller');
  const env = (options.env ?? process.env).SKYDECK_CONTROLLER;
  if (env) return parsePlacement(env, 'SKYDECK_CONTROLLER');
  const c = section(options.config, kind);
  if (c.consolidation_mode === true) return 'local';
  if (c.resources !== undefined) return 'cluster';
  return undefined;
}

function clouds(file: TaskFile): (string | undefined)[] {
  return file.tasks.flatMap((t) => {
    const choices = t.resources.candidates.length ? t.resources.candidates.map((c) => ({ ...t.resources.base, ...c })) : [t.resources.base];
    return choices.map((c) => c.infra?.cloud);
  });
}

/**
 * Whether a controller on a cluster can launch the task: SSH node pools (the pools file and
 * keys are copied to it) and the clouds whose credential files are copied (cloudCredentials.ts).
 * A cloud whose credentials live only in environment variables is not copied, so a task that
 * needs it keeps a controller on this machine unless the config keys or `--controller
 * cluster` say otherwise. A task that names no infra needs every enabled infra reachable:
 * the controller's optimizer must see the same choices this machine's would.
 */
function controllerCanReach(file: TaskFile | undefined, enabled: string[], reachable: ReadonlySet<string>): boolean {
  const can = (cloud: string) => cloud === 'ssh' || reachable.has(cloud);
  const wanted = file ? clouds(file) : [undefined];
  const nonLocal = enabled.filter((i) => i !== 'local');
  return wanted.every((c) => (c === undefined ? nonLocal.length > 0 && nonLocal.every((i) => can(cloudOfInfra(i))) : can(c)));
}

/** Where the controller for a new job or service goes (steps 1-6). */
export function placementForTask(
  kind: ControllerKind,
  options: {
    flag?: string;
    config: ConfigMap;
    env?: NodeJS.ProcessEnv;
    taskFile?: TaskFile;
    enabledInfra: string[];
    /** Clouds whose credentials a controller cluster gets; default: what this machine's files give. */
    credentialClouds?: ReadonlySet<string>;
  },
): Placement {
  const explicit = explicitPlacement(kind, options);
  if (explicit) return explicit;
  if (options.taskFile && clouds(options.taskFile).every((c) => c === 'local')) return 'local';
  if (!options.enabledInfra.some((i) => i !== 'local')) return 'local';
  const reachable = options.credentialClouds ?? cloudCredentialPlan(options.env ?? process.env).covered;
  return controllerCanReach(options.taskFile, options.enabledInfra, reachable) ? 'cluster' : 'local';
}

/**
 * Where the verbs that read or change existing jobs or services go: the user's explicit
 * choice, else the controller cluster when one exists, else this machine.
 */
export function placementForVerb(
  kind: ControllerKind,
  options: { flag?: string; config: ConfigMap; env?: NodeJS.ProcessEnv; clusterExists: boolean },
): Placement {
  return explicitPlacement(kind, options) ?? (options.clusterExists ? 'cluster' : 'local');
}
