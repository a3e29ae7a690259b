/**
 * The kubernetes.* keys SkyDeck does not act on warn with the reason (editor and launch share
 * unhonouredWarnings), also when set for one context under context_configs; the ones it
 * honours do not warn, there either.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { unhonouredWarnings } from '../../../engine/config/honoured';
import type { ConfigMap, Origins } from '../../../engine/config/types';

const noOrigins: Origins = new Map();

function warned(config: ConfigMap): Map<string, string> {
  return new Map(unhonouredWarnings(config, noOrigins).map((w) => [w.key, w.message]));
}

test('kubernetes.networking warns that pods are reached through the exec tunnel, so the mode has nothing to choose', () => {
  const w = warned({ kubernetes: { networking: 'nodeport' } });
  assert.match(
    w.get('kubernetes.networking') ?? '',
    /is not honoured by SkyDeck: SkyDeck reaches pods through the Kubernetes API server's exec tunnel, never through a NodePort or a port-forward, so the networking mode has nothing to choose\. It has no effect\./,
  );
});

test('keys for one context warn as the general key does; honoured ones stay silent', () => {
  const w = warned({
    kubernetes: {
      context_configs: {
        gke: { networking: 'portforward', autoscaler: 'gke', provision_timeout: 600, remote_identity: 'LOCAL_CREDENTIALS', set_pod_resource_limits: 2 },
      },
    },
  });
  assert.deepEqual([...w.keys()].sort(), ['kubernetes.context_configs.gke.autoscaler', 'kubernetes.context_configs.gke.networking']);
  assert.match(w.get('kubernetes.context_configs.gke.networking')!, /exec tunnel/);
  assert.match(w.get('kubernetes.context_configs.gke.autoscaler')!, /does not wait for a cluster autoscaler/);
});

test('honoured: remote_identity, namespace, set_pod_resource_limits, post_provision_runcmd, provision.install_conda; warned with a reason: high_availability, ssh.pod_config', () => {
  const w = warned({
    kubernetes: {
      remote_identity: 'SERVICE_ACCOUNT',
      namespace: 'team',
      set_pod_resource_limits: true,
      post_provision_runcmd: ['echo hi'],
      high_availability: { storage_class_name: 'standard' },
      apt_mirrors: ['mirror.example.com'],
      enable_docker: true,
    },
    provision: { install_conda: false },
    ssh: { pod_config: { spec: {} } },
  });
  assert.deepEqual([...w.keys()].sort(), ['kubernetes.apt_mirrors', 'kubernetes.enable_docker', 'kubernetes.high_availability', 'ssh.pod_config']);
  assert.match(w.get('kubernetes.high_availability')!, /not Kubernetes deployments/);
  assert.match(w.get('ssh.pod_config')!, /directly over SSH, not as Kubernetes pods/);
  assert.match(w.get('kubernetes.apt_mirrors')!, /does not act on it yet/);
});
