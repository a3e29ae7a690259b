/**
 * `gcp.use_internal_ips` / `azure.use_internal_ips` and their `ssh_proxy_command`, checked on
 * what the fake Compute API and the fake Resource Manager recorded: no external IP is created
 * (unless `gcp.force_enable_external_ips`), the nodes are reached on their private IPs through
 * the proxy (the launch's SSH wait and the stored handle both carry it), and a region a
 * `{region: command}` mapping leaves out is refused before anything is created.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startFakeGcp, type FakeGcp } from '../../helpers/fakes/gcp';
import { startFakeAzure, type FakeAzure } from '../../helpers/fakes/azure';
import { createProvider as createAzure } from '../../../engine/infra/azure/index';
import { createProvider as createGcp } from '../../../engine/infra/gcp/index';
import { launchRequest, useFakeGcpEnv, useFakeAzureProviderEnv } from '../../helpers/providerHarness';
import { isProvisionError } from '../../../engine/infra/provider';
import type { SshProbeTarget } from '../../../engine/vmShared/sshWait';
import { setActiveConfig } from '../../../engine/config';

const PROXY = 'ssh -W %h:%p bastion.example';

function recordingWaiter(): { seen: SshProbeTarget[]; waitForSsh: (ep: SshProbeTarget) => Promise<void> } {
  const seen: SshProbeTarget[] = [];
  return { seen, waitForSsh: async (ep) => void seen.push(ep) };
}

describe('gcp.use_internal_ips and gcp.ssh_proxy_command (fake Compute API)', { timeout: 300_000 }, () => {
  let gcp: FakeGcp;
  let env: { restore: () => void } | undefined;
  before(async () => {
    gcp = await startFakeGcp({ project: 'skydeck-test' });
    env = useFakeGcpEnv('gcp', gcp.url);
  });
  after(async () => {
    setActiveConfig(undefined);
    await gcp?.close();
    env?.restore();
  });

  const instancesOf = (nameOnCloud: string) =>
    [...gcp.instances.values()].filter((i) => (i.labels as Record<string, string>)['skydeck-cluster'] === nameOnCloud) as {
      networkInterfaces: { networkIP?: string; accessConfigs?: unknown[] }[];
    }[];

  it('no external IP; the nodes are reached on their internal IPs through the proxy', async () => {
    setActiveConfig({ gcp: { use_internal_ips: true, ssh_proxy_command: PROXY } });
    const ssh = recordingWaiter();
    const p = createGcp({ pollIntervalMs: 20, waitForSsh: ssh.waitForSsh });
    const handle = await p.launch(
      launchRequest({ clusterName: 'gi', nameOnCloud: 'gint-ab12', region: 'us-central1', zones: ['us-central1-a'], instanceType: 'n1-standard-8' }),
    );
    const [inst] = instancesOf('gint-ab12');
    assert.deepEqual(inst.networkInterfaces[0].accessConfigs ?? [], [], 'no ONE_TO_ONE_NAT access config');
    const nodes = await p.query(handle);
    assert.equal(nodes[0].ssh?.host, inst.networkInterfaces[0].networkIP);
    assert.equal(nodes[0].ssh?.proxyCommand, PROXY);
    assert.equal(nodes[0].ssh?.proxyCommandSource, 'gcp.ssh_proxy_command');
    assert.deepEqual(ssh.seen[0].proxy, { command: PROXY, source: 'gcp.ssh_proxy_command' });
    // A later process has no config in force: the handle keeps what the launch used.
    setActiveConfig({});
    assert.equal((await p.query(handle))[0].ssh?.proxyCommand, PROXY);
    await p.terminate(handle);
  });

  it('force_enable_external_ips keeps the external IP; SSH still goes to the internal one', async () => {
    setActiveConfig({ gcp: { use_internal_ips: true, force_enable_external_ips: true } });
    const ssh = recordingWaiter();
    const p = createGcp({ pollIntervalMs: 20, waitForSsh: ssh.waitForSsh });
    const handle = await p.launch(
      launchRequest({ clusterName: 'gf', nameOnCloud: 'gforce-ab12', region: 'us-central1', zones: ['us-central1-a'], instanceType: 'n1-standard-8' }),
    );
    const [inst] = instancesOf('gforce-ab12');
    assert.equal(inst.networkInterfaces[0].accessConfigs?.length, 1);
    assert.equal((await p.query(handle))[0].ssh?.host, inst.networkInterfaces[0].networkIP);
    await p.terminate(handle);
  });

  it('a {region: command} mapping refuses a region it does not list, before creating anything', async () => {
    setActiveConfig({ gcp: { ssh_proxy_command: { 'europe-west4': PROXY } } });
    const p = createGcp({ pollIntervalMs: 20, waitForSsh: recordingWaiter().waitForSsh });
    const before = gcp.instances.size;
    await assert.rejects(
      p.launch(launchRequest({ clusterName: 'gr', nameOnCloud: 'greg-ab12', region: 'us-central1', zones: ['us-central1-a'], instanceType: 'n1-standard-8' })),
      (e: unknown) => isProvisionError(e) && e.scope === 'region' && /gcp\.ssh_proxy_command lists commands for europe-west4 only/.test((e as Error).message),
    );
    assert.equal(gcp.instances.size, before);
  });
});

describe('azure.use_internal_ips and azure.ssh_proxy_command (fake Resource Manager)', { timeout: 480_000 }, () => {
  let az: FakeAzure;
  let env: { restore: () => void } | undefined;
  before(async () => {
    az = await startFakeAzure();
    env = useFakeAzureProviderEnv('azure', az);
  });
  after(async () => {
    setActiveConfig(undefined);
    await az?.close();
    env?.restore();
  });

  it('no public IP resource; the VM is reached on its private IP through the proxy', async () => {
    setActiveConfig({ azure: { use_internal_ips: true, ssh_proxy_command: { eastus: PROXY } } });
    const ssh = recordingWaiter();
    const p = createAzure({ pollIntervalMs: 10, waitForSsh: ssh.waitForSsh });
    const handle = await p.launch(launchRequest({ clusterName: 'zi', nameOnCloud: 'zint-ab12', region: 'eastus', zones: [], instanceType: 'Standard_D4s_v5' }));
    const keys = [...az.resources.keys()];
    assert.deepEqual(
      keys.filter((k) => /\/publicipaddresses\//i.test(k)),
      [],
    );
    const nic = [...az.resources.entries()].find(([k]) => /\/networkinterfaces\//i.test(k))?.[1] as {
      properties?: { ipConfigurations?: { properties?: { publicIPAddress?: unknown; privateIPAddress?: string } }[] };
    };
    assert.ok(nic, 'a NIC was created');
    assert.equal(nic.properties?.ipConfigurations?.[0]?.properties?.publicIPAddress, undefined);
    const nodes = await p.query(handle);
    assert.equal(nodes[0].ssh?.host, nodes[0].internalIp);
    assert.equal(nodes[0].ssh?.proxyCommand, PROXY);
    assert.equal(ssh.seen[0].proxy?.source, 'azure.ssh_proxy_command.eastus');
    await p.terminate(handle);
  });
});
