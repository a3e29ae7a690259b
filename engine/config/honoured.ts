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
  'serve.controller.autostop': 'engine/controllers/resources.ts + hold.ts: the serve controller cluster autostop, held off while a service exists',
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
  'aws.remote_identity':
    "engine/infra/aws/remoteIdentity.ts: the instances' IAM instance profile (per cluster-name glob); engine/controllers/cloudCredentials.ts: AWS files withheld from controllers",
  'aws.disk_encrypted': 'engine/infra/aws/instances.ts: an encrypted root volume',
  'aws.ssh_user': 'engine/infra/aws/userData.ts: the login user, created by cloud-init with the cluster key',
  'aws.post_provision_runcmd': "engine/infra/aws/userData.ts: cloud-init's runcmd on every node at first boot",
  'kubernetes.remote_identity':
    "engine/infra/kubernetes/podSpec.ts + serviceAccount.ts: the pods' service account (SERVICE_ACCOUNT: skypilot-service-account, created with a Role and RoleBinding); engine/controllers/cloudCredentials.ts: NO_UPLOAD copies no kubeconfig",
  'kubernetes.namespace': "engine/infra/kubernetes/kubernetesProvider.ts: the namespace of the pods and volumes, over the context's",
  'kubernetes.set_pod_resource_limits': 'engine/infra/kubernetes/podSpec.ts: cpu/memory limits = requests (true) or requests x the number',
  'kubernetes.post_provision_runcmd': "engine/infra/kubernetes/postProvision.ts: commands run in every new pod before SkyDeck's set-up",
  'kubernetes.pricing':
    "engine/config/kubernetesPricing.ts -> engine/optimizer/nonCatalog.ts: the optimizer's price of Kubernetes pods (and SSH pools, SkyPilot's ssh-<pool> contexts)",
  'kubernetes.allowed_nodes':
    'engine/infra/kubernetes/allowedNodes.ts: the nodes pods may land on (node affinity), and the nodes GPUs are looked for and counted on',
  'ssh.allowed_node_pools': 'engine/infra/ssh/detect.ts: the SSH node pools enabled as infra (the others disabled, with the reason)',
  'data.mount_cached.sequential_upload': 'engine/storage/mountCachedConfig.ts -> attach.ts: MOUNT_CACHED uploads one file at a time (rclone --transfers 1)',
  'provision.install_conda': 'engine/node/conda.ts: true installs Miniconda on every node at bring-up (unless conda is there); unset or false: none',
  'azure.remote_identity':
    "engine/infra/azure/nodeCredential.ts + azureProvider.ts: the head's autostop credential (the user's, the cluster's own managed identity, a named one, or none), per cluster-name glob",
  'azure.vpc_name':
    "engine/infra/azure/vnet.ts + azureProvider.ts: the existing virtual network (`vnet` or `resource-group/vnet`) whose first subnet the VMs' NICs join; never created or deleted",
};

/** Why a key is not acted on, where more can be said than the generic reason. */
const NOT_HONOURED_BECAUSE: Record<string, string> = {
  'kubernetes.networking':
    "SkyDeck reaches pods through the Kubernetes API server's exec tunnel, never through a NodePort or a port-forward, so the networking mode has nothing to choose",
  'kubernetes.high_availability': "SkyDeck's controllers are not Kubernetes deployments with a persistent volume, so there is nothing to make highly available",
  'kubernetes.autoscaler':
    'SkyDeck places GPU pods by the labels of the nodes that exist, and does not wait for a cluster autoscaler to add one (raise kubernetes.provision_timeout to give it time)',
  'ssh.pod_config': 'SkyDeck runs SSH node pools directly over SSH, not as Kubernetes pods',
  'ssh.custom_metadata': 'SkyDeck runs SSH node pools directly over SSH, not as Kubernetes pods',
};

/** Keys SkyPilot's API server reads and SkyDeck, having none, has no use for. */
const SERVER_ONLY = new Set(['api_server', 'db', 'rbac', 'dashboard', 'daemons', 'workspace']);

/** `kubernetes.context_configs.<ctx>.<key>` is `kubernetes.<key>` for one context: honoured (or not) as that key is. */
function asGeneralKey(path: string[]): string[] | 'context' | undefined {
  if (path[0] !== 'kubernetes' || path[1] !== 'context_configs') return undefined;
  return path.length <= 3 ? 'context' : ['kubernetes', ...path.slice(3)];
}

function honoured(path: string[]): 'yes' | 'partly' | 'no' {
  const general = asGeneralKey(path);
  if (general === 'context') return 'partly';
  if (general) path = general;
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
  const general = asGeneralKey(path);
  const specific = NOT_HONOURED_BECAUSE[(Array.isArray(general) ? general : path).join('.')];
  if (specific) return specific;
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
