/**
 * `gcp.enable_gvnic`, `gcp.placement_policy` and `gcp.remote_identity`, checked on what the fake
 * Compute API recorded: gVNIC network interfaces; a compact placement policy created in the
 * region, named by every instance of the cluster and deleted at teardown (other values ignored,
 * as SkyPilot does); a service account attached with the cloud-platform scope for
 * SERVICE_ACCOUNT or an email (a `{cluster glob: value}` list picks by cluster name), none for
 * LOCAL_CREDENTIALS or NO_UPLOAD.
 */
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startFakeGcp, type FakeGcp } from '../../helpers/fakes/gcp';
import { createProvider as createGcp } from '../../../engine/infra/gcp/index';
import { launchRequest, recordingSshWaiter, useFakeGcpEnv } from '../../helpers/providerHarness';
import { setActiveConfig } from '../../../engine/config';
import type { ConfigMap } from '../../../engine/config/types';

const CLOUD_PLATFORM = 'https://www.googleapis.com/auth/cloud-platform';

describe('gcp.enable_gvnic, gcp.placement_policy, gcp.remote_identity (fake Compute API)', { timeout: 300_000 }, () => {
  let gcp: FakeGcp;
  let env: { restore: () => void } | undefined;
  before(async () => {
    gcp = await startFakeGcp({ project: 'skydeck-test' });
    env = useFakeGcpEnv('gcp', gcp.url);
  });
  beforeEach(() => gcp.reset());
  after(async () => {
    setActiveConfig(undefined);
    await gcp?.close();
    env?.restore();
  });

  type Inst = { networkInterfaces: { nicType?: string }[]; resourcePolicies?: string[]; serviceAccounts?: { email: string; scopes: string[] }[] };
  const instancesOf = (nameOnCloud: string) =>
    [...gcp.instances.values()].filter((i) => (i.labels as Record<string, string>)['skydeck-cluster'] === nameOnCloud) as unknown as Inst[];

  async function launchWith(config: ConfigMap, clusterName: string, nameOnCloud: string, numNodes = 1) {
    setActiveConfig(config);
    const p = createGcp({ pollIntervalMs: 20, waitForSsh: recordingSshWaiter().waitForSsh });
    const handle = await p.launch(
      launchRequest({ clusterName, nameOnCloud, region: 'us-central1', zones: ['us-central1-a'], instanceType: 'n1-standard-8' }, { numNodes }),
    );
    return { p, handle, instances: instancesOf(nameOnCloud) };
  }

  it('enable_gvnic: every network interface is GVNIC; unset: the default NIC', async () => {
    const on = await launchWith({ gcp: { enable_gvnic: true } }, 'nic', 'nic-ab12', 2);
    assert.equal(on.instances.length, 2);
    for (const i of on.instances) assert.equal(i.networkInterfaces[0].nicType, 'GVNIC');
    await on.p.terminate(on.handle);
    const off = await launchWith({}, 'nic2', 'nic2-ab12');
    assert.equal(off.instances[0].networkInterfaces[0].nicType, undefined);
    await off.p.terminate(off.handle);
  });

  it('placement_policy compact: a COLLOCATED policy in the region that every node names, deleted with the cluster', async () => {
    const { p, handle, instances } = await launchWith({ gcp: { placement_policy: 'compact' } }, 'pp', 'pp-ab12', 2);
    const policy = gcp.resourcePolicies.get('us-central1/pp-ab12-placement-policy');
    assert.ok(policy, [...gcp.resourcePolicies.keys()].join(', '));
    assert.deepEqual(policy.groupPlacementPolicy, { collocation: 'COLLOCATED' });
    for (const i of instances) assert.deepEqual(i.resourcePolicies, ['projects/skydeck-test/regions/us-central1/resourcePolicies/pp-ab12-placement-policy']);
    await p.terminate(handle);
    assert.equal(gcp.resourcePolicies.size, 0, 'the policy went with the cluster');
    // Another value is not a placement SkyPilot makes: nothing is created.
    const other = await launchWith({ gcp: { placement_policy: 'spread' } }, 'pp2', 'pp2-ab12');
    assert.equal(gcp.resourcePolicies.size, 0);
    assert.equal(other.instances[0].resourcePolicies, undefined);
    await other.p.terminate(other.handle);
  });

  it('remote_identity: SERVICE_ACCOUNT attaches skypilot-v1, an email attaches that account, a glob list picks by cluster, the default attaches none', async () => {
    const sa = await launchWith({ gcp: { remote_identity: 'SERVICE_ACCOUNT' } }, 'ri', 'ri-ab12');
    assert.deepEqual(sa.instances[0].serviceAccounts, [{ email: 'skypilot-v1@skydeck-test.iam.gserviceaccount.com', scopes: [CLOUD_PLATFORM] }]);
    await sa.p.terminate(sa.handle);

    const email = await launchWith({ gcp: { remote_identity: 'runner@skydeck-test.iam.gserviceaccount.com' } }, 'ri2', 'ri2-ab12');
    assert.deepEqual(email.instances[0].serviceAccounts, [{ email: 'runner@skydeck-test.iam.gserviceaccount.com', scopes: [CLOUD_PLATFORM] }]);
    await email.p.terminate(email.handle);

    const list = { gcp: { remote_identity: [{ 'prod-*': 'prod@skydeck-test.iam.gserviceaccount.com' }, { '*': 'NO_UPLOAD' }] } } as unknown as ConfigMap;
    const prod = await launchWith(list, 'prod-1', 'prod-1-ab12');
    assert.deepEqual(prod.instances[0].serviceAccounts, [{ email: 'prod@skydeck-test.iam.gserviceaccount.com', scopes: [CLOUD_PLATFORM] }]);
    await prod.p.terminate(prod.handle);
    const dev = await launchWith(list, 'dev-1', 'dev-1-ab12');
    assert.equal(dev.instances[0].serviceAccounts, undefined, 'NO_UPLOAD attaches nothing');
    await dev.p.terminate(dev.handle);

    const local = await launchWith({}, 'ri3', 'ri3-ab12');
    assert.equal(local.instances[0].serviceAccounts, undefined, 'LOCAL_CREDENTIALS (the default) attaches nothing');
    await local.p.terminate(local.handle);
  });
});
