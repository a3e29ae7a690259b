/**
 * `kubernetes.pricing` (and `kubernetes.context_configs.<context>.pricing` over it): what
 * SkyPilot's optimizer charges for a Kubernetes pod (sky/catalog/common.py
 * `resolve_pricing_config`, `get_hourly_cost_from_pricing`). The per-context block replaces
 * `cpu` and `memory` and adds to `accelerators` name by name. A pod with accelerators costs
 * count x that accelerator's rate (name matched case-insensitively; an unlisted one is free),
 * the cpu and memory rates then being ignored; a CPU pod costs cpus x cpu + GB x memory.
 * Missing rates are 0. SkyPilot's SSH node pools are Kubernetes contexts `ssh-<pool>` to its
 * optimizer, so they are priced the same way.
 */
import { InputError } from '../errors';
import { activeConfig, activeOrigins } from './active';
import { originOf } from './honoured';
import { getPath } from './merge';
import { formatOrigin, isConfigMap, type ConfigMap } from './types';

export interface KubernetesPricing {
  cpu: number;
  memory: number;
  accelerators: Record<string, number>;
}

function rate(v: unknown, path: string[]): number {
  if (typeof v === 'number' && Number.isFinite(v) && v >= 0) return v;
  const origin = originOf(activeOrigins(), path);
  throw new InputError(`${path.join('.')}${origin ? ` (${formatOrigin(origin)})` : ''}: '${String(v)}' is not a price (a number >= 0, $ per hour).`);
}

/** The pricing in force for `context` (a kubeconfig context, or `ssh-<pool>`); a bad rate is an error naming it. */
export function kubernetesPricing(context: string | undefined, config: ConfigMap = activeConfig()): KubernetesPricing {
  const out: KubernetesPricing = { cpu: 0, memory: 0, accelerators: {} };
  const paths = [['kubernetes', 'pricing'], ...(context !== undefined ? [['kubernetes', 'context_configs', context, 'pricing']] : [])];
  for (const p of paths) {
    const level = getPath(config, p);
    if (!isConfigMap(level)) continue;
    if (level.cpu !== undefined) out.cpu = rate(level.cpu, [...p, 'cpu']);
    if (level.memory !== undefined) out.memory = rate(level.memory, [...p, 'memory']);
    if (isConfigMap(level.accelerators))
      for (const [name, v] of Object.entries(level.accelerators)) out.accelerators[name] = rate(v, [...p, 'accelerators', name]);
  }
  return out;
}

/** The hourly price of one pod of this shape. */
export function podHourlyPrice(pricing: KubernetesPricing, cpus: number, memoryGb: number, accelerator?: { name: string; count: number }): number {
  if (accelerator && accelerator.count) {
    const wanted = accelerator.name.toLowerCase();
    const found = Object.entries(pricing.accelerators).find(([name]) => name.toLowerCase() === wanted);
    return accelerator.count * (found ? found[1] : 0);
  }
  return cpus * pricing.cpu + memoryGb * pricing.memory;
}
