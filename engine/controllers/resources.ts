/**
 * The task a controller cluster is launched with: SkyPilot's controller defaults (a CPU
 * node, `cpus: 4+`, 50 GB disk), replaced key by key by `<kind>.controller.resources`;
 * the serve controller opens the load balancers' port range through the provider's `ports`
 * mechanism; the jobs controller stops after 10 idle minutes (SkyPilot's controller
 * autostop; `jobs.controller.autostop` changes it, `false` turns it off). SkyPilot does not
 * autostop serve controllers: services are meant to stay up.
 */
import { stringify } from 'yaml';
import { InputError } from '../errors';
import type { ConfigMap } from '../config/types';
import { parseTaskText } from '../task/load';
import type { Task } from '../task/types';
import type { ControllerKind } from './names';

/** The load balancers' port range (engine/serve/controller.ts takes ports from it). */
export const LB_PORT_RANGE = '30001-30100';

const DEFAULT_RESOURCES: Record<string, unknown> = { cpus: '4+', disk_size: 50 };

/** SkyPilot's CONTROLLER_IDLE_MINUTES_TO_AUTOSTOP. */
const JOBS_CONTROLLER_IDLE_MINUTES = 10;

function controllerSection(config: ConfigMap, kind: ControllerKind): Record<string, unknown> {
  const top = config[kind] as Record<string, unknown> | undefined;
  const c = top?.controller;
  return c && typeof c === 'object' ? (c as Record<string, unknown>) : {};
}

/** The controller's autostop: idle minutes and down, or undefined for none. */
export function controllerAutostop(kind: ControllerKind, config: ConfigMap): { idleMinutes: number; down: boolean } | undefined {
  if (kind === 'serve') return undefined;
  const a = controllerSection(config, kind).autostop;
  if (a === false) return undefined;
  if (a && typeof a === 'object') {
    const o = a as Record<string, unknown>;
    const idle = o.idle_minutes === undefined ? JOBS_CONTROLLER_IDLE_MINUTES : Number(o.idle_minutes);
    if (!Number.isFinite(idle) || idle < 0)
      throw new InputError(`jobs.controller.autostop.idle_minutes must be a number of minutes (got '${String(o.idle_minutes)}').`);
    return { idleMinutes: idle, down: o.down === true };
  }
  return { idleMinutes: JOBS_CONTROLLER_IDLE_MINUTES, down: false };
}

/** The controller cluster's task (resources only; nothing runs as its job). */
export function controllerTask(kind: ControllerKind, config: ConfigMap, name: string): Task {
  const configured = controllerSection(config, kind).resources;
  if (configured !== undefined && (typeof configured !== 'object' || configured === null || Array.isArray(configured)))
    throw new InputError(`${kind}.controller.resources must be a mapping of resource fields (like a task's resources).`);
  const resources: Record<string, unknown> = { ...DEFAULT_RESOURCES, ...(configured as Record<string, unknown> | undefined) };
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
