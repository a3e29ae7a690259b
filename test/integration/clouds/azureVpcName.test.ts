/**
 * `azure.vpc_name` against the fake Resource Manager: the VMs' NICs join the named existing
 * virtual network's subnet (`vnet` anywhere in the subscription, or `resource-group/vnet`)
 * instead of a per-cluster VNet, carrying the cluster's NSG themselves; teardown leaves the
 * network alone; a network that does not exist is a config error naming the key and its
 * file:line before anything is created, and one in another region rules out that region only.
 */
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startFakeAzure, type FakeAzure } from '../../helpers/fakes/azure';
import { createProvider } from '../../../engine/infra/azure/index';
import { isProvisionError, type LaunchRequest, type Provider } from '../../../engine/infra/provider';
import { launchRequest, recordingSshWaiter, useFakeAzureProviderEnv } from '../../helpers/providerHarness';
import { setActiveConfig } from '../../../engine/config';

type Json = Record<string, unknown>;

let az: FakeAzure;
let env: { home: string; restore: () => void } | undefined;
let configFile: string;

function request(over: Partial<LaunchRequest> = {}): LaunchRequest {
  return launchRequest({ clusterName: 'v1', nameOnCloud: 'v1-ab12', region: 'eastus', zones: [], instanceType: 'Standard_D4s_v5' }, over);
}

function provider(): Provider {
  return createProvider({ pollIntervalMs: 10, waitForSsh: recordingSshWaiter().waitForSsh });
}

/** The user's SkyPilot config file, read as SkyDeck reads it (the value's line is 3). */
function useConfig(vpcName: string): void {
  fs.writeFileSync(configFile, `# shared network\nazure:\n  vpc_name: ${vpcName}\n`);
  setActiveConfig(undefined);
}

function ofType(type: string): [string, Json][] {
  return [...az.resources.entries()].filter(([k]) => k.includes(`/providers/${type.toLowerCase()}/`)) as [string, Json][];
}

function nicSubnets(): string[] {
  return ofType('Microsoft.Network/networkInterfaces').map(
    ([, nic]) => (((nic.properties as Json).ipConfigurations as Json[])[0].properties as { subnet: { id: string } }).subnet.id,
  );
}

describe('azure.vpc_name (fake Resource Manager)', { timeout: 240_000 }, () => {
  before(async () => {
    az = await startFakeAzure();
    env = useFakeAzureProviderEnv('azure-vpc', az, {
      extra: (home) => ({ SKYPILOT_GLOBAL_CONFIG: path.join(home, 'config.yaml') }),
      unset: ['SKYPILOT_PROJECT_CONFIG', 'SKYDECK_CONFIG'],
    });
    configFile = path.join(env.home, 'config.yaml');
  });
  after(async () => {
    setActiveConfig(undefined);
    await az?.close();
    env?.restore();
  });
  beforeEach(() => az.reset());

  it('resource-group/vnet: the NICs join its subnet and carry the NSG; down leaves the network', async () => {
    const vnetId = az.addVirtualNetwork('net-rg', 'shared-vnet', 'eastus', { apps: '10.1.1.0/24', other: '10.1.2.0/24' });
    useConfig('net-rg/shared-vnet');
    const p = provider();
    const handle = await p.launch(request({ numNodes: 2 }));

    assert.deepEqual(nicSubnets(), [`${vnetId}/subnets/apps`, `${vnetId}/subnets/apps`]);
    const nsgs = ofType('Microsoft.Network/networkSecurityGroups');
    assert.equal(nsgs.length, 1);
    for (const [, nic] of ofType('Microsoft.Network/networkInterfaces')) {
      assert.equal(((nic.properties as Json).networkSecurityGroup as { id: string }).id, nsgs[0][1].id);
    }
    assert.deepEqual(
      ofType('Microsoft.Network/virtualNetworks').map(([, v]) => v.id),
      [vnetId],
      'no per-cluster VNet',
    );
    assert.ok(!az.requests.some((r) => r.startsWith('PUT') && r.toLowerCase().includes('/virtualnetworks/')), 'the shared network is never written');
    assert.equal((await p.query(handle)).length, 2);

    await p.terminate(handle);
    assert.deepEqual(az.resourceGroups(), ['net-rg']);
    assert.ok(az.resources.has(vnetId.toLowerCase()), 'the shared network outlives the cluster');
  });

  it('vnet: found in whichever resource group of the subscription holds it', async () => {
    const vnetId = az.addVirtualNetwork('network-team', 'corp-vnet', 'eastus');
    useConfig('corp-vnet');
    const p = provider();
    const handle = await p.launch(request());
    assert.deepEqual(nicSubnets(), [`${vnetId}/subnets/default`]);
    assert.ok(az.requests.includes(`GET /subscriptions/${az.subscription}/providers/Microsoft.Network/virtualNetworks`));
    await p.terminate(handle);
    assert.ok(az.resources.has(vnetId.toLowerCase()));
  });

  it('a network that does not exist: a config error naming the key and its file:line, nothing created', async () => {
    for (const value of ['missing-vnet', 'net-rg/missing-vnet']) {
      useConfig(value);
      await assert.rejects(provider().launch(request()), (e: unknown) => {
        assert.ok(isProvisionError(e), String(e));
        assert.equal(e.kind, 'config');
        assert.equal(e.scope, 'cloud', 'no Azure region has it');
        assert.ok(e.message.includes(`azure.vpc_name (${configFile}:3)`), e.message);
        assert.match(e.message, /no virtual network 'missing-vnet'/);
        return true;
      });
    }
    assert.deepEqual(az.resourceGroups(), []);
    assert.deepEqual(
      az.requests.filter((r) => !r.startsWith('GET') && !r.startsWith('HEAD')),
      [],
      'nothing was created',
    );
  });

  it('a network in another region rules out this region only', async () => {
    az.addVirtualNetwork('net-rg', 'west-vnet', 'westus2');
    useConfig('west-vnet');
    await assert.rejects(provider().launch(request()), (e: unknown) => {
      assert.ok(isProvisionError(e), String(e));
      assert.equal(e.kind, 'config');
      assert.equal(e.scope, 'region');
      assert.match(e.message, /Azure eastus: virtual network 'west-vnet' .* is in westus2, not eastus/);
      return true;
    });
    assert.deepEqual(az.resourceGroups(), ['net-rg']);
  });
});
