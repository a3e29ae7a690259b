/**
 * `image_id: docker:<image>` on a VM cloud, end to end through the AWS provider against moto:
 * the instance is created in moto, the test address mapping puts a network-namespace sshd
 * host behind it (as awsCluster.test.ts does), and the container runs on that host through
 * the same SSH path as SSH node pools (its docker client reaches the tests' daemon through
 * SKYDECK_DOCKER_HOST). Setup, run and exec happen inside; `down` removes the container and
 * terminates the instance.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { motoInstalled, startMoto, type MotoServer } from '../../helpers/moto';
import { netnsSkipReason, startSshHosts, type SshTestHosts } from '../../helpers/sshd';
import { startTogether } from '../../helpers/startTogether';
import { fastAgent, freshHome, makeTask, useMotoAws, useTestHostKey } from '../cluster/helpers';
import { clusters, findCluster } from '../../../engine/cluster';
import { nodeContainerName } from '../../../engine/cluster/containers';
import { closeAllSshConnections } from '../../../engine/node/ssh';
import { requirePrerequisite } from '../../helpers/prerequisites';
import { buildTestImage, containersNamed, dockerMissing, ensureDockerDaemon } from '../../helpers/docker';

requirePrerequisite(netnsSkipReason() ?? dockerMissing() ?? (motoInstalled() ? undefined : 'moto (installed into .tools/moto by scripts/setup/30-moto.sh)'));
const SAVED_ENV = { ...process.env };

async function output(name: string, jobId: number): Promise<string> {
  let out = '';
  await clusters.tailLogs(name, jobId, { follow: true, onData: (c) => (out += c) });
  return out;
}

describe('docker: images on AWS (moto), the instance mapped to a netns sshd host', { concurrency: false, timeout: 480_000 }, () => {
  let moto: MotoServer;
  let hosts: SshTestHosts;
  let env: ReturnType<typeof freshHome>;
  let image: string;

  before(async () => {
    env = freshHome();
    fastAgent(400);
    await ensureDockerDaemon();
    image = buildTestImage();
    [moto, hosts] = await startTogether<[MotoServer, SshTestHosts]>([startMoto(), startSshHosts({ loopback: false, netnsHosts: 1 })], (s) => s.stop());
    useTestHostKey(env.home, hosts);
    const [h1] = hosts.hosts;
    useMotoAws(env.home, moto.proxyUrl, [h1]);
  });

  after(async () => {
    await clusters.down('aws-dk').catch(() => undefined);
    closeAllSshConnections();
    await Promise.allSettled([moto?.stop(), hosts?.stop()]);
    env?.cleanup();
    process.env = SAVED_ENV;
  });

  test('setup, run and exec inside the container on the instance; down removes it and terminates the instance', async () => {
    const task = makeTask({
      infra: { cloud: 'aws', region: 'us-west-2' },
      setup: 'echo setup-marker=$(cat /image-marker)',
      run: 'echo run-marker=$(cat /image-marker) rank=$SKYPILOT_NODE_RANK cluster=$SKYPILOT_CLUSTER_INFO',
    });
    task.resources.base.imageId = `docker:${image}`;
    const r = await clusters.launch(task, { clusterName: 'aws-dk' });
    assert.equal(r.jobStatus, 'SUCCEEDED');
    assert.equal(r.cluster.handle.provider, 'aws');
    const log = await output('aws-dk', r.jobId!);
    assert.match(log, /setup-marker=base/);
    assert.match(log, /run-marker=base rank=0 cluster=.*"cloud": *"aws"/i);
    const rec = (await findCluster('aws-dk'))!;
    const name = nodeContainerName(rec, 0);
    assert.equal(containersNamed(name)[0]?.state, 'running');

    const ex = await clusters.exec('aws-dk', makeTask({ run: 'echo exec-marker=$(cat /image-marker)' }));
    assert.match(await output('aws-dk', ex.jobId!), /exec-marker=base/);

    await clusters.down('aws-dk');
    assert.deepEqual(containersNamed(name), []);
    const ec2 = new EC2Client({ region: 'us-west-2', endpoint: moto.url, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
    const left = await ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'tag:skydeck-cluster', Values: [rec.handle.nameOnCloud] }] }));
    const states = (left.Reservations ?? []).flatMap((x) => x.Instances ?? []).map((i) => i.State?.Name);
    assert.ok(states.length > 0, 'the instance was created in moto');
    assert.deepEqual(
      states.filter((s) => s !== 'terminated'),
      [],
    );
  });
});
