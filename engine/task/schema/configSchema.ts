/**
 * `~/.sky/config.yaml` / `.sky.yaml` (SkyPilot's get_config_schema(), skypilot-behavior.md 1.8),
 * source of schemas/config.schema.json. Top-level keys are checked; per-cloud blocks list their
 * common keys and stay open (SkyPilot allows plugin keys client-side).
 */
import { ciEnum, type JSONSchema } from './jsonSchema';
import { taskSchema } from './taskSchema';

const open = (description: string, properties: Record<string, JSONSchema> = {}): JSONSchema => ({ type: 'object', description, additionalProperties: true, properties });
const s = (description: string, examples: unknown[] = []): JSONSchema => ({ type: 'string', description, examples });
const b = (description: string): JSONSchema => ({ type: 'boolean', description, examples: [true, false] });

const controller: JSONSchema = open('Controller options.', {
  resources: { $ref: '#/definitions/resources', description: 'Resources of the controller VM.', examples: [{ cpus: '4+' }] },
  high_availability: b('Run the controller with high availability (Kubernetes).'),
  autostop: { description: 'Controller autostop.', examples: [10, false] },
  consolidation_mode: b('Run the controller inside the API server.'),
});

export const configSchema: JSONSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'https://skydeck.dev/schemas/config.schema.json',
  title: 'SkyPilot config (~/.sky/config.yaml)',
  description: 'SkyPilot configuration: ~/.sky/config.yaml (user) or .sky.yaml (project).',
  type: 'object',
  additionalProperties: false,
  properties: {
    workspace: s('Workspace name.', ['default']),
    active_workspace: s('Workspace in use.', ['default']),
    workspaces: open('Workspaces and their allowed clouds.'),
    db: s('Database URL of the API server.', ['postgresql://user:pass@host:5432/sky']),
    jobs: open('Managed jobs controller.', { controller, bucket: { type: 'string', pattern: '^(https|s3|gs|r2|cos)://.+', description: 'Bucket for job files.', examples: ['s3://my-bucket'] }, force_disable_cloud_bucket: b('Never use a cloud bucket.') }),
    serve: open('Serve controller.', { controller }),
    allowed_clouds: { type: 'array', items: { type: 'string' }, description: 'Clouds SkyPilot may use.', examples: [['aws', 'gcp']] },
    admin_policy: s('Admin policy: a Python module path or an http(s) URL.', ['mypackage.policy.MyPolicy']),
    docker: open('Docker options.', { run_options: { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }], description: 'Extra docker run options.', examples: [['--shm-size=16g']] } }),
    nvidia_gpus: open('NVIDIA GPU options.', { disable_ecc: b('Disable ECC.') }),
    api_server: open('API server.', { endpoint: s('API server URL.', ['http://localhost:46580']), service_account_token: { type: 'string', pattern: '^sky_.+$', description: 'Service account token.', examples: ['sky_xxxxxxxx'] } }),
    provision: open('Provisioning.', { ssh_timeout: { type: 'integer', description: 'SSH timeout (s).' }, install_conda: b('Install conda on nodes.') }),
    rbac: open('Role-based access control.'),
    logs: open('Log shipping.', { store: ciEnum(['gcp', 'aws'], { description: 'Where logs go.' }) }),
    daemons: open('Background daemons.'),
    data: open('Data options.'),
    dashboard: open('Dashboard options.'),
    aws: open('AWS options.', { ssh_proxy_command: { anyOf: [{ type: 'string' }, { type: 'object', additionalProperties: { type: 'string' } }], description: 'ProxyCommand, or {region: command}.', examples: ['ssh -W %h:%p bastion'] }, use_internal_ips: b('Use private IPs.'), vpc_name: s('VPC name.', ['my-vpc']), labels: { type: 'object', additionalProperties: { type: 'string' }, description: 'Tags on every instance.', examples: [{ team: 'ml' }] } }),
    gcp: open('GCP options.'),
    azure: open('Azure options.'),
    kubernetes: open('Kubernetes options.', {
      allowed_contexts: { anyOf: [{ type: 'array', items: { type: 'string' } }, { const: 'all' }], description: 'Contexts SkyPilot may use, or all.' },
      ports: ciEnum(['loadbalancer', 'ingress', 'podip'], { description: 'How ports are exposed.' }),
      autoscaler: ciEnum(['gke', 'karpenter', 'coreweave', 'nebius', 'generic'], { description: 'Cluster autoscaler in use.' }),
      namespace: s('Namespace.', ['default']),
      pod_config: open('Pod spec merged into every pod.'),
      provision_timeout: { type: 'integer', description: 'Seconds to wait for pods.' },
    }),
    ssh: open('SSH node pool options.'),
    slurm: open('Slurm options.'),
    oci: open('OCI options.'),
    vast: open('Vast options.'),
    nebius: open('Nebius options.'),
    plugins: { type: 'array', description: 'Plugins.', items: { type: 'object' } },
  },
  definitions: { resources: taskSchema.definitions?.resources as JSONSchema, resourcesCandidate: taskSchema.definitions?.resourcesCandidate as JSONSchema },
};
