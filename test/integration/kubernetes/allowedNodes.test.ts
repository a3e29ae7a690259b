/**
 * `kubernetes.allowed_nodes` (and per context) on the fake API server: pods land only on the
 * allowed nodes (label pairs, names and IPs ORed, as SkyPilot), GPUs are looked for and
 * counted on the allowed nodes only, and a names/ips list that matches no node refuses the
 * context naming the key and its file:line, with nothing created.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FakeKubernetes, type FakeNodeSpec } from '../../helpers/fakes/kubernetes';
import { KubernetesProvider } from '../../../engine/infra/kubernetes/kubernetesProvider';
import { isProvisionError, type LaunchRequest } from '../../../engine/infra/provider';
import { resolveConfig, setActiveConfig, type ConfigMap } from '../../../engine/config';
import { kubernetesLaunchRequest } from '../../helpers/providerHarness';

function request(name: string, extra: Partial<LaunchRequest> = {}): LaunchRequest {
  return { ...kubernetesLaunchRequest(name), ...extra };
}

const NODES: FakeNodeSpec[] = [
  { name: 'cpu-a', cpu: '8', memory: '32Gi', labels: { pool: 'a' } },
  { name: 'cpu-b', cpu: '8', memory: '32Gi', labels: { pool: 'b' } },
  { name: 'cpu-c', cpu: '8', memory: '32Gi', labels: { pool: 'c' } },
  { name: 'h100-1', cpu: '32', memory: '128Gi', gpus: 8, labels: { 'skypilot.co/accelerator': 'h100', pool: 'gpu' } },
];

describe('kubernetes.allowed_nodes (fake API server)', () => {
  let fake: FakeKubernetes;
  let dir: string;
  const saved = { KUBECONFIG: process.env.KUBECONFIG, SKYDECK_HOME: process.env.SKYDECK_HOME, T: process.env.SKYDECK_K8S_PROVISION_TIMEOUT };

  /** Launches with `config` in force; the node the head pod landed on and its required node affinity terms. */
  async function landing(config: ConfigMap, name: string, extra: Partial<LaunchRequest> = {}) {
    setActiveConfig(config);
    const provider = new KubernetesProvider();
    const handle = await provider.launch(request(name, extra));
    const pod = structuredClone(fake.pod('default', `${name}-abcd-head`)!);
    await provider.terminate(handle);
    return { node: pod.spec.nodeName as string, terms: pod.spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms };
  }

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skydeck-k8s-allowed-'));
    process.env.SKYDECK_HOME = path.join(dir, 'home');
    process.env.SKYDECK_K8S_PROVISION_TIMEOUT = '0';
    fake = await FakeKubernetes.start({ nodes: NODES });
    process.env.KUBECONFIG = fake.writeKubeconfig(path.join(dir, 'kubeconfig'), [{ name: 'fake' }]);
  });
  after(async () => {
    setActiveConfig(undefined);
    await fake.close();
    for (const [k, v] of [
      ['KUBECONFIG', saved.KUBECONFIG],
      ['SKYDECK_HOME', saved.SKYDECK_HOME],
      ['SKYDECK_K8S_PROVISION_TIMEOUT', saved.T],
    ] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('label_selector: a pod lands on a node with one of the label pairs (ORed, unlike a Kubernetes selector)', async () => {
    const { node, terms } = await landing({ kubernetes: { allowed_nodes: { label_selector: { pool: 'c' } } } }, 'lab');
    assert.equal(node, 'cpu-c');
    assert.deepEqual(terms, [{ matchExpressions: [{ key: 'pool', operator: 'In', values: ['c'] }] }]);
    const two = await landing({ kubernetes: { allowed_nodes: { label_selector: { pool: 'b', zone: 'nowhere' } } } }, 'lab2');
    assert.equal(two.node, 'cpu-b', 'one matching pair is enough');
  });

  test('names and ips resolve to the nodes hostname labels; context_configs adds to the general block', async () => {
    const byName = await landing({ kubernetes: { allowed_nodes: { names: ['cpu-b'] } } }, 'nm');
    assert.equal(byName.node, 'cpu-b');
    assert.deepEqual(byName.terms, [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: ['cpu-b'] }] }]);
    // The fake gives its nodes InternalIPs 10.0.0.1, .2, ... in the order listed.
    const ipOfC = '10.0.0.3';
    assert.equal((await landing({ kubernetes: { allowed_nodes: { ips: [ipOfC] } } }, 'ip')).node, 'cpu-c');
    // Per context: its block is merged over the general one (lists appended, as SkyPilot's merge_k8s_configs).
    const ctx = await landing(
      { kubernetes: { allowed_nodes: { names: ['cpu-c'] }, context_configs: { fake: { allowed_nodes: { names: ['cpu-a'] } } } } },
      'ctx',
    );
    assert.deepEqual(ctx.terms, [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: ['cpu-a', 'cpu-c'] }] }]);
    assert.ok(['cpu-a', 'cpu-c'].includes(ctx.node));
  });

  test('GPUs: looked for on the allowed nodes only, and free GPUs are counted on them only', async () => {
    setActiveConfig({ kubernetes: { allowed_nodes: { label_selector: { pool: 'a' } } } });
    const provider = new KubernetesProvider();
    await assert.rejects(
      provider.launch(request('gpu', { instanceType: '4CPU--16GB--H100:1', accelerators: { name: 'H100', count: 1 } })),
      (e: unknown) => isProvisionError(e) && e.kind === 'capacity' && /no allowed node with GPU H100/.test(e.message),
    );
    assert.equal(fake.pods().length, 0);
    assert.deepEqual(await provider.gpuAvailability(), []);
    setActiveConfig({ kubernetes: { allowed_nodes: { label_selector: { pool: 'gpu' } } } });
    const rows = await new KubernetesProvider().gpuAvailability();
    assert.deepEqual(
      rows.map((r) => [r.node, r.free]),
      [['h100-1', 8]],
    );
    const gpu = await landing({ kubernetes: { allowed_nodes: { label_selector: { pool: 'gpu' } } } }, 'gpuok', {
      instanceType: '4CPU--16GB--H100:1',
      accelerators: { name: 'H100', count: 1 },
    });
    assert.equal(gpu.node, 'h100-1');
    // The GPU affinity ANDed with the allowed nodes' expression, in one term.
    assert.deepEqual(gpu.terms, [
      {
        matchExpressions: [
          { key: 'skypilot.co/accelerator', operator: 'In', values: ['h100'] },
          { key: 'pool', operator: 'In', values: ['gpu'] },
        ],
      },
    ]);
  });

  test('names/ips matching no node refuse the context, naming the key and its file:line; nothing is created', async () => {
    const file = path.join(dir, 'config.yaml');
    fs.writeFileSync(file, 'kubernetes:\n  allowed_nodes:\n    names: [gone-1]\n');
    const resolved = resolveConfig({ env: { HOME: dir, SKYPILOT_GLOBAL_CONFIG: file } });
    setActiveConfig(resolved.config, resolved.origins);
    await assert.rejects(
      new KubernetesProvider().launch(request('none')),
      (e: unknown) =>
        isProvisionError(e) &&
        e.kind === 'config' &&
        e.scope === 'region' &&
        e.message.includes(`kubernetes.allowed_nodes (${file}:3)`) &&
        /fake/.test(e.message),
    );
    assert.equal(fake.pods().length, 0);
  });
});
