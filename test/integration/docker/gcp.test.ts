/**
 * `image_id: docker:<image>` on GCP, end to end through the GCP provider against the fake
 * Compute API: two instances, each mapped to a network-namespace sshd host with a Docker daemon
 * of its own (test/helpers/docker.ts), as a VM of SkyPilot's image has. One container per node; the
 * head's agent on the head VM starts each rank in its node's container (the worker's over ssh
 * with the cluster's key, as on any multi-node VM cluster). Setup, run and exec happen inside;
 * `down` removes both containers and deletes the instances.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startFakeGcp, type FakeGcp } from '../../helpers/fakes/gcp';
import { netnsSkipReason, type SshTestHosts } from '../../helpers/sshd';
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

describe('docker: images on GCP (fake Compute API), two instances mapped to netns sshd hosts', { concurrency: false, timeout: 480_000 }, () => {
  let gcp: FakeGcp;
  let hosts: SshTestHosts;
  let env: ReturnType<typeof freshHome>;
  let daemons: HostDaemon[] = [];
  let image: string;
  let vms: DockerVmHosts<FakeGcp> | undefined;

  before(async () => {
    env = freshHome();
    fastAgent(400);
    vms = await startDockerVmHosts(startFakeGcp({ project: 'dk-proj' }), 2);
    ({ fake: gcp, hosts, daemons, image } = vms);
    useTestHostKey(env.home, hosts);
    // A fake ADC file makes the engine's no-SDK detection see GCP; the provider uses the token.
    const adcDir = path.join(env.home, 'gcloud');
    fs.mkdirSync(adcDir, { recursive: true });
    fs.writeFileSync(path.join(adcDir, 'application_default_credentials.json'), JSON.stringify({ type: 'authorized_user', quota_project_id: 'dk-proj' }));
    Object.assign(process.env, {
      CLOUDSDK_CONFIG: adcDir,
      SKYDECK_GCP_ENDPOINT: gcp.url,
      SKYDECK_GCP_ACCESS_TOKEN: 'fake-token',
      GOOGLE_CLOUD_PROJECT: 'dk-proj',
      SKYDECK_CATALOG_DIR: path.join(__dirname, '..', 'clouds', 'fixtures', 'catalog'),
      SKYDECK_CLOUD_POLL_MS: '50',
      SKYDECK_SSH_WAIT_SECONDS: '60',
      SKYDECK_TEST_ADDRESS_MAP: vms.addressMap,
    });
    for (const k of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'GOOGLE_APPLICATION_CREDENTIALS']) delete process.env[k];
  });

  after(async () => {
    await clusters.down('gcp-dk').catch(() => undefined);
    closeAllSshConnections();
    await vms?.stop();
    env?.cleanup();
    process.env = SAVED_ENV;
  });

  test('setup, run and exec inside both containers; down removes them and deletes the instances', async () => {
    const task = makeTask({
      numNodes: 2,
      infra: { cloud: 'gcp' },
      setup: 'echo setup-rank=$SKYPILOT_SETUP_NODE_RANK marker=$(cat /image-marker)',
      run: 'echo rank=$SKYPILOT_NODE_RANK marker=$(cat /image-marker) host=$(hostname) cluster=$SKYPILOT_CLUSTER_INFO',
    });
    task.resources.base.imageId = `docker:${image}`;
    let out = '';
    const r = await clusters.launch(task, { clusterName: 'gcp-dk', onOutput: (c) => (out += c) });
    assert.equal(r.jobStatus, 'SUCCEEDED', out);
    assert.equal(r.cluster.handle.provider, 'gcp');
    const [h1, h2] = hosts.hosts;
    const log = await output('gcp-dk', r.jobId!);
    assert.match(log, /setup-rank=0 marker=base/);
    assert.match(log, /setup-rank=1 marker=base/);
    assert.match(log, new RegExp(`rank=0 marker=base host=${h1.hostname} cluster=.*"cloud": *"gcp"`, 'i'));
    assert.match(log, new RegExp(`rank=1 marker=base host=${h2.hostname} cluster=.*"cloud": *"gcp"`, 'i'));
    const rec = (await findCluster('gcp-dk'))!;
    for (const [rank, d] of daemons.entries()) assert.equal(containersOn(d, nodeContainerName(rec, rank))[0]?.state, 'running');

    const ex = await clusters.exec('gcp-dk', makeTask({ numNodes: 2, run: 'echo exec-rank=$SKYPILOT_NODE_RANK marker=$(cat /image-marker)' }));
    const exLog = await output('gcp-dk', ex.jobId!);
    assert.match(exLog, /exec-rank=0 marker=base/);
    assert.match(exLog, /exec-rank=1 marker=base/);

    await clusters.down('gcp-dk');
    for (const [rank, d] of daemons.entries()) assert.deepEqual(containersOn(d, nodeContainerName(rec, rank)), []);
    assert.equal(gcp.instances.size, 0);
  });
});
