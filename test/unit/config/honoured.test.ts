/** Honoured keys read where they act: allowed_clouds and allowed_contexts (enabled infra), kubernetes settings. */
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { setActiveConfig } from '../../../engine/config';
import { detectInfra, detectKubernetes, enabledInfra, infraAllowed } from '../../../engine/infra/detection';
import { kubernetesSettings } from '../../../engine/infra/kubernetes/config';

afterEach(() => setActiveConfig(undefined));

function kubeconfig(contexts: string[], current: string): NodeJS.ProcessEnv {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skydeck-kc-'));
  const file = path.join(dir, 'config');
  const text = [
    'apiVersion: v1',
    'kind: Config',
    `current-context: ${current}`,
    'clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]',
    'users: [{name: u, user: {token: t}}]',
    `contexts: [${contexts.map((c) => `{name: ${c}, context: {cluster: c, user: u}}`).join(', ')}]`,
  ].join('\n');
  fs.writeFileSync(file, text);
  process.env.SKYDECK_HOME = path.join(dir, 'home');
  return { HOME: dir, KUBECONFIG: file, AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'y' };
}

test('allowed_clouds disables every other cloud (with the reason); local stays', () => {
  const env = kubeconfig(['one'], 'one');
  assert.deepEqual(enabledInfra(env).sort(), ['aws', 'k8s/one', 'local']);
  setActiveConfig({ allowed_clouds: ['kubernetes'] });
  assert.deepEqual(enabledInfra(env).sort(), ['k8s/one', 'local']);
  const aws = detectInfra(env).find((d) => d.infra === 'aws')!;
  assert.equal(aws.enabled, false);
  assert.match(aws.reason, /Not in allowed_clouds \(kubernetes\)/);
  assert.equal(infraAllowed('gcp'), false);
  assert.equal(infraAllowed('k8s/other'), true);
  setActiveConfig({ allowed_clouds: ['AWS'] });
  assert.deepEqual(enabledInfra(env).sort(), ['aws', 'local'], 'names are case-insensitive, as in SkyPilot');
});

test('kubernetes.allowed_contexts: a list, or all of the kubeconfig; the current context otherwise', () => {
  const env = kubeconfig(['one', 'two', 'three'], 'two');
  assert.deepEqual(
    detectKubernetes(env, {}).map((d) => d.infra),
    ['k8s/two'],
  );
  assert.deepEqual(
    detectKubernetes(env, { kubernetes: { allowed_contexts: ['one', 'missing'] } }).map((d) => [d.infra, d.enabled]),
    [
      ['k8s/one', true],
      ['k8s/missing', false],
    ],
  );
  assert.deepEqual(
    detectKubernetes(env, { kubernetes: { allowed_contexts: 'all' } }).map((d) => d.infra),
    ['k8s/one', 'k8s/two', 'k8s/three'],
  );
});

test('kubernetes settings: provision_timeout and pod_config from the config, context_configs over them, env knobs win', () => {
  const config = {
    kubernetes: {
      provision_timeout: 600,
      ports: 'loadbalancer',
      pod_config: { spec: { tolerations: [{ key: 'a' }] } },
      custom_metadata: { labels: { team: 'ml' } },
      context_configs: { gke: { provision_timeout: 900, pod_config: { spec: { tolerations: [{ key: 'b' }] } } } },
    },
  };
  const plain = kubernetesSettings({}, 'other', config);
  assert.equal(plain.provisionTimeoutSeconds, 600);
  assert.equal(plain.portsMode, 'loadbalancer');
  assert.deepEqual(plain.customMetadata, { labels: { team: 'ml' } });
  const gke = kubernetesSettings({}, 'gke', config);
  assert.equal(gke.provisionTimeoutSeconds, 900);
  assert.deepEqual(gke.podConfig, { spec: { tolerations: [{ key: 'a' }, { key: 'b' }] } }, 'per-context pod_config is merged as a pod patch');
  assert.equal(kubernetesSettings({ SKYDECK_K8S_PROVISION_TIMEOUT: '0' }, 'gke', config).provisionTimeoutSeconds, 0);
  assert.equal(kubernetesSettings({}, undefined, {}).provisionTimeoutSeconds, 10, "SkyPilot's default");
});
