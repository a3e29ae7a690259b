/**
 * End to end on Kubernetes (the fake API server): the cluster engine launches a 1-node task
 * onto k8s/<context>; the agent is installed and the job runs through the exec transport
 * (the fake runs exec'd commands as local processes in the pod's directory); down deletes the pod.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FakeKubernetes } from '../../helpers/fakes/kubernetes';
import { fastAgent, freshHome, makeTask } from '../cluster/helpers';
import { clusters } from '../../../engine/cluster';

const SAVED_ENV = { ...process.env };

describe('1-node task on Kubernetes (fake API server)', { concurrency: false, timeout: 300_000 }, () => {
  let fake: FakeKubernetes;
  let env: ReturnType<typeof freshHome>;

  before(async () => {
    env = freshHome();
    fastAgent(400);
    fake = await FakeKubernetes.start({ nodes: [{ name: 'n1', cpu: '8', memory: '32Gi' }] });
    process.env.KUBECONFIG = fake.writeKubeconfig(path.join(env.home, 'kubeconfig'), [{ name: 'e2e' }]);
  });

  after(async () => {
    await clusters.down('k8s-e2e').catch(() => undefined);
    await fake?.close();
    env?.cleanup();
    process.env = SAVED_ENV;
  });

  test('launch runs the task in the pod; down removes it', async () => {
    let out = '';
    const r = await clusters.launch(makeTask({ infra: { cloud: 'kubernetes', region: 'e2e' }, run: 'echo "rank=$SKYPILOT_NODE_RANK pod=$HOSTNAME" && pwd' }), {
      clusterName: 'k8s-e2e',
      onOutput: (c) => (out += c),
    });
    assert.equal(r.jobStatus, 'SUCCEEDED', out);
    const pods = fake.pods('default');
    assert.equal(pods.length, 1);
    assert.match(out, new RegExp(`rank=0 pod=${pods[0].metadata.name}`));
    assert.ok(fs.existsSync(fake.podDir('default', pods[0].metadata.name)));
    await clusters.down('k8s-e2e');
    assert.equal(fake.pods('default').length, 0);
  });
});
