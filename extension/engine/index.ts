/**
 * The extension's one door to the engine. Nothing here is evaluated at activation:
 * cluster verbs load the cluster engine in-process with a lazy `import()` on first use
 * (typed progress, cancellation, live log streaming); managed jobs, services, GPUs and
 * infra checks go through the CLI's JSON contract (design.md), which keeps their
 * controllers, catalogs and SDKs out of the extension host entirely.
 */
import * as path from 'node:path';
import type { ClusterEngine, ClusterJob, ClusterRecord } from '../../engine/cluster/types';
import { cliJson, extensionRootDir } from './cli';

type EngineBundle = typeof import('./bundle');
declare const SKYDECK_BUNDLED: boolean | undefined;
let bundlePromise: Promise<EngineBundle> | undefined;

/**
 * The engine bundle (dist/extension-engine.js), required by path on first use so it is
 * neither part of dist/extension.js nor evaluated at activation. From source (tsx), the
 * modules are imported directly.
 */
export function engineBundle(): Promise<EngineBundle> {
  bundlePromise ??=
    typeof SKYDECK_BUNDLED !== 'undefined' && SKYDECK_BUNDLED
      ? Promise.resolve().then(() => require(path.join(extensionRootDir(), 'dist', 'extension-engine.js')) as EngineBundle)
      : import('./bundle');
  return bundlePromise;
}

/** The in-process cluster engine (engine/cluster `clusters`). */
export async function clusterEngine(): Promise<ClusterEngine> {
  return (await engineBundle()).clusters;
}

/** Cluster records straight from the store. */
export async function listClusters(): Promise<ClusterRecord[]> {
  return (await engineBundle()).listClusters();
}

export async function clusterQueue(name: string): Promise<ClusterJob[]> {
  return (await clusterEngine()).queue(name, { skipFinished: false });
}

/** `jobs queue --json` rows (design.md: at least id, name, status, recoveries, cluster). */
export interface ManagedJobRow {
  id: number;
  name?: string;
  status: string;
  recoveries: number;
  cluster?: string;
  submittedAt?: number;
  startedAt?: number;
  endedAt?: number;
  durationSeconds?: number;
  infra?: string;
  failureReason?: string;
}

export async function listManagedJobs(): Promise<ManagedJobRow[]> {
  const rows = await cliJson<ManagedJobRow[] | { jobs: ManagedJobRow[] }>(['jobs', 'queue']);
  return Array.isArray(rows) ? rows : (rows.jobs ?? []);
}

/** `serve status --json` (design.md: name, status, endpoint, replicas[id, status, cluster]). */
export interface ServiceRow {
  name: string;
  status: string;
  endpoint?: string | null;
  replicas: { id: number; status: string; cluster?: string; version?: number; endpoint?: string }[];
}

export async function listServices(): Promise<ServiceRow[]> {
  const rows = await cliJson<ServiceRow[] | { services: ServiceRow[] }>(['serve', 'status']);
  return Array.isArray(rows) ? rows : (rows.services ?? []);
}

/** `show-gpus [NAME] --json`: accelerator counts, priced offers (with NAME), and live GPUs on k8s/ssh pools. */
export interface ShowGpusJson {
  accelerators: { name: string; quantities: number[]; clouds: string[] }[];
  offers: GpuOffer[];
  available: { infra: string; accelerator: string; free: number; total: number }[];
}

export interface GpuOffer {
  accelerator: string;
  count: number;
  cloud: string;
  region?: string;
  instanceType?: string;
  vcpus?: number;
  memoryGb?: number;
  price?: number;
  spotPrice?: number;
}

export async function showGpus(name?: string): Promise<ShowGpusJson> {
  const json = await cliJson<Partial<ShowGpusJson>>(name ? ['show-gpus', name] : ['show-gpus']);
  return { accelerators: json.accelerators ?? [], offers: json.offers ?? [], available: json.available ?? [] };
}

type Loose = Record<string, unknown>;
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

export interface InfraRow {
  name: string;
  enabled: boolean;
  reason?: string;
}

export function normaliseCheckRows(json: unknown): InfraRow[] {
  const list: unknown[] = Array.isArray(json)
    ? json
    : json && typeof json === 'object'
      ? Array.isArray((json as Loose).infra)
        ? ((json as Loose).infra as unknown[])
        : Object.entries(json as Loose).map(([name, v]) => (typeof v === 'object' && v ? { name, ...(v as Loose) } : { name, enabled: !!v }))
      : [];
  return list.flatMap((r): InfraRow[] => {
    if (!r || typeof r !== 'object') return [];
    const o = r as Loose;
    const name = str(o.name) ?? str(o.infra) ?? str(o.cloud);
    if (!name) return [];
    return [{ name, enabled: o.enabled === true || o.status === 'enabled' || o.ok === true, reason: str(o.reason) ?? str(o.hint) ?? str(o.message) }];
  });
}

export async function checkInfra(): Promise<InfraRow[]> {
  return normaliseCheckRows(await cliJson<unknown>(['check']));
}

/** `launch TASK --dryrun --json` (design.md). */
export interface PlanCandidate {
  infra: string;
  cloud: string;
  region: string;
  zone?: string;
  instanceType: string;
  accelerators: Record<string, number> | null;
  spot: boolean;
  nodes: number;
  pricePerHour: number;
  costPerHour: number;
}
export interface PlanJson {
  chosen: PlanCandidate[];
  candidates: PlanCandidate[];
}

export async function planTask(file: string, extraArgs: string[] = [], signal?: AbortSignal): Promise<PlanJson> {
  return cliJson<PlanJson>(['launch', file, '--dryrun', ...extraArgs], signal);
}
