/**
 * SkyPilot's environment variables for setup and run (skypilot-behavior.md 4.4).
 * Values are computed here; the job id is only known once the agent accepts the job, so
 * run scripts compute SKYPILOT_TASK_ID from the agent's $SKYDECK_JOB_ID (see runScript).
 */
import type { ClusterRecord } from './types';
import type { Task } from '../task/types';

export interface ClusterInfoEnv {
  cluster_name: string;
  cloud: string;
  region: string;
  zone: string | null;
}

export function clusterInfo(rec: ClusterRecord): string {
  const info: ClusterInfoEnv = {
    cluster_name: rec.name,
    cloud: rec.resources.cloud,
    region: rec.resources.region,
    zone: rec.resources.zone ?? null,
  };
  return JSON.stringify(info);
}

/** `sky-%Y-%m-%d-%H-%M-%S-%f` (UTC, microseconds padded). */
export function runTimestamp(d = new Date()): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `sky-${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())}-${p(d.getUTCHours())}-${p(d.getUTCMinutes())}-${p(d.getUTCSeconds())}-${p(d.getUTCMilliseconds() * 1000, 6)}`;
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

export function setupEnvs(rec: ClusterRecord, rank: number, ips: string[], base: Record<string, string>, taskId: string): Record<string, string> {
  return {
    ...base,
    SKYPILOT_SETUP_NODE_RANK: String(rank),
    SKYPILOT_SETUP_NODE_IPS: ips.join('\n'),
    SKYPILOT_SETUP_NUM_GPUS_PER_NODE: String(gpusPerNode(rec)),
    SKYPILOT_NUM_NODES: String(ips.length),
    SKYPILOT_TASK_ID: taskId,
    SKYPILOT_CLUSTER_INFO: clusterInfo(rec),
    SKYPILOT_USER: base.SKYPILOT_USER ?? '',
  };
}

/** Run-phase variables for one rank; SKYPILOT_TASK_ID/INTERNAL_JOB_ID are derived in the script. */
export function runEnvs(rec: ClusterRecord, rank: number, ips: string[], base: Record<string, string>): Record<string, string> {
  return {
    ...base,
    SKYPILOT_NODE_RANK: String(rank),
    SKYPILOT_NODE_IPS: ips.join('\n'),
    SKYPILOT_NUM_NODES: String(ips.length),
    SKYPILOT_NUM_GPUS_PER_NODE: String(gpusPerNode(rec)),
    SKYPILOT_CLUSTER_INFO: clusterInfo(rec),
  };
}
