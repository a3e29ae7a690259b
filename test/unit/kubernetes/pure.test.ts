/** Pure pieces of the Kubernetes provider: instance types, GPU labels, free-GPU arithmetic, exec status. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { V1Node, V1Pod } from '@kubernetes/client-node';
import { formatInstanceType, parseInstanceType } from '../../../engine/infra/kubernetes/instanceType';
import { acceleratorMatches, canonicalGfdName, detectScheme, nodeAccelerator } from '../../../engine/infra/kubernetes/gpuLabels';
import { computeGpuAvailability } from '../../../engine/infra/kubernetes/gpuAvailability';
import { exitCodeFromStatus } from '../../../engine/infra/kubernetes/execTransport';
import { buildPod, podName } from '../../../engine/infra/kubernetes/podSpec';
import { parseQuantity } from '../../../engine/infra/kubernetes/quantity';

test('instance types round-trip and reject cloud types', () => {
  assert.deepEqual(parseInstanceType('4CPU--16GB--H100:1'), { cpus: 4, memoryGb: 16, accelerator: { name: 'H100', count: 1 } });
  assert.deepEqual(parseInstanceType('0.5CPU--1.5GB'), { cpus: 0.5, memoryGb: 1.5 });
  assert.equal(formatInstanceType(parseInstanceType('8CPU--32GB--A100-80GB:8')), '8CPU--32GB--A100-80GB:8');
  assert.throws(() => parseInstanceType('m5.large'), /not a Kubernetes instance type/);
});

test('quantities', () => {
  assert.equal(parseQuantity('500m'), 0.5);
  assert.equal(parseQuantity('16Gi'), 16 * 2 ** 30);
  assert.equal(parseQuantity('2'), 2);
  assert.ok(Number.isNaN(parseQuantity('2x')));
});

test('GPU label schemes in SkyPilot order and name canonicalisation', () => {
  assert.equal(canonicalGfdName('NVIDIA-H100-80GB-HBM3'), 'H100-80GB');
  assert.equal(canonicalGfdName('Tesla-T4'), 'T4');
  assert.equal(canonicalGfdName('NVIDIA-A100-SXM4-80GB'), 'A100-80GB');
  assert.equal(canonicalGfdName('NVIDIA-L40S'), 'L40S');
  assert.equal(canonicalGfdName('NVIDIA-GeForce-RTX-4090'), 'RTX4090');
  const gke = detectScheme([{ 'cloud.google.com/gke-accelerator': 'nvidia-tesla-t4' }, {}]);
  assert.equal(gke?.key, 'cloud.google.com/gke-accelerator');
  assert.equal(nodeAccelerator({ 'cloud.google.com/gke-accelerator': 'nvidia-h100-80gb' }, gke), 'H100');
  // skypilot.co/accelerator wins when present, but only with a lower-case value.
  assert.equal(detectScheme([{ 'skypilot.co/accelerator': 'h100', 'nvidia.com/gpu.product': 'Tesla-T4' }])?.key, 'skypilot.co/accelerator');
  assert.equal(detectScheme([{ 'skypilot.co/accelerator': 'H100', 'nvidia.com/gpu.product': 'Tesla-T4' }])?.key, 'nvidia.com/gpu.product');
  assert.equal(nodeAccelerator({ 'gpu.nvidia.com/class': 'a40' }, detectScheme([{ 'gpu.nvidia.com/class': 'a40' }])), 'A40');
  assert.ok(acceleratorMatches('H200', 'H200-SXM-80GB'));
  assert.ok(acceleratorMatches('h100', 'H100'));
  assert.ok(!acceleratorMatches('H100', 'H100X'));
});

function node(name: string, gpus: number, extra: Partial<V1Node['spec']> = {}, ready = true): V1Node {
  return {
    metadata: { name, labels: { 'nvidia.com/gpu.product': 'NVIDIA-A100-SXM4-40GB' } },
    spec: extra,
    status: {
      allocatable: { 'nvidia.com/gpu': String(gpus) },
      capacity: { 'nvidia.com/gpu': String(gpus) },
      conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }],
    },
  };
}
function pod(nodeName: string | undefined, gpus: number, phase: string, ns = 'default'): V1Pod {
  return {
    metadata: { name: 'p', namespace: ns },
    spec: {
      nodeName,
      containers: [{ name: 'c', resources: { requests: { 'nvidia.com/gpu': String(gpus) } } }],
      initContainers: [{ name: 'i', resources: { requests: { 'nvidia.com/gpu': '8' } } }],
    },
    status: { phase },
  };
}

test('free GPUs = allocatable - requests of Running/Pending scheduled pods; not-ready, cordoned, tainted nodes offer none', () => {
  const nodes = [
    node('a', 8),
    node('b', 4, { unschedulable: true }),
    node('c', 4, { taints: [{ key: 'nvidia.com/gpu', effect: 'NoSchedule' }] }), // GPU taint does not count
    node('d', 4, { taints: [{ key: 'maintenance', effect: 'NoSchedule' }] }),
    node('e', 2, {}, false),
    node('f', 0),
  ];
  const pods = [
    pod('a', 2, 'Running'),
    pod('a', 1, 'Pending'),
    pod('a', 4, 'Succeeded'),
    pod(undefined, 4, 'Pending'),
    pod('a', 3, 'Running', 'cw-hpc-verification'),
    pod('c', 1, 'Running'),
  ];
  const rows = computeGpuAvailability('k8s/x', nodes, pods, {});
  assert.deepEqual(
    rows.map((r) => [r.node, r.accelerator, r.free, r.total]),
    [
      ['a', 'A100', 5, 8],
      ['b', 'A100', 0, 4],
      ['c', 'A100', 3, 4],
      ['d', 'A100', 0, 4],
      ['e', 'A100', 0, 2],
    ],
  );
  // Pod listing forbidden: free unknown (-1).
  assert.deepEqual(
    computeGpuAvailability('k8s/x', [node('a', 8)], undefined, {}).map((r) => r.free),
    [-1],
  );
  // AMD GPUs are detected from capacity.
  const amd: V1Node = {
    metadata: { name: 'm', labels: { 'skypilot.co/accelerator': 'mi300' } },
    spec: {},
    status: { allocatable: { 'amd.com/gpu': '8' }, capacity: { 'amd.com/gpu': '8' }, conditions: [{ type: 'Ready', status: 'True' }] },
  };
  assert.deepEqual(
    computeGpuAvailability('k8s/x', [amd], [], {}).map((r) => [r.accelerator, r.total]),
    [['MI300', 8]],
  );
});

test('exit code from the exec status channel', () => {
  assert.deepEqual(exitCodeFromStatus({ status: 'Success' }), { code: 0 });
  assert.deepEqual(exitCodeFromStatus({ status: 'Failure', reason: 'NonZeroExitCode', details: { causes: [{ reason: 'ExitCode', message: '42' }] } }), {
    code: 42,
  });
  assert.equal(exitCodeFromStatus({ status: 'Failure', reason: 'InternalError', message: 'exec: "x": executable file not found in $PATH' }).code, 127);
  assert.equal(exitCodeFromStatus({ status: 'Failure', reason: 'InternalError', message: 'permission denied' }).code, 126);
});

test('pod spec: names, labels, requests, GPU limits, affinity and toleration', () => {
  assert.equal(podName('c', 0), 'c-head');
  assert.equal(podName('x'.repeat(80), 3).length, 63);
  const p = buildPod({
    name: 'c-head',
    namespace: 'ns',
    nameOnCloud: 'c',
    clusterName: 'my cluster',
    rank: 0,
    shape: { cpus: 4, memoryGb: 16, accelerator: { name: 'T4', count: 1 } },
    image: 'img',
    gpuResourceKey: 'nvidia.com/gpu',
    gpuAffinity: [{ matchExpressions: [{ key: 'k', operator: 'In', values: ['v'] }] }],
    ports: [8080],
    userLabels: { 'bad key!': 'x', team: 'a/b' },
    sshPublicKey: 'ssh-ed25519 K',
  });
  assert.deepEqual(p.metadata?.labels, { team: 'a-b', 'skydeck-cluster': 'c', 'skydeck-rank': '0', 'skydeck-cluster-name': 'my-cluster' });
  const c = p.spec!.containers[0];
  assert.deepEqual(c.resources, { requests: { cpu: '4', memory: '16Gi', 'nvidia.com/gpu': '1' }, limits: { 'nvidia.com/gpu': '1' } });
  assert.deepEqual(
    c.ports?.map((x) => x.containerPort),
    [22, 8080],
  );
  assert.deepEqual(p.spec!.tolerations, [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }]);
  assert.equal(p.spec!.restartPolicy, 'Never');
});
