/**
 * Autodown on Kubernetes (the fake API server, whose pods are local processes): the idle node
 * runs its action (the pod ends itself; in the fake, PID 1 is this machine's init, which the
 * action leaves alone), the pod turns Succeeded as the kubelet makes it when its start-up
 * shell exits, and the next `status -r` removes the pod object and the record, saying why.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FakeKubernetes } from '../../helpers/fakes/kubernetes';
import { until } from '../../helpers/until';
import { fastAgent, freshHome, makeTask } from '../cluster/helpers';
import { clusters, findCluster } from '../../../engine/cluster';
import { autostopNotes } from '../../../engine/cluster/autostopHistory';

const SAVED_ENV = { ...process.env };

describe('autodown on Kubernetes (fake API server)', { concurrency: false, timeout: 300_000 }, () => {
  let fake: FakeKubernetes;
  let env: ReturnType<typeof freshHome>;

  before(async () => {
    env = freshHome();
    fastAgent(1000);
    fake = await FakeKubernetes.start({ nodes: [{ name: 'n1', cpu: '8', memory: '32Gi' }] });
    process.env.KUBECONFIG = fake.writeKubeconfig(path.join(env.home, 'kubeconfig'), [{ name: 'e2e' }]);
  });

  after(async () => {
    await clusters.down('k8s-ad').catch(() => undefined);
    await fake?.close();
    env?.cleanup();
    process.env = SAVED_ENV;
  });

  test('-i 1 --down: the idle pod runs its action; once it ended, status -r deletes it and says why', async () => {
    const r = await clusters.launch(makeTask({ infra: { cloud: 'kubernetes', region: 'e2e' }, run: 'echo hi' }), {
      clusterName: 'k8s-ad',
      idleMinutesToAutostop: 1,
      down: true,
    });
    assert.equal(r.jobStatus, 'SUCCEEDED');
    const [pod] = fake.pods('default');
    const hookLog = path.join(fake.podDir('default', pod.metadata.name), '.skydeck_node', 'autostop_hook.log');
    await until(
      'the pod to run its autodown action',
      () => (fs.existsSync(hookLog) && /autostop: down/.test(fs.readFileSync(hookLog, 'utf8')) ? true : undefined),
      {
        timeoutMs: 90_000,
        everyMs: 200,
      },
    );
    // What the kubelet does when the pod's start-up shell exits (restartPolicy Never).
    fake.setPodPhase('default', pod.metadata.name, 'Succeeded');
    assert.deepEqual(await clusters.status({ refresh: true, names: ['k8s-ad'] }), []);
    assert.equal(await findCluster('k8s-ad'), undefined);
    assert.equal(fake.pods('default').length, 0);
    assert.equal((await autostopNotes([], ['k8s-ad'])).length, 1);
  });
});
