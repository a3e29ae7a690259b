/**
 * More SkyPilot config keys the Kubernetes provider honours, checked on what the fake API
 * server received and did: kubernetes.remote_identity (the pods' service account, and the
 * account, Role and RoleBinding SkyPilot's default creates), kubernetes.namespace,
 * kubernetes.set_pod_resource_limits and kubernetes.post_provision_runcmd.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FakeKubernetes } from '../../helpers/fakes/kubernetes';
import { kubernetesLaunchRequest as request, useFakeKubernetes } from '../../helpers/providerHarness';
import { KubernetesProvider } from '../../../engine/infra/kubernetes/kubernetesProvider';
import { isProvisionError } from '../../../engine/infra/provider';
import { setActiveConfig, type ConfigMap } from '../../../engine/config';

/** Launches with `config` in force, returns the head pod as the API server stored it, and tears the cluster down. */
async function launchAndRead(fake: FakeKubernetes, config: ConfigMap, name: string, namespace = 'default') {
  setActiveConfig(config);
  const provider = new KubernetesProvider();
  const handle = await provider.launch(request(name));
  const pod = structuredClone(fake.pod(namespace, `${name}-abcd-head`)!);
  await provider.terminate(handle);
  return pod;
}

describe('kubernetes.remote_identity, namespace, set_pod_resource_limits, post_provision_runcmd (fake API server)', () => {
  let fake: FakeKubernetes;
  let home: string;
  let stop: (() => Promise<void>) | undefined;

  before(async () => {
    ({ fake, home, stop } = await useFakeKubernetes(
      'k8s-keys',
      { nodes: [{ name: 'cpu-1', cpu: '8', memory: '32Gi' }], namespaces: ['default', 'team-a', 'team-b'] },
      { SKYDECK_K8S_PROVISION_TIMEOUT: '0' },
    ));
  });
  after(async () => {
    setActiveConfig(undefined);
    await stop?.();
  });

  test('remote_identity unset (SERVICE_ACCOUNT): the pod runs as skypilot-service-account, created with its Role and RoleBinding', async () => {
    assert.equal(fake.rbacObject('serviceaccounts', 'team-a', 'skypilot-service-account'), undefined);
    const pod = await launchAndRead(fake, { kubernetes: { namespace: 'team-a' } }, 'sa', 'team-a');
    assert.equal(pod.spec.serviceAccountName, 'skypilot-service-account');
    assert.equal(pod.spec.automountServiceAccountToken, true);
    assert.ok(fake.rbacObject('serviceaccounts', 'team-a', 'skypilot-service-account'), 'the account was created');
    const role = fake.rbacObject('roles', 'team-a', 'skypilot-service-account-role')!;
    assert.deepEqual(role.rules, [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }], 'everything in the namespace, as SkyPilot grants');
    const binding = fake.rbacObject('rolebindings', 'team-a', 'skypilot-service-account-role-binding')!;
    assert.deepEqual(binding.roleRef, { kind: 'Role', name: 'skypilot-service-account-role', apiGroup: 'rbac.authorization.k8s.io' });
    assert.deepEqual(binding.subjects, [{ kind: 'ServiceAccount', name: 'skypilot-service-account', namespace: 'team-a' }]);
    // A second launch finds them and creates nothing twice.
    const again = await launchAndRead(fake, { kubernetes: { namespace: 'team-a' } }, 'sa2', 'team-a');
    assert.equal(again.spec.serviceAccountName, 'skypilot-service-account');
  });

  test('remote_identity LOCAL_CREDENTIALS: the namespace default account without its token; no account is created', async () => {
    const pod = await launchAndRead(fake, { kubernetes: { namespace: 'team-b', remote_identity: 'LOCAL_CREDENTIALS' } }, 'local', 'team-b');
    assert.equal(pod.spec.serviceAccountName, 'default');
    assert.equal(pod.spec.automountServiceAccountToken, false);
    assert.equal(fake.rbacObject('serviceaccounts', 'team-b', 'skypilot-service-account'), undefined);
    assert.equal(fake.rbacObject('roles', 'team-b', 'skypilot-service-account-role'), undefined);
  });

  test('remote_identity naming an account: the pods run as it; one the namespace lacks is refused and nothing is left behind', async () => {
    const pod = await launchAndRead(fake, { kubernetes: { remote_identity: 'default' } }, 'named');
    assert.equal(pod.spec.serviceAccountName, 'default');
    assert.equal(pod.spec.automountServiceAccountToken, true);
    setActiveConfig({ kubernetes: { namespace: 'team-b', remote_identity: 'ml-runner' } });
    await assert.rejects(new KubernetesProvider().launch(request('missing')), (err: unknown) => {
      assert.ok(isProvisionError(err), String(err));
      assert.match(err.message, /serviceaccount "ml-runner" not found/);
      return true;
    });
    assert.equal(fake.rbacObject('serviceaccounts', 'team-b', 'ml-runner'), undefined, 'SkyDeck does not create a named account: the user set it up');
    assert.equal(fake.pods('team-b').length, 0);
  });

  test('pod_config naming its own serviceAccountName wins over remote_identity, and nothing is created for it', async () => {
    const pod = await launchAndRead(fake, { kubernetes: { namespace: 'team-b', pod_config: { spec: { serviceAccountName: 'default' } } } }, 'podcfg', 'team-b');
    assert.equal(pod.spec.serviceAccountName, 'default');
    assert.equal(fake.rbacObject('serviceaccounts', 'team-b', 'skypilot-service-account'), undefined);
  });

  test('SERVICE_ACCOUNT where roles may not be created: a config ProvisionError naming the key, no pod created', async () => {
    const strict = await FakeKubernetes.start({ nodes: [{ name: 'n' }], forbidRoleCreation: true });
    const kubeconfig = process.env.KUBECONFIG;
    process.env.KUBECONFIG = strict.writeKubeconfig(path.join(home, 'strict-kubeconfig'), [{ name: 'fake' }]);
    try {
      setActiveConfig({});
      await assert.rejects(new KubernetesProvider().launch(request('rbac')), (err: unknown) => {
        assert.ok(isProvisionError(err), String(err));
        assert.equal(err.kind, 'config');
        assert.match(err.message, /cannot set up Role default\/skypilot-service-account-role/);
        assert.match(err.hint ?? '', /remote_identity/);
        return true;
      });
      assert.equal(strict.pods().length, 0);
    } finally {
      process.env.KUBECONFIG = kubeconfig;
      await strict.close();
    }
  });

  test('namespace: the pods go to kubernetes.namespace, not the context namespace, and terminate finds them there', async () => {
    setActiveConfig({ kubernetes: { namespace: 'team-a' } });
    const provider = new KubernetesProvider();
    const handle = await provider.launch(request('ns'));
    assert.ok(fake.pod('team-a', 'ns-abcd-head'));
    assert.equal(fake.pod('default', 'ns-abcd-head'), undefined);
    assert.equal(handle.data.namespace, 'team-a');
    assert.match((await provider.check()).reason, /k8s\/fake: API answers \(.*\), namespace team-a/, 'skydeck check tries the namespace the pods will use');
    setActiveConfig({}); // later commands use the namespace the launch recorded
    assert.equal((await provider.query(handle)).length, 1);
    await provider.terminate(handle);
    assert.equal(fake.pods('team-a').filter((p) => p.metadata.name === 'ns-abcd-head').length, 0);
  });

  test('set_pod_resource_limits: unset no cpu/memory limits; true limits = requests; a number multiplies; per context', async () => {
    const plain = await launchAndRead(fake, {}, 'nolim');
    assert.equal(plain.spec.containers[0].resources.limits, undefined);
    const equal = await launchAndRead(fake, { kubernetes: { set_pod_resource_limits: true } }, 'lim1');
    assert.deepEqual(equal.spec.containers[0].resources, { requests: { cpu: '2', memory: '4Gi' }, limits: { cpu: '2', memory: '4Gi' } });
    const more = await launchAndRead(
      fake,
      { kubernetes: { set_pod_resource_limits: false, context_configs: { fake: { set_pod_resource_limits: 1.5 } } } },
      'lim15',
    );
    assert.deepEqual(more.spec.containers[0].resources.limits, { cpu: '3', memory: '6Gi' });
  });

  test('post_provision_runcmd: every command runs in every new pod, in order, before the launch returns', async () => {
    setActiveConfig({ kubernetes: { post_provision_runcmd: ['echo first >> "$HOME/runcmd.log"', 'echo "rank $SKYDECK_NODE_RANK" >> "$HOME/runcmd.log"'] } });
    const provider = new KubernetesProvider();
    const handle = await provider.launch(request('runcmd', 2));
    assert.equal(fs.readFileSync(path.join(fake.podDir('default', 'runcmd-abcd-head'), 'runcmd.log'), 'utf8'), 'first\nrank 0\n');
    assert.equal(fs.readFileSync(path.join(fake.podDir('default', 'runcmd-abcd-worker1'), 'runcmd.log'), 'utf8'), 'first\nrank 1\n');
    // The same cluster relaunched on its running pods is not provisioned again.
    await provider.launch(request('runcmd', 2));
    assert.equal(fs.readFileSync(path.join(fake.podDir('default', 'runcmd-abcd-head'), 'runcmd.log'), 'utf8'), 'first\nrank 0\n');
    await provider.terminate(handle);
  });

  test('post_provision_runcmd failing: the launch fails naming the command and its output, and the pods are deleted', async () => {
    setActiveConfig({ kubernetes: { post_provision_runcmd: ['echo cert missing >&2; exit 3'] } });
    await assert.rejects(new KubernetesProvider().launch(request('badcmd')), (err: unknown) => {
      assert.ok(isProvisionError(err), String(err));
      assert.equal(err.kind, 'config');
      assert.match(err.message, /post_provision_runcmd: 'echo cert missing >&2; exit 3' exited with 3 in pod badcmd-abcd-head/);
      assert.match(err.message, /cert missing/);
      return true;
    });
    assert.equal(fake.pods('default').filter((p) => p.metadata.labels['skydeck-cluster'] === 'badcmd-abcd').length, 0);
  });
});
