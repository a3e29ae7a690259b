/**
 * The blocks of SkyPilot's config (get_config_schema()'s properties), apart from the schema
 * around them (configSchema.ts) so the task's `config:` block (taskSchema.ts) can take the keys a
 * task may override without an import cycle.
 */
import { ciEnum, type JSONSchema } from './jsonSchema';
import { CLOUDS } from '../values';

/** Clouds `allowed_clouds` may name for their object storage only (no compute in SkyPilot's registry). */
const STORAGE_ONLY_CLOUDS = ['cloudflare', 'coreweave'];

const obj = (description: string, properties: Record<string, JSONSchema>, extra: Partial<JSONSchema> = {}): JSONSchema => ({
  type: 'object',
  description,
  additionalProperties: false,
  properties,
  ...extra,
});
const open = (description: string, examples: unknown[] = [{}]): JSONSchema => ({ type: 'object', description, additionalProperties: true, examples });
const s = (description: string, examples: unknown[], extra: Partial<JSONSchema> = {}): JSONSchema => ({ type: 'string', description, examples, ...extra });
const b = (description: string): JSONSchema => ({ type: 'boolean', description, examples: [true, false] });
const int = (description: string, examples: number[], extra: Partial<JSONSchema> = {}): JSONSchema => ({ type: 'integer', description, examples, ...extra });
const strOrNull = (description: string, examples: unknown[], extra: Partial<JSONSchema> = {}): JSONSchema => ({
  anyOf: [{ type: 'string', ...extra }, { type: 'null' }],
  description,
  examples,
});
const strOrList = (description: string, examples: unknown[]): JSONSchema => ({
  anyOf: [{ type: 'string' }, { type: 'null' }, { type: 'array', items: { type: 'string' } }],
  description,
  examples,
});
const stringMap = (description: string, examples: unknown[]): JSONSchema => ({
  type: 'object',
  additionalProperties: { type: 'string' },
  description,
  examples,
});
const stringList = (description: string, examples: unknown[]): JSONSchema => ({ type: 'array', items: { type: 'string' }, description, examples });

/** A value, or `[{cluster-name-glob: value}, ...]` (SkyPilot's _PROPERTY_NAME_OR_CLUSTER_NAME_TO_PROPERTY). */
const perCluster = (description: string, examples: unknown[]): JSONSchema => ({
  anyOf: [
    { type: 'string', minLength: 1 },
    { type: 'array', items: { type: 'object', additionalProperties: { type: 'string', minLength: 1 }, minProperties: 1, maxProperties: 1 } },
  ],
  description,
  examples,
});

/** SkyPilot's _NETWORK_CONFIG_SCHEMA and _LABELS_SCHEMA, shared by aws, gcp and azure. */
const network = (cloud: string): Record<string, JSONSchema> => ({
  use_internal_ips: b(`Reach ${cloud} nodes on their private IPs only (needs ssh_proxy_command from outside the network).`),
  ssh_proxy_command: {
    anyOf: [{ type: 'string' }, { type: 'null' }, { type: 'object', additionalProperties: { anyOf: [{ type: 'string' }, { type: 'null' }] } }],
    description: 'ProxyCommand used to reach the nodes, or {region: command} (only the listed regions are then used).',
    examples: ['ssh -W %h:%p -i ~/.ssh/bastion.pem ec2-user@bastion', { 'us-east-1': 'ssh -W %h:%p bastion-east' }],
  },
  labels: stringMap(`Tags/labels put on every ${cloud} instance.`, [{ team: 'ml', project: 'llm' }]),
  capabilities: { type: 'array', items: ciEnum(['compute', 'storage']), description: 'What SkyPilot may use this cloud for.', examples: [['compute']] },
});

const reservations: Record<string, JSONSchema> = {
  prioritize_reservations: b('Prefer capacity reservations when choosing a zone.'),
  specific_reservations: stringList('Reservations SkyPilot may use.', [['my-reservation']]),
};

const aws: JSONSchema = obj('AWS options.', {
  ...reservations,
  disk_encrypted: b('Encrypt the boot disk.'),
  ssh_user: s('SSH user on the instances.', ['ubuntu']),
  security_group_name: perCluster('Security group to use (created if missing), or per cluster-name glob.', [
    'my-sg',
    [{ 'train-*': 'train-sg' }, { '*': 'default-sg' }],
  ]),
  vpc_name: strOrNull('VPC (by Name tag) to launch into.', ['my-vpc']),
  vpc_names: strOrList('VPCs to launch into.', [['vpc-a', 'vpc-b']]),
  subnet_names: strOrList('Subnets to launch into.', [['subnet-a']]),
  use_ssm: b('Reach nodes through AWS Systems Manager.'),
  post_provision_runcmd: {
    type: 'array',
    items: { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] },
    description: 'Commands run on each node after provisioning.',
    examples: [['echo ready']],
  },
  remote_identity: perCluster('IAM identity of the nodes: LOCAL_CREDENTIALS, SERVICE_ACCOUNT, NO_UPLOAD or an instance profile.', ['LOCAL_CREDENTIALS']),
  ...network('AWS'),
});

const gcp: JSONSchema = obj('GCP options.', {
  ...reservations,
  managed_instance_group: obj(
    'Provision through a managed instance group (DWS).',
    { run_duration: int('Seconds the instances may run.', [3600]), provision_timeout: int('Seconds to wait for capacity.', [900]) },
    { required: ['run_duration'], examples: [{ run_duration: 3600 }] },
  ),
  force_enable_external_ips: b('Give nodes external IPs even with use_internal_ips.'),
  enable_gvnic: b('Use gVNIC network interfaces.'),
  enable_gpu_direct: b('Use GPUDirect networking.'),
  placement_policy: s('Placement policy.', ['compact']),
  vpc_name: strOrNull('VPC to launch into: name or project-id/name.', ['my-vpc'], { pattern: '^(?:[-a-z0-9]+/)?[-a-z0-9]+$' }),
  subnet_names: strOrList('Subnets to launch into.', [['subnet-a']]),
  remote_identity: perCluster('Identity of the nodes: LOCAL_CREDENTIALS, SERVICE_ACCOUNT, NO_UPLOAD or a service account email (or per cluster-name glob).', [
    'LOCAL_CREDENTIALS',
  ]),
  ...network('GCP'),
});

const azure: JSONSchema = obj('Azure options.', {
  storage_account: s('Storage account.', ['mystorageaccount']),
  resource_group_vm: s('Resource group of the VMs.', ['my-rg']),
  vpc_name: strOrNull('Virtual network to launch into.', ['my-vnet']),
  remote_identity: perCluster('Identity of the nodes.', ['LOCAL_CREDENTIALS']),
  ...network('Azure'),
});

/** SkyPilot's _CONTEXT_CONFIG_SCHEMA_MINIMAL: what kubernetes, its context_configs and ssh share. */
const podKeys: Record<string, JSONSchema> = {
  pod_config: open('Pod spec merged into every pod (lists such as volumes and env are merged by name; containers[0] is merged).', [
    { spec: { priorityClassName: 'high' } },
  ]),
  provision_timeout: int('Seconds a pod may stay unschedulable before the launch fails over.', [600]),
  custom_metadata: {
    type: 'object',
    additionalProperties: true,
    description: 'Labels and annotations added to every object created (not name or namespace).',
    examples: [{ labels: { team: 'ml' }, annotations: { owner: 'me' } }],
  },
};

const pricing: JSONSchema = obj('Prices of virtual instance types.', {
  cpu: { type: 'number', description: '$ per vCPU-hour.', examples: [0.03] },
  memory: { type: 'number', description: '$ per GB-hour.', examples: [0.004] },
  accelerators: { type: 'object', additionalProperties: { type: 'number' }, description: '$ per accelerator-hour by name.', examples: [{ H100: 2.5 }] },
});

const kubernetesContext: Record<string, JSONSchema> = {
  ...podKeys,
  allowed_nodes: obj('Nodes pods may run on.', {
    label_selector: stringMap('Node labels.', [{ pool: 'gpu' }]),
    names: stringList('Node names.', [['node-1']]),
    ips: stringList('Node IPs.', [['10.0.0.5']]),
  }),
  networking: ciEnum(['portforward', 'nodeport'], { description: 'How SkyPilot reaches pods.', examples: ['portforward'] }),
  ports: ciEnum(['loadbalancer', 'ingress', 'podip'], { description: 'How ports are exposed.', examples: ['loadbalancer'] }),
  namespace: s('Namespace of the pods.', ['default']),
  autoscaler: ciEnum(['gke', 'karpenter', 'coreweave', 'nebius', 'generic'], { description: 'Cluster autoscaler in use.', examples: ['gke'] }),
  high_availability: obj('Controller high availability.', { storage_class_name: s('Storage class of the controller volume.', ['standard']) }),
  kueue: obj('Kueue.', { local_queue_name: s('Local queue to submit to.', ['team-queue']) }),
  quota: obj('Quota.', { queue: s('Queue name.', ['team']) }),
  dws: obj('GKE Dynamic Workload Scheduler.', {
    enabled: b('Use DWS.'),
    max_run_duration: {
      anyOf: [{ type: 'string', pattern: '^[0-9]+[mhdw]?$' }, { type: 'integer' }],
      description: 'Longest run (30m, 2h or minutes).',
      examples: ['2h'],
    },
  }),
  remote_identity: {
    anyOf: [{ type: 'string' }, { type: 'object', additionalProperties: { type: 'string' } }],
    description: 'Service account of the pods, or SERVICE_ACCOUNT / LOCAL_CREDENTIALS / NO_UPLOAD (or per context).',
    examples: ['SERVICE_ACCOUNT'],
  },
  post_provision_runcmd: stringList('Commands run in each pod after it starts.', [['echo ready']]),
  apt_mirrors: {
    type: 'array',
    items: { type: 'string', pattern: '^[a-zA-Z0-9.-]+$' },
    description: 'apt mirrors to use.',
    examples: [['mirror.example.com']],
  },
  set_pod_resource_limits: {
    anyOf: [{ type: 'boolean' }, { type: 'number', minimum: 1 }],
    description: 'Set limits equal to requests (true), or requests times this factor.',
    examples: [true, 1.5],
  },
  pricing,
  auto_mounts: {
    type: 'array',
    items: obj(
      'A volume mounted into every pod.',
      { volume_name: s('Volume.', ['shared']), mount_paths: stringList('Paths.', [['/data']]) },
      { required: ['volume_name', 'mount_paths'] },
    ),
    description: 'Volumes mounted into every pod.',
    examples: [[{ volume_name: 'shared', mount_paths: ['/data'] }]],
  },
  enable_docker: b('Allow docker inside the pods.'),
};

const kubernetes: JSONSchema = obj('Kubernetes options.', {
  allowed_contexts: {
    anyOf: [
      { type: 'array', items: { type: 'string' } },
      { type: 'string', pattern: '^all$' },
    ],
    description: 'kubeconfig contexts SkyPilot may use (default: the current one), or all.',
    examples: [['my-cluster', 'other-cluster'], 'all'],
  },
  context_configs: {
    type: 'object',
    additionalProperties: obj('Options for this context.', kubernetesContext),
    description: 'Per-context options, keyed by context name; merged over the ones above.',
    examples: [{ 'my-context': { provision_timeout: 900 } }],
  },
  ...kubernetesContext,
});

const ssh: JSONSchema = obj('SSH node pool options.', {
  allowed_node_pools: stringList('Node pools SkyPilot may use.', [['my-pool']]),
  context_configs: {
    type: 'object',
    additionalProperties: obj('Options for this pool.', podKeys),
    description: 'Per-pool options.',
    examples: [{ 'my-pool': { provision_timeout: 60 } }],
  },
  remote_identity: s('Identity of the nodes.', ['LOCAL_CREDENTIALS']),
  ...podKeys,
});

const controller: JSONSchema = {
  type: 'object',
  description: 'Controller options.',
  additionalProperties: true,
  properties: {
    controller: obj('The controller.', {
      resources: {
        $ref: '#/definitions/resources',
        description: "Resources of the controller (same as a task's resources, without ports).",
        examples: [{ cpus: '4+', disk_size: 100 }],
      },
      high_availability: b('Run the controller with high availability (Kubernetes).'),
      autostop: {
        anyOf: [{ type: 'boolean' }, { type: 'integer' }, { type: 'string' }, { type: 'object' }],
        description: 'Controller autostop.',
        examples: [{ idle_minutes: 10 }, false],
      },
      consolidation_mode: b('Run the controller inside the API server.'),
      controller_logs_gc_retention_hours: int('Hours controller logs are kept.', [168]),
      task_logs_gc_retention_hours: int('Hours task logs are kept.', [168]),
    }),
    bucket: s('Bucket for job files.', ['s3://my-bucket'], { pattern: '^(https|s3|gs|r2|cos)://.+' }),
    force_disable_cloud_bucket: b('Never use a cloud bucket.'),
  },
};

export const configProperties: Record<string, JSONSchema> = {
  workspace: s('Workspace name.', ['default']),
  db: s('Database URL of the API server.', ['postgresql://user:pass@host:5432/sky']),
  jobs: controller,
  serve: controller,
  allowed_clouds: {
    type: 'array',
    // SkyPilot's clouds without SkyDeck's own `local` (always allowed), plus the storage-only clouds.
    items: ciEnum([...CLOUDS.filter((c) => c !== 'local'), ...STORAGE_ONLY_CLOUDS]),
    description: 'Clouds SkyPilot may use (default: all with credentials).',
    examples: [['aws', 'gcp', 'kubernetes']],
  },
  admin_policy: {
    type: 'string',
    anyOf: [{ pattern: '^[a-zA-Z_][a-zA-Z0-9_]*(\\.[a-zA-Z_][a-zA-Z0-9_]*)+$' }, { pattern: '^https?://.*$' }],
    description: 'Admin policy: a Python class path or an http(s) URL.',
    examples: ['mypackage.policy.MyPolicy'],
  },
  docker: obj('Docker options.', {
    run_options: {
      anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }],
      description: 'Extra docker run options.',
      examples: [['--shm-size=16g']],
    },
  }),
  nvidia_gpus: obj('NVIDIA GPU options.', { disable_ecc: b('Disable ECC (reboots the node).') }),
  api_server: obj('API server.', {
    endpoint: s('API server URL.', ['http://localhost:46580'], { pattern: '^https?://.*$' }),
    service_account_token: strOrNull('Service account token.', ['sky_xxxxxxxx'], { pattern: '^sky_.+$' }),
    requests_retention_hours: int('Hours requests are kept.', [24]),
    cluster_event_retention_hours: { type: 'number', description: 'Hours cluster events are kept.', examples: [24] },
    cluster_debug_event_retention_hours: { type: 'number', description: 'Hours debug events are kept.', examples: [720] },
    cluster_terminal_event_retention_hours: { type: 'number', description: 'Hours terminal events are kept.', examples: [720] },
    daemon_log_max_bytes: int('Largest daemon log.', [10000000], { minimum: 0 }),
  }),
  active_workspace: s('Workspace in use.', ['default']),
  workspaces: open('Workspaces and their allowed clouds.', [{ team_a: { gcp: { project_id: 'team-a' } } }]),
  provision: obj('Provisioning.', {
    ssh_timeout: int('Seconds to wait for SSH on a new node.', [10], { minimum: 1 }),
    install_conda: b('Install conda on nodes.'),
  }),
  rbac: open('Role-based access control.', [{ default_role: 'admin' }]),
  logs: obj(
    'Log shipping.',
    {
      store: ciEnum(['gcp', 'aws'], { description: 'Where logs go.', examples: ['gcp'] }),
      gcp: open('GCP Cloud Logging options.'),
      aws: open('CloudWatch options.'),
    },
    { required: ['store'] },
  ),
  daemons: open('Background daemons of the API server.'),
  data: obj('Data options (deprecated).', { mount_cached: obj('Cached mounts.', { sequential_upload: b('Upload sequentially.') }) }),
  dashboard: obj('Dashboard options.', {
    external_links: {
      type: 'array',
      items: obj(
        'A link.',
        { label: s('Label.', ['Grafana'], { minLength: 1 }), regex: s('Regex.', ['.*'], { minLength: 1 }) },
        { required: ['label', 'regex'] },
      ),
      description: 'Links shown in the dashboard.',
      examples: [[{ label: 'Grafana', regex: '.*' }]],
    },
  }),
  aws,
  gcp,
  azure,
  kubernetes,
  ssh,
  slurm: {
    ...open('Slurm options.', [{ allowed_clusters: 'all' }]),
    properties: {
      sbatch_options: open('Extra sbatch options, by option name.', [{ time: '01:00:00' }]),
      cpu_partition: s('Partition for CPU-only jobs.', ['cpu']),
    },
  },
  oci: open('OCI options.', [{ region_configs: {} }]),
  vast: obj('Vast options.', { datacenter_only: b('Only datacenter hosts.'), create_instance_kwargs: open('Extra instance arguments.') }),
  nebius: open('Nebius options.', [{ use_internal_ips: true }]),
  plugins: open('Plugin options.'),
};
