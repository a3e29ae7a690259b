/**
 * End to end on GCP (the fake Compute API): the cluster engine runs a 2-node task after
 * both zones of the cheapest region report ZONE_RESOURCE_POOL_EXHAUSTED (each zone is
 * blocked in turn, then the next region is chosen), on netns sshd hosts behind the
 * instances (test address mapping); `down` deletes every instance and the firewall rule.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startFakeGcp, type FakeGcp } from '../../helpers/fakes/gcp';
import { netnsSkipReason, startSshHosts, type SshTestHosts } from '../../helpers/sshd';
import { startTogether } from '../../helpers/startTogether';
import { fastAgent, freshHome, makeTask, useTestHostKey } from '../cluster/helpers';
import { clusters, type ProgressEvent } from '../../../engine/cluster';
import { closeAllSshConnections } from '../../../engine/node/ssh';
import { requirePrerequisite } from '../../helpers/prerequisites';

const skip = requirePrerequisite(netnsSkipReason());
const SAVED_ENV = { ...process.env };

describe('2-node task on GCP (fake Compute API) with zone and region failover', { skip, concurrency: false, timeout: 480_000 }, () => {
  let gcp: FakeGcp;
  let hosts: SshTestHosts;
  let env: ReturnType<typeof freshHome>;

  before(async () => {
    env = freshHome();
    fastAgent(400);
    [gcp, hosts] = await startTogether<[FakeGcp, SshTestHosts]>(
      [startFakeGcp({ project: 'e2e-proj' }), startSshHosts({ loopback: false, netnsHosts: 2 })],
      (s) => ('stop' in s ? s.stop() : s.close()),
    );
    useTestHostKey(env.home, hosts);
    const [h1, h2] = hosts.hosts;
    // A fake ADC file makes the engine's no-SDK detection see GCP; the provider uses the token.
    const adcDir = path.join(env.home, 'gcloud');
    fs.mkdirSync(adcDir, { recursive: true });
    fs.writeFileSync(path.join(adcDir, 'application_default_credentials.json'), JSON.stringify({ type: 'authorized_user', quota_project_id: 'e2e-proj' }));
    Object.assign(process.env, {
      CLOUDSDK_CONFIG: adcDir,
      SKYDECK_GCP_ENDPOINT: gcp.url,
      SKYDECK_GCP_ACCESS_TOKEN: 'fake-token',
      GOOGLE_CLOUD_PROJECT: 'e2e-proj',
      SKYDECK_CATALOG_DIR: path.join(__dirname, 'fixtures', 'catalog'),
      SKYDECK_CLOUD_POLL_MS: '50',
      SKYDECK_SSH_WAIT_SECONDS: '60',
      SKYDECK_TEST_ADDRESS_MAP: JSON.stringify({ '*': [`${h1.user}@${h1.host}:${h1.port}`, `${h2.user}@${h2.host}:${h2.port}`] }),
    });
    for (const k of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'GOOGLE_APPLICATION_CREDENTIALS']) delete process.env[k];
  });

  after(async () => {
    await clusters.down('gcp-e2e').catch(() => undefined);
    closeAllSshConnections();
    await Promise.allSettled([gcp?.close(), hosts?.stop()]);
    env?.cleanup();
    process.env = SAVED_ENV;
  });

  test('launch blocks us-central1-a, then -b, lands in us-east1-b and runs on both nodes; down leaves nothing', async () => {
    for (const zone of ['us-central1-a', 'us-central1-b']) {
      gcp.inject({
        method: 'instances.insert',
        zone,
        via: 'operation',
        code: 'ZONE_RESOURCE_POOL_EXHAUSTED',
        message: `The zone 'projects/e2e-proj/zones/${zone}' does not have enough resources available to fulfill the request.`,
      });
    }
    const events: ProgressEvent[] = [];
    let out = '';
    const r = await clusters.launch(makeTask({ numNodes: 2, infra: { cloud: 'gcp' }, run: 'echo "rank=$SKYPILOT_NODE_RANK host=$(hostname)"' }), {
      clusterName: 'gcp-e2e',
      onProgress: (e) => events.push(e),
      onOutput: (c) => (out += c),
    });
    assert.equal(r.jobStatus, 'SUCCEEDED', out);
    assert.equal(r.cluster.handle.zone, 'us-east1-b');
    const messages = events.map((e) => e.message).join('\n');
    assert.match(messages, /Blocking gcp\/us-central1\/us-central1-a/);
    assert.match(messages, /Blocking gcp\/us-central1\/us-central1-b/);
    assert.match(out, /rank=0 host=skydeck-h1/);
    assert.match(out, /rank=1 host=skydeck-h2/);
    assert.equal([...gcp.instances.keys()].filter((k) => k.startsWith('us-east1-b/')).length, 2);
    assert.equal([...gcp.instances.keys()].filter((k) => k.startsWith('us-central1')).length, 0, 'failed zones were cleaned');

    await clusters.down('gcp-e2e');
    assert.equal(gcp.instances.size, 0);
    assert.equal(gcp.firewalls.size, 0);
  });
});
