/**
 * The Kubernetes provider against the fake API server (test/helpers/fakes/kubernetes.ts):
 * launch (pods, requests, GPU affinity), watch-based status, exec transport, capacity
 * errors, down, free GPUs, check().
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FakeKubernetes } from '../../helpers/fakes/kubernetes';
import { KubernetesProvider } from '../../../engine/infra/kubernetes/kubernetesProvider';
import { createProvider } from '../../../engine/infra/kubernetes';
import { isProvisionError, type ClusterHandle, type LaunchRequest, type NodeInfo } from '../../../engine/infra/provider';
import { kubernetesSettings } from '../../../engine/infra/kubernetes/config';

const ENV_KEYS = ['KUBECONFIG', 'SKYDECK_HOME', 'SKYDECK_K8S_PROVISION_TIMEOUT', 'SKYDECK_K8S_PORTS', 'SKYDECK_K8S_API_TIMEOUT_MS'] as const;

function useEnv(): { dir: string; restore: () => void } {
  const saved = Object.fromEntries(ENV_KEYS.map((k) => [k, process.env[k]]));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skydeck-k8s-test-'));
  process.env.SKYDECK_HOME = path.join(dir, 'home');
  process.env.SKYDECK_K8S_PROVISION_TIMEOUT = '0';
  process.env.SKYDECK_K8S_API_TIMEOUT_MS = '3000';
  return {
    dir,
    restore: () => {
      for (const k of ENV_KEYS) {
        if (saved[k] === undefined) delete process.env[k];
        else process.env[k] = saved[k];
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

function request(name: string, overrides: Partial<LaunchRequest> = {}): LaunchRequest {
  return {
    clusterName: name,
    nameOnCloud: `${name}-abcd`,
    region: 'fake',
    zones: [],
    instanceType: '2CPU--4GB',
    useSpot: false,
    numNodes: 1,
    diskSizeGb: 256,
    ports: [],
    labels: { team: 'ml' },
    sshPublicKey: 'ssh-ed25519 AAAATEST skydeck',
    ...overrides,
  };
}

const GPU_NODES = [
  { name: 'cpu-1', cpu: '8', memory: '32Gi' },
  {
    name: 'h100-1',
    cpu: '32',
    memory: '256Gi',
    gpus: 8,
    labels: { 'skypilot.co/accelerator': 'h100' },
    taints: [{ key: 'nvidia.com/gpu', value: 'present', effect: 'NoSchedule' }],
  },
  { name: 't4-1', cpu: '16', memory: '64Gi', gpus: 4, labels: { 'skypilot.co/accelerator': 't4' } },
];

describe('kubernetes provider on the fake API server', () => {
  let fake: FakeKubernetes;
  let env: ReturnType<typeof useEnv>;
  let provider: KubernetesProvider;

  before(async () => {
    env = useEnv();
    fake = await FakeKubernetes.start({ nodes: GPU_NODES, token: 'sekret', unpullableImages: ['nope/nope:missing'] });
    process.env.KUBECONFIG = fake.writeKubeconfig(path.join(env.dir, 'kubeconfig'), [{ name: 'fake' }, { name: 'team/ns-ctx', namespace: 'team' }]);
    provider = new KubernetesProvider();
  });
  after(async () => {
    await fake.close();
    env.restore();
  });

  test('launch creates one labelled pod per node with cpu/memory requests; query reports them running by rank', async () => {
    const progress: string[] = [];
    const handle = await provider.launch(request('two', { numNodes: 2, onProgress: (m) => progress.push(m) }));
    assert.equal(handle.region, 'fake');
    assert.deepEqual(handle.data, { context: 'fake', namespace: 'default', numNodes: 2 });
    const pods = fake.pods('default').filter((p) => p.metadata.labels['skydeck-cluster'] === 'two-abcd');
    assert.deepEqual(pods.map((p) => p.metadata.name).sort(), ['two-abcd-head', 'two-abcd-worker1']);
    const head = pods.find((p) => p.metadata.name === 'two-abcd-head')!;
    assert.equal(head.metadata.labels['skydeck-rank'], '0');
    assert.equal(head.metadata.labels.team, 'ml');
    assert.deepEqual(head.spec.containers[0].resources.requests, { cpu: '2', memory: '4Gi' });
    assert.equal(head.spec.affinity, undefined);
    assert.ok(
      head.spec.containers[0].env.some((e: { name: string; value: string }) => e.name === 'SKYDECK_SSH_PUBLIC_KEY' && e.value.startsWith('ssh-ed25519')),
    );
    const nodes = await provider.query(handle);
    assert.deepEqual(
      nodes.map((n) => [n.id, n.rank, n.state]),
      [
        ['two-abcd-head', 0, 'running'],
        ['two-abcd-worker1', 1, 'running'],
      ],
    );
    assert.match(nodes[0].internalIp, /^10\.244\./);
    assert.match(nodes[0].ssh?.proxyCommand ?? '', /k8s-ssh-proxy --context fake --namespace default two-abcd-head/);
    assert.ok(progress.some((m) => m.includes('Creating 2 pod(s)')));
    await provider.terminate(handle);
  });

  test('a GPU launch requests nvidia.com/gpu with affinity to the labelled nodes and lands there', async () => {
    const handle = await provider.launch(request('gpu', { instanceType: '4CPU--16GB--H100:2', accelerators: { name: 'H100', count: 2 } }));
    const pod = fake.pod('default', 'gpu-abcd-head')!;
    const c = pod.spec.containers[0];
    assert.equal(c.resources.requests['nvidia.com/gpu'], '2');
    assert.equal(c.resources.limits['nvidia.com/gpu'], '2');
    assert.deepEqual(pod.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms, [
      { matchExpressions: [{ key: 'skypilot.co/accelerator', operator: 'In', values: ['h100'] }] },
    ]);
    assert.equal(pod.spec.nodeName, 'h100-1');
    // The free count now reflects this pod's request.
    const rows = await provider.gpuAvailability();
    assert.deepEqual(
      rows.filter((r) => r.infra === 'k8s/fake').map((r) => [r.node, r.accelerator, r.free, r.total]),
      [
        ['h100-1', 'H100', 6, 8],
        ['t4-1', 'T4', 4, 4],
      ],
    );
    await provider.terminate(handle);
  });

  test('more GPUs than any node has: ProvisionError capacity scoped to the context, nothing left behind', async () => {
    await assert.rejects(
      provider.launch(request('big', { instanceType: '4CPU--16GB--H100:16', accelerators: { name: 'H100', count: 16 } })),
      (err: unknown) => {
        assert.ok(isProvisionError(err), String(err));
        assert.equal(err.kind, 'capacity');
        assert.equal(err.scope, 'region');
        assert.match(err.message, /Insufficient nvidia\.com\/gpu/);
        return true;
      },
    );
    assert.equal(fake.pods('default').filter((p) => p.metadata.labels['skydeck-cluster'] === 'big-abcd').length, 0);
  });

  test('a GPU type no node has is a capacity error naming what the context has', async () => {
    await assert.rejects(provider.launch(request('a100', { instanceType: '4CPU--16GB--A100:1', accelerators: { name: 'A100', count: 1 } })), (err: unknown) => {
      assert.ok(isProvisionError(err));
      assert.equal(err.kind, 'capacity');
      assert.match(err.message, /no node with GPU A100 \(it has: H100, T4\)/);
      return true;
    });
  });

  test('an image that cannot be pulled fails the launch with a config error and cleans up', async () => {
    const launching = provider.launch(request('badimg', { imageId: 'docker:nope/nope:missing' }));
    await assert.rejects(launching, (err: unknown) => {
      assert.ok(isProvisionError(err));
      assert.equal(err.kind, 'config');
      assert.match(err.message, /ErrImagePull: .*nope\/nope:missing/);
      return true;
    });
    assert.equal(fake.pod('default', 'badimg-abcd-head'), undefined);
  });

  test('the fake refuses what the API server refuses: an unparsable quantity (400), bad names and labels (422)', async () => {
    const post = async (kind: string, obj: unknown) => {
      const res = await fetch(`${fake.url}/api/v1/namespaces/default/${kind}`, {
        method: 'POST',
        headers: { authorization: 'Bearer sekret', 'content-type': 'application/json' },
        body: JSON.stringify(obj),
      });
      return { status: res.status, body: (await res.json()) as { reason: string; message: string; details?: { causes: { field: string }[] } } };
    };
    const pod = (over: Record<string, unknown> = {}, memory = '16Gi') => ({
      metadata: { name: 'v1', labels: { app: 'x' } },
      spec: { containers: [{ name: 'c', image: 'busybox', resources: { requests: { cpu: '1', memory } } }] },
      ...over,
    });
    const gb = await post('pods', pod({}, '16GB'));
    assert.equal(gb.status, 400);
    assert.equal(gb.body.reason, 'BadRequest');
    assert.match(gb.body.message, /Pod in version "v1" cannot be handled as a Pod: quantities must match the regular expression/);
    const label = await post('pods', pod({ metadata: { name: 'v1', labels: { 'team/a/b': 'x y' } } }));
    assert.equal(label.status, 422);
    assert.equal(label.body.reason, 'Invalid');
    assert.match(label.body.message, /^Pod "v1" is invalid: \[metadata\.labels: Invalid value/);
    assert.equal(label.body.details?.causes.length, 2);
    assert.equal((await post('pods', pod({ metadata: { name: 'Bad_Name' } }))).status, 422);
    assert.equal((await post('services', { metadata: { name: '1svc' }, spec: { ports: [{ port: 80 }] } })).status, 422);
    assert.equal(fake.pods('default').filter((p) => p.metadata.name === 'v1').length, 0, 'refused pods are not created');
  });

  test('a context with a namespace (and a slash in its name) launches there', async () => {
    await assert.rejects(
      provider.launch(request('nsx', { region: 'team/ns-ctx' })),
      (err: unknown) => isProvisionError(err) && err.kind === 'config' && /namespaces "team" not found/.test(err.message),
    );
    await fetch(`${fake.url}/api/v1/namespaces`, {
      method: 'POST',
      headers: { authorization: 'Bearer sekret', 'content-type': 'application/json' },
      body: JSON.stringify({ metadata: { name: 'team' } }),
    });
    const handle = await provider.launch(request('nsx', { region: 'team/ns-ctx' }));
    assert.equal(handle.data.namespace, 'team');
    assert.equal(fake.pods('team').length, 1);
    await provider.terminate(handle);
    assert.equal(fake.pods('team').length, 0);
  });

  test('watch-based status: changes to the pods reach the watcher without polling', async () => {
    const handle = await provider.launch(request('watched', { numNodes: 2 }));
    const seen: NodeInfo[][] = [];
    let wake: (() => void) | undefined;
    const stop = provider.watchNodes(handle, (nodes) => {
      seen.push(nodes);
      wake?.();
    });
    const waitFor = async (pred: (n: NodeInfo[]) => boolean): Promise<NodeInfo[]> => {
      for (;;) {
        const last = seen[seen.length - 1];
        if (last && pred(last)) return last;
        await new Promise<void>((r) => (wake = r));
      }
    };
    try {
      await waitFor((n) => n.length === 2 && n.every((x) => x.state === 'running'));
      fake.setPodPhase('default', 'watched-abcd-worker1', 'Failed', 'Evicted');
      const after1 = await waitFor((n) => n[1]?.state === 'terminated');
      assert.equal(after1[0].state, 'running');
      fake.removePod('default', 'watched-abcd-worker1');
      const after2 = await waitFor((n) => n.length === 1);
      assert.equal(after2[0].id, 'watched-abcd-head');
      // query() agrees with the watch.
      assert.deepEqual(
        (await provider.query(handle)).map((n) => n.id),
        ['watched-abcd-head'],
      );
    } finally {
      stop();
    }
    await provider.terminate(handle);
  });

  test('down deletes every pod and service labelled for the cluster (and only those), idempotently', async () => {
    process.env.SKYDECK_K8S_PORTS = 'nodeport';
    try {
      const other = await provider.launch(request('keep'));
      const handle = await provider.launch(request('gone', { numNodes: 2, ports: ['8080', '9000-9001'] }));
      await provider.openPorts(handle, ['8080', '9000-9001']);
      const svc = fake.services('default').find((s) => s.metadata.name === 'gone-abcd-ports')!;
      assert.equal(svc.spec.type, 'NodePort');
      assert.deepEqual(
        svc.spec.ports.map((p: { port: number }) => p.port),
        [8080, 9000, 9001],
      );
      assert.deepEqual(svc.spec.selector, { 'skydeck-cluster': 'gone-abcd', 'skydeck-rank': '0' });
      await provider.terminate(handle);
      assert.equal(fake.pods('default').filter((p) => p.metadata.labels['skydeck-cluster'] === 'gone-abcd').length, 0);
      assert.equal(fake.services('default').length, 0);
      assert.deepEqual(await provider.query(handle), []);
      await provider.terminate(handle); // nothing left: no error
      assert.equal((await provider.query(other)).length, 1);
      await provider.terminate(other);
    } finally {
      delete process.env.SKYDECK_K8S_PORTS;
    }
  });

  test('stop is refused (pods cannot stop), canStop is false', async () => {
    assert.equal(provider.canStop, false);
    const h: ClusterHandle = { clusterName: 'x', nameOnCloud: 'x', provider: 'kubernetes', region: 'fake', data: { context: 'fake', namespace: 'default' } };
    await assert.rejects(provider.stop(h), /cannot be stopped/);
  });

  test('check() lists contexts and whether the API answers', async () => {
    const r = await createProvider().check();
    assert.equal(r.enabled, true);
    assert.match(r.reason, /2 of 2 context\(s\) usable \(current: fake\)/);
    assert.match(r.reason, /k8s\/fake: API answers \(v1\.30\.0-fake\), namespace default/);
    assert.match(r.reason, /k8s\/team\/ns-ctx: API answers/);
  });

  test('free GPUs: allocatable minus requests of running/pending pods; cordoned nodes offer none', async () => {
    fake.addPod({
      metadata: { name: 'other-user', namespace: 'default' },
      spec: {
        containers: [{ name: 'c', image: 'x', resources: { requests: { 'nvidia.com/gpu': '3' }, limits: { 'nvidia.com/gpu': '3' } } }],
        tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists' }],
        affinity: {
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: {
              nodeSelectorTerms: [{ matchExpressions: [{ key: 'skypilot.co/accelerator', operator: 'In', values: ['t4'] }] }],
            },
          },
        },
      },
    });
    fake.addPod({
      metadata: { name: 'done-job', namespace: 'default' },
      spec: { containers: [{ name: 'c', image: 'x', resources: { requests: { 'nvidia.com/gpu': '1' } } }], nodeSelector: { 'skypilot.co/accelerator': 't4' } },
    });
    fake.addNode({ name: 'h100-cordoned', gpus: 8, labels: { 'skypilot.co/accelerator': 'h100' }, unschedulable: true });
    for (let i = 0; i < 1000 && fake.pod('default', 'done-job')?.status.phase !== 'Running'; i++) await new Promise((r) => setImmediate(r));
    fake.setPodPhase('default', 'done-job', 'Succeeded');
    const rows = (await provider.gpuAvailability()).filter((r) => r.infra === 'k8s/fake');
    assert.deepEqual(
      rows.map((r) => [r.node, r.accelerator, r.free, r.total]),
      [
        ['h100-1', 'H100', 8, 8],
        ['t4-1', 'T4', 1, 4],
        ['h100-cordoned', 'H100', 0, 8],
      ],
    );
    fake.removePod('default', 'other-user');
    fake.removePod('default', 'done-job');
  });
});

describe('kubernetes provider: credentials and reachability', () => {
  test('no kubeconfig: a clear message without loading the SDK', async () => {
    const env = useEnv();
    try {
      process.env.KUBECONFIG = path.join(env.dir, 'missing-kubeconfig');
      const r = await createProvider().check();
      assert.equal(r.enabled, false);
      assert.match(r.reason, /No kubeconfig found \(KUBECONFIG or ~\/\.kube\/config\)/);
      assert.deepEqual(await createProvider().gpuAvailability(), []);
      await assert.rejects(
        new KubernetesProvider().launch(request('x')),
        (err: unknown) => isProvisionError(err) && err.kind === 'config' && /No kubeconfig found/.test(err.message),
      );
    } finally {
      env.restore();
    }
  });

  test('wrong token and an unreachable server are reported per context', async () => {
    const env = useEnv();
    const fake = await FakeKubernetes.start({ token: 'right' });
    try {
      const file = fake.writeKubeconfig(path.join(env.dir, 'kubeconfig'), [{ name: 'good' }, { name: 'down', server: 'http://127.0.0.1:1' }]);
      process.env.KUBECONFIG = file;
      // Same kubeconfig with a wrong token: 401.
      fs.writeFileSync(
        path.join(env.dir, 'bad'),
        fs
          .readFileSync(file, 'utf8')
          .replace('"right"', '"wrong"')
          .replace(/current-context: .*/, 'current-context: "good"')
          .replace(/name: "good"/, 'name: "badtoken"')
          .replace(/name: "down"/, 'name: "down2"'),
      );
      process.env.KUBECONFIG = [file, path.join(env.dir, 'bad')].join(path.delimiter);
      const r = await createProvider().check();
      assert.equal(r.enabled, true);
      assert.match(r.reason, /1 of 4 context\(s\) usable/);
      assert.match(r.reason, /k8s\/good: API answers/);
      assert.match(r.reason, /k8s\/down: API does not answer/);
      assert.match(r.reason, /k8s\/badtoken: credentials rejected \(401\)/);
      assert.equal(kubernetesSettings().apiTimeoutMs, 3000);
    } finally {
      await fake.close();
      env.restore();
    }
  });
});
