/** Loading a service's task YAML (one task with a `service:` section). */
import { InputError } from '../errors';
import { loadTaskFile } from '../task/load';
import type { Task } from '../task/types';
import { resolveServiceSpec, type ResolvedServiceSpec } from './spec';

export interface ServiceTask {
  task: Task;
  spec: ResolvedServiceSpec;
}

export function loadServiceTask(file: string): ServiceTask {
  const tf = loadTaskFile(file);
  if (tf.tasks.length !== 1) throw new InputError(`${file} is a pipeline of ${tf.tasks.length} tasks; a service runs one task.`);
  const task = tf.tasks[0];
  return { task, spec: resolveServiceSpec(task) };
}

/** The task with every resources candidate forced to spot or on-demand (fallback replicas). */
export function withSpot(task: Task, useSpot: boolean): Task {
  const t = structuredClone(task);
  t.resources.base.useSpot = useSpot;
  for (const c of t.resources.candidates) c.useSpot = useSpot;
  return t;
}

/** Whether two versions differ only in `service:` (replicas can be relabelled, SkyPilot 6.6). */
export function sameExceptService(a: Task, b: Task): boolean {
  const strip = (t: Task) => {
    const { service: _s, ...rest } = t.raw;
    return JSON.stringify(rest);
  };
  return Object.keys(a.fileMounts).length === 0 && strip(a) === strip(b);
}
