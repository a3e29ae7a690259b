/**
 * `image_id: docker:<image>` on Azure, end to end through the Azure provider (the real ARM
 * SDKs) against the fake HTTPS Resource Manager: the VM is created there, the test address
 * mapping puts a network-namespace sshd host with a Docker daemon of its own behind it
 * (test/helpers/docker.ts), and the container runs on that host through the same SSH path as the
 * other VM clouds. Setup, run and exec happen inside; `down` removes the container and the
 * cluster's resource group.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { startFakeAzure, type FakeAzure } from '../../helpers/fakes/azure';
import { netnsSkipReason, type SshTestHosts } from '../../helpers/sshd';
import { referenceCatalogs } from '../../helpers/shared';
import { fastAgent, freshHome, makeTask, useTestHostKey } from '../cluster/helpers';
import { clusters, findCluster } from '../../../engine/cluster';
import { nodeContainerName } from '../../../engine/cluster/containers';
import { closeAllSshConnections } from '../../../engine/node/ssh';
import { requirePrerequisite } from '../../helpers/prerequisites';
import { containersOn, dockerMissing, startDockerVmHosts, type DockerVmHosts, type HostDaemon } from '../../helpers/docker';

requirePrerequisite(netnsSkipReason() ?? dockerMissing());
const SAVED_ENV = { ...process.env };

async function output(name: string, jobId: number): Promise<string> {
  let out = '';
  await clusters.tailLogs(name, jobId, { follow: true, onData: (c) => (out += c) });
  return out;
}

describe('docker: images on Azure (fake Resource Manager), the VM mapped to a netns sshd host', { concurrency: false, timeout: 480_000 }, () => {
  let az: FakeAzure;
  let hosts: SshTestHosts;
  let env: ReturnType<typeof freshHome>;
  let daemons: HostDaemon[] = [];
  let image: string;
  let vms: DockerVmHosts<FakeAzure> | undefined;

  before(async () => {
    env = freshHome();
    fastAgent(400);
    vms = await startDockerVmHosts(startFakeAzure(), 1);
    ({ fake: az, hosts, daemons, image } = vms);
    useTestHostKey(env.home, hosts);
    Object.assign(process.env, {
      SKYDECK_AZURE_ENDPOINT: az.url,
      SKYDECK_AZURE_CA_FILE: az.certFile,
      SKYDECK_AZURE_ACCESS_TOKEN: 'fake-token',
      AZURE_SUBSCRIPTION_ID: az.subscription,
      AZURE_CONFIG_DIR: path.join(env.home, 'azure'),
      SKYDECK_CATALOG_DIR: referenceCatalogs(),
      SKYDECK_CLOUD_POLL_MS: '50',
      SKYDECK_SSH_WAIT_SECONDS: '60',
      SKYDECK_TEST_ADDRESS_MAP: vms.addressMap,
    });
    for (const k of [
      'AWS_ACCESS_KEY_ID',
      'AWS_SECRET_ACCESS_KEY',
      'GOOGLE_APPLICATION_CREDENTIALS',
      'AZURE_CLIENT_ID',
      'AZURE_TENANT_ID',
      'AZURE_CLIENT_SECRET',
    ]) {
      delete process.env[k];
    }
  });

  after(async () => {
    await clusters.down('az-dk').catch(() => undefined);
    closeAllSshConnections();
    await vms?.stop();
    env?.cleanup();
    process.env = SAVED_ENV;
  });

  test('setup, run and exec inside the container on the VM; down removes it and the resource group', async () => {
    const task = makeTask({
      infra: { cloud: 'azure', region: 'eastus' },
      setup: 'echo setup-marker=$(cat /image-marker)',
      run: 'echo run-marker=$(cat /image-marker) rank=$SKYPILOT_NODE_RANK host=$(hostname) cluster=$SKYPILOT_CLUSTER_INFO',
    });
    task.resources.base.imageId = `docker:${image}`;
    let out = '';
    const r = await clusters.launch(task, { clusterName: 'az-dk', onOutput: (c) => (out += c) });
    assert.equal(r.jobStatus, 'SUCCEEDED', out);
    assert.equal(r.cluster.handle.provider, 'azure');
    const log = await output('az-dk', r.jobId!);
    assert.match(log, /setup-marker=base/);
    assert.match(log, new RegExp(`run-marker=base rank=0 host=${hosts.hosts[0].hostname} cluster=.*"cloud": *"azure"`, 'i'));
    const rec = (await findCluster('az-dk'))!;
    const name = nodeContainerName(rec, 0);
    assert.equal(containersOn(daemons[0], name)[0]?.state, 'running');

    const ex = await clusters.exec('az-dk', makeTask({ run: 'echo exec-marker=$(cat /image-marker)' }));
    assert.match(await output('az-dk', ex.jobId!), /exec-marker=base/);

    await clusters.down('az-dk');
    assert.deepEqual(containersOn(daemons[0], name), []);
    assert.deepEqual(az.resourceGroups(), []);
  });
});
