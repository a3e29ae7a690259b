/**
 * The Azure provider (real @azure/arm-* SDKs) against the fake HTTPS Resource Manager:
 * resource group per cluster, NSG ports, Spot, deallocate/start/delete, capacity, quota and
 * auth error scopes, cleanup after a failure, and NODE_EXTRA_CA_CERTS trust in a child process.
 */
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as https from 'node:https';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { startFakeAzure, type FakeAzure } from '../../helpers/fakes/azure';
import { createProvider } from '../../../engine/infra/azure/index';
import { isProvisionError, type LaunchRequest, type Provider } from '../../../engine/infra/provider';
import { launchRequest, recordingSshWaiter, useFakeAzureProviderEnv } from '../../helpers/providerHarness';

let az: FakeAzure;
let env: { home: string; restore: () => void } | undefined;
const ssh = recordingSshWaiter();
const sshWaits = ssh.waits;

function request(over: Partial<LaunchRequest> = {}): LaunchRequest {
  return launchRequest({ clusterName: 'z1', nameOnCloud: 'z1-ab12', region: 'eastus', zones: [], instanceType: 'Standard_D4s_v5' }, over);
}

function provider(waitForSsh?: (ep: { host: string; port: number }) => Promise<void>): Provider {
  return createProvider({ pollIntervalMs: 10, waitForSsh: waitForSsh ?? ssh.waitForSsh });
}

function vm(name: string): Record<string, unknown> | undefined {
  return [...az.resources.entries()].find(([k]) => k.endsWith(`/virtualmachines/${name}`))?.[1];
}

describe('azure provider against the fake Resource Manager', { timeout: 480_000 }, () => {
  before(async () => {
    az = await startFakeAzure();
    env = useFakeAzureProviderEnv('azure', az);
  });
  after(async () => {
    await az?.close();
    env?.restore();
  });
  beforeEach(() => {
    az.reset();
    sshWaits.length = 0;
  });

  it('check() names the credentials and subscription; without them it says what to do', async () => {
    const ok = await provider().check();
    assert.equal(ok.enabled, true, ok.reason);
    assert.match(ok.reason, new RegExp(`subscription ${az.subscription}`));
    const token = process.env.SKYDECK_AZURE_ACCESS_TOKEN;
    delete process.env.SKYDECK_AZURE_ACCESS_TOKEN;
    try {
      const missing = await provider().check();
      assert.equal(missing.enabled, false);
      assert.match(missing.reason, /No Azure credentials found/);
      assert.match(missing.reason, /az login/);
      await assert.rejects(provider().launch(request()), (e: unknown) => isProvisionError(e) && e.scope === 'cloud');
    } finally {
      process.env.SKYDECK_AZURE_ACCESS_TOKEN = token;
    }
  });

  it('the fake is trusted through NODE_EXTRA_CA_CERTS in a child process (how the CLI runs)', async () => {
    const script = `const { createProvider } = require(${JSON.stringify(path.resolve(__dirname, '../../../engine/infra/azure/index.ts'))}); createProvider().check().then((c) => { console.log(JSON.stringify(c)); });`;
    const env: NodeJS.ProcessEnv = { ...process.env, NODE_EXTRA_CA_CERTS: az.certFile };
    delete env.SKYDECK_AZURE_CA_FILE;
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '-e', script], { env, timeout: 180_000 });
    const c = JSON.parse(stdout.trim().split('\n').pop() as string) as { enabled: boolean; reason: string };
    assert.equal(c.enabled, true, c.reason);
  });

  it('launches 2 nodes in one resource group, reports them, deallocates, starts and deletes the group', async () => {
    const p = provider();
    const handle = await p.launch(request({ numNodes: 2, ports: ['8080', '9000-9001'], labels: { team: 'ml' }, diskTier: 'high' }));
    assert.equal(handle.data.resourceGroup, 'skydeck-z1-ab12');
    assert.deepEqual(az.resourceGroups(), ['skydeck-z1-ab12']);
    assert.equal(sshWaits.length, 2);
    const head = vm('z1-ab12-head');
    const props = head?.properties as Record<string, Record<string, unknown>>;
    assert.equal(props.hardwareProfile.vmSize, 'Standard_D4s_v5');
    assert.equal((props.storageProfile.osDisk as Record<string, unknown>).diskSizeGB, 100);
    assert.match(JSON.stringify(props.storageProfile), /Premium_LRS/);
    assert.match(JSON.stringify(props.osProfile), /azureuser/);
    assert.equal((head?.tags as Record<string, string>).team, 'ml');
    const nsg = [...az.resources.entries()].find(([k]) => k.endsWith('/networksecuritygroups/z1-ab12-nsg'))?.[1];
    assert.match(JSON.stringify(nsg), /"destinationPortRange":"22"/);
    assert.match(JSON.stringify(nsg), /"destinationPortRanges":\["8080","9000-9001"\]/);

    const nodes = await p.query(handle);
    assert.deepEqual(
      nodes.map((n) => [n.rank, n.state]),
      [
        [0, 'running'],
        [1, 'running'],
      ],
    );
    assert.equal(nodes[0].id, 'z1-ab12-head');
    assert.ok(nodes.every((n) => n.internalIp.startsWith('10.0.0.') && n.externalIp?.startsWith('20.1.0.') && n.ssh?.user === 'azureuser'));

    await p.openPorts(handle, ['7000']);
    const nsg2 = [...az.resources.entries()].find(([k]) => k.endsWith('/networksecuritygroups/z1-ab12-nsg'))?.[1];
    assert.match(JSON.stringify(nsg2), /"destinationPortRanges":\["8080","9000-9001","7000"\]/);

    await p.stop(handle);
    assert.deepEqual(
      (await p.query(handle)).map((n) => n.state),
      ['stopped', 'stopped'],
    );
    await p.start(handle);
    assert.deepEqual(
      (await p.query(handle)).map((n) => n.state),
      ['running', 'running'],
    );
    await p.terminate(handle);
    assert.deepEqual(az.resourceGroups(), []);
    assert.equal(az.resources.size, 0);
    assert.deepEqual(await p.query(handle), []);
    await p.terminate(handle); // idempotent
  });

  it('status reflects VMs deallocated or deleted outside SkyDeck', async () => {
    const p = provider();
    const handle = await p.launch(request({ nameOnCloud: 'out-1' }));
    az.setPowerState('out-1-head', 'deallocated');
    assert.equal((await p.query(handle))[0].state, 'stopped');
    az.removeVm('out-1-head');
    assert.deepEqual(await p.query(handle), []);
    await p.terminate(handle);
  });

  it('Spot priority with eviction policy; Spot clusters are not stopped', async () => {
    const p = provider();
    const handle = await p.launch(
      request({ nameOnCloud: 'spot-1', useSpot: true, accelerators: { name: 'T4', count: 1 }, instanceType: 'Standard_NC4as_T4_v3' }),
    );
    const props = vm('spot-1-head')?.properties as Record<string, unknown>;
    assert.equal(props.priority, 'Spot');
    assert.equal(props.evictionPolicy, 'Delete');
    assert.deepEqual(props.billingProfile, { maxPrice: -1 });
    assert.match(JSON.stringify(props.storageProfile), /CommunityGalleries\/.*skypilot-gpu-gen2/, "SkyPilot's GPU image from its community gallery");
    await assert.rejects(p.stop(handle), /Spot VMs/);
    await p.terminate(handle);
  });

  it('the fake refuses what ARM refuses (tag names, tag count, names, Spot-only fields) with its 400', async () => {
    // https.request with the fake's certificate (fetch has no per-call CA).
    const put = (path: string, body: unknown) =>
      new Promise<{ status: number; error?: { code: string; message: string } }>((resolve, reject) => {
        const req = https.request(
          `${az.url}/subscriptions/${az.subscription}/resourceGroups/${path}?api-version=2021-04-01`,
          { method: 'PUT', ca: fs.readFileSync(az.certFile), headers: { authorization: 'Bearer t', 'content-type': 'application/json' } },
          (res) => {
            let text = '';
            res.on('data', (c: Buffer) => (text += c.toString()));
            res.on('end', () =>
              resolve({ status: res.statusCode ?? 0, error: (JSON.parse(text || '{}') as { error?: { code: string; message: string } }).error }),
            );
          },
        );
        req.on('error', reject);
        req.end(JSON.stringify(body));
      });
    const slash = await put('rg-1', { location: 'eastus', tags: { 'team/name': 'x' } });
    assert.equal(slash.status, 400);
    assert.equal(slash.error?.code, 'InvalidTagNameCharacters');
    assert.match(slash.error?.message ?? '', /The tag names 'team\/name' have reserved characters/);
    const many = await put('rg-1', { location: 'eastus', tags: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`t${i}`, 'v'])) });
    assert.equal(many.status, 400);
    assert.equal((await put('rg-1', { location: 'eastus', tags: { ['n'.repeat(513)]: 'v' } })).status, 400);
    assert.equal((await put('rg-1', { tags: {} })).error?.code, 'LocationRequired');
    assert.equal((await put('bad.', { location: 'eastus' })).status, 400);
    assert.equal((await put('rg-1', { location: 'eastus' })).status, 201);
    const vm = await put('rg-1/providers/Microsoft.Compute/virtualMachines/v1', {
      location: 'eastus',
      properties: {
        hardwareProfile: { vmSize: 'Standard_D2s_v5' },
        osProfile: { adminUsername: 'u' },
        evictionPolicy: 'Delete',
        networkProfile: { networkInterfaces: [{ id: 'x' }] },
      },
    });
    assert.equal(vm.error?.code, 'InvalidParameter');
    assert.match(vm.error?.message ?? '', /evictionPolicy/);
    assert.deepEqual(az.resourceGroups(), ['rg-1'], 'refused PUTs create nothing');
  });

  it('user labels whose names ARM would refuse become valid tag names', async () => {
    const p = provider();
    const handle = await p.launch(request({ nameOnCloud: 'tag-1', labels: { 'kubernetes.io/team': 'ml', 'a&b': 'c' } }));
    const tags = vm('tag-1-head')?.tags as Record<string, string>;
    assert.equal(tags['kubernetes.io_team'], 'ml');
    assert.equal(tags.a_b, 'c');
    await p.terminate(handle);
  });

  it('a capacity failure of the VM operation blocks the region and deletes the resource group; the next region works', async () => {
    az.inject({
      op: 'vm.create',
      location: 'eastus',
      via: 'async',
      code: 'AllocationFailed',
      message: 'Allocation failed. We do not have sufficient capacity for the requested VM size in this region.',
    });
    await assert.rejects(provider().launch(request({ nameOnCloud: 'cap-1', numNodes: 2 })), (e: unknown) => {
      assert.ok(isProvisionError(e));
      assert.equal(e.scope, 'region');
      assert.equal(e.kind, 'capacity');
      assert.match(e.message, /AllocationFailed/);
      return true;
    });
    assert.deepEqual(az.resourceGroups(), []);
    assert.equal(az.resources.size, 0);
    const p = provider();
    const handle = await p.launch(request({ nameOnCloud: 'cap-1', numNodes: 2, region: 'westus2' }));
    assert.deepEqual(
      (await p.query(handle)).map((n) => n.state),
      ['running', 'running'],
    );
    await p.terminate(handle);
    assert.deepEqual(az.resourceGroups(), []);
  });

  it('maps quota to the region and a disabled subscription to all of Azure', async () => {
    az.inject({
      op: 'vm.create',
      via: 'http',
      httpStatus: 409,
      code: 'OperationNotAllowed',
      message: 'Operation could not be completed as it results in exceeding approved standardNCASv3_T4Family Cores quota.',
      times: 1,
    });
    await assert.rejects(provider().launch(request({ nameOnCloud: 'q-1' })), (e: unknown) => isProvisionError(e) && e.scope === 'region' && e.kind === 'quota');
    assert.deepEqual(az.resourceGroups(), []);
    az.inject({
      op: 'rg.create',
      via: 'http',
      httpStatus: 409,
      code: 'ReadOnlyDisabledSubscription',
      message: 'The subscription is disabled and therefore marked as read only.',
      times: 1,
    });
    await assert.rejects(provider().launch(request({ nameOnCloud: 'q-2' })), (e: unknown) => isProvisionError(e) && e.scope === 'cloud' && e.kind === 'auth');
  });

  it('a failure after the VMs exist (SSH never answers) deletes the whole resource group', async () => {
    const p = provider(async () => {
      throw new Error('connect ETIMEDOUT');
    });
    await assert.rejects(p.launch(request({ nameOnCloud: 'half-1', numNodes: 2 })), (e: unknown) => isProvisionError(e));
    assert.ok(az.requests.some((r) => r.startsWith('PUT') && r.toLowerCase().endsWith('/virtualmachines/half-1-head')));
    assert.deepEqual(az.resourceGroups(), []);
    assert.equal(az.resources.size, 0);
  });
});
