/**
 * Values behind SkyPilot's environment variables (skypilot-behavior.md 4.4). The agent
 * exports them per rank (engine/node/agent); the engine supplies cluster info, GPU count
 * and the user's envs.
 */
import type { ClusterRecord } from './types';
import type { Task } from '../task/types';

export interface ClusterInfoEnv {
  cluster_name: string;
  cloud: string;
  region: string | null;
  zone: string | null;
}

export function clusterInfoObject(rec: ClusterRecord): ClusterInfoEnv {
  return { cluster_name: rec.name, cloud: rec.resources.cloud, region: rec.resources.region ?? null, zone: rec.resources.zone ?? null };
}

export function gpusPerNode(rec: ClusterRecord): number {
  return rec.resources.accelerators ? Math.ceil(rec.resources.accelerators.count) : 0;
}

/** User envs and secrets (null values dropped), with `--env` overrides on top. */
export function userEnvs(task: Task, overrides: Record<string, string> = {}): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(task.envs ?? {})) if (v !== null && v !== undefined) out[k] = String(v);
  for (const [k, v] of Object.entries(task.secrets ?? {})) if (v !== null && v !== undefined) out[k] = String(v);
  return { ...out, ...overrides };
}
