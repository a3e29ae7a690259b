/**
 * SkyPilot config keys the Kubernetes provider honours, checked on what the fake API server
 * received: kubernetes.pod_config (merged into the pod, seen by the scheduler),
 * custom_metadata, context_configs.<ctx>, provision_timeout.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FakeKubernetes } from '../../helpers/fakes/kubernetes';
import { kubernetesLaunchRequest as request, useFakeKubernetes } from '../../helpers/providerHarness';
import { KubernetesProvider } from '../../../engine/infra/kubernetes/kubernetesProvider';
import { isProvisionError } from '../../../engine/infra/provider';
import { setActiveConfig, type ConfigMap } from '../../../engine/config';

const NODES = [
  { name: 'cpu-1', cpu: '8', memory: '32Gi', labels: { pool: 'general' } },
  { name: 'cpu-2', cpu: '8', memory: '32Gi', labels: { pool: 'reserved' } },
];

describe('SkyPilot config on the Kubernetes provider (fake API server)', () => {
  let fake: FakeKubernetes;
  let stop: (() => Promise<void>) | undefined;

  before(async () => {
    // No SKYDECK_K8S_PROVISION_TIMEOUT: the config's value must decide.
    ({ fake, stop } = await useFakeKubernetes('k8s-config', { nodes: NODES, token: 'sekret' }, {}, ['SKYDECK_K8S_PROVISION_TIMEOUT']));
  });
  after(async () => {
    setActiveConfig(undefined);
    await stop?.();
  });

  test('pod_config and custom_metadata reach the pod; the scheduler places it by the merged nodeSelector', async () => {
    const config: ConfigMap = {
      kubernetes: {
        pod_config: {
          metadata: { labels: { costcenter: 'research' } },
          spec: {
            priorityClassName: 'high',
            containers: [{ env: [{ name: 'FROM_CONFIG', value: 'yes' }], volumeMounts: [{ name: 'cache', mountPath: '/cache' }] }],
            volumes: [{ name: 'cache', emptyDir: {} }],
          },
        },
        custom_metadata: { labels: { team: 'ml' }, annotations: { 'example.com/owner': 'alice' } },
        context_configs: { fake: { pod_config: { spec: { nodeSelector: { pool: 'reserved' } } } } },
      },
    };
    setActiveConfig(config);
    const provider = new KubernetesProvider();
    const handle = await provider.launch(request('cfg'));
    const pod = fake.pod('default', 'cfg-abcd-head')!;
    assert.equal(pod.spec.nodeName, 'cpu-2', 'context_configs.fake.pod_config.spec.nodeSelector decided the node');
    assert.equal(pod.spec.priorityClassName, 'high');
    const c = pod.spec.containers[0];
    assert.equal(c.name, 'skydeck', 'containers[0] is merged, not replaced');
    const env = c.env as { name: string; value: string }[];
    assert.ok(env.some((e) => e.name === 'FROM_CONFIG' && e.value === 'yes'));
    assert.ok(
      env.some((e) => e.name === 'SKYDECK_SSH_PUBLIC_KEY'),
      "SkyDeck's own env stays",
    );
    assert.deepEqual(c.volumeMounts, [{ name: 'cache', mountPath: '/cache' }]);
    assert.deepEqual(pod.spec.volumes, [{ name: 'cache', emptyDir: {} }]);
    assert.equal(pod.metadata.labels.costcenter, 'research');
    assert.equal(pod.metadata.labels.team, 'ml');
    assert.equal(pod.metadata.annotations['example.com/owner'], 'alice');
    assert.equal(pod.metadata.labels['skydeck-cluster'], 'cfg-abcd', "SkyDeck's labels stay: it finds its pods by them");
    await provider.terminate(handle);
  });

  test('provision_timeout: a pod pod_config makes unschedulable fails over as capacity, nothing left behind', async () => {
    setActiveConfig({ kubernetes: { provision_timeout: 0, pod_config: { spec: { nodeSelector: { pool: 'nowhere' } } } } });
    const provider = new KubernetesProvider();
    await assert.rejects(provider.launch(request('stuck')), (err: unknown) => {
      assert.ok(isProvisionError(err), String(err));
      assert.equal(err.kind, 'capacity');
      assert.match(err.message, /node affinity\/selector/);
      return true;
    });
    assert.equal(fake.pods('default').filter((p) => p.metadata.labels['skydeck-cluster'] === 'stuck-abcd').length, 0);
  });
});
