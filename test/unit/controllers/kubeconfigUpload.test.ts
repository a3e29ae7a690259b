/**
 * kubernetes.remote_identity decides whether a controller cluster gets the kubeconfig:
 * NO_UPLOAD keeps it on this machine (so a Kubernetes task's controller stays here too);
 * LOCAL_CREDENTIALS, SERVICE_ACCOUNT (SkyDeck's controller has no in-cluster credentials to
 * use instead) and unset copy it.
 */
import { after, afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cloudCredentialPlan } from '../../../engine/controllers/cloudCredentials';
import { placementForTask } from '../../../engine/controllers/placement';
import { setActiveConfig } from '../../../engine/config';

const home = fs.mkdtempSync(path.join(os.tmpdir(), 'skydeck-kube-upload-'));
after(() => fs.rmSync(home, { recursive: true, force: true }));
afterEach(() => setActiveConfig(undefined));

const kubeconfig = path.join(home, 'kubeconfig');
fs.writeFileSync(
  kubeconfig,
  'apiVersion: v1\nkind: Config\ncurrent-context: one\nclusters:\n- name: c\n  cluster: {server: https://127.0.0.1:1}\nusers:\n- name: u\n  user: {token: t}\ncontexts:\n- name: one\n  context: {cluster: c, user: u}\n',
);
const env = { HOME: path.join(home, 'nobody'), KUBECONFIG: kubeconfig };

test('NO_UPLOAD: no kubeconfig for controllers, with the reason; a Kubernetes task keeps its controller on this machine', () => {
  setActiveConfig({ kubernetes: { remote_identity: 'NO_UPLOAD' } });
  const plan = cloudCredentialPlan(env);
  assert.equal(plan.files.length, 0);
  assert.equal(plan.covered.has('kubernetes'), false);
  assert.deepEqual(plan.env, []);
  assert.match(plan.notCopied.get('kubernetes') ?? '', /kubernetes\.remote_identity is NO_UPLOAD/);
  assert.equal(placementForTask('jobs', { config: {}, env, enabledInfra: ['k8s/one', 'local'] }), 'local');
});

test('LOCAL_CREDENTIALS, SERVICE_ACCOUNT, a named account and unset: the kubeconfig is copied', () => {
  for (const identity of ['LOCAL_CREDENTIALS', 'SERVICE_ACCOUNT', 'ml-runner', undefined]) {
    setActiveConfig(identity ? { kubernetes: { remote_identity: identity } } : {});
    const plan = cloudCredentialPlan(env);
    assert.ok(plan.covered.has('kubernetes'), String(identity));
    assert.deepEqual(
      plan.files.map((f) => f.dest),
      ['kube/config'],
    );
  }
  setActiveConfig({});
  assert.equal(placementForTask('jobs', { config: {}, env, enabledInfra: ['k8s/one', 'local'] }), 'cluster');
});
