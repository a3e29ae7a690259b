/** `kubernetes:` settings of SKYDECK_HOME/config.yaml (SkyPilot's names) and env knobs for timeouts. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { skydeckHome } from '../../util/paths';

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
}

function num(v: unknown, fallback: number): number {
  const n = typeof v === 'string' ? Number(v) : v;
  return typeof n === 'number' && Number.isFinite(n) && n >= 0 ? n : fallback;
}

export function kubernetesSettings(env: NodeJS.ProcessEnv = process.env): KubernetesSettings {
  let k8s: Record<string, unknown> = {};
  try {
    const doc = parseYaml(fs.readFileSync(path.join(skydeckHome(), 'config.yaml'), 'utf8')) as Record<string, unknown> | null;
    if (doc && typeof doc.kubernetes === 'object' && doc.kubernetes) k8s = doc.kubernetes as Record<string, unknown>;
  } catch {
    // no config file: defaults
  }
  const mode = String(env.SKYDECK_K8S_PORTS ?? k8s.ports ?? 'podip').toLowerCase();
  return {
    portsMode: mode === 'loadbalancer' || mode === 'nodeport' ? mode : 'podip',
    provisionTimeoutSeconds: num(env.SKYDECK_K8S_PROVISION_TIMEOUT ?? k8s.provision_timeout, 10),
    launchTimeoutSeconds: num(env.SKYDECK_K8S_LAUNCH_TIMEOUT, 600),
    deleteTimeoutSeconds: num(env.SKYDECK_K8S_DELETE_TIMEOUT, 120),
    apiTimeoutMs: num(env.SKYDECK_K8S_API_TIMEOUT_MS, 5000),
  };
}
