/**
 * `kubernetes:` settings of the SkyPilot configuration in force (engine/config: user, project,
 * task `config:`, `--config`), with `context_configs.<context>` over them as SkyPilot reads it
 * (get_effective_region_config: mappings such as pod_config merged as a pod patch, other values
 * replaced), and env knobs for timeouts (they win: tests and operators set them on purpose).
 */
import { activeConfig } from '../../config/active';
import { mergeK8s } from '../../config/merge';
import { isConfigMap, type ConfigMap } from '../../config/types';
import { parseAllowedNodes, type AllowedNodes } from './allowedNodes';

export type PortsMode = 'podip' | 'nodeport' | 'loadbalancer';

export interface KubernetesSettings {
  /** How openPorts exposes ports (`kubernetes.ports`); default podip (reachable inside the cluster). */
  portsMode: PortsMode;
  /** Seconds a pod may stay unschedulable before the launch fails over (`kubernetes.provision_timeout`, default 10 as SkyPilot). */
  provisionTimeoutSeconds: number;
  /** Seconds to wait for pods to run (image pulls) and to disappear on down. */
  launchTimeoutSeconds: number;
  deleteTimeoutSeconds: number;
  /** Timeout of a single API call from check/availability. */
  apiTimeoutMs: number;
  /** `kubernetes.pod_config`: merged into every pod (podSpec.ts). */
  podConfig?: ConfigMap;
  /** `kubernetes.custom_metadata`: labels/annotations merged into every pod's metadata. */
  customMetadata?: ConfigMap;
  /** `kubernetes.namespace`: where the pods go, over the context's own namespace. */
  namespace?: string;
  /** `kubernetes.set_pod_resource_limits`: cpu/memory limits = requests x this (true: 1); unset or false: requests only. */
  resourceLimitsMultiplier?: number;
  /** `kubernetes.post_provision_runcmd`: shell commands run in every new pod once it runs, before SkyDeck's setup. */
  postProvisionRuncmd: string[];
  /** `kubernetes.remote_identity` (default SERVICE_ACCOUNT, as SkyPilot): the pods' service account. */
  remoteIdentity: string;
  /** `kubernetes.allowed_nodes`: the nodes pods may use (allowedNodes.ts); unset: all. */
  allowedNodes?: AllowedNodes;
}

/** SkyPilot's default for Kubernetes (`schemas.get_default_remote_identity('kubernetes')`). */
export const DEFAULT_REMOTE_IDENTITY = 'SERVICE_ACCOUNT';

function limitsMultiplier(v: unknown): number | undefined {
  if (v === true) return 1;
  return typeof v === 'number' && Number.isFinite(v) && v >= 1 ? v : undefined;
}

function num(v: unknown, fallback: number): number {
  const n = typeof v === 'string' ? Number(v) : v;
  return typeof n === 'number' && Number.isFinite(n) && n >= 0 ? n : fallback;
}

/** The `kubernetes:` block with `context_configs.<context>` applied (SkyPilot's per-context rule). */
function kubernetesBlock(config: ConfigMap, context?: string): ConfigMap {
  const general = isConfigMap(config.kubernetes) ? structuredClone(config.kubernetes) : {};
  const perContext = context && isConfigMap(general.context_configs) ? general.context_configs[context] : undefined;
  delete general.context_configs;
  if (!isConfigMap(perContext)) return general;
  for (const [k, v] of Object.entries(perContext)) {
    const have = general[k];
    if (isConfigMap(v) && isConfigMap(have)) mergeK8s(have, structuredClone(v));
    else general[k] = structuredClone(v);
  }
  return general;
}

export function kubernetesSettings(env: NodeJS.ProcessEnv = process.env, context?: string, config: ConfigMap = activeConfig(env)): KubernetesSettings {
  const k8s = kubernetesBlock(config, context);
  const mode = String(env.SKYDECK_K8S_PORTS ?? k8s.ports ?? 'podip').toLowerCase();
  return {
    portsMode: mode === 'loadbalancer' || mode === 'nodeport' ? mode : 'podip',
    provisionTimeoutSeconds: num(env.SKYDECK_K8S_PROVISION_TIMEOUT ?? k8s.provision_timeout, 10),
    launchTimeoutSeconds: num(env.SKYDECK_K8S_LAUNCH_TIMEOUT, 600),
    deleteTimeoutSeconds: num(env.SKYDECK_K8S_DELETE_TIMEOUT, 120),
    apiTimeoutMs: num(env.SKYDECK_K8S_API_TIMEOUT_MS, 5000),
    ...(isConfigMap(k8s.pod_config) ? { podConfig: k8s.pod_config } : {}),
    ...(isConfigMap(k8s.custom_metadata) ? { customMetadata: k8s.custom_metadata } : {}),
    ...(typeof k8s.namespace === 'string' && k8s.namespace ? { namespace: k8s.namespace } : {}),
    resourceLimitsMultiplier: limitsMultiplier(k8s.set_pod_resource_limits),
    postProvisionRuncmd: Array.isArray(k8s.post_provision_runcmd) ? k8s.post_provision_runcmd.filter((c): c is string => typeof c === 'string') : [],
    remoteIdentity: typeof k8s.remote_identity === 'string' && k8s.remote_identity ? k8s.remote_identity : DEFAULT_REMOTE_IDENTITY,
    allowedNodes: parseAllowedNodes(k8s.allowed_nodes),
  };
}
