/**
 * Autodown on GCP (the fake Compute API), each instance stood in for by a network-namespace
 * sshd host. The fake listens on the hosts' bridge, so "the VM" reaches the Compute API, the
 * OAuth token endpoint and the metadata server the way the client reaches the Compute API.
 *
 * - NO_UPLOAD: the node has nothing to delete itself with; it issues its guest shutdown
 *   (recorded by the stand-in), GCE marks the instance TERMINATED, and the next `status -r`
 *   finishes the teardown.
 * - LOCAL_CREDENTIALS (SkyPilot's default) with an `authorized_user` ADC file, and with a
 *   `service_account` key (GOOGLE_APPLICATION_CREDENTIALS): the credential is on the head
 *   (0600), the head mints a token at the credential's token_uri and deletes its instance and
 *   firewall rule through the API, with no skydeck command run by the test.
 * - SERVICE_ACCOUNT: the instance carries skypilot-v1@<project> with the cloud-platform scope,
 *   no credential is uploaded, and the head's token comes from the metadata server.
 */
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startFakeGcp, type FakeGcp } from '../../helpers/fakes/gcp';
import { netnsSkipReason, startSshHosts, type SshHost, type SshTestHosts } from '../../helpers/sshd';
import { requirePrerequisite } from '../../helpers/prerequisites';
import { until } from '../../helpers/until';
import { fastAgent, freshHome, makeTask, useTestHostKey } from '../cluster/helpers';
import { clusters, findCluster } from '../../../engine/cluster';
import { autostopNotes } from '../../../engine/cluster/autostopHistory';
import { setActiveConfig } from '../../../engine/config';
import { closeAllSshConnections } from '../../../engine/node/ssh';
import { firewallName } from '../../../engine/infra/gcp/names';

const skip = requirePrerequisite(netnsSkipReason());
const SAVED_ENV = { ...process.env };

/** Every file under `dir` whose text contains `secret` (state, logs, ssh config of the client). */
function filesContaining(dir: string, secret: string): string[] {
  const found: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!e.isFile()) continue;
    const file = path.join(e.parentPath, e.name);
    if (fs.readFileSync(file).includes(secret)) found.push(file);
  }
  return found;
}

describe('autodown on GCP (fake Compute API) with the node on a netns sshd host', { skip, concurrency: false, timeout: 600_000 }, () => {
  let gcp: FakeGcp;
  let hosts: SshTestHosts;
  let env: ReturnType<typeof freshHome>;
  let adcDir: string;
  const launched: string[] = [];

  /** The next stand-in host: one per cluster, so no node state carries over. */
  function useHost(i: number): SshHost {
    const h = hosts.hosts[i];
    process.env.SKYDECK_TEST_ADDRESS_MAP = JSON.stringify({ '*': [`${h.user}@${h.host}:${h.port}`] });
    return h;
  }

  async function launchIdleDown(name: string): Promise<{ names: string[]; zone: string; firewall: string }> {
    launched.push(name);
    const r = await clusters.launch(makeTask({ infra: { cloud: 'gcp' }, run: 'echo hi' }), { clusterName: name, idleMinutesToAutostop: 1, down: true });
    assert.equal(r.jobStatus, 'SUCCEEDED');
    closeAllSshConnections();
    const rec = await findCluster(name);
    assert.ok(rec?.handle.zone);
    const names = [...gcp.instances.values()].filter((i) => (i.labels as Record<string, string>)['skydeck-cluster-name'] === name).map((i) => i.name as string);
    return { names, zone: rec.handle.zone, firewall: firewallName(rec.handle.nameOnCloud) };
  }

  /** The Compute calls made with tokens minted from `source` (a prefix of the fake's `minted` value). */
  function callsWith(source: string): string[] {
    return gcp.calls.filter((c) => gcp.minted.get(c.token)?.startsWith(source)).map((c) => `${c.method} ${c.path}`);
  }

  before(async () => {
    env = freshHome();
    fastAgent(1000);
    hosts = await startSshHosts({ loopback: false, netnsHosts: 4 });
    // The bridge's own address (10.X.Y.1): reachable from the client and from every stand-in VM.
    const gateway = hosts.hosts[0].host.replace(/\.\d+$/, '.1');
    gcp = await startFakeGcp({ project: 'e2e-proj', host: gateway });
    useTestHostKey(env.home, hosts);
    adcDir = path.join(env.home, 'gcloud');
    fs.mkdirSync(adcDir, { recursive: true });
    Object.assign(process.env, {
      CLOUDSDK_CONFIG: adcDir,
      SKYDECK_GCP_ENDPOINT: gcp.url,
      // The client's own calls; the node never gets this short-lived token.
      SKYDECK_GCP_ACCESS_TOKEN: 'fake-token',
      GOOGLE_CLOUD_PROJECT: 'e2e-proj',
      SKYDECK_CATALOG_DIR: path.join(__dirname, '..', 'clouds', 'fixtures', 'catalog'),
      SKYDECK_CLOUD_POLL_MS: '50',
      SKYDECK_SSH_WAIT_SECONDS: '60',
    });
    for (const k of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'GOOGLE_APPLICATION_CREDENTIALS']) delete process.env[k];
  });

  beforeEach(() => {
    fs.writeFileSync(path.join(adcDir, 'application_default_credentials.json'), JSON.stringify(gcp.authorizedUser()));
    delete process.env.GOOGLE_APPLICATION_CREDENTIALS;
    setActiveConfig(undefined);
  });

  after(async () => {
    setActiveConfig(undefined);
    for (const name of launched) await clusters.down(name).catch(() => undefined);
    closeAllSshConnections();
    await Promise.allSettled([gcp?.close(), hosts?.stop()]);
    env?.cleanup();
    process.env = SAVED_ENV;
  });

  test('NO_UPLOAD: the node shuts down, GCE stops it, status -r deletes it', async () => {
    setActiveConfig({ gcp: { remote_identity: 'NO_UPLOAD' } });
    const host = useHost(0);
    await launchIdleDown('gcp-ad');
    assert.equal(fs.existsSync(path.join(host.homeDir, '.skydeck_node', 'cloud-api')), false, 'nothing was uploaded for the node to act with');
    const log = path.join(host.homeDir, '.skydeck_guest_shutdown');
    await until('the node to issue its guest shutdown', () => (fs.existsSync(log) ? true : undefined), { timeoutMs: 90_000, everyMs: 200 });
    // What GCE does on a guest shutdown.
    for (const name of gcp.instances.keys()) gcp.setStatus(name, 'TERMINATED');
    assert.deepEqual(await clusters.status({ refresh: true, names: ['gcp-ad'] }), []);
    assert.equal(await findCluster('gcp-ad'), undefined);
    assert.equal(gcp.instances.size, 0, 'the stopped instance was deleted');
    assert.equal((await autostopNotes([], ['gcp-ad'])).length, 1);
  });

  test('LOCAL_CREDENTIALS (authorized_user ADC): the head deletes its cluster through the API, no client involved', async () => {
    const host = useHost(1);
    const adc = JSON.parse(fs.readFileSync(path.join(adcDir, 'application_default_credentials.json'), 'utf8')) as Record<string, string>;
    const { names, zone, firewall } = await launchIdleDown('gcp-ad-user');
    assert.equal(names.length, 1);
    const onNode = path.join(host.homeDir, '.skydeck_node', 'cloud-api', 'credential.json');
    assert.equal(fs.statSync(onNode).mode & 0o777, 0o600, 'the credential on the head is 0600');
    await gcp.waitUntilDeleted(names, 120_000);
    const deletes = callsWith(`authorized_user:${adc.client_id}`).filter((c) => c.startsWith('DELETE'));
    assert.deepEqual(deletes, [
      `DELETE /compute/v1/projects/e2e-proj/global/firewalls/${firewall}`,
      `DELETE /compute/v1/projects/e2e-proj/zones/${zone}/instances/${names[0]}`,
    ]);
    assert.equal(gcp.firewalls.size, 0, "the cluster's firewall rule is gone too");
    assert.equal(fs.existsSync(path.join(host.homeDir, '.skydeck_guest_shutdown')), false, 'the node did not fall back to powering off');
    assert.deepEqual(
      filesContaining(env.home, adc.refresh_token).filter((f) => f !== path.join(adcDir, 'application_default_credentials.json')),
      [],
      'the refresh token is in no client-side file (state, logs) but the ADC file itself',
    );
    // The record goes at the next look.
    assert.deepEqual(await clusters.status({ refresh: true, names: ['gcp-ad-user'] }), []);
    assert.equal(await findCluster('gcp-ad-user'), undefined);
  });

  test('LOCAL_CREDENTIALS (service-account key): the head signs its own token request with openssl', async () => {
    const host = useHost(2);
    const keyFile = path.join(env.home, 'sa-key.json');
    const key = gcp.serviceAccountKey('deployer@e2e-proj.iam.gserviceaccount.com');
    fs.writeFileSync(keyFile, JSON.stringify(key), { mode: 0o600 });
    process.env.GOOGLE_APPLICATION_CREDENTIALS = keyFile;
    const { names } = await launchIdleDown('gcp-ad-sa');
    await gcp.waitUntilDeleted(names, 120_000);
    assert.ok(
      callsWith('service_account:deployer@e2e-proj.iam.gserviceaccount.com').some((c) => c.startsWith('DELETE') && c.endsWith(`/instances/${names[0]}`)),
      gcp.requests.slice(-10).join('\n'),
    );
    assert.equal(fs.existsSync(path.join(host.homeDir, '.skydeck_guest_shutdown')), false);
    const secret = /-----BEGIN PRIVATE KEY-----\n(.{40})/.exec(key.private_key as string)![1];
    assert.deepEqual(
      filesContaining(env.home, secret).filter((f) => f !== keyFile),
      [],
    );
  });

  test('SERVICE_ACCOUNT: skypilot-v1 is attached with cloud-platform; the head takes its token from the metadata server', async () => {
    setActiveConfig({ gcp: { remote_identity: 'SERVICE_ACCOUNT' } });
    const host = useHost(3);
    const { names } = await launchIdleDown('gcp-ad-meta');
    const inst = [...gcp.instances.values()].find((i) => i.name === names[0])!;
    assert.deepEqual(inst.serviceAccounts, [
      { email: 'skypilot-v1@e2e-proj.iam.gserviceaccount.com', scopes: ['https://www.googleapis.com/auth/cloud-platform'] },
    ]);
    assert.equal(fs.existsSync(path.join(host.homeDir, '.skydeck_node', 'cloud-api', 'credential.json')), false, 'no user credential on the node');
    await gcp.waitUntilDeleted(names, 120_000);
    assert.ok(callsWith('metadata').some((c) => c.startsWith('DELETE') && c.endsWith(`/instances/${names[0]}`)));
  });
});
