/**
 * The SkyPilot task format as one JSON Schema (Draft-07), source of schemas/task.schema.json
 * (regenerate with `node --import tsx schemas/generate.ts`). Follows SkyPilot's
 * sky/utils/schemas.py field by field; its layered checks are expressed so that a plain
 * Draft-07 tool gets the same answer on real files: null-valued fields are allowed where
 * SkyPilot drops them (skip_none), envs accept numbers/booleans (SkyPilot stringifies them),
 * case-insensitive enums carry a portable pattern, and the Python-only `(?i:...)` infra
 * regex is rewritten with character classes.
 */
import { anyCase, ciEnum, nullable, skipNoneLayer, withExamples, type JSONSchema } from './jsonSchema';
import { CLOUDS } from '../values';
import { configProperties } from './configProperties';

const SKYPILOT_DOCS = 'https://docs.skypilot.co/en/latest/reference/yaml-spec.html';

const INFRA_CLOUDS = CLOUDS.filter((c) => c !== 'kubernetes');
const INFRA_PATTERN =
  `^(?:(?:${INFRA_CLOUDS.map(anyCase).join('|')})(?:/[^/]+(?:/[^/]+)?)?` +
  `|\\*(?:/[^/]+(?:/[^/]+)?)?` +
  `|(?:${anyCase('kubernetes')}|${anyCase('k8s')})(?:/.+)?)$`;

const MEMORY_SIZE_PATTERN = '^[0-9]+(?:[kKmMgGtTpP][bBiI])?$';
/** A number as Python's float() reads it (sign, digits with '_', exponent). */
const PY_FLOAT = '[+-]?(?:[0-9](?:_?[0-9])*(?:\\.(?:[0-9](?:_?[0-9])*)?)?|\\.[0-9](?:_?[0-9])*)(?:[eE][+-]?[0-9](?:_?[0-9])*)?';
/** cpus (sky/resources.py _set_cpus): float() of the text without one trailing '+'. */
const CPUS_PATTERN = `^\\s*${PY_FLOAT}\\s*\\+?$`;
/** memory (resources_utils.parse_memory_resource): a number, optionally with KB/KI/MB/.../PI, then '+' (at least) or a lower-case 'x' (per vCPU), not both. */
const MEMORY_PATTERN = `^\\s*${PY_FLOAT}\\s*(?:[kKmMgGtTpP][bBiI])?(?:\\+|x)?$`;
const TIME_PATTERN = '^[0-9]+[mMhHdDwW]?$';
const NAME_PATTERN = '^[a-zA-Z0-9]+(?:[._-]{1,2}[a-zA-Z0-9]+)*$';

const str = (description: string, examples: unknown[], extra: Partial<JSONSchema> = {}): JSONSchema => ({ type: 'string', description, examples, ...extra });
const bool = (description: string, extra: Partial<JSONSchema> = {}): JSONSchema => ({ type: 'boolean', description, examples: [true, false], ...extra });
const int = (description: string, examples: unknown[], extra: Partial<JSONSchema> = {}): JSONSchema => ({ type: 'integer', description, examples, ...extra });

// ---------------- resources ----------------

const acceleratorsSchema = (single: boolean): JSONSchema => ({
  description: single
    ? 'The accelerator of this candidate: `NAME`, `NAME:COUNT`, or a one-entry mapping `{NAME: COUNT}`.'
    : 'Accelerators (GPUs/TPUs) per node.',
  markdownDescription: single
    ? 'The accelerator of this candidate: `NAME`, `NAME:COUNT` (e.g. `A100:8`), or a one-entry mapping `{A100: 8}`.'
    : [
        'Accelerators (GPUs/TPUs) per node. Accepted forms:',
        '- `A100` (one), `A100:8`, fractional `T4:0.5`',
        '- mapping `{A100: 8}`',
        '- a set of alternatives (the optimizer picks the cheapest): `{A100:1, H100:1}` or `{A100: 1, H100: 1}`',
        '- a list (ordered preference): `[A100:8, A100-80GB:8, H100:8]`',
        '- by memory: `80GB+`, `24GB:2`, `nvidia:80GB+:8`',
        '',
        `[Docs](${SKYPILOT_DOCS}#resources-accelerators)`,
      ].join('\n'),
  anyOf: single
    ? [
        { type: 'string', minLength: 1 },
        { type: 'object', maxProperties: 1, additionalProperties: { type: 'number', exclusiveMinimum: 0 } },
      ]
    : [
        { type: 'string', minLength: 1 },
        { type: 'object', additionalProperties: { type: ['number', 'null'] } },
        { type: 'array', items: { type: 'string' }, minItems: 1 },
      ],
  examples: ['A100:8', 'H100', 'L4:1', '{A100:1, H100:1}', 'tpu-v5e-8'],
});

const autostopSchema: JSONSchema = {
  markdownDescription:
    'Stop the cluster after it is idle. `true` (stop soon after idle), `false` (never; cancels an existing autostop), idle minutes (`10`), a time (`"30m"`, `"2h"`, `"1d"`, `"1w"`), or a mapping `{idle_minutes, down, wait_for}`.',
  description: 'Stop the cluster after it is idle: true/false, idle minutes, a time string or a mapping.',
  anyOf: [
    { type: 'boolean' },
    { type: 'integer', minimum: 0 },
    { type: 'string', pattern: TIME_PATTERN, patternErrorMessage: "Write idle time as minutes (30) or '30m', '2h', '1d', '1w'." },
    {
      type: 'object',
      additionalProperties: false,
      properties: {
        idle_minutes: int('Idle minutes before stopping (a whole number; time strings such as "2h" only work in the `autostop: 2h` shorthand).', [10, 30], {
          minimum: 0,
        }),
        down: bool('Tear the cluster down instead of stopping it.'),
        wait_for: ciEnum(['jobs_and_ssh', 'jobs', 'none'], {
          description: 'What counts as activity: running jobs and SSH sessions (default), jobs only, or nothing.',
        }),
        hook: str('Legacy: a command run before autostop (prefer config.hooks).', ['bash ~/save.sh']),
        hook_timeout: int('Legacy: seconds the autostop hook may run.', [300], { minimum: 1 }),
      },
    },
  ],
  examples: [10, '2h', true, false],
};

const jobRecoverySchema: JSONSchema = {
  markdownDescription:
    'How a managed job recovers from preemption or failure: a strategy name (`EAGER_NEXT_REGION`, the default, or `FAILOVER`; `none` disables), or `{strategy, max_restarts_on_errors, recover_on_exit_codes}`.',
  description: 'Recovery strategy of a managed job: a name or a mapping.',
  anyOf: [
    ciEnum(['EAGER_NEXT_REGION', 'FAILOVER', 'none']),
    {
      type: 'object',
      additionalProperties: true,
      properties: {
        strategy: nullable(ciEnum(['EAGER_NEXT_REGION', 'FAILOVER', 'none'], { description: 'Recovery strategy.' })),
        max_restarts_on_errors: int('Restart the job this many times when it fails by itself (not preemption).', [3], { minimum: 0, default: 0 }),
        recover_on_exit_codes: {
          description: 'Exit codes that always trigger a restart.',
          anyOf: [
            { type: 'integer', minimum: 0, maximum: 255 },
            { type: 'array', items: { type: 'integer', minimum: 0, maximum: 255 }, uniqueItems: true },
          ],
          examples: [33, [33, 34]],
        },
      },
    },
  ],
  examples: ['EAGER_NEXT_REGION', 'FAILOVER'],
};

function singleResourcesProperties(single: boolean): Record<string, JSONSchema> {
  return {
    infra: {
      type: 'string',
      pattern: INFRA_PATTERN,
      patternErrorMessage: "Write infra as cloud[/region[/zone]] (e.g. 'aws/us-east-1'), '*/region', 'k8s[/context]' or 'ssh[/pool]'.",
      markdownDescription:
        'Where to run: `cloud[/region[/zone]]` (e.g. `aws`, `gcp/us-central1`, `aws/us-east-1/us-east-1a`), `*` as a wildcard (`*/us-east-1`), `k8s` or `k8s/<context>`, `ssh/<node pool>`, or `local`. Replaces the deprecated `cloud`/`region`/`zone`.',
      examples: ['aws', 'gcp/us-central1', 'aws/us-east-1/us-east-1a', 'k8s', 'k8s/my-context', 'ssh/my-pool', 'local', '*/us-east-1'],
    },
    cloud: {
      // SkyPilot's ALL_CLOUDS: `k8s` is an infra alias only, not a cloud name.
      ...ciEnum([...CLOUDS]),
      description: 'Deprecated: use `infra`. The cloud to run on.',
      deprecationMessage: "'cloud' is deprecated: use 'infra: <cloud>[/<region>[/<zone>]]'.",
      examples: ['aws', 'gcp', 'azure', 'kubernetes'],
    },
    region: str('Deprecated: use `infra: <cloud>/<region>`. The region to run in.', ['us-east-1', 'us-central1'], {
      deprecationMessage: "'region' is deprecated: use 'infra: <cloud>/<region>'.",
    }),
    zone: str('Deprecated: use `infra: <cloud>/<region>/<zone>`. The zone to run in.', ['us-east-1a', 'us-central1-a'], {
      deprecationMessage: "'zone' is deprecated: use 'infra: <cloud>/<region>/<zone>'.",
    }),
    accelerators: acceleratorsSchema(single),
    gpus: {
      ...acceleratorsSchema(single),
      description: 'Alias of `accelerators`.',
      markdownDescription: 'Alias of `accelerators` (give one of them, not both).',
    },
    accelerator_args: {
      type: 'object',
      description: 'TPU options.',
      additionalProperties: false,
      properties: {
        runtime_version: str('TPU runtime version (default depends on the TPU generation).', ['tpu-vm-base', 'v2-alpha-tpuv5']),
        tpu_name: str('Name of an existing TPU node to use.', ['my-tpu']),
        tpu_vm: bool('Use a TPU VM (default true) rather than a TPU node.', { default: true }),
        gcp_queued_resource: bool('Request the TPU through GCP queued resources.'),
      },
      examples: [{ runtime_version: 'tpu-vm-base' }],
    },
    cpus: {
      markdownDescription: 'vCPUs per node: `4` exactly, `"4+"` at least 4. Fractions allowed (`0.5`).',
      description: 'vCPUs per node: 4 exactly, "4+" at least 4.',
      anyOf: [
        { type: 'string', pattern: CPUS_PATTERN, patternErrorMessage: "Write cpus as '4' or '4+' (at least)." },
        { type: 'number', exclusiveMinimum: 0 },
      ],
      examples: [4, '4+', '8+', 0.5],
    },
    memory: {
      markdownDescription:
        'Memory per node in GiB: `32` exactly, `"32+"` at least, units `"32GB"`, `"1TB+"` (KB/MB/GB/TB/PB, any case), or `"4x"` = 4 GiB per vCPU.',
      description: 'Memory per node in GiB: 32, "32+", "32GB", "1TB+", or "4x" (per vCPU).',
      anyOf: [
        {
          type: 'string',
          pattern: MEMORY_PATTERN,
          patternErrorMessage: "Write memory as '32', '32+', '32GB', '1TB+' or '4x' (GiB per vCPU).",
        },
        { type: 'number', exclusiveMinimum: 0 },
      ],
      examples: [32, '32+', '64GB+', '4x'],
    },
    instance_type: str("Instance type, e.g. `p3.2xlarge` or `n2-standard-8`; must exist in the cloud's catalog.", [
      'p3.2xlarge',
      'n2-standard-8',
      'Standard_NC6s_v3',
    ]),
    use_spot: bool('Use spot (preemptible) instances. Default false.', { default: false }),
    job_recovery: jobRecoverySchema,
    disk_size: {
      description: 'OS disk size in GB (default 256); units allowed, e.g. "1TB".',
      anyOf: [
        { type: 'integer', exclusiveMinimum: 0 },
        { type: 'string', pattern: MEMORY_SIZE_PATTERN, patternErrorMessage: "Write disk_size as GB (256) or with a unit ('1TB')." },
      ],
      default: 256,
      examples: [256, 512, '1TB'],
    },
    disk_tier: ciEnum(['low', 'medium', 'high', 'ultra', 'best'], {
      description: "OS disk performance tier (low < medium < high < ultra < best). Default: the cloud's medium.",
      examples: ['medium', 'high', 'best'],
    }),
    network_tier: ciEnum(['standard', 'best'], {
      description: 'Network tier: `best` asks for high-performance networking (GPUDirect/InfiniBand where available).',
    }),
    // Checked by parseLocalDisk (values.ts): SkyPilot's schema takes any string.
    local_disk: str('Local disk: `mode:size[+]` (nvme or ssd, GB), `mode` alone or `size[+]` alone, e.g. `nvme:1000+`.', ['nvme:1000+', 'ssd:500', 'nvme']),
    ephemeral_storage: {
      description: 'Kubernetes only: ephemeral storage per pod (GB or with a unit).',
      // 0 asks for nothing (SkyPilot takes it); a negative size cannot be requested from Kubernetes.
      anyOf: [
        { type: 'integer', minimum: 0 },
        { type: 'string', pattern: MEMORY_SIZE_PATTERN },
      ],
      examples: [100, '100GB'],
    },
    max_hourly_cost: {
      type: 'number',
      exclusiveMinimum: 0,
      description: 'Only consider instances cheaper than this (USD per hour; the spot price with use_spot).',
      examples: [5, 10.5],
    },
    ports: {
      markdownDescription: 'Ports to open: `8080`, `"8000-8010"`, `"8000,9000"` or a list of them.',
      description: 'Ports to open: 8080, "8000-8010", "8000,9000" or a list.',
      anyOf: [
        { type: 'integer', minimum: 1, maximum: 65535 },
        {
          type: 'string',
          // Empty opens nothing (SkyPilot tests the value's truth).
          // Each comma-separated part is stripped, but a range is two bare numbers ('8080-8090').
          pattern: '^(?:\\s*[0-9]+(?:-[0-9]+)?(?:\\s*,\\s*[0-9]+(?:-[0-9]+)?)*\\s*)?$',
          patternErrorMessage: "Write ports as 8080, '8000-8010' or '8000,9000'.",
        },
        {
          type: 'array',
          items: {
            anyOf: [
              { type: 'integer', minimum: 1, maximum: 65535 },
              { type: 'string', pattern: '^\\s*[0-9]+(?:-[0-9]+)?\\s*$' },
            ],
          },
        },
        { type: 'null' },
      ],
      examples: [8080, '8000-8010', [8080, 8081]],
    },
    labels: {
      type: 'object',
      description: 'Labels/tags on the instances (AWS tags, GCP labels, Kubernetes pod labels).',
      additionalProperties: { type: 'string' },
      examples: [{ team: 'ml', project: 'llm' }],
    },
    image_id: {
      markdownDescription:
        'Machine image: `ami-…`, `projects/…/images/…`, a catalog tag `skypilot:<tag>`, a container `docker:<image>`, or a mapping `{region: image}` (a `docker` key adds a container image).',
      description: 'Machine or container image, or a per-region mapping.',
      anyOf: [{ type: 'string' }, { type: 'object', additionalProperties: { type: 'string' } }, { type: 'null' }],
      examples: ['docker:nvcr.io/nvidia/pytorch:24.05-py3', 'ami-0123456789abcdef0', 'skypilot:gpu-ubuntu-2204', { 'us-east-1': 'ami-0123456789abcdef0' }],
    },
    autostop: autostopSchema,
    priority: int('Job priority from -1000 to 1000 (same for every resources candidate).', [0, 100], { minimum: -1000, maximum: 1000 }),
    priority_class: str('Kueue-style priority class name.', ['high-priority']),
    volumes: {
      type: 'array',
      description: 'GCP disks to attach.',
      items: {
        type: 'object',
        additionalProperties: false,
        properties: {
          path: str('Mount path.', ['/mnt/data']),
          name: str('Existing volume name.', ['my-disk']),
          disk_size: int('Size in GB.', [100]),
          disk_tier: ciEnum(['low', 'medium', 'high', 'ultra', 'best'], { description: 'Disk tier.' }),
          auto_delete: bool('Delete the disk with the cluster.'),
          storage_type: ciEnum(['network', 'instance'], { description: 'Network disk or instance-local disk.' }),
          attach_mode: ciEnum(['read_write', 'read_only'], { description: 'Attach mode.' }),
        },
      },
      examples: [[{ path: '/mnt/data', disk_size: 100 }]],
    },
    _docker_login_config: { type: 'object', description: 'Internal.' },
    _is_image_managed: { type: 'boolean', description: 'Internal.' },
    _requires_fuse: { type: 'boolean', description: 'Internal.' },
    _cluster_config_overrides: { type: 'object', description: 'Internal.' },
    _no_missing_accel_warnings: { type: 'boolean', description: 'Internal.' },
  };
}

/** The shared resources are checked without their empty keys; an any_of/ordered item is checked as written. */
const singleResources = (single: boolean): JSONSchema => {
  const s: JSONSchema = { type: 'object', additionalProperties: false, properties: singleResourcesProperties(single) };
  return single ? s : skipNoneLayer(s);
};

const resourcesSchema: JSONSchema = (() => {
  const base = singleResources(false);
  return {
    ...base,
    title: 'resources',
    markdownDescription: `Resources each node needs: accelerators, cpus, memory, infra, disk, ports, spot…\n\nAlternatives: \`any_of\` (cheapest wins) or \`ordered\` (first available wins).\n\n[Docs](${SKYPILOT_DOCS}#resources)`,
    description: 'Resources each node needs; alternatives with any_of or ordered.',
    properties: {
      ...base.properties,
      any_of: nullable({
        type: 'array',
        items: { $ref: '#/definitions/resourcesCandidate' },
        description: 'Alternatives: the optimizer picks the cheapest feasible one. Each item overrides the fields above.',
        examples: [[{ infra: 'aws' }, { infra: 'gcp' }]],
      }),
      ordered: nullable({
        type: 'array',
        items: { $ref: '#/definitions/resourcesCandidate' },
        description: 'Alternatives in order of preference: the first feasible one wins. Each item overrides the fields above.',
        examples: [[{ accelerators: 'H100:8' }, { accelerators: 'A100-80GB:8' }]],
      }),
    },
    defaultSnippets: [
      { label: 'resources: one GPU', body: { accelerators: '${1:A100}:${2:1}' } },
      { label: 'resources: any of several clouds', body: { accelerators: '${1:A100:8}', any_of: [{ infra: '${2:aws}' }, { infra: '${3:gcp}' }] } },
    ],
    examples: [{ accelerators: 'A100:8' }, { cpus: '4+', memory: '16+' }],
  };
})();

// ---------------- storage / file mounts ----------------

const storageSchema: JSONSchema = skipNoneLayer({
  type: 'object',
  description: 'A bucket mounted or copied at this path.',
  additionalProperties: false,
  properties: {
    name: str('Bucket name (created if missing).', ['my-sky-bucket']),
    source: {
      description: 'Local path(s) or a bucket URI to upload/sync into the bucket.',
      anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' }, minItems: 1 }],
      examples: ['~/datasets', 's3://my-bucket/data'],
    },
    store: ciEnum(['s3', 'gcs', 'azure', 'r2', 'ibm', 'oci', 'nebius', 'coreweave', 'vastdata', 'hf', 'volume'], {
      description: 'Which object store holds the bucket.',
    }),
    persistent: bool('Keep the bucket after the task ends (default true).', { default: true }),
    mode: ciEnum(['MOUNT', 'COPY', 'MOUNT_CACHED'], {
      description: 'MOUNT (default, streamed), COPY (copied at start), MOUNT_CACHED (local cache, async write-back).',
      default: 'MOUNT',
    }),
    type: ciEnum(['MODEL_CHECKPOINT_RO', 'MODEL_CHECKPOINT_RW', 'DATASET_RO', 'DATASET_RW'], { description: 'MOUNT_CACHED preset.' }),
    config: {
      type: 'object',
      description: 'Store-specific options.',
      additionalProperties: true,
      properties: {
        disk_size: int('Disk size (GB) for volume stores.', [100]),
        disk_tier: ciEnum(['low', 'medium', 'high', 'ultra', 'best'], { description: 'Disk tier for volume stores.' }),
        storage_type: str('Storage type for volume stores.', ['network']),
        attach_mode: str('Attach mode for volume stores.', ['read_write']),
        mount_cached: { type: 'object', description: 'rclone VFS cache options (transfers, buffer_size, vfs_cache_max_size, …).', additionalProperties: true },
        mount: { type: 'object', description: 'Mount options (read_only, hf_mount_args).', additionalProperties: true },
      },
    },
    _is_sky_managed: { type: 'boolean', description: 'Internal.' },
    _bucket_sub_path: { type: 'string', description: 'Internal.', examples: ['sub/dir'] },
    _force_delete: { type: 'boolean', description: 'Internal.' },
  },
  examples: [{ name: 'my-bucket', mode: 'MOUNT' }],
});

const fileMountsSchema: JSONSchema = {
  type: 'object',
  title: 'file_mounts',
  markdownDescription:
    'Files to put on every node: `<remote path>: <local path or bucket URI>` or `<remote path>: {name, source, store, mode}` (a bucket). `$VAR`s from `envs` are substituted.',
  description: 'Files to put on every node: remote path -> local path, bucket URI, or a bucket mapping.',
  additionalProperties: {
    anyOf: [{ type: 'string' }, { $ref: '#/definitions/storage' }],
    errorMessage: 'A file mount needs a source: a local path, a bucket URI, or a bucket mapping {name, source, store, mode}.',
  },
  examples: [{ '~/data': 's3://my-bucket/data', '/checkpoints': { name: 'my-ckpt-bucket', mode: 'MOUNT' } }],
  defaultSnippets: [{ label: 'file_mounts: bucket', body: { '${1:/data}': { name: '${2:my-bucket}', mode: 'MOUNT' } } }],
};

// ---------------- service ----------------

const readinessProbeSchema: JSONSchema = {
  markdownDescription: 'HTTP path the load balancer probes (`/health`), or `{path, initial_delay_seconds, timeout_seconds, post_data, headers}`.',
  description: 'Readiness probe: a path or a mapping.',
  anyOf: [
    { type: 'string', pattern: '^/', patternErrorMessage: "The readiness probe path must start with '/'." },
    // Checked as part of the service: its keys may not be left empty.
    {
      type: 'object',
      additionalProperties: false,
      required: ['path'],
      properties: {
        path: str('Path probed (must start with /).', ['/health', '/v1/models'], {
          pattern: '^/',
          patternErrorMessage: "The readiness probe path must start with '/'.",
        }),
        initial_delay_seconds: {
          type: 'number',
          description: 'Grace period after a replica starts (default 1200 s).',
          default: 1200,
          examples: [1200, 1800],
        },
        timeout_seconds: { type: 'number', description: 'Timeout of one probe (default 15 s; 0 or less: none).', default: 15, examples: [15] },
        endpoint_probe_interval_seconds: { type: 'number', exclusiveMinimum: 0, description: 'Seconds between probes (default 10).', examples: [10] },
        consecutive_failure_threshold_timeout: {
          type: 'number',
          minimum: 0,
          description: 'Seconds of consecutive failures before a ready replica is replaced (default 180).',
          examples: [180],
        },
        post_data: {
          anyOf: [{ type: 'object' }, { type: 'string' }],
          description: 'JSON body (mapping or JSON string); makes the probe a POST.',
          examples: [{ model: 'my-model', prompt: 'hi', max_tokens: 1 }],
        },
        headers: {
          type: 'object',
          additionalProperties: { type: 'string' },
          description: 'Extra request headers.',
          examples: [{ Authorization: 'Bearer $TOKEN' }],
        },
      },
    },
  ],
  examples: ['/health', { path: '/v1/models', initial_delay_seconds: 1800 }],
};

// Checked as part of the service: its keys may not be left empty.
const replicaPolicySchema: JSONSchema = {
  type: 'object',
  description: 'Autoscaling: min/max replicas and the target QPS per replica.',
  additionalProperties: false,
  required: ['min_replicas'],
  properties: {
    min_replicas: int('Replicas always kept.', [1], { minimum: 0 }),
    max_replicas: int('Upper bound when scaling up (needs target_qps_per_replica).', [3], { minimum: 0 }),
    num_overprovision: int('Extra replicas kept beyond the target.', [1], { minimum: 0 }),
    target_qps_per_replica: {
      description:
        'Requests per second one replica should serve; a mapping per accelerator ({"H100:1": 10}) needs load_balancing_policy instance_aware_least_load.',
      anyOf: [
        { type: 'number', minimum: 0 },
        { type: 'object', patternProperties: { '^[A-Z0-9]+(?::[0-9]+)?$': { type: 'number', minimum: 0 } }, additionalProperties: false },
      ],
      examples: [2.5, { 'H100:1': 10, 'A100:1': 5 }],
    },
    dynamic_ondemand_fallback: bool('Fall back to on-demand replicas when spot is unavailable (needs use_spot).'),
    base_ondemand_fallback_replicas: int('On-demand replicas always kept beside spot ones (needs use_spot).', [1], { minimum: 0 }),
    spot_placer: ciEnum(['dynamic_fallback'], { description: 'Spot placement policy (needs use_spot).' }),
    upscale_delay_seconds: { type: 'number', description: 'Seconds of high load before scaling up (default 300).', examples: [300] },
    downscale_delay_seconds: { type: 'number', description: 'Seconds of low load before scaling down (default 1200).', examples: [1200] },
  },
  examples: [{ min_replicas: 1, max_replicas: 3, target_qps_per_replica: 5 }],
};

const poolSchema: JSONSchema = skipNoneLayer({
  type: 'object',
  description: 'A pool of worker clusters for managed jobs.',
  additionalProperties: false,
  properties: {
    workers: int('Number of workers.', [2], { minimum: 0 }),
    min_workers: int('Minimum workers.', [1], { minimum: 0 }),
    max_workers: int('Maximum workers.', [4], { minimum: 0 }),
    queue_length_threshold: int('Queue length that triggers scaling up.', [1], { minimum: 1 }),
    upscale_delay_seconds: { type: 'number', minimum: 0, description: 'Seconds before scaling up.', examples: [300] },
    downscale_delay_seconds: { type: 'number', minimum: 0, description: 'Seconds before scaling down.', examples: [1200] },
  },
});

const serviceSchema: JSONSchema = skipNoneLayer(
  {
    type: 'object',
    title: 'service',
    markdownDescription: `Serve this task as a service (SkyServe): replicas behind a load balancer, probed for readiness and autoscaled.\n\n[Docs](https://docs.skypilot.co/en/latest/serving/service-yaml-spec.html)`,
    description: 'Serve this task as a service (SkyServe).',
    additionalProperties: false,
    properties: {
      readiness_probe: readinessProbeSchema,
      replicas: int('Fixed number of replicas (instead of replica_policy).', [2], { minimum: 0 }),
      replica_policy: replicaPolicySchema,
      // Exact spelling: SkyPilot's schema ignores case, its service spec does not.
      load_balancing_policy: {
        type: 'string',
        enum: ['round_robin', 'least_load', 'instance_aware_least_load'],
        errorMessage: 'Unknown load_balancing_policy: use round_robin, least_load or instance_aware_least_load (lower case).',
        description: 'How requests are spread over replicas (default least_load).',
        default: 'least_load',
      },
      load_balancer: {
        type: 'object',
        additionalProperties: false,
        description: 'Load balancer options.',
        properties: {
          // No bound in SkyPilot's schema either.
          stream_timeout_seconds: { type: 'number', description: 'Timeout of streamed responses (default 120 s).', examples: [120] },
        },
      },
      ports: int('Port the replicas serve on (else resources.ports must name exactly one).', [8080, 8000], { minimum: 1, maximum: 65535 }),
      tls: {
        type: 'object',
        description: 'Serve HTTPS at the load balancer.',
        additionalProperties: false,
        required: ['keyfile', 'certfile'],
        properties: { keyfile: str('Private key file.', ['~/certs/key.pem']), certfile: str('Certificate file.', ['~/certs/cert.pem']) },
      },
      pool: poolSchema,
      workers: int('Pool shorthand: number of workers.', [2], { minimum: 0 }),
    },
    defaultSnippets: [{ label: 'service: readiness probe + replicas', body: { readiness_probe: '${1:/health}', replicas: 2 } }],
    examples: [{ readiness_probe: '/health', replicas: 2 }],
  },
  'unknown-ignored',
);

// ---------------- volumes / config ----------------

const taskVolumesSchema: JSONSchema = {
  type: 'object',
  description: 'Volumes to mount: `mount_path: volume_name`, `mount_path: {name, sub_path}`, or an ephemeral `{size, type, labels, config}`.',
  additionalProperties: {
    anyOf: [
      { type: 'string' },
      {
        type: 'object',
        properties: {
          name: str('Volume name.', ['my-volume']),
          sub_path: str('Path inside the volume.', ['ckpts']),
          size: { anyOf: [{ type: 'string' }, { type: 'integer' }], description: 'Size of an ephemeral volume.', examples: ['100Gi'] },
          type: str('Volume type.', ['k8s-pvc']),
          labels: { type: 'object', additionalProperties: { type: 'string' }, description: 'Labels of an ephemeral volume.' },
          config: { type: 'object', description: 'Volume-type specific options.' },
        },
        additionalProperties: false,
      },
    ],
  },
  examples: [{ '/mnt/data': 'my-volume' }],
};

const hookSchema: JSONSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['run'],
  properties: {
    run: str('Command run by the hook.', ['bash ~/save_checkpoint.sh'], { minLength: 1, maxLength: 16384 }),
    events: {
      type: 'array',
      items: ciEnum(['stop', 'preemption', 'down']),
      uniqueItems: true,
      description: 'Events that run the hook (default all three).',
      examples: [['preemption']],
    },
    timeout: int('Seconds the hook may run (default 3600).', [600], { minimum: 1 }),
  },
};

/** SkyPilot's OVERRIDEABLE_CONFIG_KEYS_IN_TASK: the config keys a task's `config:` may set (plus its `hooks`). */
export const TASK_OVERRIDABLE_CONFIG: readonly (readonly string[])[] = [
  ['docker', 'run_options'],
  ['nvidia_gpus', 'disable_ecc'],
  ['ssh', 'custom_metadata'],
  ['ssh', 'pod_config'],
  ['ssh', 'provision_timeout'],
  ['kubernetes', 'custom_metadata'],
  ['kubernetes', 'pod_config'],
  ['kubernetes', 'provision_timeout'],
  ['kubernetes', 'dws'],
  ['kubernetes', 'kueue'],
  ['kubernetes', 'quota'],
  ['kubernetes', 'remote_identity'],
  ['kubernetes', 'enable_docker'],
  ['kubernetes', 'set_pod_resource_limits'],
  ['azure', 'remote_identity'],
  ['azure', 'vpc_name'],
  ['gcp', 'vpc_name'],
  ['gcp', 'subnet_names'],
  ['gcp', 'managed_instance_group'],
  ['gcp', 'enable_gvnic'],
  ['gcp', 'enable_gpu_direct'],
  ['gcp', 'placement_policy'],
  ['vast', 'datacenter_only'],
  ['vast', 'create_instance_kwargs'],
  ['slurm', 'sbatch_options'],
  ['slurm', 'cpu_partition'],
  ['active_workspace'],
];

/** The config schema cut down to the listed key paths, as SkyPilot's _filter_schema does: a block keeps only the listed keys, a listed leaf keeps its whole schema. */
function overridableConfig(): Record<string, JSONSchema> {
  const tree: Record<string, Record<string, unknown>> = {};
  for (const p of TASK_OVERRIDABLE_CONFIG) {
    let cur: Record<string, unknown> = tree;
    for (const k of p) cur = (cur[k] ??= {}) as Record<string, unknown>;
  }
  const keep = (s: JSONSchema, paths: Record<string, unknown>): JSONSchema => {
    if (Object.keys(paths).length === 0 || !s.properties) return s;
    const { properties, anyOf: _a, oneOf: _o, required: _r, ...rest } = s;
    const kept: Record<string, JSONSchema> = {};
    for (const [k, sub] of Object.entries(properties)) if (k in paths) kept[k] = keep(sub, paths[k] as Record<string, unknown>);
    // Closed even where SkyDeck's global block stays open (slurm): SkyPilot's task block is.
    return { ...rest, additionalProperties: false, properties: kept };
  };
  const kept = keep({ type: 'object', properties: configProperties }, tree).properties ?? {};
  // SkyPilot's kubernetes block takes keys it does not list; the config loader reports them as not honoured.
  return { ...kept, kubernetes: { ...kept.kubernetes, additionalProperties: true } };
}

const taskConfigSchema: JSONSchema = {
  type: 'object',
  markdownDescription: 'Per-task overrides of `~/.sky/config.yaml` (docker.run_options, kubernetes.pod_config, gcp.*, …) and task lifecycle `hooks`.',
  description: 'Per-task overrides of ~/.sky/config.yaml and lifecycle hooks.',
  additionalProperties: false,
  properties: {
    ...overridableConfig(),
    hooks: {
      type: 'array',
      maxItems: 32,
      items: hookSchema,
      description: 'Lifecycle hooks run on stop, preemption or down.',
      examples: [[{ run: 'bash ~/save.sh', events: ['preemption'] }]],
    },
  },
  examples: [{ kubernetes: { provision_timeout: 600 } }],
};

// ---------------- task ----------------

/** A $ref with the definition's docs beside it (nullable() moves them next to its anyOf). */
function refWithDocs(name: string, def: JSONSchema): JSONSchema {
  const out: JSONSchema = { $ref: `#/definitions/${name}` };
  if (def.description) out.description = def.description;
  if (def.markdownDescription) out.markdownDescription = def.markdownDescription;
  if (def.examples) out.examples = def.examples;
  if (def.defaultSnippets) out.defaultSnippets = def.defaultSnippets;
  return out;
}

const envNamePattern = '^[a-zA-Z_][a-zA-Z0-9_]*$';

const taskProperties: Record<string, JSONSchema> = {
  name: str('Task name: letters and digits, separated by single or double `.`, `_` or `-`.', ['train', 'llama-finetune'], {
    pattern: NAME_PATTERN,
    patternErrorMessage: "Task names use letters and digits separated by '.', '_' or '-' (at most two in a row), and cannot start or end with a separator.",
  }),
  workdir: {
    markdownDescription: 'Local directory synced to `~/sky_workdir` on every node (the working directory of setup and run), or a git repo `{url, ref}`.',
    description: 'Local directory synced to ~/sky_workdir, or a git repo {url, ref}.',
    anyOf: [
      { type: 'string' },
      {
        type: 'object',
        additionalProperties: false,
        required: ['url'],
        properties: { url: str('Git repository URL.', ['https://github.com/org/repo.git']), ref: str('Branch, tag or commit.', ['main']) },
      },
    ],
    examples: ['.', '~/my-project', { url: 'https://github.com/org/repo.git', ref: 'main' }],
  },
  event_callback: str('Command run when the task changes state.', ['bash notify.sh']),
  num_nodes: int('Number of nodes (default 1).', [1, 2, 4], {
    minimum: 1,
    rangeErrorMessage: 'num_nodes should be a positive int.',
    default: 1,
  }),
  resources: refWithDocs('resources', resourcesSchema),
  file_mounts: refWithDocs('file_mounts', fileMountsSchema),
  service: refWithDocs('service', serviceSchema),
  pool: { ...poolSchema, description: 'Cluster pool spec (workers for managed jobs). Cannot be used with service.' },
  setup: {
    type: 'string',
    markdownDescription: 'Commands run once on every node when the cluster is set up (bash). Runs in `~/sky_workdir`.',
    description: 'Commands run once on every node when the cluster is set up (bash).',
    examples: ['pip install -r requirements.txt'],
    defaultSnippets: [{ label: 'setup: |', bodyText: '|\n  ${1:pip install -r requirements.txt}' }],
  },
  run: {
    type: 'string',
    markdownDescription:
      'Commands of the job (bash), run on every node with `SKYPILOT_NODE_RANK`, `SKYPILOT_NODE_IPS`, `SKYPILOT_NUM_NODES`, `SKYPILOT_NUM_GPUS_PER_NODE` set.',
    description: 'Commands of the job (bash), run on every node.',
    examples: ['python train.py'],
    defaultSnippets: [{ label: 'run: |', bodyText: '|\n  ${1:python train.py}' }],
  },
  envs: {
    type: 'object',
    markdownDescription:
      'Environment variables for setup and run (and `$VAR` substitution in file_mounts, service, workdir, volumes). A null value must be given with `--env NAME=value`.',
    description: 'Environment variables for setup and run; null values must be given with --env.',
    propertyNames: { pattern: envNamePattern },
    // Lists and mappings are accepted as SkyPilot accepts them (it stringifies every value); the validator warns.
    patternProperties: {
      [envNamePattern]: { type: ['string', 'number', 'boolean', 'null', 'array', 'object'], description: 'Value (numbers and booleans become strings).' },
    },
    additionalProperties: false,
    examples: [{ MODEL_NAME: 'meta-llama/Llama-3.1-8B', BATCH_SIZE: 32 }],
  },
  secrets: {
    markdownDescription:
      'Secret environment variables (redacted in logs and dumps): a mapping (null = given with `--secret`), or a list of `secrets:NAME` references to managed secrets.',
    description: 'Secret environment variables: a mapping or a list of secrets:NAME references.',
    anyOf: [
      {
        type: 'object',
        additionalProperties: { type: ['string', 'number', 'boolean', 'null', 'array', 'object'] },
      },
      { type: 'array', items: { type: 'string', pattern: '^secrets:.+$', patternErrorMessage: "Each item must be 'secrets:NAME'." } },
    ],
    examples: [{ HF_TOKEN: null }, ['secrets:HF_TOKEN']],
  },
  managed_secrets: {
    type: 'array',
    description: 'References to managed secrets: names, or {name: {mount_path}}.',
    items: {
      anyOf: [
        { type: 'string' },
        {
          type: 'object',
          maxProperties: 1,
          additionalProperties: {
            type: 'object',
            additionalProperties: false,
            properties: { mount_path: { type: 'string', description: 'Where the secret is mounted as a file.', examples: ['/secrets/token'] } },
          },
        },
      ],
    },
    examples: [['my-secret']],
  },
  inputs: {
    type: 'object',
    minProperties: 1,
    maxProperties: 1,
    additionalProperties: { type: 'number' },
    description: 'Experimental: {path_or_uri: estimated GB} read by the task (egress cost).',
    examples: [{ 's3://my-bucket/data': 100 }],
  },
  outputs: {
    type: 'object',
    minProperties: 1,
    maxProperties: 1,
    additionalProperties: { type: 'number' },
    description: 'Experimental: {path_or_uri: estimated GB} written by the task.',
    examples: [{ 's3://my-bucket/out': 10 }],
  },
  file_mounts_mapping: { type: 'object', description: 'Internal.' },
  config: refWithDocs('config', taskConfigSchema),
  volumes: taskVolumesSchema,
  volume_mounts: { type: 'array', description: 'Internal.', items: { type: 'object' } },
  api_server_access: bool('Give the job credentials to call the SkyPilot API server (default true).', { default: true }),
  _metadata: { type: 'object', description: 'Internal.' },
};

const TASK_SCHEMA_ID = 'https://skydeck.dev/schemas/task.schema.json';

/** The task's own fields, null allowed where SkyPilot drops it. */
function taskLayer(): JSONSchema {
  const layer = skipNoneLayer({ type: 'object', additionalProperties: false, properties: taskProperties });
  // A null inputs/outputs stays in the config SkyPilot then refuses as an unknown argument.
  return { ...layer, properties: { ...layer.properties, inputs: taskProperties.inputs, outputs: taskProperties.outputs } };
}

export const taskSchema: JSONSchema = withExamples({
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: TASK_SCHEMA_ID,
  title: 'SkyPilot task',
  markdownDescription: `A SkyPilot task: what to run (setup, run), on which resources, with which files. [Docs](${SKYPILOT_DOCS})`,
  description: 'A SkyPilot task: what to run (setup, run), on which resources, with which files.',
  ...taskLayer(),
  definitions: {
    resources: resourcesSchema,
    resourcesCandidate: { ...singleResources(true), description: 'One alternative; its fields override the shared ones.' },
    file_mounts: fileMountsSchema,
    storage: storageSchema,
    service: serviceSchema,
    config: taskConfigSchema,
  },
});

/** A pipeline header document (`name` [+ `execution`]), or a job group's header. */
export const headerKeys = ['name', 'execution', 'primary_tasks', 'termination_delay'] as const;

export const serviceSchemaStandalone: JSONSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'https://skydeck.dev/schemas/service.schema.json',
  title: 'SkyServe service section',
  ...serviceSchema,
};

export { NAME_PATTERN, MEMORY_SIZE_PATTERN, TIME_PATTERN };
