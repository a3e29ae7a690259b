/**
 * The optimizer's contract (implemented in ./index.ts). A plan entry has exactly the
 * shape of `skydeck launch --dryrun --json` (design.md), plus a few fields for the engine.
 */
import type { Task } from '../task/types';

export interface Candidate {
  /** 'cloud/region[/zone]' as SkyPilot writes infra, e.g. 'gcp/us-central1/us-central1-a', 'local/local', 'ssh/mypool'. */
  infra: string;
  cloud: string;
  region: string;
  zone?: string;
  /** Zones of the region the provisioner may try, in order (on-demand candidates are per region). */
  zones?: string[];
  instanceType: string;
  accelerators: Record<string, number> | null;
  spot: boolean;
  nodes: number;
  /** Per node-hour, USD (GCP: host + attached accelerators). */
  pricePerHour: number;
  /** pricePerHour x nodes. */
  costPerHour: number;
  cpus?: number;
  memoryGb?: number;
  /** Index into the task's any_of / ordered candidates, when it has them. */
  resourcesIndex?: number;
}

export interface Plan {
  chosen: Candidate;
  /** Every feasible candidate considered, cheapest first (the plan table). */
  candidates: Candidate[];
}

export interface OptimizeOptions {
  /** Infra usable now: provider names ('local', 'aws', ...) or 'k8s/<ctx>', 'ssh/<pool>'. Ignored with allInfra. */
  enabledInfra: string[];
  /** Plan over every cloud in the catalog as if all had credentials. */
  allInfra?: boolean;
  /** Blocklist entries 'cloud', 'cloud/region', 'cloud/region/zone' (failover, recovery). */
  blocked?: string[];
  /** Per cloud, the only regions it may use, and why (a `{region: command}` ssh_proxy_command). */
  regionLimits?: Record<string, { regions: string[]; why: string }>;
}

export type Optimize = (task: Task, options: OptimizeOptions) => Plan;
