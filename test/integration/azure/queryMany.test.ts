/**
 * Azure `queryMany` against the fake Resource Manager: clusters (one resource group each) in
 * two regions, plus a cluster whose group is gone, read from four subscription-wide lists
 * (VMs, their run-time status, NICs, public IPs) with exactly what `query` gives for each,
 * also after a deallocation, a VM powered off and a VM deleted outside SkyDeck.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startFakeAzure, type FakeAzure } from '../../helpers/fakes/azure';
import { createProvider } from '../../../engine/infra/azure/index';
import type { ClusterHandle, Provider } from '../../../engine/infra/provider';
import { launchRequest, recordingSshWaiter, useFakeAzureProviderEnv } from '../../helpers/providerHarness';

let az: FakeAzure;
let env: { restore: () => void } | undefined;
let p: Provider;
let handles: ClusterHandle[];

async function bothWays(hs: ClusterHandle[]) {
  const one = await Promise.all(hs.map((h) => p.query(h)));
  const from = az.calls.length;
  const many = await p.queryMany!(hs);
  return { one, many, calls: az.calls.slice(from).map((c) => `${c.method} ${c.path}`) };
}

describe('azure queryMany against the fake Resource Manager', { timeout: 300_000 }, () => {
  before(async () => {
    az = await startFakeAzure();
    env = useFakeAzureProviderEnv('azure-querymany', az);
    p = createProvider({ pollIntervalMs: 10, waitForSsh: recordingSshWaiter().waitForSsh });
    const launch = (name: string, region: string, numNodes: number) =>
      p.launch(launchRequest({ clusterName: name, nameOnCloud: `${name}-ab12`, region, zones: [], instanceType: 'Standard_D4s_v5' }, { numNodes }));
    handles = [await launch('za', 'eastus', 2), await launch('zb', 'eastus', 1), await launch('zc', 'westus2', 3)];
    handles.push({ ...handles[1], clusterName: 'gone', nameOnCloud: 'gone-ab12', data: { ...handles[1].data, resourceGroup: 'skydeck-gone-ab12' } });
  });
  after(async () => {
    await az?.close();
    env?.restore();
  });

  it('reads every cluster from four subscription-wide lists, as query does one group at a time', async () => {
    const { one, many, calls } = await bothWays(handles);
    assert.deepEqual(
      one.map((n) => n.length),
      [2, 1, 3, 0],
    );
    assert.ok(one.flat().every((n) => n.state === 'running' && n.ssh && n.externalIp));
    assert.deepEqual(many, one);
    const sub = `/subscriptions/${az.subscription}/providers`;
    assert.deepEqual(calls.sort(), [
      `GET ${sub}/Microsoft.Compute/virtualMachines`,
      `GET ${sub}/Microsoft.Compute/virtualMachines`,
      `GET ${sub}/Microsoft.Network/networkInterfaces`,
      `GET ${sub}/Microsoft.Network/publicIPAddresses`,
    ]);
  });

  it('a deallocated cluster, a VM powered off and a VM deleted outside SkyDeck read the same both ways', async () => {
    await p.stop(handles[1]);
    const [, w1, w2] = await p.query(handles[2]);
    az.setPowerState(w1.id, 'stopped');
    az.removeVm(w2.id);
    const { one, many, calls } = await bothWays(handles);
    assert.deepEqual(
      one[1].map((n) => n.state),
      ['stopped'],
    );
    assert.deepEqual(
      one[2].map((n) => [n.id, n.state]),
      [
        [one[2][0].id, 'running'],
        [w1.id, 'stopped'],
      ],
    );
    assert.deepEqual(many, one);
    assert.equal(calls.length, 4);
  });
});
