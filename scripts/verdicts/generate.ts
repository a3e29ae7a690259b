// Dev tool (not run by `npm test`): writes altered copies of the real corpus tasks, one field
// changed per file, to compare SkyDeck's verdict with SkyPilot's (the referee in
// ../shared/reference/skypilot-referee). Each alteration is applied to a few corpus tasks it
// fits, chosen by a stable hash so reruns write the same files.
// Usage: node --import tsx scripts/verdicts/generate.ts OUT_DIR [PER_ALTERATION=2] [--seed S]
// Writes OUT_DIR/<alteration>__<task>.yaml and OUT_DIR/list (one path a line, for `@list`);
// OUT_DIR/list.new lists the files of the held-out style pass alone. --seed picks other tasks
// for the same alterations (a set not tuned on).
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

// Held-out style pass: every field with every wrong type, nesting, and the forms users write by hand.
// The files it writes are also listed in OUT_DIR/list.new, to measure them apart.
const HELD_OUT_START = alterations.length;
const textEdits: { id: string; edit: (text: string) => string | null }[] = [];
function editText(id: string, edit: (text: string) => string | null): void {
  textEdits.push({ id, edit });
}
const ALL_TYPES: Json[] = [null, true, false, 0, 1, -1, 2.5, '', 'x', [], {}, ['x'], [1], { a: 1 }, { a: null }];
for (const f of [
  'name',
  'workdir',
  'num_nodes',
  'setup',
  'run',
  'envs',
  'secrets',
  'file_mounts',
  'config',
  'volumes',
  'event_callback',
  'api_server_access',
]) {
  set(
    [f],
    ALL_TYPES.filter((_, i) => hash(`${f}${i}`) % 3 !== 0),
  );
}
const RES_FIELDS = [
  'cpus',
  'memory',
  'disk_size',
  'disk_tier',
  'network_tier',
  'accelerators',
  'gpus',
  'accelerator_args',
  'infra',
  'instance_type',
  'use_spot',
  'job_recovery',
  'ports',
  'image_id',
  'labels',
  'autostop',
  'any_of',
  'ordered',
  'ephemeral_storage',
  'max_hourly_cost',
  'local_disk',
  'priority',
  'priority_class',
  'volumes',
];
for (const f of RES_FIELDS)
  set(
    ['resources', f],
    ALL_TYPES.filter((_, i) => hash(`r${f}${i}`) % 3 !== 1),
  );
// The same inside an any_of / ordered candidate.
for (const f of RES_FIELDS.filter((f) => f !== 'any_of' && f !== 'ordered')) {
  const vs = ALL_TYPES.filter((_, i) => hash(`a${f}${i}`) % 4 === 0);
  set(
    ['resources', 'any_of'],
    vs.map((v) => [{ [f]: v }] as Json),
  );
  set(
    ['resources', 'ordered'],
    vs.slice(0, 1).map((v) => [{ infra: 'aws' }, { [f]: v }] as Json),
  );
}
for (const f of ['readiness_probe', 'replicas', 'replica_policy', 'ports', 'load_balancing_policy', 'tls', 'load_balancer', 'pool', 'workers']) {
  set(
    ['service', f],
    ALL_TYPES.filter((_, i) => hash(`s${f}${i}`) % 3 !== 2),
    'service',
  );
}
for (const f of [
  'min_replicas',
  'max_replicas',
  'target_qps_per_replica',
  'upscale_delay_seconds',
  'downscale_delay_seconds',
  'base_ondemand_fallback_replicas',
]) {
  set(
    ['service', 'replica_policy'],
    [null, 'x', -1, 0, 2.5, true, [1]].map((v) => ({ min_replicas: 1, max_replicas: 3, target_qps_per_replica: 2, [f]: v })),
    'service',
  );
}
set(
  ['service', 'load_balancer'],
  [{ stream_timeout_seconds: 0 }, { stream_timeout_seconds: -1 }, { stream_timeout_seconds: 60 }, { stream_timeout_seconds: 'x' }, { x: 1 }, {}],
  'service',
);
set(
  ['service', 'readiness_probe'],
  [
    { path: '/', timeout_seconds: 'x' },
    { path: '/', headers: { A: null } },
    { path: '/', headers: [{ A: 'b' }] },
    { path: '/', post_data: 1 },
    { path: '/', initial_delay_seconds: 1e6 },
    { path: '/health', initial_delay_seconds: 10, timeout_seconds: 5, post_data: { a: 1 }, headers: { A: 'b' } },
    'http://x/health',
    '//',
  ],
  'service',
);
set(
  ['pool'],
  [
    { workers: 1.5 },
    { workers: null },
    { workers: true },
    { workers: 2, min_workers: 1 },
    { min_workers: 1, max_workers: 3 },
    { min_workers: 3, max_workers: 1 },
    { workers: 2, queue_length_threshold: 0 },
    { workers: 2, upscale_delay_seconds: -1 },
    { max_workers: 2 },
    [{ workers: 2 }],
    { Workers: 2 },
  ],
  'pool',
);
set(['pool'], [{ workers: 1.5 }, { workers: 2, min_workers: 1 }, { min_workers: 1, max_workers: 3 }, { workers: 2, queue_length_threshold: 0 }], 'any');
set(
  ['config'],
  [
    { kubernetes: { pod_config: [] } },
    { aws: { vpc_name: 1 } },
    { aws: { security_group_name: 'x' } },
    { aws: { use_internal_ips: 'x' } },
    { aws: { disk_encrypted: true } },
    { aws: { ssh_proxy_command: 'x' } },
    { aws: { labels: 'x' } },
    { jobs: { bucket: 's3://x' } },
    { jobs: 'x' },
    { serve: 'x' },
    { api_server: { endpoint: 'http://x' } },
    { allowed_clouds: 'aws' },
    { allowed_clouds: ['foo'] },
    { docker: { run_options: [1] } },
    { gcp: { labels: 'x' } },
    { gcp: { specific_reservations: ['x'] } },
    { gcp: { enable_gvnic: 'x' } },
    { gcp: { enable_gpu_direct: true } },
    { kubernetes: { autoscaler: 'gke' } },
    { kubernetes: { autoscaler: 'x' } },
    { kubernetes: { ports: 'ingress' } },
    { kubernetes: { ports: 'x' } },
    { kubernetes: { allowed_contexts: ['a'] } },
    { kubernetes: { context_configs: { a: { provision_timeout: 10 } } } },
    { kubernetes: { networking: 'x' } },
    { kubernetes: { high_availability: {} } },
    { kubernetes: { pod_config: { metadata: { labels: { a: 1 } } } } },
    { kubernetes: { remote_identity: 1 } },
    { kubernetes: { remote_identity: { ctx: 'sa' } } },
    { aws: { remote_identity: 'LOCAL_CREDENTIALS' } },
    { aws: { remote_identity: 'x' } },
    { gcp: { remote_identity: 'SERVICE_ACCOUNT' } },
    { lambda: {} },
    { runpod: { x: 1 } },
    { provision: { ssh_timeout: 10 } },
    { jobs: { controller: { resources: { cpus: 'x' } } } },
    { serve: { controller: { resources: { memory: '4x' } } } },
    { logs: { store: 'gcp' } },
    { usage: {} },
    { db: 'x' },
    { daemons: {} },
    { rbac: {} },
    { config: {} },
    { Kubernetes: {} },
    { nvidia_gpus: {} },
    { nvidia_gpus: { disable_ecc: 1 } },
    { kubernetes: null },
    { aws: null },
    { docker: null },
  ],
);
set(
  ['file_mounts'],
  [
    { '/a': { source: 's3://b', mode: 'COPY', store: 's3' } },
    { '/a': { name: 'b', source: '/tmp', store: 's3' } },
    { './a': 's3://b' },
    { 'a/b': 's3://b' },
    { '/a': 's3://b', '/a/': 's3://c' },
    { '/a': '~/x' },
    { '/a': './x' },
    { 's3://c': '/x' },
    { '/a': 1.5 },
    { '/a': true },
    { '/a': { name: 1 } },
    { '/a': { name: 'b', mode: 1 } },
    { '/a': { name: 'b', persistent: 1 } },
    { '/a': { name: 'b', store: 1 } },
    { '/a': { source: 's3://b', store: 'gcs' } },
    { '/a': { name: 'b', source: ['~/x', '~/y'] } },
    { '/a': { name: 'b', source: [] } },
    { '/a': { name: 'b', mode: 'COPY' } },
    { '/a': 'https://example.com/x' },
    { '/a': { source: '~/x', mode: 'MOUNT' } },
    { '/a': { source: 'gs://b', mode: 'MOUNT_CACHED' } },
    { '/a': { name: 'b', store: 's3', config: { x: 1 } } },
    { '/a': { name: 's3://b' } },
    { '/a': { source: 's3://b/c/d' } },
    { '/a': { source: 's3://b', name: 'b' } },
    { '~': 's3://b' },
    { '/': 's3://b' },
    { '/a b': 's3://b' },
    { 1: 's3://b' },
    { '/a': 'hf://x' },
    { '/a': 'gs://b', '/b': { name: 'c', mode: 'MOUNT' } },
    [{ '/a': 's3://b' }],
  ],
);
set(
  ['envs'],
  [
    { A: {} },
    { A: [] },
    { A: 'x', a: 'y' },
    { 'A B': 'x' },
    { _A: 'x' },
    { 'A.B': 'x' },
    { A: '$(echo hi)' },
    [{ A: 1 }],
    'x',
    true,
    1,
    { SKYPILOT_NODE_RANK: 'x' },
    { A: 'x'.repeat(5000) },
    { 1: 'x' },
    { A: false },
    { A: 0 },
  ],
);
set(['secrets'], [{ A: {} }, { A: 1.5 }, { 'A-B': 'x' }, { A: 'x', B: null }, true, ['A=1'], { _A: 'x' }, { A: false }, 'x', 1, { 1: 'x' }]);
custom('envs+secrets.same-key', 'any', (d) => (d.setIn(['envs', 'SAME_KEY'], 'a'), d.setIn(['secrets', 'SAME_KEY'], 'b'), true));
custom('envs+secrets.null-secret', 'any', (d) => (d.setIn(['secrets', 'TOKEN_X'], null), true));
set(['num_nodes'], ['1', ' 2', 2.5, 1.0, 0.0, '0', [2], { n: 2 }, 2 ** 31, 2 ** 53, -0, '1e1', '+2']);
set(
  ['resources', 'ports'],
  [
    '8080-',
    '-8080',
    ' 8080 - 8090',
    '8080 ',
    '08080',
    ['80', 81, '82-83'],
    [[80]],
    { 8080: 1 },
    '1-1',
    1,
    '65535-65535',
    '0',
    [0],
    [-1],
    ['x'],
    [1.5],
    '80, 81',
    '80,,81',
    ['80,81'],
    [65536],
    ['0-5'],
    '70000',
    ['8080-8079'],
  ],
);
set(
  ['resources', 'autostop'],
  [
    '5h',
    '5H',
    '1 h',
    '10mm',
    '10m5',
    'm',
    'h',
    '0h',
    '-1m',
    '60min',
    { idle_minutes: 1.5 },
    { idle_minutes: true },
    { down: 1 },
    { down: null },
    { idle_minutes: 10, down: true, wait_for: 'none' },
    { hook: ['x'] },
    { hook_timeout: -1 },
    { hook_timeout: 'x' },
    { hook_timeout: 1.5 },
    'true',
    'yes',
    '',
    {},
    1e3,
    '2d',
    '1D',
    '90',
    { idle_minutes: '30m' },
    { idle_minutes: '1d' },
    { idle_minutes: 0, down: true },
    { down: 'true' },
    { wait_for: null },
    { idle_minutes: 5, hook: 'echo x', hook_timeout: 0 },
  ],
);
set(
  ['resources', 'labels'],
  [
    { a: true },
    { a: 1.5 },
    { a: [] },
    { 1: 'x' },
    { a: 'b', A: 'c' },
    { '-a': 'b' },
    { a: '' },
    { ['k'.repeat(70)]: 'y' },
    { a_b: 'c' },
    { 'a.b/c': 'd' },
    { a: { b: 'c' } },
  ],
);
set(
  ['resources', 'disk_size'],
  [
    '100gb',
    '100 GB',
    '100Gi',
    '100GiB',
    '0',
    '0GB',
    '-10',
    '100.5GB',
    '1e3',
    '100T',
    '100TB',
    '100K',
    '100KB',
    '100MB',
    '100PB',
    '1.5TB',
    '+100',
    256.0,
    '256.0',
    ' 256',
  ],
);
set(['resources', 'disk_tier'], ['Low', 'MEDIUM', 'best ', ['low'], {}, true, 'Ultra', 'standard']);
set(['resources', 'network_tier'], ['Standard', 'medium', 'low', '', true, ['best']]);
set(
  ['resources', 'infra'],
  [
    'aws/us-east-1/',
    '/aws',
    'aws//',
    'k8s/',
    'kubernetes/',
    'K8S/ctx',
    'gcp/*',
    'gcp/*/*',
    '*/*',
    '**',
    'aws us-east-1',
    'aws/us east',
    'ssh/',
    'slurm',
    'slurm/a/b',
    'ibm/x',
    'fluidstack',
    'cudo/x/y',
    'hyperbolic',
    'seeweb',
    'shadeform',
    'yotta',
    'mithril',
    'verda',
    'primeintellect',
    'paperspace',
    'scp',
    'vsphere',
    'aws/US-EAST-1',
    'Aws',
    'kubernetes/arn:aws:eks:us-east-1:1:cluster/x',
    'k8s/ctx/ns',
    'ssh/a/b',
    ' aws',
    'aws ',
    'aws/us-east-1/us-east-1a/x',
    'azure/eastus/1',
    'lambda/us-east-1/x',
    'local/x',
    'cloud',
  ],
);
set(
  ['resources', 'accelerators'],
  [
    { A100: 1, 'V100:2': 1 },
    'A100:1,V100:1',
    'A100,V100',
    'A100;1',
    'A100x2',
    ' A100',
    'A100 ',
    { A100: '1:2' },
    { '': 1 },
    { A100: -1 },
    { A100: true },
    { A100: [1] },
    ['A100:1', { V100: 1 }],
    [['A100']],
    ['A100', null],
    [1],
    'tpu-v6e-8',
    'tpu-v5p-8',
    'tpu-v4-8:1',
    'tpu-v3-8',
    'TPU-V4-8',
    'gaudi-hl-205',
    'Inferentia:1',
    'trainium:16',
    'A100-40GB:2',
    'A100:16',
    'A100:2.5',
    { A100: 2.5 },
    { a100: 1 },
    'A100:+2',
    'A100:2+',
    'A100:1:2',
    'nvidia:A100',
    'H100:0.0',
    { H100: 0.5 },
    ['H100:8', 'H100:8'],
    { 'tpu-v5e-8': 2 },
    'tpu-v5litepod-8',
  ],
);
set(['resources', 'cpus'], ['4+ ', '2+2', '1/2', '4.5+', '-4', '4++', '0.1', 1e-3, '1e-3', ' 4+', '4-8', '∞', 'inf', 'nan', '4,8', '00', '4.', '.5+']);
set(
  ['resources', 'memory'],
  ['64gb+', '64 GB+', '64G+', '64GiB', '64Gi+', '0.5x', '2x+', '2X', '1e3', '1e3GB', '1.5TB+', '-64GB', '64B', '64KiB', '+64', '64x', 'x', '64GB+ ', ' 64'],
);
set(
  ['resources', 'job_recovery'],
  [
    { strategy: 'FAILOVER', recover_on_exit_codes: [-1] },
    { strategy: 'FAILOVER', recover_on_exit_codes: [1.5] },
    { recover_on_exit_codes: [] },
    { recover_on_exit_codes: 1 },
    { max_restarts_on_errors: 1.5 },
    { max_restarts_on_errors: true },
    'Failover',
    '',
    { strategy: '' },
    ['FAILOVER'],
  ],
);
set(
  ['resources', 'image_id'],
  [
    { docker: 'ubuntu' },
    { 'us-east-1': null },
    { 'us-east-1': 'ami-1', 'us-west-2': 'ami-2' },
    'docker:ubuntu:22.04',
    'skypilot:gpu-ubuntu-2204',
    'projects/x/global/images/y',
    {},
    true,
  ],
);
set(
  ['resources', 'accelerator_args'],
  [{ runtime_version: 1 }, { tpu_vm: 'x' }, { gcp_queued_resource: true }, { gcp_queued_resource: 'x' }, { tpu_name: null }, [{ tpu_vm: true }]],
);
set(['resources', 'local_disk'], ['nvme:1000+', 'ssd:500', 'nvme', '1000', 'nvme:x', 1000, 'nvme:1000++']);
set(['resources', 'priority'], [1000, 1001, -1000, -1001, 1.5, '10', null]);
set(['resources', 'max_hourly_cost'], [null, '5', true, 1e9, 0.001]);
set(['resources', 'ephemeral_storage'], ['100Gi', '1TB', 0, '0', 1.5, null, '100 GB', true]);
set(
  ['resources', 'volumes'],
  [
    [{ path: '/a', disk_size: 10 }],
    [{ path: '/a', x: 1 }],
    [{ path: '/a', disk_tier: 'x' }],
    [{ path: 1 }],
    { path: '/a' },
    [{ storage_type: 'network' }],
    [{ path: '/a', attach_mode: 'read_only' }],
  ],
);
set(['resources', 'use_spot'], ['True', 'false', 'on', 'Y']);
set(['resources', 'instance_type'], ['p3.2xlarge ', 'x'.repeat(200), 1.5, true]);
set(['resources', 'region'], ['us-east-1 ', ['us-east-1'], { a: 1 }, true]);
set(['resources', 'zone'], ['', null, ['a'], true]);
custom(
  'resources.cloud+region+zone-mismatch',
  'any',
  (d) => ensureResources(d) && (d.setIn(['resources', 'cloud'], 'gcp'), d.setIn(['resources', 'zone'], 'us-east-1a'), true),
);
custom(
  'resources.infra+zone',
  'any',
  (d) => ensureResources(d) && (d.setIn(['resources', 'infra'], 'aws/us-east-1'), d.setIn(['resources', 'zone'], 'us-east-1a'), true),
);
custom(
  'resources.accelerators+gpus',
  'any',
  (d) => ensureResources(d) && (d.setIn(['resources', 'accelerators'], 'A100:1'), d.setIn(['resources', 'gpus'], 'A100:1'), true),
);
custom('resources.gpus-only', 'any', (d) => ensureResources(d) && (d.deleteIn(['resources', 'accelerators']), d.setIn(['resources', 'gpus'], 'H100:8'), true));
custom(
  'resources.spot_recovery+job_recovery',
  'any',
  (d) => ensureResources(d) && (d.setIn(['resources', 'spot_recovery'], 'FAILOVER'), d.setIn(['resources', 'job_recovery'], 'FAILOVER'), true),
);
custom(
  'resources.any_of-with-ordered-item',
  'any',
  (d) => ensureResources(d) && (d.setIn(['resources', 'any_of'], d.createNode([{ ordered: [{ infra: 'aws' }] }])), true),
);
custom(
  'resources.any_of-two-cpus',
  'any',
  (d) => ensureResources(d) && (d.setIn(['resources', 'cpus'], 4), d.setIn(['resources', 'any_of'], d.createNode([{ cpus: 8 }, { memory: 32 }])), true),
);
custom('resources.ordered-null-item', 'any', (d) => ensureResources(d) && (d.setIn(['resources', 'ordered'], d.createNode([{ infra: 'aws' }, null])), true));
custom(
  'resources.any_of-infra-and-cloud',
  'any',
  (d) => ensureResources(d) && (d.setIn(['resources', 'any_of'], d.createNode([{ infra: 'aws', cloud: 'gcp' }])), true),
);
custom(
  'resources.any_of-ports-differ',
  'any',
  (d) => ensureResources(d) && (d.setIn(['resources', 'any_of'], d.createNode([{ ports: 80 }, { ports: '81-82' }])), true),
);
custom('resources.any_of-labels-list', 'any', (d) => ensureResources(d) && (d.setIn(['resources', 'any_of'], d.createNode([{ labels: ['a'] }])), true));
custom(
  'resources.any_of-spot-recovery',
  'any',
  (d) => ensureResources(d) && (d.setIn(['resources', 'any_of'], d.createNode([{ job_recovery: 'FAILOVER' }, { job_recovery: 'EAGER_NEXT_REGION' }])), true),
);
custom(
  'resources.any_of-autostop-differ',
  'any',
  (d) => ensureResources(d) && (d.setIn(['resources', 'any_of'], d.createNode([{ autostop: 10 }, { autostop: 20 }])), true),
);
custom(
  'resources.any_of-priority-differ',
  'any',
  (d) => ensureResources(d) && (d.setIn(['resources', 'any_of'], d.createNode([{ priority: 1 }, { priority: 2 }])), true),
);
custom(
  'resources.any_of-volumes',
  'any',
  (d) => ensureResources(d) && (d.setIn(['resources', 'any_of'], d.createNode([{ volumes: [{ path: '/a', disk_size: 10 }] }])), true),
);
custom('service.with-pool-key', 'service', (d) => (d.setIn(['service', 'pool'], d.createNode({ workers: 2 })), true));
custom('service.no-readiness', 'service', (d) => (d.deleteIn(['service', 'readiness_probe']), true));
custom('service.no-ports-anywhere', 'service', (d) => (d.deleteIn(['service', 'ports']), d.deleteIn(['resources', 'ports']), true));
custom(
  'service.two-resource-ports',
  'service',
  (d) => (d.deleteIn(['service', 'ports']), ensureResources(d) && d.setIn(['resources', 'ports'], d.createNode([8080, 8081])), true),
);
custom('service.port-range', 'service', (d) => (d.deleteIn(['service', 'ports']), ensureResources(d) && d.setIn(['resources', 'ports'], '8080-8081'), true));
custom('service+pool-top', 'service', (d) => (d.setIn(['pool'], d.createNode({ workers: 1 })), true));
custom('service.num_nodes-2', 'service', (d) => (d.setIn(['num_nodes'], 2), true));
custom('service.no-run', 'service', (d) => (d.delete('run'), true));
custom('pool.with-run', 'pool', (d) => (d.setIn(['run'], 'echo hi'), true));
custom('pool.with-ports', 'pool', (d) => ensureResources(d) && (d.setIn(['resources', 'ports'], 8080), true));
custom('pool.with-num_nodes', 'pool', (d) => (d.setIn(['num_nodes'], 2), true));
custom('drop-run', 'any', (d) => (d.delete('run'), true));
custom('drop-resources', 'any', (d) => (d.delete('resources'), true));
custom('drop-everything-but-run', 'any', (d) => {
  for (const k of [...(d.contents as { items: { key: { value: string } }[] }).items.map((i) => String(i.key.value))]) if (k !== 'run') d.delete(k);
  return true;
});
for (const k of [
  'Name',
  'RUN',
  'Setup',
  'experimental',
  'service_name',
  'job_recovery',
  'kubernetes',
  'storage_mounts',
  'dag',
  'user',
  'workspace',
  'cloud',
  'accelerators',
  'image_id',
  'docker_image',
  'ports',
  'autostop',
  'labels',
  'cpus',
  'infra',
  'use_spot',
  'region',
])
  set([k], ['x']);
set(
  ['workdir'],
  [
    { url: 'git@github.com:a/b.git' },
    { url: 'https://github.com/a/b', ref: 1 },
    { url: '' },
    { url: 'https://github.com/a/b', ref: '' },
    '/nonexistent/path',
    's3://b',
    'https://github.com/a/b',
  ],
);
set(
  ['volumes'],
  [
    { '/a': { name: 'v', sub_path: 'x' } },
    { '/a': { size: '10Gi' } },
    { '/a': { size: 10, type: 'k8s-pvc' } },
    { '/a': { x: 1 } },
    { '/a': null },
    { '/a': '' },
    { '/a': { name: 'v', labels: { a: 1 } } },
    { '/a': ['v'] },
    'x',
    [],
  ],
);
set(['managed_secrets'], [[{ A: null }], [{ A: { mount_path: 1 } }], null, {}, [], [['A']]]);
set(['inputs'], [null, {}, { 's3://a': 'x' }, { 's3://a': -1 }, ['s3://a']]);
set(['outputs'], [null, {}, { 's3://a': 'x' }, { 's3://a': 1, 's3://b': 2 }]);
set(['event_callback'], [null, '', { a: 1 }]);
set(['api_server_access'], ['yes', 'x', 0]);
set(['setup'], [['a', 'b'], 1.5, 'exit 1']);
set(['run'], ['', ' ', 'echo "unterminated', 'for i in; do', 'exit 1', [['x']]]);
set(['name'], ['a.', '.a', '_a', 'a_', 'a-', 'A', 'a'.repeat(64), 'a'.repeat(63), 'ñame', 'a:b', 'a@b', 'a+b', '123', 'a--b', 'a__.b']);
setRaw(['resources', 'disk_size'], ['100_000', '0o17', '1:0', '.5', '1e2']);
setRaw(['resources', 'accelerators'], ['{A100: 1, A100: 2}', '[A100:1]', '{A100:1}', 'A100:1 # comment', '"A100:1"', '!!str 8', '{? A100}']);
setRaw(['resources', 'infra'], ['aws # c', '"aws"', '~', 'yes', '!!str 123']);
setRaw(
  ['service', 'replica_policy'],
  ['{min_replicas: 1, max_replicas: 1:30, target_qps_per_replica: 1}', '{min_replicas: 0x1}', '{min_replicas: yes}'],
  'service',
);
setRaw(['num_nodes'], ['!!int "2"', '!!float 2', '2.0e0', '1_0']);
setRaw(['envs', 'RAW_VAR'], ['!!binary aGk=', '[1, 2]', '{a: 1}', '1.0', 'null', 'Null', 'NULL', '1e400', '-.inf', '0b101']);
setRaw(['resources', 'use_spot'], ['y', 'n', 'Y', 'ON', 'Off']);
setRaw(['resources', 'labels'], ['{a: yes}', '{a: 1}', '{yes: a}', '{1: a}', '{a: ~}']);
setRaw(['resources', 'autostop'], ['10m', '1:30', '{idle_minutes: 1_0}', '{idle_minutes: 0x10}', '{down: yes}', 'Yes']);
// Text-level changes PyYAML reads differently or refuses.
editText('text.duplicate-run', (t) => (/^run:/m.test(t) ? `${t.trimEnd()}\nrun: echo twice\n` : null));
editText('text.duplicate-resources', (t) => (/^resources:/m.test(t) ? `${t.trimEnd()}\nresources:\n  cpus: 2\n` : null));
editText('text.duplicate-name', (t) => `${t.trimEnd()}\nname: second\n`);
editText('text.tab-indent', (t) => (/^resources:\n {2}\S/m.test(t) ? t.replace(/^resources:\n {2}/m, 'resources:\n\t') : null));
editText('text.bom', (t) => `\ufeff${t}`);
editText('text.crlf', (t) => t.replace(/\n/g, '\r\n'));
editText('text.leading-doc-marker', (t) => `---\n${t}`);
editText('text.trailing-doc-marker', (t) => `${t.trimEnd()}\n---\n`);
editText('text.trailing-end-marker', (t) => `${t.trimEnd()}\n...\n`);
editText('text.trailing-empty-doc', (t) => `${t.trimEnd()}\n---\n# nothing\n`);
editText('text.anchor-alias', (t) => (/^run:/m.test(t) ? `x_anchor: &a echo\n${t}` : null));
editText('text.merge-key', (t) => (/^resources:\n/m.test(t) ? t.replace(/^resources:\n/m, 'resources:\n  <<: {cpus: 2}\n') : null));
editText('text.merge-key-top', (t) => `<<: {num_nodes: 1}\n${t}`);
editText('text.only-comment', () => '# nothing here\n');
editText('text.empty', () => '');
editText('text.only-marker', () => '---\n');
editText('text.scalar-doc', () => 'echo hi\n');
editText('text.list-doc', () => '- run: echo hi\n');
editText('text.unclosed-quote', (t) => `${t.trimEnd()}\nsetup: "echo\n`);
editText('text.bad-indent', (t) => (/^resources:\n {2}\S/m.test(t) ? t.replace(/^resources:\n {2}(\S[^\n]*)\n/m, 'resources:\n  $1\n    x: 1\n') : null));
editText('text.flow-map', () => '{run: echo hi, num_nodes: 2}\n');
editText('text.key-with-colon', (t) => `${t.trimEnd()}\n"a:b": 1\n`);
editText('text.complex-key', (t) => `${t.trimEnd()}\n? [a, b]\n: 1\n`);
editText('text.null-key', (t) => `${t.trimEnd()}\n~: 1\n`);
editText('text.int-key', (t) => `${t.trimEnd()}\n1: x\n`);
editText('text.yaml-directive', (t) => `%YAML 1.1\n---\n${t}`);
editText('text.tag-map', (t) => `--- !!map\n${t}`);
editText('text.envs-dup', (t) => (/^envs:\n {2}(\w+):/m.test(t) ? t.replace(/^envs:\n( {2})(\w+):([^\n]*)\n/m, 'envs:\n$1$2:$3\n$1$2: dup\n') : null));

// Pipelines and job groups built from two corpus tasks: the header is what varies.
interface Header {
  id: string;
  header: string | null;
  /** Give the tasks names (a job group needs them). */
  names?: [string, string] | null;
  /** A further document after the two tasks. */
  extra?: string;
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
const HELD_OUT_HEADERS = headers.length;
headers.push(
  { id: 'pipeline.three', header: 'name: pipe', extra: 'name: third\nrun: echo 3\n' },
  { id: 'pipeline.null-doc', header: 'name: pipe', extra: '' },
  { id: 'pipeline.list-doc', header: 'name: pipe', extra: '- run: echo x\n' },
  { id: 'pipeline.scalar-doc', header: 'name: pipe', extra: 'echo x\n' },
  { id: 'pipeline.name-list', header: 'name: [x]' },
  { id: 'pipeline.exec-only', header: 'execution: serial' },
  { id: 'pipeline.header-run', header: 'name: pipe\nrun: echo hi' },
  { id: 'pipeline.header-envs', header: 'name: pipe\nenvs:\n  A: b' },
  { id: 'pipeline.same-names', header: 'name: pipe', names: ['a', 'a'] },
  { id: 'pipeline.bad-task-name', header: 'name: pipe', names: ['a b', 'c'] },
  { id: 'pipeline.exec-parallel-no-names', header: 'name: pipe\nexecution: parallel' },
  { id: 'group.three', header: 'name: grp\nexecution: parallel', names: ['a', 'b'], extra: 'name: c\nrun: echo c\n' },
  { id: 'group.three-unnamed', header: 'name: grp\nexecution: parallel', names: ['a', 'b'], extra: 'run: echo c\n' },
  { id: 'group.primary-dup', header: 'name: grp\nexecution: parallel\nprimary_tasks: [a, a]', names: ['a', 'b'] },
  { id: 'group.primary-all', header: 'name: grp\nexecution: parallel\nprimary_tasks: [a, b]', names: ['a', 'b'] },
  { id: 'group.primary-null', header: 'name: grp\nexecution: parallel\nprimary_tasks:', names: ['a', 'b'] },
  { id: 'group.primary-int', header: 'name: grp\nexecution: parallel\nprimary_tasks: [1]', names: ['a', 'b'] },
  { id: 'group.delay-30x', header: 'name: grp\nexecution: parallel\nprimary_tasks: [a]\ntermination_delay: 30x', names: ['a', 'b'] },
  { id: 'group.delay-5m', header: 'name: grp\nexecution: parallel\nprimary_tasks: [a]\ntermination_delay: 5m', names: ['a', 'b'] },
  { id: 'group.delay-1h', header: 'name: grp\nexecution: parallel\nprimary_tasks: [a]\ntermination_delay: 1h', names: ['a', 'b'] },
  { id: 'group.delay-zero', header: 'name: grp\nexecution: parallel\nprimary_tasks: [a]\ntermination_delay: 0', names: ['a', 'b'] },
  { id: 'group.delay-null', header: 'name: grp\nexecution: parallel\nprimary_tasks: [a]\ntermination_delay:', names: ['a', 'b'] },
  { id: 'group.delay-map-primary', header: 'name: grp\nexecution: parallel\nprimary_tasks: [a]\ntermination_delay: {a: 10s}', names: ['a', 'b'] },
  { id: 'group.delay-map-bad', header: 'name: grp\nexecution: parallel\nprimary_tasks: [a]\ntermination_delay: {b: soon}', names: ['a', 'b'] },
  { id: 'group.delay-map-int', header: 'name: grp\nexecution: parallel\nprimary_tasks: [a]\ntermination_delay: {default: 10}', names: ['a', 'b'] },
  { id: 'group.delay-list', header: 'name: grp\nexecution: parallel\nprimary_tasks: [a]\ntermination_delay: [10s]', names: ['a', 'b'] },
  { id: 'group.upper-names', header: 'name: grp\nexecution: parallel', names: ['A', 'B'] },
  { id: 'group.name-as-task', header: 'name: grp\nexecution: parallel', names: ['grp', 'b'] },
  { id: 'group.exec-serial-names', header: 'name: grp\nexecution: serial', names: ['a', 'b'] },
  { id: 'group.exec-list', header: 'name: grp\nexecution: [parallel]', names: ['a', 'b'] },
  { id: 'group.name-dot', header: 'name: g.x\nexecution: parallel', names: ['a', 'b'] },
  { id: 'group.name-dash', header: 'name: g-x_1\nexecution: parallel', names: ['a-1', 'b_2'] },
  { id: 'group.null-doc', header: 'name: grp\nexecution: parallel', names: ['a', 'b'], extra: '' },
  { id: 'group.names-int', header: 'name: grp\nexecution: parallel', names: ['1', '2'] },
  { id: 'group.header-resources', header: 'name: grp\nexecution: parallel\nresources:\n  cpus: 2', names: ['a', 'b'] },
);

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
  const args = process.argv.slice(2);
  const seedAt = args.indexOf('--seed');
  const seed = seedAt >= 0 ? args.splice(seedAt, 2)[1] : '';
  const [out, perArg] = args;
  const per = Number(perArg ?? 2);
  if (!out || seed === undefined) throw new Error('usage: generate.ts OUT_DIR [PER_ALTERATION] [--seed S]');
  fs.mkdirSync(out, { recursive: true });
  const tasks = corpusTasks().filter((t) => isSingleDocument(t.text));
  const written: string[] = [];
  const heldOut: string[] = [];
  let isHeldOut = false;
  const write = (name: string, text: string) => {
    const file = path.join(out, `${name.replace(/[^A-Za-z0-9._+=-]+/g, '_')}.yaml`);
    fs.writeFileSync(file, text);
    written.push(file);
    if (isHeldOut) heldOut.push(file);
  };
  const ordered = (id: string, from: typeof tasks) => [...from].sort((x, y) => hash(seed + id + x.rel) - hash(seed + id + y.rel));
  const stem = (rel: string) => rel.replace(/\//g, '__').replace(/\.ya?ml$/, '');
  for (const [i, a] of alterations.entries()) {
    isHeldOut = i >= HELD_OUT_START;
    const order = ordered(a.id, tasks);
    let n = 0;
    for (const t of order) {
      if (n >= per) break;
      const doc = parseDocument(t.text);
      if (doc.errors.length || !isMap(doc.contents) || !fits(a, doc)) continue;
      if (!a.apply(doc)) continue;
      const raw = rawOf.get(doc);
      const text = raw === undefined ? String(doc) : String(doc).replace(RAW, raw);
      write(`${a.id}__${stem(t.rel)}`, text);
      n++;
    }
  }
  isHeldOut = true;
  for (const e of textEdits) {
    let n = 0;
    for (const t of ordered(e.id, tasks)) {
      if (n >= per) break;
      const text = e.edit(t.text);
      if (text === null) continue;
      write(`${e.id}__${stem(t.rel)}`, text);
      n++;
    }
  }
  for (const [hi, h] of headers.entries()) {
    isHeldOut = hi >= HELD_OUT_HEADERS;
    const order = ordered(
      h.id,
      tasks.filter((t) => !/^\s*(service|pool):/m.test(t.text)),
    );
    for (let i = 0; i + 1 < order.length && i < 2 * per; i += 2) {
      const docs = [order[i], order[i + 1]].map((t, j) => {
        const doc = parseDocument(t.text);
        doc.delete('name');
        if (h.names) doc.set('name', h.names[j]);
        return String(doc);
      });
      if (h.extra !== undefined) docs.push(h.extra);
      const body = docs.join('---\n');
      write(`${h.id}__${stem(order[i].rel)}`, h.header === null ? body : `${h.header}\n---\n${body}`);
    }
  }
  fs.writeFileSync(path.join(out, 'list'), written.join('\n') + '\n');
  fs.writeFileSync(path.join(out, 'list.new'), heldOut.join('\n') + '\n');
  console.log(`${written.length} files from ${alterations.length + headers.length} alterations in ${out}`);
}

main();
