/**
 * Candidates on infra that has no catalog: this machine (`local`), SSH node pools and
 * Kubernetes contexts. This machine costs nothing; pods cost what `kubernetes.pricing` of the
 * configuration in force says (engine/config/kubernetesPricing.ts: SkyPilot's rule, per
 * context; SSH pools as SkyPilot's `ssh-<pool>` contexts), else nothing. Kubernetes instance
 * types are SkyPilot's synthetic `4CPU--16GB[--A100:1]`.
 */
import * as os from 'node:os';
import { kubernetesPricing, podHourlyPrice } from '../config/kubernetesPricing';
import type { ResourcesSpec } from '../task/types';
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
  const price = podHourlyPrice(kubernetesPricing(cloud === 'ssh' ? `ssh-${region}` : region), cpus, memoryGb, req.accelerator);
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
