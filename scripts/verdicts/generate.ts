// Dev tool (not run by `npm test`): writes altered copies of the real corpus tasks, one field
// changed per file, to compare SkyDeck's verdict with SkyPilot's (the referee in
// ../shared/reference/skypilot-referee). Each alteration is applied to a few corpus tasks it
// fits, chosen by a stable hash so reruns write the same files.
// Usage: node --import tsx scripts/verdicts/generate.ts OUT_DIR [PER_ALTERATION=2]
// Writes OUT_DIR/<alteration>__<task>.yaml and OUT_DIR/list (one path a line, for `@list`).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { isMap, parseDocument, type Document } from 'yaml';
import { corpusDir } from '../../test/helpers/shared';

type Doc = Document.Parsed;
type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

interface Alteration {
  id: string;
  /** Which tasks it fits. */
  needs?: 'service' | 'pool' | 'resources' | 'any';
  apply(doc: Doc): boolean;
}

/** SkyPilot rejects these as they are: an alteration would not say anything about itself. */
const CORPUS_REJECTS = new Set(['llm/deepseek-r1/deepseek-r1-671B-A100.yaml', 'llm/deepseek-r1/deepseek-r1-671B.yaml', 'llm/rag/serve_rag.yaml']);

const alterations: Alteration[] = [];
// Readable, and unique: two values that read alike ({A: ''} and ['A']) differ in the hash.
const slug = (v: Json) =>
  `${JSON.stringify(v)
    .replace(/[^A-Za-z0-9.+-]+/g, '_')
    .slice(0, 40)}~${createHash('sha1').update(JSON.stringify(v)).digest('hex').slice(0, 6)}`;

function set(where: string[], values: Json[], needs: Alteration['needs'] = 'any'): void {
  for (const v of values) {
    alterations.push({
      id: `${where.join('.')}=${slug(v)}`,
      needs,
      apply: (d) => {
        if (where[0] === 'resources' && !ensureResources(d)) return false;
        if (where[0] === 'service' && where.length > 1 && !isMap(d.getIn(['service']))) return false;
        d.setIn(where, d.createNode(v));
        return true;
      },
    });
  }
}

function ensureResources(d: Doc): boolean {
  const r = d.getIn(['resources']);
  if (r === undefined || r === null) {
    d.setIn(['resources'], d.createNode({}));
    return true;
  }
  return isMap(r);
}

function rename(parent: string[], from: string, to: string): void {
  alterations.push({
    id: `rename.${[...parent, from].join('.')}->${to}`,
    apply: (d) => {
      const key = [...parent, from];
      if (!d.hasIn(key)) return false;
      const v = d.getIn(key);
      d.deleteIn(key);
      d.setIn([...parent, to], v);
      return true;
    },
  });
}

function custom(id: string, needs: Alteration['needs'], apply: (d: Doc) => boolean): void {
  alterations.push({ id, needs, apply });
}

const TYPES: Json[] = [null, true, 0, -1, 1.5, '', [], {}, ['x'], { a: 1 }];

// Top-level fields.
set(['name'], [123, '', 'bad name!', null, ['a'], 'a'.repeat(80), 'my-task_1.2', true, 'UPPER', '-lead', 'trail-']);
set(['num_nodes'], [0, -1, 1.5, '2', 'two', null, [], 1000000, true, 2, '0x10', 1e3]);
set(['run'], [123, ['echo a'], { a: 1 }, null, '', true, 1.5]);
set(['setup'], [123, ['echo a'], { a: 1 }, null, '', false]);
set(
  ['workdir'],
  [123, null, '', { url: 'https://github.com/a/b' }, { url: 'https://github.com/a/b', ref: 'main' }, { ref: 'main' }, ['.'], { url: 123 }, '.', '~'],
);
set(
  ['envs'],
  [{ A: 1 }, { A: null }, { A: [1] }, { A: { b: 1 } }, { '1A': 'x' }, { 'A-B': 'x' }, { '': 'x' }, ['A'], 'A=1', null, {}, { A: true }, { A: 1.5 }, { A: '' }],
);
set(['secrets'], [{ A: 1 }, { A: null }, { A: [1] }, { '1A': 'x' }, ['A'], 'A=1', null, {}, { A: true }, { A: '' }]);
set(
  ['file_mounts'],
  [
    { '/a': 123 },
    { '/a': null },
    { rel: '/tmp' },
    { '/a': { source: 's3://b' } },
    { '/a': { name: 'b', mode: 'MOUNT' } },
    { '/a': { name: 'b', mode: 'BAD' } },
    { '/a': { source: 's3://b', store: 'x' } },
    { '/a': { source: 's3://b', store: 's3' } },
    { '/a': {} },
    'str',
    [],
    { '/a': ['s3://a', 's3://b'] },
    { '/a': { source: ['s3://a'] } },
    { '~/a': 's3://b' },
    { '/a': 'gs://b/' },
    { '/a': { name: 'b', mode: 'COPY', persistent: 'yes' } },
    { '/a': { name: 'b', mode: 'MOUNT_CACHED' } },
    { '/a': { name: 'b', mode: 'mount' } },
    { '/a': { name: 'b', unknown: 1 } },
    { '/a': 's3://b/c' },
    { '/a': 'r2://b' },
    { '/a': 'foo://b' },
    { '/a': { name: 'b', source: 's3://c' } },
    { '/a': { name: 'b_c!' } },
    null,
    {},
  ],
);
set(
  ['config'],
  [
    { unknown: 1 },
    { kubernetes: { provision_timeout: '10' } },
    { kubernetes: { provision_timeout: 10 } },
    { aws: { labels: { a: 1 } } },
    { aws: { labels: { a: 'b' } } },
    { jobs: { controller: { resources: { cpus: 4 } } } },
    'x',
    null,
    {},
    { docker: { run_options: '--x' } },
    { docker: { run_options: ['--x'] } },
    { gcp: { use_internal_ips: 'yes' } },
    { gcp: { use_internal_ips: true } },
    { aws: { unknown: 1 } },
    { kubernetes: { pod_config: { spec: {} } } },
    { kubernetes: { pod_config: 'x' } },
    { admin_policy: 'x.y' },
    { allowed_clouds: ['aws'] },
    { nvidia_gpus: { disable_ecc: true } },
  ],
);
set(['volumes'], [{ '/a': 'vol' }, { rel: 'vol' }, { '/a': 1 }, ['x'], { '/a': { name: 'x', size: 10 } }, null, {}]);
set(['event_callback'], ['echo hi', 1, ['a']]);
set(['inputs'], [{ 's3://a': 1 }, 'x', { 's3://a': 1, 's3://b': 2 }]);
set(['outputs'], [{ 's3://a': 1 }, 'x']);
set(['resources'], [null, 'x', [], 1, [{ cpus: 2 }], {}]);
for (const k of ['resource', 'envs2', 'nmae', 'run_cmd', 'Resources', 'num-nodes', 'file-mounts', 'secret', 'service_', 'priority', 'docker']) set([k], ['x']);
rename([], 'envs', 'env');
rename([], 'setup', 'set_up');
rename([], 'num_nodes', 'nodes');
rename([], 'file_mounts', 'filemounts');
rename([], 'workdir', 'work_dir');
rename(['resources'], 'accelerators', 'accelerator');
rename(['resources'], 'accelerators', 'gpus');
rename(['resources'], 'cpus', 'cpu');
rename(['resources'], 'memory', 'mem');
rename(['resources'], 'disk_size', 'disk');
rename(['resources'], 'ports', 'port');
rename(['resources'], 'use_spot', 'spot');
rename(['resources'], 'infra', 'cloud');
rename(['resources'], 'image_id', 'image');
rename(['service'], 'readiness_probe', 'readiness');
rename(['service'], 'replicas', 'replica');
rename(['service'], 'replica_policy', 'autoscaling');

// resources.*
set(['resources', 'cpus'], [0, -1, '4+', '4x', '+4', 4.5, '4.5+', '', null, [4], { a: 1 }, 1e9, 'abc', true, '0', '0+', '2-4', ' 4', '4 +', '1e2', 0.5]);
set(
  ['resources', 'memory'],
  [
    0,
    -1,
    '32GB',
    '32G',
    '32gb',
    '4x',
    '4x+',
    '16+',
    '1.5x',
    '0x',
    '-4',
    '32 GB',
    '32Gi',
    '1T',
    '1TB',
    '512M',
    '512MB',
    '32GB+',
    'x',
    null,
    [8],
    true,
    1.5,
    '0',
    '0+',
    '32KB',
    '4+x',
    'x4',
  ],
);
set(['resources', 'disk_size'], [0, -1, 100, '100', '100GB', '100+', '1TB', 1.5, '1.5', null, 'x', 1e9, '256Gi', true, '100G', '1T', '512MB', [100], '2Ti']);
set(['resources', 'disk_tier'], ['low', 'medium', 'high', 'ultra', 'best', 'none', 'HIGH', 'fast', 1, null, '']);
set(['resources', 'network_tier'], ['standard', 'best', 'high', 'x', null, 'BEST', 1]);
set(
  ['resources', 'accelerators'],
  [
    'A100:0',
    'A100:1.5',
    'A100:0.5',
    'A100:-1',
    { A100: 1, V100: 2 },
    ['A100', 'V100'],
    ['A100:1', 'V100:2'],
    'tpu-v4-8',
    'tpu-v5e-16',
    'tpu-v2-8',
    'a100',
    'A100:8:x',
    '',
    'A100:',
    ':1',
    'A100: 1',
    { A100: 0 },
    { A100: '2' },
    { A100: null },
    8,
    null,
    {},
    [],
    'H100:8',
    'L4:1',
    'Foo:1',
    'A100-80GB:8',
    'T4:01',
    'A100:1e2',
    'a100:2',
    { A100: 1.5 },
    'A100:0.25',
    { 'A100:2': 1 },
    ['A100', 'A100'],
    'tpu-v4-8:2',
    { 'tpu-v4-8': 1 },
    'A100 :2',
    'A100:2 ',
    ['A100:0'],
    true,
    1.5,
    'H100:9999',
    'A10g:1',
  ],
);
set(
  ['resources', 'accelerator_args'],
  [{ runtime_version: 'tpu-vm-base' }, { tpu_vm: 'yes' }, { tpu_vm: false }, 'x', { unknown: 1 }, null, {}, { tpu_name: 'x' }],
);
set(
  ['resources', 'infra'],
  [
    'aws',
    'aws/us-east-1',
    'aws/us-east-1/us-east-1a',
    'k8s',
    'k8s/my-ctx',
    'kubernetes/ctx/x',
    '*/us-east-1',
    'foo',
    'aws/',
    'AWS',
    'gcp/us-central1/us-central1-a/x',
    '',
    123,
    null,
    'ssh/pool',
    'runpod',
    'lambda/us-east-1',
    'azure/eastus',
    '*',
    'local',
    'Kubernetes',
    'k8s/a/b/c',
    'gcp//us-central1-a',
    '*/*/us-east-1a',
    'aws/*/us-east-1a',
    ['aws'],
    { aws: 1 },
    'ssh',
    'nebius',
    'slurm/c',
    'do',
    'oci/us-ashburn-1',
    'vast',
  ],
);
set(['resources', 'cloud'], ['aws', 'foo', 'AWS', 'k8s', 'kubernetes', 123, null, 'lambda', 'gcp']);
set(['resources', 'region'], ['us-east-1', 123, null, '']);
set(['resources', 'zone'], ['us-east-1a', 123]);
custom(
  'resources.cloud+region',
  'any',
  (d) => ensureResources(d) && (d.setIn(['resources', 'cloud'], 'aws'), d.setIn(['resources', 'region'], 'us-east-1'), true),
);
custom(
  'resources.cloud+zone',
  'any',
  (d) => ensureResources(d) && (d.setIn(['resources', 'cloud'], 'aws'), d.setIn(['resources', 'zone'], 'us-east-1a'), true),
);
custom('resources.cloud+infra', 'any', (d) => ensureResources(d) && (d.setIn(['resources', 'cloud'], 'aws'), d.setIn(['resources', 'infra'], 'gcp'), true));
custom(
  'resources.infra+region',
  'any',
  (d) => ensureResources(d) && (d.setIn(['resources', 'infra'], 'aws'), d.setIn(['resources', 'region'], 'us-east-1'), true),
);
custom(
  'resources.region+zone',
  'any',
  (d) => ensureResources(d) && (d.setIn(['resources', 'region'], 'us-east-1'), d.setIn(['resources', 'zone'], 'us-east-1a'), true),
);
set(['resources', 'instance_type'], [123, '', 'p3.2xlarge', null, ['a']]);
set(['resources', 'use_spot'], ['yes', 1, 'true', null, true, 0, 'no']);
set(['resources', 'spot_recovery'], ['FAILOVER', 'failover', 'bad']);
set(
  ['resources', 'job_recovery'],
  [
    'FAILOVER',
    'EAGER_NEXT_REGION',
    'eager_next_region',
    { strategy: 'EAGER_NEXT_REGION', max_restarts_on_errors: 3 },
    { max_restarts_on_errors: -1 },
    'bad',
    { strategy: 'x' },
    { unknown: 1 },
    { max_restarts_on_errors: '3' },
    { strategy: null },
    null,
    1,
    { recover_on_exit_codes: [1, 2] },
    { recover_on_exit_codes: 'x' },
    { recover_on_exit_codes: 300 },
  ],
);
set(
  ['resources', 'ports'],
  [
    8080,
    '8080',
    '8080-8090',
    [80, '81-82'],
    0,
    70000,
    -1,
    '90-80',
    'abc',
    [],
    null,
    '8080:8081',
    65535,
    65536,
    ['8080'],
    1.5,
    { a: 1 },
    [8080, 8080],
    '0-10',
    '1-65536',
    '80,81',
    true,
  ],
);
set(['resources', 'image_id'], ['docker:ubuntu', 123, { 'us-east-1': 'ami-1' }, '', null, 'docker:', 'ami-123', { 'us-east-1': 1 }, ['x']]);
set(['resources', 'labels'], [{ a: 'b' }, { a: 1 }, ['a'], 'a', null, {}, { a: null }, { '': 'x' }]);
set(
  ['resources', 'autostop'],
  [
    30,
    '30m',
    '1h',
    '10',
    true,
    false,
    { idle_minutes: 10 },
    { idle_minutes: '10' },
    { down: true },
    { idle_minutes: 10, down: 'yes' },
    -1,
    0,
    '1d',
    '1w',
    '1.5h',
    '30s',
    'abc',
    null,
    { idle_minutes: 10, wait_for: 'jobs' },
    { wait_for: 'bad' },
    { unknown: 1 },
    1.5,
    '30M',
    { idle_minutes: '1h' },
    { idle_minutes: -5 },
    { hook: 'echo hi' },
    { hook: 1 },
    { idle_minutes: 10, hook_timeout: 30 },
    [10],
  ],
);
set(
  ['resources', 'any_of'],
  [
    [{ infra: 'aws' }, { infra: 'gcp' }],
    [],
    'x',
    [{}],
    [{ accelerators: { A100: 1, V100: 1 } }],
    [{ cpus: 'x' }],
    [{ unknown: 1 }],
    [{ accelerators: ['A100', 'V100'] }],
    [{ any_of: [{ infra: 'aws' }] }],
    [null],
    [{ infra: 'aws' }, { infra: 'aws' }],
    { infra: 'aws' },
    [{ use_spot: true }, { use_spot: false }],
    [{ ports: 8080 }, { ports: 8081 }],
  ],
);
set(
  ['resources', 'ordered'],
  [
    [{ infra: 'aws' }, { infra: 'gcp' }],
    [],
    'x',
    [{ accelerators: { A100: 1, V100: 1 } }],
    [{ accelerators: 'A100' }, { accelerators: 'V100' }],
    [{ cpus: -1 }],
    [{ unknown: 1 }],
  ],
);
custom(
  'resources.any_of+ordered',
  'any',
  (d) =>
    ensureResources(d) &&
    (d.setIn(['resources', 'any_of'], d.createNode([{ infra: 'aws' }])), d.setIn(['resources', 'ordered'], d.createNode([{ infra: 'gcp' }])), true),
);
for (const k of ['accelerator', 'gpu', 'cpu', 'mem', 'disk', 'region_x', 'instanceType', 'spot', 'image', 'zones']) set(['resources', k], ['x']);
set(['resources', 'max_hourly_cost'], [0, -1, 'x', 1.5]);
set(['resources', '_cluster_config_overrides'], [{ a: 1 }, 'x']);
set(['resources', 'priority'], [1, -1, 'x', 2000]);
for (const v of TYPES) set(['resources', 'use_spot'], [v]);

// service:
set(['service'], [null, 'x', [], {}, 1, { readiness_probe: '/' }, { replicas: 2 }, { pool: true }]);
set(
  ['service', 'readiness_probe'],
  [
    '/',
    '/health',
    'health',
    123,
    { path: '/' },
    { path: '/', initial_delay_seconds: -1 },
    { path: '/', initial_delay_seconds: '10' },
    { path: '/', initial_delay_seconds: 0 },
    { path: '/', post_data: { a: 1 } },
    { path: '/', post_data: 'str' },
    { path: '/', headers: { A: 'b' } },
    { path: '/', headers: { A: 1 } },
    { path: '/', headers: 'x' },
    { path: '/', timeout_seconds: 0 },
    { path: '/', timeout_seconds: -1 },
    { path: '/', timeout_seconds: 1.5 },
    {},
    { initial_delay_seconds: 10 },
    null,
    { path: '/', unknown: 1 },
    { path: 'health' },
    { path: 123 },
    ['/'],
    '',
  ],
  'service',
);
set(['service', 'replicas'], [0, -1, 1.5, '2', null, 1000, true, [1]], 'service');
set(
  ['service', 'replica_policy'],
  [
    { min_replicas: 1 },
    { min_replicas: 0 },
    { min_replicas: 1, max_replicas: 3, target_qps_per_replica: 2 },
    { min_replicas: 3, max_replicas: 1, target_qps_per_replica: 1 },
    { min_replicas: -1 },
    { min_replicas: 1, target_qps_per_replica: 1 },
    { min_replicas: 1, max_replicas: 3, target_qps_per_replica: 0 },
    { min_replicas: 1, max_replicas: 3, target_qps_per_replica: 1, upscale_delay_seconds: -1 },
    { min_replicas: 1, max_replicas: 3, target_qps_per_replica: 1, downscale_delay_seconds: 0 },
    { min_replicas: 1, max_replicas: 3, target_qps_per_replica: 1, base_ondemand_fallback_replicas: 1 },
    { min_replicas: 1, max_replicas: 3, target_qps_per_replica: 1, dynamic_ondemand_fallback: true },
    { min_replicas: 1, max_replicas: 3, target_qps_per_replica: { A100: 1 } },
    { min_replicas: 1, max_replicas: 3, target_qps_per_replica: 1.5 },
    { min_replicas: 1, max_replicas: 3, target_qps_per_replica: '1' },
    'x',
    { unknown: 1 },
    { min_replicas: '1' },
    { min_replicas: 1, max_replicas: 1 },
    { min_replicas: 0, max_replicas: 2, target_qps_per_replica: 1 },
    { max_replicas: 3, target_qps_per_replica: 1 },
    null,
    {},
    { min_replicas: 1.5 },
  ],
  'service',
);
custom(
  'service.replicas+replica_policy',
  'service',
  (d) => (d.setIn(['service', 'replicas'], 2), d.setIn(['service', 'replica_policy'], d.createNode({ min_replicas: 1 })), true),
);
set(['service', 'ports'], [8080, '8080', '8080-8090', 0, 70000, [8080], null, 'x'], 'service');
set(['service', 'load_balancing_policy'], ['round_robin', 'least_load', 'bad', 1, 'instance_aware_least_load', null, 'ROUND_ROBIN'], 'service');
set(
  ['service', 'tls'],
  [{ keyfile: '/k', certfile: '/c' }, { keyfile: '/k' }, 'x', null, { keyfile: 1, certfile: '/c' }, { keyfile: '/k', certfile: '/c', x: 1 }],
  'service',
);
for (const k of ['replica', 'readiness', 'port', 'controller', 'spot_placer', 'autoscaling']) set(['service', k], ['x'], 'service');
set(['service', 'pool'], [true, false, 'x', 1], 'service');
set(['service', 'workers'], [1, 0, -1], 'service');
set(['service', 'spot_placer'], ['dynamic_fallback', 'x', null], 'service');
set(['pool'], [{ workers: 2 }, { workers: 0 }, { workers: -1 }, { workers: '2' }, { min_workers: 1 }, { workers: 2, x: 1 }, null, 'x', {}, 1], 'pool');
set(['pool'], [{ workers: 2 }, { workers: 0 }, { workers: 2, readiness_probe: '/' }, { workers: 2, replicas: 2 }, null, 'x'], 'any');

// Second pass: forms found next to the first pass's disagreements.
set(
  ['config'],
  [
    { kubernetes: { unknown: 1 } },
    { kubernetes: { dws: { enabled: true } } },
    { kubernetes: { kueue: { local_queue_name: 'q' } } },
    { kubernetes: { namespace: 'x' } },
    { kubernetes: { set_pod_resource_limits: 0.5 } },
    { kubernetes: { remote_identity: 'SERVICE_ACCOUNT' } },
    { gcp: { vpc_name: 'my-vpc' } },
    { gcp: { managed_instance_group: { run_duration: 3600 } } },
    { gcp: { managed_instance_group: {} } },
    { gcp: { placement_policy: 'compact' } },
    { azure: { vpc_name: 'x' } },
    { azure: { storage_account: 'x' } },
    { docker: { unknown: 1 } },
    { docker: { run_options: 1 } },
    { nvidia_gpus: { disable_ecc: 'yes' } },
    { vast: { datacenter_only: 'x' } },
    { slurm: { sbatch_options: { a: 1 } } },
    { slurm: { allowed_clusters: 'all' } },
    { ssh: { pod_config: {} } },
    { ssh: { allowed_node_pools: ['x'] } },
    { active_workspace: 'w' },
    { active_workspace: 1 },
    { hooks: [{ run: 'echo a' }] },
    { hooks: [{ run: 'echo a', events: ['preemption'] }] },
    { hooks: [{ run: 'echo a', events: ['bad'] }] },
    { hooks: 'x' },
    { hooks: [{}] },
    { serve: { controller: {} } },
    { nebius: {} },
    { oci: {} },
    { workspace: 'x' },
    { kubernetes: { pod_config: { spec: { containers: [{ image: 'x' }] } } } },
    { kubernetes: { provision_timeout: -1 } },
    { kubernetes: { custom_metadata: { labels: { a: 'b' } } } },
  ],
);
set(
  ['resources', 'accelerators'],
  [
    '80GB+',
    'nvidia:80GB:2',
    '24GB:1',
    'nvidia:24GB',
    'amd:80GB+:1',
    'A100:2:x',
    '80gb',
    'nvidia:A100:2',
    '0GB:1',
    '80GB:0',
    '80GB+:2',
    'nvidia:80GB',
    '1TB+',
    'H100:2.0',
    'H100:1.0',
  ],
);
set(
  ['resources', 'any_of'],
  [
    [{ cpus: 0 }],
    [{ memory: '4x+' }],
    [{ ports: 70000 }],
    [{ disk_size: '512MB' }],
    [{ infra: 'local' }],
    [{ accelerators: 'A100:0' }],
    [{ use_spot: 'x' }],
    [{ job_recovery: 'bad' }],
    [{ autostop: '1h' }],
  ],
);
set(
  ['resources', 'ordered'],
  [[{ memory: '4x' }], [{ infra: 'foo' }], [{ disk_tier: 'x' }], [{ accelerators: 'A100:1' }, { accelerators: 'H100:1' }, { accelerators: 'A100:1' }]],
);
set(['name'], ['a..b', 'a__b', 'a---b', 'a-.b', '1abc', 'a b', 'ä', 'a/b']);
set(['envs'], [{ A: 'x\ny' }, { A: '${B}' }, { A: 'x', B: '$A' }, { PATH: 'x' }, { A: 1e3 }, { A: -1 }, { A: '0x1' }]);
set(
  ['file_mounts'],
  [
    { '/a': { name: 'b', store: 'gcs' } },
    { '/a': { name: 'b', store: 'S3' } },
    { '/a': { name: 'b', source: '~/x' } },
    { '/a': { source: '/tmp', mode: 'MOUNT' } },
    { '/a': { source: 's3://b', mode: 'COPY' } },
    { '/a': { name: 'b', store: 'azure' } },
    { '/a': { name: 'b', store: 'r2' } },
    { '/a': { name: 'b', store: 'ibm' } },
    { '/a': { name: 'b', store: 'oci' } },
    { '/a': { name: 'b', store: 'nebius' } },
    { '/a': { name: 'b', store: 'coreweave' } },
    { '/a': { name: 'b', persistent: false } },
    { '/a': { name: 'b', _force_delete: true } },
    { '/a': { name: 'b', config: { x: 1 } } },
    { '/a': { name: 'b', mode: 'MOUNT', store: 's3', persistent: true } },
    { '/a': 'https://x.blob.core.windows.net/c' },
    { '/a': 'cos://us-east/b' },
    { '/a': 'oci://b' },
    { '/a': 'nebius://b' },
    { '/a': { source: 's3://b', name: 'c' } },
    { '/a': { name: 'UPPER' } },
    { '/a': { name: 'ab' } },
    { '/a': { name: 'a'.repeat(70) } },
    { '/a': { name: 'b.c' } },
    { '/a': { name: 'b', source: ['s3://a', 's3://b'] } },
    { '': 's3://b' },
    { '/a': 's3://' },
    { '/a': 's3://b', '/b': 's3://b' },
  ],
);
set(
  ['service', 'readiness_probe'],
  [
    { path: '/', initial_delay_seconds: 1.5 },
    { path: '/', post_data: [1] },
    { path: '/', headers: null },
    { path: '/', post_data: null },
    { path: '/v1?x=1' },
    '/ health',
  ],
  'service',
);
set(['service', 'ports'], [-1, 1.5, '80,81', [8080, 8081]], 'service');
set(
  ['service', 'replica_policy'],
  [
    { min_replicas: 1, max_replicas: 3, target_qps_per_replica: 1, spot_placer: 'dynamic_fallback' },
    { min_replicas: 1, max_replicas: 3, target_qps_per_replica: 1, spot_placer: 'x' },
    { min_replicas: 2, max_replicas: 3 },
    { min_replicas: 2, max_replicas: 3, target_qps_per_replica: 1, num_overprovision: 1 },
    { min_replicas: 2, max_replicas: 3, target_qps_per_replica: -1 },
  ],
  'service',
);
custom(
  'service.lbp-iall-with-qps-dict',
  'service',
  (d) => (
    d.setIn(['service', 'load_balancing_policy'], 'instance_aware_least_load'),
    d.deleteIn(['service', 'replicas']),
    d.setIn(['service', 'replica_policy'], d.createNode({ min_replicas: 1, max_replicas: 3, target_qps_per_replica: { 'A100:1': 5 } })),
    true
  ),
);
set(['num_nodes'], [65, 10000, '1', 2.0]);
set(['resources', 'ports'], [[80, 80], ['80-90', '85'], '  8080', [null], ['a-b']]);
set(['resources', 'volumes'], ['x']);
set(['resources', 'ephemeral_storage'], [100, '100GB', -1, 'x']);
set(['resources', 'cpus'], ['4+ ', '+', 'x+', '4.0', '04', 1.0]);
set(['resources', 'memory'], ['32.5GB', '.5', '32.', '1e2', '32 ', 'GB', '4X', '1PB', '32gb+', '32Gb']);

// Third pass: YAML 1.1 scalars as PyYAML reads them (written raw, not as the yaml library would quote them).
const RAW = '__raw_value__';
function setRaw(where: string[], raws: string[], needs: Alteration['needs'] = 'any'): void {
  for (const raw of raws) {
    alterations.push({
      id: `raw.${where.join('.')}=${raw.replace(/[^A-Za-z0-9.+-]+/g, '_')}`,
      needs,
      apply: (d) => {
        if (where[0] === 'resources' && !ensureResources(d)) return false;
        if (where[0] === 'service' && where.length > 1 && !isMap(d.getIn(['service']))) return false;
        if (where[0] === 'envs' && where.length > 1 && d.has('envs') && !isMap(d.get('envs'))) return false;
        d.setIn(where, RAW);
        rawOf.set(d, raw);
        return true;
      },
    });
  }
}
const rawOf = new WeakMap<Doc, string>();
const SCALARS = [
  'yes',
  'no',
  'on',
  'off',
  'Yes',
  'TRUE',
  '~',
  '0x10',
  '0o10',
  '010',
  '1_000',
  '1:30',
  '1e3',
  '1.0e+3',
  '.inf',
  '.nan',
  '"4"',
  "'4'",
  '4.',
  '!!str 4',
  '2020-01-01',
  '""',
  '0',
  '-0',
  '+4',
  '0.0',
];
for (const w of [
  ['num_nodes'],
  ['resources', 'cpus'],
  ['resources', 'memory'],
  ['resources', 'disk_size'],
  ['resources', 'use_spot'],
  ['resources', 'ports'],
  ['resources', 'autostop'],
  ['name'],
  ['envs', 'RAW_VAR'],
])
  setRaw(w, SCALARS);
setRaw(['service', 'replicas'], SCALARS, 'service');
setRaw(['service', 'readiness_probe'], ['/', "'/'", '~', 'yes', '0'], 'service');
setRaw(
  ['resources', 'accelerators'],
  ['A100:1:30', '{A100: 1:30}', '{A100: 0x2}', '{A100: yes}', '{A100: ~}', 'A100:0x2', '[A100, ~]', '{A100, V100}', '!!set {A100, V100}', '{A100: 1_0}'],
);
setRaw(['resources', 'ports'], ['[8080, 8_081]', '1:30', '[1:30]', '"8080-8_090"']);
set(['unknown_null'], [null]);
set(['resources', 'unknown_null'], [null]);
set(['service', 'unknown_null'], [null], 'service');
set(['resources', 'any_of'], [[{ cpus: null }], [{ unknown: null }], [{ infra: 'aws', accelerators: null }]]);
set(
  ['service', 'replica_policy'],
  [{ min_replicas: 1, max_replicas: null }, { min_replicas: 1, target_qps_per_replica: null }, { min_replicas: null }],
  'service',
);
set(['service', 'readiness_probe'], [{ path: null }, { path: '/', initial_delay_seconds: null }], 'service');
set(['file_mounts'], [{ '/a': { name: 'b', source: null } }, { '/a': { name: 'b', mode: null } }, { '/a': { name: 'b', unknown: null } }]);
set(['secrets'], [['secrets:A'], ['A'], [1], { 'secrets:A': null }, { 'secrets:A': 'x' }]);
set(['managed_secrets'], [['A'], [{ A: { mount_path: '/a' } }], [{ A: { x: 1 } }], 'A', [1]]);
set(['workdir'], [{ url: 'https://github.com/a/b', ref: 'main', x: 1 }, { url: 'https://github.com/a/b', ref: null }, { url: null }]);
set(
  ['resources', 'job_recovery'],
  [{ strategy: 'FAILOVER', max_restarts_on_errors: 0 }, { strategy: 'none' }, 'none', { strategy: 'EAGER_NEXT_REGION', x: 1 }],
);
set(
  ['resources', 'autostop'],
  [
    { idle_minutes: 0 },
    { down: false },
    { idle_minutes: null },
    { wait_for: 'none' },
    { wait_for: 'jobs_and_ssh' },
    { wait_for: 'JOBS' },
    '0',
    '0m',
    '5 m',
    ' 5',
  ],
);
set(['resources', 'labels'], [{ 'a/b': 'c' }, { 'k8s.io/x': 'y' }, { A: 'b' }, { a: 'b c' }, { a: 'x'.repeat(100) }]);

// Pipelines and job groups built from two corpus tasks: the header is what varies.
interface Header {
  id: string;
  header: string | null;
  /** Give the tasks names (a job group needs them). */
  names?: [string, string] | null;
}
const headers: Header[] = [
  { id: 'pipeline.name', header: 'name: pipe' },
  { id: 'pipeline.serial', header: 'name: pipe\nexecution: serial' },
  { id: 'pipeline.sequential', header: 'name: pipe\nexecution: sequential' },
  { id: 'pipeline.exec-null', header: 'name: pipe\nexecution: null' },
  { id: 'pipeline.exec-int', header: 'name: pipe\nexecution: 1' },
  { id: 'pipeline.name-int', header: 'name: 123' },
  { id: 'pipeline.name-null', header: 'name:' },
  { id: 'pipeline.no-header', header: null },
  { id: 'pipeline.extra-key', header: 'name: pipe\nexecution: serial\nfoo: 1' },
  { id: 'group.ok', header: 'name: grp\nexecution: parallel', names: ['a', 'b'] },
  { id: 'group.no-names', header: 'name: grp\nexecution: parallel', names: null },
  { id: 'group.same-names', header: 'name: grp\nexecution: parallel', names: ['a', 'a'] },
  { id: 'group.bad-name', header: 'name: my grp\nexecution: parallel', names: ['a', 'b'] },
  { id: 'group.no-name', header: 'execution: parallel', names: ['a', 'b'] },
  { id: 'group.job-dot', header: 'name: grp\nexecution: parallel', names: ['a.b', 'c'] },
  { id: 'group.primary', header: 'name: grp\nexecution: parallel\nprimary_tasks: [a]', names: ['a', 'b'] },
  { id: 'group.primary-unknown', header: 'name: grp\nexecution: parallel\nprimary_tasks: [z]', names: ['a', 'b'] },
  { id: 'group.primary-str', header: 'name: grp\nexecution: parallel\nprimary_tasks: a', names: ['a', 'b'] },
  { id: 'group.primary-empty', header: 'name: grp\nexecution: parallel\nprimary_tasks: []', names: ['a', 'b'] },
  { id: 'group.delay', header: 'name: grp\nexecution: parallel\nprimary_tasks: [a]\ntermination_delay: 30s', names: ['a', 'b'] },
  { id: 'group.delay-int', header: 'name: grp\nexecution: parallel\nprimary_tasks: [a]\ntermination_delay: 30', names: ['a', 'b'] },
  { id: 'group.delay-bad', header: 'name: grp\nexecution: parallel\nprimary_tasks: [a]\ntermination_delay: soon', names: ['a', 'b'] },
  { id: 'group.delay-map', header: 'name: grp\nexecution: parallel\nprimary_tasks: [a]\ntermination_delay: {default: 10s, b: 1m}', names: ['a', 'b'] },
  { id: 'group.delay-map-unknown', header: 'name: grp\nexecution: parallel\nprimary_tasks: [a]\ntermination_delay: {z: 10s}', names: ['a', 'b'] },
  { id: 'group.delay-no-primary', header: 'name: grp\nexecution: parallel\ntermination_delay: 30s', names: ['a', 'b'] },
  { id: 'group.extra-key', header: 'name: grp\nexecution: parallel\nfoo: 1', names: ['a', 'b'] },
  { id: 'group.delay-float', header: 'name: grp\nexecution: parallel\nprimary_tasks: [a]\ntermination_delay: 1.5', names: ['a', 'b'] },
  { id: 'group.delay-neg', header: 'name: grp\nexecution: parallel\nprimary_tasks: [a]\ntermination_delay: -5', names: ['a', 'b'] },
  { id: 'group.exec-upper', header: 'name: grp\nexecution: PARALLEL', names: ['a', 'b'] },
  { id: 'group.name-int', header: 'name: 5\nexecution: parallel', names: ['a', 'b'] },
];

function hash(s: string): number {
  return createHash('sha1').update(s).digest().readUInt32BE(0);
}

function corpusTasks(): { rel: string; text: string }[] {
  const root = path.join(corpusDir(), 'tasks');
  const out: { rel: string; text: string }[] = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.ya?ml$/.test(e.name)) out.push({ rel: path.relative(root, p), text: fs.readFileSync(p, 'utf8') });
    }
  };
  walk(root);
  return out.sort((a, b) => a.rel.localeCompare(b.rel)).filter((t) => !CORPUS_REJECTS.has(t.rel));
}

const isSingleDocument = (text: string) => !/^---\s*$/m.test(text.replace(/^---\s*\n/, ''));

function fits(a: Alteration, doc: Doc): boolean {
  if (a.needs === 'service') return isMap(doc.getIn(['service'])) && !doc.hasIn(['service', 'pool']);
  if (a.needs === 'pool') return doc.hasIn(['pool']) || doc.hasIn(['service', 'pool']);
  return true;
}

function main(): void {
  const out = process.argv[2];
  const per = Number(process.argv[3] ?? 2);
  if (!out) throw new Error('usage: generate.ts OUT_DIR [PER_ALTERATION]');
  fs.mkdirSync(out, { recursive: true });
  const tasks = corpusTasks().filter((t) => isSingleDocument(t.text));
  const written: string[] = [];
  const write = (name: string, text: string) => {
    const file = path.join(out, `${name.replace(/[^A-Za-z0-9._+=-]+/g, '_')}.yaml`);
    fs.writeFileSync(file, text);
    written.push(file);
  };
  for (const a of alterations) {
    const order = [...tasks].sort((x, y) => hash(a.id + x.rel) - hash(a.id + y.rel));
    let n = 0;
    for (const t of order) {
      if (n >= per) break;
      const doc = parseDocument(t.text);
      if (doc.errors.length || !isMap(doc.contents) || !fits(a, doc)) continue;
      if (!a.apply(doc)) continue;
      const raw = rawOf.get(doc);
      const text = raw === undefined ? String(doc) : String(doc).replace(RAW, raw);
      write(`${a.id}__${t.rel.replace(/\//g, '__').replace(/\.ya?ml$/, '')}`, text);
      n++;
    }
  }
  for (const h of headers) {
    const order = [...tasks].filter((t) => !/^\s*(service|pool):/m.test(t.text)).sort((x, y) => hash(h.id + x.rel) - hash(h.id + y.rel));
    for (let i = 0; i + 1 < order.length && i < 2 * per; i += 2) {
      const docs = [order[i], order[i + 1]].map((t, j) => {
        const doc = parseDocument(t.text);
        doc.delete('name');
        if (h.names) doc.set('name', h.names[j]);
        return String(doc);
      });
      const body = docs.join('---\n');
      write(`${h.id}__${order[i].rel.replace(/\//g, '__').replace(/\.ya?ml$/, '')}`, h.header === null ? body : `${h.header}\n---\n${body}`);
    }
  }
  fs.writeFileSync(path.join(out, 'list'), written.join('\n') + '\n');
  console.log(`${written.length} files from ${alterations.length + headers.length} alterations in ${out}`);
}

main();
