/**
 * Which infra looks usable, asked of each provider's `detect.ts` (SDK-free: environment,
 * credential files, kubeconfig, node pools), then filtered by `allowed_clouds`. The optimizer
 * plans over this; `skydeck check` shows the same rows and confirms them with each provider's
 * check(). Providers never import each other, so this table lives beside the registry.
 */
import { activeConfig } from '../config/active';
import type { ConfigMap } from '../config/types';
import type { InfraDetection } from './provider';
import { detect as detectLocal } from './local/detect';
import { detect as detectSsh } from './ssh/detect';
import { detect as detectKubernetes } from './kubernetes/detect';
import { detect as detectAws } from './aws/detect';
import { detect as detectGcp } from './gcp/detect';
import { detect as detectAzure } from './azure/detect';

export type { InfraDetection } from './provider';
export { detectKubernetes };

type Env = NodeJS.ProcessEnv;

/** The cloud an infra string belongs to, in `allowed_clouds` terms. */
function cloudOf(infra: string): string {
  const head = infra.split('/')[0];
  return head === 'k8s' ? 'kubernetes' : head;
}

/** Whether `allowed_clouds` (when set) lets the optimizer use `infra`. `local` is SkyDeck's own, not a SkyPilot cloud, so it stays. */
export function infraAllowed(infra: string, config: ConfigMap = activeConfig()): boolean {
  const allowed = config.allowed_clouds;
  if (!Array.isArray(allowed) || infra === 'local') return true;
  return allowed.some((c) => String(c).toLowerCase() === cloudOf(infra));
}

/** One VM cloud's detection, before `allowed_clouds` (its storage is reachable whatever the optimizer may use). */
export function detectCloud(cloud: 'aws' | 'gcp' | 'azure', env: Env = process.env): InfraDetection {
  return { aws: detectAws, gcp: detectGcp, azure: detectAzure }[cloud](env)[0];
}

/** Every provider's detection, in the order `check` lists them; `local` is always enabled. */
export function detectInfra(env: Env = process.env): InfraDetection[] {
  const config = activeConfig(env);
  const rows = [...detectLocal(), ...detectAws(env), ...detectGcp(env), ...detectAzure(env), ...detectKubernetes(env, config), ...detectSsh(config)];
  return rows.map((r) =>
    infraAllowed(r.infra, config)
      ? r
      : { ...r, enabled: false, reason: `Not in allowed_clouds (${(config.allowed_clouds as string[]).join(', ') || 'empty'}) of the SkyPilot config.` },
  );
}

/** The `enabledInfra` list for optimize(): 'local', clouds with credentials, 'k8s/<ctx>', 'ssh/<pool>'. */
export function enabledInfra(env: Env = process.env): string[] {
  return detectInfra(env)
    .filter((d) => d.enabled)
    .map((d) => d.infra);
}
