/**
 * Candidates on infra that has no catalog: this machine (`local`), SSH node pools and
 * Kubernetes contexts. They cost nothing unless `kubernetes.pricing` in
 * SKYDECK_HOME/config.yaml says otherwise (SkyPilot: a GPU pod costs count x accelerator
 * rate, a CPU pod cpus x cpu + memory x memory rate). Kubernetes instance types are
 * SkyPilot's synthetic `4CPU--16GB[--A100:1]`.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { ResourcesSpec } from '../task/types';
import { skydeckHome } from '../util/paths';
import type { Candidate } from './types';

export interface NonCatalogRequest {
  spec: ResourcesSpec;
  accelerator?: { name: string; count: number };
  nodes: number;
}

/** Why a non-catalog infra cannot take the request (undefined = it can). */
export type Refusal = string | undefined;

export function localCandidate(req: NonCatalogRequest): Candidate | Refusal {
  if (req.accelerator) return 'this machine has no accelerators SkyDeck can schedule';
  if (req.spec.instanceType && req.spec.instanceType !== 'local') return `instance_type ${req.spec.instanceType} is a cloud instance type`;
  const cpus = os.cpus().length;
  const memoryGb = Math.round((os.totalmem() / 2 ** 30) * 10) / 10;
  return {
    infra: 'local/local',
    cloud: 'local',
    region: 'local',
    instanceType: 'local',
    accelerators: null,
    spot: !!req.spec.useSpot,
    nodes: req.nodes,
    pricePerHour: 0,
    costPerHour: 0,
    cpus,
    memoryGb,
  };
}

interface K8sPricing {
  cpu?: number;
  memory?: number;
  accelerators?: Record<string, number>;
}

function readPricing(context: string): K8sPricing {
  try {
    const doc = parseYaml(fs.readFileSync(path.join(skydeckHome(), 'config.yaml'), 'utf8')) as Record<string, unknown> | null;
    const k8s = doc && typeof doc.kubernetes === 'object' ? (doc.kubernetes as Record<string, unknown>) : undefined;
    if (!k8s) return {};
    const base = (typeof k8s.pricing === 'object' && k8s.pricing ? k8s.pricing : {}) as K8sPricing;
    const perCtx = k8s.context_configs as Record<string, { pricing?: K8sPricing }> | undefined;
    const over = perCtx?.[context]?.pricing ?? {};
    return { ...base, ...over, accelerators: { ...(base.accelerators ?? {}), ...(over.accelerators ?? {}) } };
  } catch {
    return {};
  }
}

function podShape(req: NonCatalogRequest): { cpus: number; memoryGb: number } {
  const acc = req.accelerator;
  const cpus = req.spec.cpus?.value ?? (acc ? Math.max(4, 4 * Math.ceil(acc.count)) : 2);
  const mem = req.spec.memory;
  const memoryGb = mem && !mem.perCpu ? mem.value : cpus * (mem?.perCpu ? mem.value : acc ? 4 : 1);
  return { cpus, memoryGb };
}

function podInstanceType(cpus: number, memoryGb: number, acc?: { name: string; count: number }): string {
  return `${cpus}CPU--${memoryGb}GB${acc ? `--${acc.name}:${acc.count}` : ''}`;
}

/** `cloud` is 'kubernetes' (region = context, infra 'k8s/<ctx>') or 'ssh' (region = pool). */
export function podCandidate(cloud: 'kubernetes' | 'ssh', region: string, req: NonCatalogRequest): Candidate | Refusal {
  if (req.spec.useSpot) return `${cloud === 'ssh' ? 'SSH node pools' : 'Kubernetes'} does not offer spot instances`;
  if (req.spec.instanceType && !/^\d+(\.\d+)?CPU--\d+(\.\d+)?GB/.test(req.spec.instanceType))
    return `instance_type ${req.spec.instanceType} is a cloud instance type`;
  const { cpus, memoryGb } = podShape(req);
  let price = 0;
  if (cloud === 'kubernetes') {
    const p = readPricing(region);
    price = req.accelerator ? req.accelerator.count * (p.accelerators?.[req.accelerator.name] ?? 0) : cpus * (p.cpu ?? 0) + memoryGb * (p.memory ?? 0);
  }
  return {
    infra: `${cloud === 'kubernetes' ? 'k8s' : 'ssh'}/${region}`,
    cloud,
    region,
    instanceType: podInstanceType(cpus, memoryGb, req.accelerator),
    accelerators: req.accelerator ? { [req.accelerator.name]: req.accelerator.count } : null,
    spot: false,
    nodes: req.nodes,
    pricePerHour: price,
    costPerHour: price * req.nodes,
    cpus,
    memoryGb,
  };
}
