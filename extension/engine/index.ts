/**
 * The extension's one door to the engine. Nothing here is evaluated at activation:
 * cluster verbs load the cluster engine in-process with a lazy `import()` on first use
 * (typed progress, cancellation, live log streaming); managed jobs, services, GPUs and
 * infra checks go through the CLI's JSON contract (engine/contract/cliJson.ts), which keeps their
 * controllers, catalogs and SDKs out of the extension host entirely.
 */
import * as path from 'node:path';
import type { ClusterEngine, ClusterJob, ClusterRecord } from '../../engine/cluster/types';
import type { CheckRowJson, GpuOfferJson, ManagedJobJson, PlanJson, PlanRowJson, ReplicaJson, ServiceJson, ShowGpusJson } from '../../engine/contract/cliJson';
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

export type { ManagedJobJson, ServiceJson, ReplicaJson, ShowGpusJson, GpuOfferJson, CheckRowJson, PlanJson, PlanRowJson };

export async function listManagedJobs(): Promise<ManagedJobJson[]> {
  return cliJson<ManagedJobJson[]>(['jobs', 'queue']);
}

export async function listServices(): Promise<ServiceJson[]> {
  return cliJson<ServiceJson[]>(['serve', 'status']);
}

export async function showGpus(name?: string): Promise<ShowGpusJson> {
  return cliJson<ShowGpusJson>(name ? ['show-gpus', name] : ['show-gpus']);
}

export async function checkInfra(): Promise<CheckRowJson[]> {
  return cliJson<CheckRowJson[]>(['check']);
}

export async function planTask(file: string, extraArgs: string[] = [], signal?: AbortSignal): Promise<PlanJson> {
  return cliJson<PlanJson>(['launch', file, '--dryrun', ...extraArgs], signal);
}
