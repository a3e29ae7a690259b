/**
 * Provisioning with failover (skypilot-behavior.md 4.3): optimize, ask the chosen
 * provider to launch; on a ProvisionError add the failed infra to the blocklist at the
 * error's scope (zone, region/pool, cloud) and re-optimize; stop when the optimizer has
 * nothing left. With retryUntilUp, start over after a gap until it works or is cancelled.
 */
import type { ClusterHandle, LaunchRequest, ProvisionError, VolumeAttachment } from '../infra/provider';
import { isProvisionError } from '../infra/provider';
import { getProvider } from '../infra/registry';
import type { Candidate } from '../optimizer/types';
import type { Task } from '../task/types';
import { CancelledError, ResourcesUnavailableError, SkyDeckError } from '../errors';
import { sleep } from '../util/sleep';
import { optimize } from './planner';
import { proxyRegionLimits } from '../config/networking';
import { requiresFuse } from '../storage/spec';

export interface ProvisionOptions {
  clusterName: string;
  nameOnCloud: string;
  enabledInfra: string[];
  blocked?: string[];
  retryUntilUp?: boolean;
  sshPublicKey: string;
  /** The cluster's autostop, when the launch sets one (clouds pick the shutdown behaviour from it). */
  autostop?: { down: boolean };
  signal?: AbortSignal;
  onProgress?: (message: string) => void;
  /** Volumes every node attaches at creation (Kubernetes PVCs). */
  volumes?: VolumeAttachment[];
  /**
   * Called before each provider.launch(): the engine records the cluster (INIT, provisional
   * handle) so that whatever the provider creates is findable even if this process dies.
   */
  beforeLaunch?: (request: LaunchRequest, candidate: Candidate) => Promise<void>;
  /** Called after a candidate's launch failed, before the next is tried: reclaim anything it left. */
  afterFailedLaunch?: (request: LaunchRequest, candidate: Candidate) => Promise<void>;
}

export interface ProvisionOutcome {
  handle: ClusterHandle;
  candidate: Candidate;
}

/** The blocklist entry for a failure of `c` at `scope`. */
export function blockEntry(c: Candidate, err: Pick<ProvisionError, 'scope'>): string {
  switch (err.scope) {
    case 'zone':
      return c.zone ? `${c.cloud}/${c.region}/${c.zone}` : `${c.cloud}/${c.region}`;
    case 'region':
      return `${c.cloud}/${c.region}`;
    default:
      return c.cloud;
  }
}

function retryGapMs(): number {
  return Number(process.env.SKYDECK_RETRY_GAP_SECONDS ?? 30) * 1000;
}

/**
 * The image for `region`: a string applies everywhere; a `{region: image}` map (the optimizer
 * only picks regions it names) gives that region's, its reserved `docker` key a container image.
 */
export function imageForRegion(imageId: string | Record<string, string> | undefined, region: string): string | undefined {
  if (imageId === undefined || typeof imageId === 'string') return imageId;
  return imageId[region] ?? (imageId.docker !== undefined ? `docker:${imageId.docker}` : undefined);
}

export function launchRequest(task: Task, c: Candidate, options: ProvisionOptions): LaunchRequest {
  const acc = c.accelerators ? Object.entries(c.accelerators)[0] : undefined;
  // The chosen any_of/ordered item already carries the shared fields merged under its own.
  const spec = (c.resourcesIndex !== undefined ? task.resources.candidates[c.resourcesIndex] : undefined) ?? task.resources.base;
  return {
    clusterName: options.clusterName,
    nameOnCloud: options.nameOnCloud,
    region: c.region,
    zones: c.zones ?? (c.zone ? [c.zone] : []),
    instanceType: c.instanceType,
    accelerators: acc ? { name: acc[0], count: acc[1] } : undefined,
    useSpot: c.spot,
    numNodes: c.nodes,
    diskSizeGb: spec.diskSizeGb ?? 256,
    diskTier: spec.diskTier,
    imageId: imageForRegion(spec.imageId, c.region),
    ports: spec.ports ?? [],
    labels: spec.labels ?? {},
    sshPublicKey: options.sshPublicKey,
    ...(options.volumes?.length ? { volumes: options.volumes } : {}),
    ...(requiresFuse(task) ? { requiresFuse: true } : {}),
    ...(options.autostop ? { autostop: { down: options.autostop.down } } : {}),
    signal: options.signal,
    onProgress: options.onProgress,
  };
}

export async function provisionWithFailover(task: Task, options: ProvisionOptions): Promise<ProvisionOutcome> {
  const history: string[] = [];
  for (let round = 1; ; round++) {
    const blocked = [...(options.blocked ?? [])];
    for (;;) {
      if (options.signal?.aborted) throw new CancelledError('Launch');
      let chosen: Candidate;
      try {
        chosen = optimize(task, { enabledInfra: options.enabledInfra, blocked, regionLimits: proxyRegionLimits() }).chosen;
      } catch (e) {
        if ((e as SkyDeckError).code !== 'RESOURCES_UNAVAILABLE') throw e;
        break;
      }
      options.onProgress?.(`Launching on ${chosen.infra} (${chosen.instanceType}${chosen.nodes > 1 ? `, ${chosen.nodes} nodes` : ''}).`);
      const request = launchRequest(task, chosen, options);
      await options.beforeLaunch?.(request, chosen);
      try {
        const provider = await getProvider(chosen.cloud);
        const handle = await provider.launch(request);
        return { handle, candidate: chosen };
      } catch (e) {
        if (!isProvisionError(e) || options.signal?.aborted) throw options.signal?.aborted ? new CancelledError('Launch') : e;
        await options.afterFailedLaunch?.(request, chosen);
        const entry = blockEntry(chosen, e);
        blocked.push(entry);
        history.push(`${chosen.infra}: ${e.message}`);
        options.onProgress?.(`Failed on ${chosen.infra}: ${e.message} Blocking ${entry} and trying the next option.`);
      }
    }
    const message =
      history.length === 0
        ? 'No launchable resources found for this task on the enabled infra.'
        : `Failed to provision all possible launchable resources.\n${history.map((h) => `  - ${h}`).join('\n')}`;
    if (!options.retryUntilUp) {
      throw new ResourcesUnavailableError(message, history, { hint: 'Check `skydeck check`, relax the resources, or retry with --retry-until-up.' });
    }
    options.onProgress?.(`Round ${round} failed; retrying in ${retryGapMs() / 1000} s (--retry-until-up).`);
    await sleep(retryGapMs(), options.signal, () => new CancelledError('Launch'));
  }
}
