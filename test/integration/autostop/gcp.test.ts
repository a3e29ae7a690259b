/**
 * Autodown on GCP (the fake Compute API), with the instance stood in for by a network-namespace
 * sshd host: the idle node issues its guest shutdown (recorded by the stand-in), GCE marks the
 * instance TERMINATED (stopped), and since a node holds no credential to delete itself, the
 * next `status -r` finishes the teardown: the instance and the record are gone, with a note.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startFakeGcp, type FakeGcp } from '../../helpers/fakes/gcp';
import { netnsSkipReason, startSshHosts, type SshTestHosts } from '../../helpers/sshd';
import { startTogether } from '../../helpers/startTogether';
import { requirePrerequisite } from '../../helpers/prerequisites';
import { until } from '../../helpers/until';
import { fastAgent, freshHome, makeTask, useTestHostKey } from '../cluster/helpers';
import { clusters, findCluster } from '../../../engine/cluster';
import { autostopNotes } from '../../../engine/cluster/autostopHistory';
import { closeAllSshConnections } from '../../../engine/node/ssh';

const skip = requirePrerequisite(netnsSkipReason());
const SAVED_ENV = { ...process.env };

describe('autodown on GCP (fake Compute API) with the node on a netns sshd host', { skip, concurrency: false, timeout: 480_000 }, () => {
  let gcp: FakeGcp;
  let hosts: SshTestHosts;
  let env: ReturnType<typeof freshHome>;

  before(async () => {
    env = freshHome();
    fastAgent(1000);
    [gcp, hosts] = await startTogether<[FakeGcp, SshTestHosts]>(
      [startFakeGcp({ project: 'e2e-proj' }), startSshHosts({ loopback: false, netnsHosts: 1 })],
      (s) => ('stop' in s ? s.stop() : s.close()),
    );
    useTestHostKey(env.home, hosts);
    const [h1] = hosts.hosts;
    const adcDir = path.join(env.home, 'gcloud');
    fs.mkdirSync(adcDir, { recursive: true });
    fs.writeFileSync(path.join(adcDir, 'application_default_credentials.json'), JSON.stringify({ type: 'authorized_user', quota_project_id: 'e2e-proj' }));
    Object.assign(process.env, {
      CLOUDSDK_CONFIG: adcDir,
      SKYDECK_GCP_ENDPOINT: gcp.url,
      SKYDECK_GCP_ACCESS_TOKEN: 'fake-token',
      GOOGLE_CLOUD_PROJECT: 'e2e-proj',
      SKYDECK_CATALOG_DIR: path.join(__dirname, '..', 'clouds', 'fixtures', 'catalog'),
      SKYDECK_CLOUD_POLL_MS: '50',
      SKYDECK_SSH_WAIT_SECONDS: '60',
      SKYDECK_TEST_ADDRESS_MAP: JSON.stringify({ '*': [`${h1.user}@${h1.host}:${h1.port}`] }),
    });
    for (const k of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'GOOGLE_APPLICATION_CREDENTIALS']) delete process.env[k];
  });

  after(async () => {
    await clusters.down('gcp-ad').catch(() => undefined);
    closeAllSshConnections();
    await Promise.allSettled([gcp?.close(), hosts?.stop()]);
    env?.cleanup();
    process.env = SAVED_ENV;
  });

  test('-i 1 --down: the node shuts down, GCE stops it, status -r deletes it', async () => {
    const r = await clusters.launch(makeTask({ infra: { cloud: 'gcp' }, run: 'echo hi' }), { clusterName: 'gcp-ad', idleMinutesToAutostop: 1, down: true });
    assert.equal(r.jobStatus, 'SUCCEEDED');
    closeAllSshConnections();
    const log = path.join(hosts.hosts[0].homeDir, '.skydeck_guest_shutdown');
    await until('the node to issue its guest shutdown', () => (fs.existsSync(log) ? true : undefined), { timeoutMs: 90_000, everyMs: 200 });
    // What GCE does on a guest shutdown.
    for (const name of gcp.instances.keys()) gcp.setStatus(name, 'TERMINATED');
    assert.deepEqual(await clusters.status({ refresh: true, names: ['gcp-ad'] }), []);
    assert.equal(await findCluster('gcp-ad'), undefined);
    assert.equal(gcp.instances.size, 0, 'the stopped instance was deleted');
    assert.equal((await autostopNotes([], ['gcp-ad'])).length, 1);
  });
});
