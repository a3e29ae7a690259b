/**
 * Which config keys SkyDeck acts on, and a warning for every other key that is set: a key that
 * would change what SkyPilot does must never be dropped without a word. A key is listed here
 * only when the code that reads it exists (named beside it) and a test checks its effect.
 */
import { getPath } from './merge';
import { formatOrigin, isConfigMap, pathKey, type ConfigMap, type ConfigWarning, type Origin, type Origins } from './types';

/** Honoured keys (a key honours everything under it) and who reads them. */
export const HONOURED_KEYS: Record<string, string> = {
  allowed_clouds: 'engine/infra/detection.ts: infra the optimizer may use',
  'kubernetes.allowed_contexts': 'engine/infra/kubernetes/detect.ts: kubeconfig contexts used',
  'kubernetes.pod_config': 'engine/infra/kubernetes/podSpec.ts: merged into every pod',
  'kubernetes.custom_metadata': 'engine/infra/kubernetes/podSpec.ts: labels/annotations of every pod',
  'kubernetes.provision_timeout': 'engine/infra/kubernetes/config.ts: unschedulable grace before failover',
  'kubernetes.ports': 'engine/infra/kubernetes/config.ts: how ports are exposed',
  'aws.labels': "engine/infra/aws/awsProvider.ts: tags of every instance (the task's labels win)",
  'aws.vpc_name': 'engine/infra/aws/awsProvider.ts: VPC (by Name tag) and its subnets; regions without it are skipped',
  'aws.security_group_name': 'engine/infra/aws/network.ts: the shared security group of the instances (or per cluster-name glob), kept at teardown',
  'gcp.vpc_name': 'engine/infra/gcp/gcpProvider.ts: network of the instances and of the ports firewall rule',
  'gcp.labels': "engine/infra/gcp/gcpProvider.ts: labels of every instance (the task's labels win)",
  'azure.labels': "engine/infra/azure/azureProvider.ts: tags of every VM (the task's labels win)",
  'provision.ssh_timeout': 'engine/vmShared/sshWait.ts: how long one SSH probe of a new VM may take',
  'docker.run_options': 'engine/cluster/containers.ts: appended to the `docker run` of every node container (local, SSH pools, VM clouds)',
  'jobs.controller.resources': 'engine/controllers/resources.ts: where the managed jobs controller cluster runs',
  'jobs.controller.autostop': 'engine/controllers/resources.ts: the jobs controller cluster autostop',
  'jobs.controller.consolidation_mode': 'engine/controllers/placement.ts: true runs the jobs controller on this machine',
  'serve.controller.resources': 'engine/controllers/resources.ts: where the serve controller cluster runs',
  'serve.controller.consolidation_mode': 'engine/controllers/placement.ts: true runs serve controllers on this machine',
  'kubernetes.context_configs': 'engine/infra/kubernetes/config.ts: per-context pod_config, custom_metadata, provision_timeout, ports',
  'aws.use_internal_ips': 'engine/config/networking.ts + engine/infra/aws/awsProvider.ts: no public IP; nodes reached on their private IPs',
  'aws.ssh_proxy_command':
    'engine/config/networking.ts + engine/node/ssh.ts: ProxyCommand of every SSH connection (and ssh config entry); a {region: cmd} mapping limits the regions',
  'gcp.use_internal_ips': 'engine/config/networking.ts + engine/infra/gcp/gcpProvider.ts: no external IP; nodes reached on their internal IPs',
  'gcp.force_enable_external_ips': 'engine/infra/gcp/gcpProvider.ts: external IPs kept with use_internal_ips',
  'gcp.ssh_proxy_command':
    'engine/config/networking.ts + engine/node/ssh.ts: ProxyCommand of every SSH connection (and ssh config entry); a {region: cmd} mapping limits the regions',
  'gcp.remote_identity':
    'engine/infra/gcp/remoteIdentity.ts: the service account attached to the instances (SERVICE_ACCOUNT, an email) and what the head autodowns with (engine/infra/gcp/autodown.ts)',
  'gcp.enable_gvnic': 'engine/infra/gcp/gcpProvider.ts: GVNIC network interfaces',
  'gcp.placement_policy': 'engine/infra/gcp/gcpProvider.ts: compact -> a COLLOCATED resource policy every instance names, deleted with the cluster',
  'azure.use_internal_ips': 'engine/config/networking.ts + engine/infra/azure/azureProvider.ts: no public IP; nodes reached on their private IPs',
  'azure.ssh_proxy_command':
    'engine/config/networking.ts + engine/node/ssh.ts: ProxyCommand of every SSH connection (and ssh config entry); a {region: cmd} mapping limits the regions',
};

/** Keys SkyPilot's API server reads and SkyDeck, having none, has no use for. */
const SERVER_ONLY = new Set(['api_server', 'db', 'rbac', 'dashboard', 'daemons', 'workspace']);

function honoured(path: string[]): 'yes' | 'partly' | 'no' {
  const dotted = path.join('.');
  for (const k of Object.keys(HONOURED_KEYS)) {
    if (dotted === k || dotted.startsWith(`${k}.`)) return 'yes';
    if (k.startsWith(`${dotted}.`)) return 'partly';
  }
  return 'no';
}

/** The origin of the value at `path`: its own, else the nearest enclosing key's (a `--config a.b={...}`). */
export function originOf(origins: Origins, path: string[]): Origin | undefined {
  for (let n = path.length; n >= 1; n--) {
    const o = origins.get(pathKey(path.slice(0, n)));
    if (o?.length) return o[o.length - 1];
  }
  return undefined;
}

function firstLeafOrigin(origins: Origins, path: string[]): Origin | undefined {
  const prefix = pathKey(path).slice(0, -1);
  for (const [k, v] of origins) if ((k === pathKey(path) || k.startsWith(`${prefix},`)) && v.length) return v[0];
  return originOf(origins, path);
}

function why(path: string[]): string {
  const top = path[0];
  if (SERVER_ONLY.has(top)) return "it configures SkyPilot's API server, which SkyDeck does not run";
  if (top === 'jobs' || top === 'serve') return `SkyDeck's ${top === 'jobs' ? 'managed jobs' : 'serve'} controller does not act on it`;
  return 'SkyDeck does not act on it yet';
}

/** One warning per unhonoured key that is set (the highest such key of a subtree). */
export function unhonouredWarnings(config: ConfigMap, origins: Origins): ConfigWarning[] {
  const out: ConfigWarning[] = [];
  const walk = (path: string[]) => {
    const state = honoured(path);
    if (state === 'yes') return;
    const v = getPath(config, path);
    // A top-level block is named by its keys (`docker.run_options`, `aws.vpc_name`), not as a whole.
    if ((state === 'partly' || path.length === 1) && isConfigMap(v) && Object.keys(v).length) {
      for (const k of Object.keys(v)) walk([...path, k]);
      return;
    }
    const key = path.join('.');
    const origin = firstLeafOrigin(origins, path) ?? { source: 'config' };
    out.push({ key, origin, message: `Config key '${key}' (${formatOrigin(origin)}) is not honoured by SkyDeck: ${why(path)}. It has no effect.` });
  };
  for (const k of Object.keys(config)) walk([k]);
  return out;
}
