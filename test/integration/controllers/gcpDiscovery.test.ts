/**
 * Controller discovery on GCP (the fake Compute API): a machine with no record of the jobs
 * controller finds its VM by the cluster label in whichever zone it runs (one aggregated list),
 * builds a usable record from it (zone, nodes, addresses), and asks that place first next time.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { startFakeGcp, type FakeGcp } from '../../helpers/fakes/gcp';
import { createProvider as createGcp } from '../../../engine/infra/gcp/index';
import { launchRequest, recordingSshWaiter, useFakeGcpEnv } from '../../helpers/providerHarness';
import { discoverController } from '../../../engine/controllers/discover';
import { controllerClusterName } from '../../../engine/controllers/names';
import { nameOnCloud } from '../../../engine/cluster/naming';
import { setActiveConfig } from '../../../engine/config';

describe('controller discovery on GCP (fake Compute API)', { timeout: 120_000 }, () => {
  let gcp: FakeGcp;
  let env: { restore: () => void } | undefined;
  before(async () => {
    gcp = await startFakeGcp({ project: 'skydeck-test' });
    env = useFakeGcpEnv('gcp-discover', gcp.url, (home) => ({ SKYDECK_SSH_NODE_POOLS: path.join(home, 'no-pools.yaml') }));
    setActiveConfig({});
  });
  after(async () => {
    setActiveConfig(undefined);
    await gcp?.close();
    env?.restore();
  });

  it('finds the controller VM by its label in any zone, and asks there first next time', async () => {
    const options = { enabledInfra: ['gcp'], fresh: true, config: {}, env: process.env };
    assert.equal(await discoverController('jobs', options), undefined, 'nothing to find yet');

    const name = controllerClusterName('jobs');
    const p = createGcp({ pollIntervalMs: 20, waitForSsh: recordingSshWaiter().waitForSsh });
    await p.launch(
      launchRequest({ clusterName: name, nameOnCloud: nameOnCloud(name), region: 'us-central1', zones: ['us-central1-b'], instanceType: 'n1-standard-8' }),
    );

    const rec = await discoverController('jobs', options);
    assert.ok(rec, gcp.requests.slice(-5).join('\n'));
    assert.equal(rec.name, name);
    assert.equal(rec.owner, 'controller:jobs');
    assert.equal(rec.handle.provider, 'gcp');
    assert.equal(rec.handle.zone, 'us-central1-b');
    assert.equal(rec.handle.region, 'us-central1');
    assert.equal(rec.nodes.length, 1);
    const inst = [...gcp.instances.values()][0] as { networkInterfaces: { accessConfigs: { natIP: string }[] }[] };
    assert.equal(rec.nodes[0].ssh?.host, inst.networkInterfaces[0].accessConfigs[0].natIP);
    assert.equal(rec.nodes[0].ssh?.user, 'gcpuser');
    assert.ok(gcp.requests.some((r) => r.startsWith('GET /compute/v1/projects/skydeck-test/aggregated/instances')));

    // The hit is remembered: the next command asks GCP again and finds it without a wider scan.
    const again = await discoverController('jobs', { ...options, fresh: false, enabledInfra: [] });
    assert.equal(again?.handle.zone, 'us-central1-b');
  });
});
