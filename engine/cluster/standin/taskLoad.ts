/**
 * Stand-in for engine/task/load.ts (until it lands): the few task fields the cluster
 * engine needs, without validation.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { AcceleratorRequest, ResourcesSpec, Task, TaskFile } from '../../task/types';
import { InputError } from '../../errors';

function str(v: unknown): string | undefined {
  return v === undefined || v === null ? undefined : String(v);
}

function parseAccelerators(v: unknown): AcceleratorRequest[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') {
    const [name, count] = v.split(':');
    return [{ name, count: count ? Number(count) : 1 }];
  }
  if (typeof v === 'object') return Object.entries(v as Record<string, unknown>).map(([name, c]) => ({ name, count: c === null ? 1 : Number(c) }));
  return undefined;
}

export function resourcesFromRaw(r: Record<string, unknown>): ResourcesSpec {
  const spec: ResourcesSpec = {};
  const infra = str(r.infra) ?? str(r.cloud);
  if (infra) {
    const [cloud, region, zone] = infra.split('/');
    spec.infra = { cloud: cloud.toLowerCase() === 'k8s' ? 'kubernetes' : cloud.toLowerCase(), region, zone };
  }
  if (r.cpus !== undefined) spec.cpus = { value: parseFloat(String(r.cpus)), orMore: String(r.cpus).endsWith('+') };
  if (r.memory !== undefined) spec.memory = { value: parseFloat(String(r.memory)), orMore: String(r.memory).endsWith('+') };
  spec.accelerators = parseAccelerators(r.accelerators);
  if (r.use_spot !== undefined) spec.useSpot = Boolean(r.use_spot);
  if (r.ports !== undefined) spec.ports = ([] as unknown[]).concat(r.ports).map(String);
  if (r.instance_type !== undefined) spec.instanceType = String(r.instance_type);
  return spec;
}

export function taskFromRaw(raw: Record<string, unknown>, baseDir: string, envOverrides: Record<string, string> = {}): Task {
  const envs: Record<string, string | null> = {};
  for (const [k, v] of Object.entries((raw.envs as Record<string, unknown>) ?? {})) envs[k] = v === null ? null : String(v);
  Object.assign(envs, envOverrides);
  const fileMounts: Record<string, string> = {};
  for (const [k, v] of Object.entries((raw.file_mounts as Record<string, unknown>) ?? {})) if (typeof v === 'string') fileMounts[k] = v;
  const workdir = str(raw.workdir);
  return {
    name: str(raw.name),
    workdir: workdir ? path.resolve(baseDir, workdir) : undefined,
    numNodes: raw.num_nodes === undefined ? 1 : Number(raw.num_nodes),
    setup: str(raw.setup),
    run: str(raw.run),
    envs,
    secrets: ((raw.secrets as Record<string, string | null>) ?? {}),
    fileMounts,
    resources: { base: resourcesFromRaw((raw.resources as Record<string, unknown>) ?? {}), candidates: [], mode: 'single' },
    raw,
  };
}

export function loadTaskFile(file: string, options: { envOverrides?: Record<string, string> } = {}): TaskFile {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw new InputError(`Task file ${file} not found.`);
  }
  const docs = parseAllDocuments(text).map((d) => d.toJS() as Record<string, unknown> | null).filter((d): d is Record<string, unknown> => !!d);
  const tasks = docs.map((d) => taskFromRaw(d, path.dirname(path.resolve(file)), options.envOverrides));
  return { tasks };
}
