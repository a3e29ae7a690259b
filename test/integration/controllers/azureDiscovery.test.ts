/**
 * Controller discovery on Azure (the fake Resource Manager): the jobs controller launched from
 * one machine (its own SKYDECK_HOME) is found from another machine with the same Azure
 * credentials and no record of it, by the cluster's resource group and its tag, in whichever
 * region the group is; a scan that finds nothing is remembered, a hit is asked first next time.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startFakeAzure, type FakeAzure } from '../../helpers/fakes/azure';
import { createProvider as createAzure } from '../../../engine/infra/azure/index';
import { launchRequest, recordingSshWaiter, useFakeAzureProviderEnv } from '../../helpers/providerHarness';
import { discoverController } from '../../../engine/controllers/discover';
import { controllerClusterName } from '../../../engine/controllers/names';
import { nameOnCloud } from '../../../engine/cluster/naming';
import { listClusters } from '../../../engine/cluster';
import { setActiveConfig } from '../../../engine/config';

describe('controller discovery on Azure (fake Resource Manager)', { timeout: 120_000 }, () => {
  let az: FakeAzure;
  let env: { home: string; restore: () => void } | undefined;
  let machineB: string;
  before(async () => {
    az = await startFakeAzure();
    env = useFakeAzureProviderEnv('azure-discover', az, { extra: (home) => ({ SKYDECK_SSH_NODE_POOLS: path.join(home, 'no-pools.yaml') }) });
    machineB = fs.mkdtempSync(path.join(os.tmpdir(), 'skydeck-azure-discover-b-'));
    setActiveConfig({});
  });
  after(async () => {
    setActiveConfig(undefined);
    await az?.close();
    env?.restore();
    if (machineB) fs.rmSync(machineB, { recursive: true, force: true });
  });

  const onMachine = (home: string) => (process.env.SKYDECK_HOME = home);

  it('finds the controller launched from another machine, remembers a miss, and asks the hit first', async () => {
    const options = { enabledInfra: ['azure'], fresh: true, config: {}, env: process.env };
    onMachine(machineB);
    assert.equal(await discoverController('jobs', options), undefined, 'nothing to find yet');

    // Machine A launches the controller cluster in westus2.
    onMachine(env!.home);
    const name = controllerClusterName('jobs');
    const p = createAzure({ pollIntervalMs: 10, waitForSsh: recordingSshWaiter().waitForSsh });
    await p.launch(launchRequest({ clusterName: name, nameOnCloud: nameOnCloud(name), region: 'westus2', zones: [], instanceType: 'Standard_D4s_v5' }));

    // Machine B: the miss is remembered for a while (no request reaches Azure)...
    onMachine(machineB);
    const before = az.requests.length;
    assert.equal(await discoverController('jobs', { ...options, fresh: false }), undefined);
    assert.equal(az.requests.length, before, 'a remembered miss asks nothing');

    // ...and a fresh scan finds the controller by its resource group.
    const rec = await discoverController('jobs', options);
    assert.ok(rec, az.requests.slice(-5).join('\n'));
    assert.equal(rec.name, name);
    assert.equal(rec.owner, 'controller:jobs');
    assert.equal(rec.handle.provider, 'azure');
    assert.equal(rec.handle.region, 'westus2');
    assert.equal((rec.handle.data as { resourceGroup?: string }).resourceGroup, `skydeck-${nameOnCloud(name)}`);
    assert.equal(rec.nodes.length, 1);
    const ip = [...az.resources.values()].find((r) => String(r.id).toLowerCase().includes('/publicipaddresses/')) as { properties: { ipAddress: string } };
    assert.equal(rec.nodes[0].ssh?.host, ip.properties.ipAddress);
    assert.equal(rec.nodes[0].ssh?.user, 'azureuser');
    assert.deepEqual(await listClusters(), [], 'the discovered record is not saved on machine B');

    // The hit is remembered: the next command asks Azure again and finds it without a wider scan.
    const again = await discoverController('jobs', { ...options, fresh: false, enabledInfra: [] });
    assert.equal(again?.handle.region, 'westus2');

    // Once the cluster is gone, the remembered hit finds nothing and a scan misses.
    onMachine(env!.home);
    await p.terminate(rec.handle);
    onMachine(machineB);
    assert.equal(await discoverController('jobs', options), undefined);
  });
});
