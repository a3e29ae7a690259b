/**
 * The task a controller cluster is launched with: SkyPilot's controller defaults (a CPU
 * node, `cpus: 4+`, 50 GB disk), replaced key by key by `<kind>.controller.resources`;
 * the serve controller opens the load balancers' port range through the provider's `ports`
 * mechanism. Both controller clusters stop after 10 idle minutes (SkyPilot's controller
 * autostop; `<kind>.controller.resources.autostop` or `<kind>.controller.autostop` changes
 * it, `false` turns it off); a hold job keeps them busy while they have work (hold.ts).
 */
import { stringify } from 'yaml';
import { activeOrigins } from '../config/active';
import { originOf } from '../config/honoured';
import { formatOrigin, type ConfigMap } from '../config/types';
import { errorMessage, InputError } from '../errors';
import { parseTaskText } from '../task/load';
import { parseTimeMinutes } from '../task/values';
import type { Task } from '../task/types';
import type { ControllerKind } from './names';

/** The load balancers' port range (engine/serve/controller.ts takes ports from it). */
export const LB_PORT_RANGE = '30001-30100';

const DEFAULT_RESOURCES: Record<string, unknown> = { cpus: '4+', disk_size: 50 };

/** SkyPilot's CONTROLLER_AUTOSTOP of both controllers (sky/jobs/constants.py, sky/serve/constants.py). */
const DEFAULT_AUTOSTOP = { idleMinutes: 10, down: false };

function controllerSection(config: ConfigMap, kind: ControllerKind): Record<string, unknown> {
  const top = config[kind] as Record<string, unknown> | undefined;
  const c = top?.controller;
  return c && typeof c === 'object' ? (c as Record<string, unknown>) : {};
}

/** `<path> (file:line)`, for errors about a value. */
function named(path: string[]): string {
  const origin = originOf(activeOrigins(), path);
  return origin ? `${path.join('.')} (${formatOrigin(origin)})` : path.join('.');
}

/** SkyPilot's AutostopConfig.from_yaml_config: false off; true, minutes, a time or a mapping on (idle_minutes 0 unless given). */
function parseControllerAutostop(value: unknown, path: string[]): { idleMinutes: number; down: boolean } | undefined {
  const bad = (what: string, at: string[] = path) =>
    new InputError(`${named(at)}: ${what}`, { hint: "Write false, idle minutes (10, '2h') or {idle_minutes: N, down: true|false}." });
  if (value === false) return undefined;
  if (value === true) return { idleMinutes: 0, down: false };
  const minutes = (v: unknown, at: string[]): number => {
    if (typeof v !== 'number' && typeof v !== 'string') throw bad(`'${String(v)}' is not a number of minutes or a time.`, at);
    try {
      return parseTimeMinutes(v);
    } catch (e) {
      throw bad(errorMessage(e), at);
    }
  };
  if (typeof value === 'number' || typeof value === 'string') return { idleMinutes: minutes(value, path), down: false };
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const o = value as Record<string, unknown>;
    if (o.down !== undefined && typeof o.down !== 'boolean') throw bad(`must be true or false (got '${String(o.down)}').`, [...path, 'down']);
    return { idleMinutes: o.idle_minutes === undefined ? 0 : minutes(o.idle_minutes, [...path, 'idle_minutes']), down: o.down === true };
  }
  throw bad(`'${String(value)}' is not an autostop setting.`);
}

/**
 * The controller cluster's autostop, as SkyPilot's get_controller_resources: the controller
 * resources' `autostop`, else the older `<kind>.controller.autostop`, else 10 idle minutes
 * (stop, not down). Undefined for none (`false`).
 */
export function controllerAutostop(kind: ControllerKind, config: ConfigMap): { idleMinutes: number; down: boolean } | undefined {
  const section = controllerSection(config, kind);
  const resources = section.resources as Record<string, unknown> | undefined;
  if (resources && typeof resources === 'object' && resources.autostop !== undefined && resources.autostop !== null)
    return parseControllerAutostop(resources.autostop, [kind, 'controller', 'resources', 'autostop']);
  if (section.autostop !== undefined && section.autostop !== null) return parseControllerAutostop(section.autostop, [kind, 'controller', 'autostop']);
  return { ...DEFAULT_AUTOSTOP };
}

/** The controller cluster's task (resources only; nothing runs as its job). */
export function controllerTask(kind: ControllerKind, config: ConfigMap, name: string): Task {
  const configured = controllerSection(config, kind).resources;
  if (configured !== undefined && (typeof configured !== 'object' || configured === null || Array.isArray(configured)))
    throw new InputError(`${kind}.controller.resources must be a mapping of resource fields (like a task's resources).`);
  const resources: Record<string, unknown> = { ...DEFAULT_RESOURCES, ...(configured as Record<string, unknown> | undefined) };
  // Its autostop is the launch's option (controllerAutostop), not the task's.
  delete resources.autostop;
  if (kind === 'serve') {
    const ports = resources.ports === undefined ? [] : Array.isArray(resources.ports) ? resources.ports : [resources.ports];
    resources.ports = [...new Set([...ports.map(String), LB_PORT_RANGE])];
  }
  const text = stringify({ name, resources });
  const parsed = parseTaskText(text, { fileName: `${kind}.controller.resources` });
  const task = parsed.taskFile?.tasks[0];
  const errors = parsed.diagnostics.filter((d) => d.severity === 'error');
  if (!task || errors.length)
    throw new InputError(`${kind}.controller.resources is not a valid resources block: ${errors.map((e) => e.message).join('; ')}`, {
      hint: "It takes the fields of a task's `resources:` (infra, cpus, memory, instance_type, disk_size, ...).",
    });
  return task;
}
