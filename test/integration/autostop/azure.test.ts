/**
 * Autostop on Azure with no client (the fake Resource Manager, which is also the identity
 * platform's token endpoint), the VMs stood in for by network-namespace sshd hosts. The fake
 * listens on the hosts' bridge, so the client and the nodes reach it at the same address.
 * The client authenticates as a service principal (AZURE_CLIENT_ID/SECRET, AZURE_AUTHORITY_HOST
 * at the fake); when autostop is set the head gets that credential (0600) and, once idle, mints
 * its own token and deallocates (stop) or deletes (down) the cluster's VMs, workers first.
 * After setting autostop the test runs no skydeck command until the fake shows the outcome:
 * it waits on the fake's requests.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startFakeAzure, type FakeAzure } from '../../helpers/fakes/azure';
import { netnsSkipReason, startSshHosts, type SshTestHosts } from '../../helpers/sshd';
import { requirePrerequisite } from '../../helpers/prerequisites';
import { until } from '../../helpers/until';
import { referenceCatalogs } from '../../helpers/shared';
import { fastAgent, freshHome, makeTask, useTestHostKey } from '../cluster/helpers';
import { clusters, findCluster } from '../../../engine/cluster';
import { closeAllSshConnections } from '../../../engine/node/ssh';
import { setActiveConfig } from '../../../engine/config';

const skip = requirePrerequisite(netnsSkipReason());
const SAVED_ENV = { ...process.env };
const CLIENT_ID = '11111111-2222-3333-4444-555555555555';
const SECRET = 'sp-secret-never-logged';
const NODE_UA = 'skydeck-node-autostop';

/** Every file under `dir`, read as text (binary files too: a secret must not be in any of them). */
function allText(dir: string): string {
  let out = '';
  for (const e of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) out += fs.readFileSync(path.join(e.parentPath, e.name), 'latin1');
  }
  return out;
}

describe('autostop on Azure (fake Resource Manager): the head deallocates or deletes through ARM', { skip, concurrency: false, timeout: 600_000 }, () => {
  let az: FakeAzure;
  let hosts: SshTestHosts;
  let env: ReturnType<typeof freshHome>;

  before(async () => {
    env = freshHome();
    fastAgent(1000);
    hosts = await startSshHosts({ loopback: false, netnsHosts: 2 });
    // The root namespace's end of the hosts' bridge: this process and the nodes both reach it.
    const bridge = hosts.hosts[0].host.replace(/\.\d+$/, '.1');
    az = await startFakeAzure({ listen: bridge, principals: { [CLIENT_ID]: SECRET } });
    useTestHostKey(env.home, hosts);
    const [h1, h2] = hosts.hosts;
    Object.assign(process.env, {
      SKYDECK_AZURE_ENDPOINT: az.url,
      SKYDECK_AZURE_CA_FILE: az.certFile,
      SKYDECK_AZURE_IMDS_ENDPOINT: az.imdsUrl,
      AZURE_AUTHORITY_HOST: az.url,
      AZURE_CLIENT_ID: CLIENT_ID,
      AZURE_TENANT_ID: 'contoso-tenant',
      AZURE_CLIENT_SECRET: SECRET,
      AZURE_SUBSCRIPTION_ID: az.subscription,
      AZURE_CONFIG_DIR: path.join(env.home, 'azure'),
      SKYDECK_CATALOG_DIR: referenceCatalogs(),
      SKYDECK_CLOUD_POLL_MS: '50',
      SKYDECK_SSH_WAIT_SECONDS: '60',
      SKYDECK_TEST_ADDRESS_MAP: JSON.stringify({ '*': [`${h1.user}@${h1.host}:${h1.port}`, `${h2.user}@${h2.host}:${h2.port}`] }),
    });
    for (const k of ['SKYDECK_AZURE_ACCESS_TOKEN', 'AZURE_CLIENT_CERTIFICATE_PATH', 'AZURE_FEDERATED_TOKEN_FILE']) delete process.env[k];
  });

  after(async () => {
    setActiveConfig(undefined);
    for (const name of ['az-stop', 'az-down', 'az-msi', 'az-none']) await clusters.down(name).catch(() => undefined);
    closeAllSshConnections();
    await Promise.allSettled([az?.close(), hosts?.stop()]);
    env?.cleanup();
    process.env = SAVED_ENV;
  });

  const vmNames = (cluster: string) =>
    [...az.resources.values()]
      .filter((r) => r.type === 'Microsoft.Compute/virtualMachines' && (r.tags as Record<string, string>)['skydeck-cluster-name'] === cluster)
      .map((r) => ({ name: r.name as string, role: (r.tags as Record<string, string>)['skydeck-node-type'] }));

  test('-i 1 on two nodes: the head deallocates the worker, then itself; nothing of the secret leaks', async () => {
    const r = await clusters.launch(makeTask({ infra: { cloud: 'azure', region: 'eastus' }, numNodes: 2, run: 'echo hi' }), {
      clusterName: 'az-stop',
      idleMinutesToAutostop: 1,
    });
    assert.equal(r.jobStatus, 'SUCCEEDED');
    closeAllSshConnections();
    const vms = vmNames('az-stop');
    assert.equal(vms.length, 2);
    const head = vms.find((v) => v.role === 'head')!.name;
    const worker = vms.find((v) => v.role === 'worker')!.name;

    // The credential on the head: 0600 in a 0700 directory, the client's own service principal.
    const credDir = path.join(hosts.hosts[0].homeDir, '.skydeck_node', 'cloud-api');
    assert.equal(fs.statSync(credDir).mode & 0o777, 0o700);
    for (const f of fs.readdirSync(credDir)) assert.equal(fs.statSync(path.join(credDir, f)).mode & 0o777, 0o600, f);
    const cred = JSON.parse(fs.readFileSync(path.join(credDir, 'credential.json'), 'utf8')) as { kind: string; clientId: string };
    assert.deepEqual([cred.kind, cred.clientId], ['client_credentials', CLIENT_ID]);
    assert.ok(!fs.existsSync(path.join(hosts.hosts[1].homeDir, '.skydeck_node', 'cloud-api')), 'workers get no credential');

    // No skydeck command from here: the idle head acts on its own.
    await az.waitFor(`${head} deallocated by the node`, () => az.powerState(head) === 'deallocated');
    assert.equal(az.powerState(worker), 'deallocated');
    const nodeCalls = az.calls.filter((c) => c.userAgent.startsWith(NODE_UA));
    const deallocations = nodeCalls.filter((c) => /\/deallocate$/i.test(c.path)).map((c) => c.path.split('/').at(-2));
    assert.deepEqual(deallocations, [worker, head], 'workers first, then the head');
    assert.ok(
      nodeCalls.filter((c) => c.method === 'POST' && /\/deallocate$/i.test(c.path)).every((c) => c.tokenOf === CLIENT_ID),
      'with a token the node minted',
    );
    assert.deepEqual(
      az.tokenRequests.filter((t) => t.userAgent.startsWith(NODE_UA)).map((t) => [t.grantType, t.clientId, t.tenant, t.granted]),
      [['client_credentials', CLIENT_ID, 'contoso-tenant', true]],
    );
    // The secret is in no state, log or record on this machine, nor in the node's agent log.
    assert.ok(!allText(env.home).includes(SECRET), 'no secret under SKYDECK_HOME');
    assert.ok(!fs.readFileSync(path.join(hosts.hosts[0].homeDir, '.skydeck_node', 'autostop_hook.log'), 'utf8').includes(SECRET));

    // What any later client sees.
    const [row] = await clusters.status({ refresh: true, names: ['az-stop'] });
    assert.equal(row?.status, 'STOPPED');
    assert.ok(!JSON.stringify(row).includes(SECRET));
  });

  test('-i 1 --down: the head deletes the VMs and the resource group', async () => {
    const r = await clusters.launch(makeTask({ infra: { cloud: 'azure', region: 'eastus' }, run: 'echo hi' }), {
      clusterName: 'az-down',
      idleMinutesToAutostop: 1,
      down: true,
    });
    assert.equal(r.jobStatus, 'SUCCEEDED');
    closeAllSshConnections();
    const [vm] = vmNames('az-down');
    const rg = az.resourceGroups().find((g) => g.includes('az-down'))!;
    assert.ok(rg);

    await az.waitFor(`resource group ${rg} deleted by the node`, () => !az.resourceGroups().includes(rg));
    assert.equal(az.powerState(vm.name), undefined, 'the VM is gone');
    assert.ok(az.calls.some((c) => c.userAgent.startsWith(NODE_UA) && c.method === 'DELETE' && /resourceGroups\/[^/]+$/i.test(c.path)));

    assert.deepEqual(await clusters.status({ refresh: true, names: ['az-down'] }), []);
    assert.equal(await findCluster('az-down'), undefined);
  });

  test('azure.remote_identity SERVICE_ACCOUNT: the cluster gets its own identity (Contributor on its group); the node uses IMDS', async () => {
    setActiveConfig({ azure: { remote_identity: [{ 'az-msi*': 'SERVICE_ACCOUNT' }] } });
    const r = await clusters.launch(makeTask({ infra: { cloud: 'azure', region: 'eastus' }, run: 'echo hi' }), {
      clusterName: 'az-msi',
      idleMinutesToAutostop: 1,
    });
    assert.equal(r.jobStatus, 'SUCCEEDED');
    closeAllSshConnections();
    const [vm] = vmNames('az-msi');
    const msi = [...az.resources.values()].find((x) => x.type === 'Microsoft.ManagedIdentity/userAssignedIdentities' && /az-msi/.test(x.id as string))!;
    assert.ok(msi, 'a user-assigned identity in the cluster group');
    const role = [...az.resources.values()].find((x) => x.type === 'Microsoft.Authorization/roleAssignments' && /az-msi/i.test(x.id as string))!;
    const roleProps = role.properties as { principalId: string; roleDefinitionId: string; scope: string };
    assert.equal(roleProps.principalId, (msi.properties as { principalId: string }).principalId);
    assert.match(roleProps.roleDefinitionId, /roleDefinitions\/b24988ac-6180-42a0-ab88-20f7382dd24c$/, 'Contributor');
    const vmRes = [...az.resources.values()].find((x) => x.name === vm.name)!;
    assert.deepEqual(Object.keys((vmRes.identity as { userAssignedIdentities: object }).userAssignedIdentities), [msi.id]);
    const cred = fs.readFileSync(path.join(hosts.hosts[0].homeDir, '.skydeck_node', 'cloud-api', 'credential.json'), 'utf8');
    assert.equal((JSON.parse(cred) as { kind: string }).kind, 'imds');
    assert.ok(!cred.includes(SECRET), "nothing of the user's goes to the node");

    await az.waitFor(`${vm.name} deallocated by the node`, () => az.powerState(vm.name) === 'deallocated');
    const dealloc = az.calls.find((c) => c.userAgent.startsWith(NODE_UA) && c.path.endsWith(`/${vm.name}/deallocate`))!;
    assert.equal(dealloc.tokenOf, msi.id, "with the managed identity's token");
    assert.ok(az.tokenRequests.some((t) => t.grantType === 'imds' && t.granted && t.userAgent.startsWith(NODE_UA)));
  });

  test('azure.remote_identity NO_UPLOAD: no credential on the node, which only powers off; status -r deallocates', async () => {
    setActiveConfig({ azure: { remote_identity: 'NO_UPLOAD' } });
    const home = hosts.hosts[0].homeDir;
    const log = path.join(home, '.skydeck_guest_shutdown');
    fs.rmSync(log, { force: true });
    const r = await clusters.launch(makeTask({ infra: { cloud: 'azure', region: 'eastus' }, run: 'echo hi' }), {
      clusterName: 'az-none',
      idleMinutesToAutostop: 1,
    });
    assert.equal(r.jobStatus, 'SUCCEEDED');
    closeAllSshConnections();
    const [vm] = vmNames('az-none');
    assert.ok(!fs.existsSync(path.join(home, '.skydeck_node', 'cloud-api')), 'no credential directory');
    await until('the node to issue its guest shutdown', () => fs.existsSync(log) || undefined, { timeoutMs: 120_000, watch: [home], everyMs: 500 });
    assert.ok(!az.calls.some((c) => c.userAgent.startsWith(NODE_UA) && /az-none/i.test(c.path)), 'the node called nothing');
    // What Azure does on a guest shutdown: powered off, still allocated.
    az.setPowerState(vm.name, 'stopped');
    const [row] = await clusters.status({ refresh: true, names: ['az-none'] });
    assert.equal(row?.status, 'STOPPED');
    assert.equal(az.powerState(vm.name), 'deallocated', 'the client finished the job');
  });
});
