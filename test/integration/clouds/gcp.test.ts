/**
 * The GCP provider (the real @google-cloud/compute SDK over REST) against the fake Compute
 * API: launch with GPUs and spot, query/stop/start/delete, zone failover on an operation
 * capacity error, quota scopes, TPU refusal, credentials messages, cleanup after a failure.
 */
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startFakeGcp, type FakeGcp } from '../../helpers/fakes/gcp';
import { createProvider } from '../../../engine/infra/gcp/index';
import { isProvisionError, type LaunchRequest, type Provider } from '../../../engine/infra/provider';
import { launchRequest, recordingSshWaiter, useFakeGcpEnv } from '../../helpers/providerHarness';

let gcp: FakeGcp;
let env: { home: string; restore: () => void } | undefined;
const ssh = recordingSshWaiter();
const sshWaits = ssh.waits;

function request(over: Partial<LaunchRequest> = {}): LaunchRequest {
  return launchRequest({ clusterName: 'g1', nameOnCloud: 'g1-ab12', region: 'us-central1', zones: ['us-central1-a'], instanceType: 'n1-standard-8' }, over);
}

function provider(waitForSsh?: (ep: { host: string; port: number }) => Promise<void>): Provider {
  return createProvider({ pollIntervalMs: 20, waitForSsh: waitForSsh ?? ssh.waitForSsh });
}

function instancesOf(nameOnCloud: string): Record<string, unknown>[] {
  return [...gcp.instances.values()].filter((i) => (i.labels as Record<string, string>)['skydeck-cluster'] === nameOnCloud);
}

describe('gcp provider against the fake Compute API', { timeout: 300_000 }, () => {
  before(async () => {
    gcp = await startFakeGcp({ project: 'skydeck-test' });
    env = useFakeGcpEnv('gcp', gcp.url);
  });
  after(async () => {
    await gcp?.close();
    env?.restore();
  });
  beforeEach(() => {
    gcp.reset();
    sshWaits.length = 0;
  });

  it('check() names the credentials and project, and explains what is missing', async () => {
    const ok = await provider().check();
    assert.equal(ok.enabled, true, ok.reason);
    assert.match(ok.reason, /SKYDECK_GCP_ACCESS_TOKEN, project skydeck-test/);
    const token = process.env.SKYDECK_GCP_ACCESS_TOKEN;
    delete process.env.SKYDECK_GCP_ACCESS_TOKEN;
    try {
      const missing = await provider().check();
      assert.equal(missing.enabled, false);
      assert.match(missing.reason, /No GCP credentials found/);
      assert.match(missing.reason, /gcloud auth application-default login/);
      await assert.rejects(provider().launch(request()), (e: unknown) => isProvisionError(e) && e.scope === 'cloud' && e.kind === 'auth');
    } finally {
      process.env.SKYDECK_GCP_ACCESS_TOKEN = token;
    }
  });

  it('launches 2 GPU nodes (host VM + guestAccelerators, TERMINATE on maintenance), then stop, start, delete', async () => {
    const p = provider();
    const handle = await p.launch(request({ numNodes: 2, accelerators: { name: 'T4', count: 1 }, ports: ['8888'], labels: { Team: 'ML' } }));
    assert.equal(handle.zone, 'us-central1-a');
    assert.equal(sshWaits.length, 2);
    const insts = instancesOf('g1-ab12');
    assert.equal(insts.length, 2);
    for (const i of insts) {
      assert.match(i.machineType as string, /machineTypes\/n1-standard-8$/);
      assert.deepEqual(i.guestAccelerators, [{ acceleratorType: 'zones/us-central1-a/acceleratorTypes/nvidia-tesla-t4', acceleratorCount: 1 }]);
      assert.equal((i.scheduling as Record<string, unknown>).onHostMaintenance, 'TERMINATE');
      assert.equal((i.labels as Record<string, string>).team, 'ml');
      const disk = (i.disks as Record<string, Record<string, unknown>>[])[0].initializeParams;
      assert.equal(disk.diskSizeGb, '100');
      assert.match(disk.sourceImage as string, /gpu-ubuntu/, 'GPU image from the catalog tag');
      assert.match(JSON.stringify(i.metadata), /gcpuser:ssh-ed25519/);
    }
    const fw = gcp.firewalls.get('skydeck-g1-ab12-ports');
    assert.deepEqual(fw?.allowed, [{ IPProtocol: 'tcp', ports: ['22', '8888'] }]);
    assert.deepEqual(fw?.targetTags, ['skydeck-g1-ab12']);

    const nodes = await p.query(handle);
    assert.deepEqual(
      nodes.map((n) => [n.rank, n.state]),
      [
        [0, 'running'],
        [1, 'running'],
      ],
    );
    assert.ok(nodes[0].id.endsWith('-head'));
    assert.ok(nodes.every((n) => n.ssh?.user === 'gcpuser' && n.externalIp));

    await p.openPorts(handle, ['9000-9010']);
    assert.deepEqual(gcp.firewalls.get('skydeck-g1-ab12-ports')?.allowed, [{ IPProtocol: 'tcp', ports: ['22', '8888', '9000-9010'] }]);

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
    assert.deepEqual(await p.query(handle), []);
    assert.equal(gcp.firewalls.size, 0);
  });

  it('status reflects VMs stopped or deleted outside SkyDeck', async () => {
    const p = provider();
    const handle = await p.launch(request({ nameOnCloud: 'out-1' }));
    const [n] = await p.query(handle);
    gcp.setStatus(n.id, 'TERMINATED');
    assert.equal((await p.query(handle))[0].state, 'stopped');
    gcp.remove(n.id);
    assert.deepEqual(await p.query(handle), []);
    await p.terminate(handle);
  });

  it('spot uses provisioningModel SPOT and cannot be stopped', async () => {
    const p = provider();
    const handle = await p.launch(request({ nameOnCloud: 'spot-1', useSpot: true, instanceType: 'n2-standard-4' }));
    const [i] = instancesOf('spot-1');
    const sched = i.scheduling as Record<string, unknown>;
    assert.equal(sched.provisioningModel, 'SPOT');
    assert.equal(sched.automaticRestart, false);
    assert.equal(i.guestAccelerators, undefined);
    await assert.rejects(p.stop(handle), /spot VMs/);
    await p.terminate(handle);
  });

  it('fails over to the next zone on ZONE_RESOURCE_POOL_EXHAUSTED (operation error), cleaning the failed zone', async () => {
    gcp.inject({
      method: 'instances.insert',
      zone: 'us-central1-a',
      via: 'operation',
      code: 'ZONE_RESOURCE_POOL_EXHAUSTED',
      message:
        "The zone 'projects/skydeck-test/zones/us-central1-a' does not have enough resources available to fulfill the request.  Try a different zone, or try again later.",
    });
    const progress: string[] = [];
    const handle = await provider().launch(
      request({ nameOnCloud: 'fo-1', numNodes: 2, zones: ['us-central1-a', 'us-central1-b'], onProgress: (m) => progress.push(m) }),
    );
    assert.equal(handle.zone, 'us-central1-b');
    assert.ok(progress.some((m) => /us-central1-a: ZONE_RESOURCE_POOL_EXHAUSTED; trying the next zone/.test(m)));
    assert.deepEqual(
      instancesOf('fo-1').map((i) => (i.zone as string).split('/').pop()),
      ['us-central1-b', 'us-central1-b'],
    );
    await provider().terminate(handle);
  });

  it('all zones exhausted: a zone-scoped capacity error, no instance and no firewall left; the next region works', async () => {
    for (const zone of ['us-central1-a', 'us-central1-b']) {
      gcp.inject({ method: 'instances.insert', zone, via: 'operation', code: 'ZONE_RESOURCE_POOL_EXHAUSTED', message: 'does not have enough resources' });
    }
    await assert.rejects(provider().launch(request({ nameOnCloud: 'fo-2', zones: ['us-central1-a', 'us-central1-b'] })), (e: unknown) => {
      assert.ok(isProvisionError(e));
      assert.equal(e.scope, 'zone');
      assert.equal(e.kind, 'capacity');
      return true;
    });
    assert.equal(gcp.instances.size, 0);
    assert.equal(gcp.firewalls.size, 0);
    const handle = await provider().launch(request({ nameOnCloud: 'fo-2', region: 'us-east1', zones: ['us-east1-b'] }));
    assert.equal(handle.zone, 'us-east1-b');
    assert.equal(instancesOf('fo-2').length, 1);
    await provider().terminate(handle);
    assert.equal(gcp.instances.size + gcp.firewalls.size, 0);
  });

  it('maps quota errors: GPUS_ALL_REGIONS blocks the launchable, regional quota the region', async () => {
    gcp.inject({
      method: 'instances.insert',
      via: 'http',
      httpStatus: 403,
      code: 'quotaExceeded',
      message: "Quota 'GPUS_ALL_REGIONS' exceeded.  Limit: 0.0 globally.",
      times: 1,
    });
    await assert.rejects(
      provider().launch(request({ nameOnCloud: 'q-1', accelerators: { name: 'V100', count: 1 } })),
      (e: unknown) => isProvisionError(e) && e.scope === 'launchable' && e.kind === 'quota',
    );
    gcp.inject({
      method: 'instances.insert',
      via: 'operation',
      code: 'QUOTA_EXCEEDED',
      message: "Quota 'NVIDIA_T4_GPUS' exceeded.  Limit: 0.0 in region us-central1.",
      times: 1,
    });
    await assert.rejects(
      provider().launch(request({ nameOnCloud: 'q-2', accelerators: { name: 'T4', count: 1 }, zones: ['us-central1-a', 'us-central1-b'] })),
      (e: unknown) => isProvisionError(e) && e.scope === 'region' && e.kind === 'quota',
    );
    assert.equal(gcp.requests.filter((r) => r.startsWith('POST') && r.endsWith('/instances')).length, 2, 'region-scoped errors do not try more zones');
    assert.equal(gcp.instances.size, 0);
    assert.equal(gcp.firewalls.size, 0);
  });

  it('the fake refuses what Compute Engine refuses, with its 400 (Spot with MIGRATE, bad names and labels)', async () => {
    const insert = async (over: Record<string, unknown>) => {
      const body = {
        name: 'v-1',
        machineType: 'zones/us-central1-a/machineTypes/n2-standard-4',
        disks: [{ boot: true, initializeParams: { sourceImage: 'x', diskSizeGb: '50' } }],
        networkInterfaces: [{ network: 'global/networks/default' }],
        ...over,
      };
      const res = await fetch(`${gcp.url}/compute/v1/projects/skydeck-test/zones/us-central1-a/instances`, {
        method: 'POST',
        headers: { authorization: 'Bearer t', 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      return { status: res.status, body: (await res.json()) as { error?: { message: string; errors: { reason: string }[] } } };
    };
    const spot = await insert({ scheduling: { provisioningModel: 'SPOT', onHostMaintenance: 'MIGRATE', automaticRestart: false } });
    assert.equal(spot.status, 400);
    assert.equal(spot.body.error?.errors[0].reason, 'invalid');
    assert.match(
      spot.body.error?.message ?? '',
      /Invalid value for field 'resource\.scheduling\.onHostMaintenance': 'MIGRATE'\. Scheduling must have preemptible be false when OnHostMaintenance isn't TERMINATE/,
    );
    assert.match(
      (await insert({ name: 'Bad_Name' })).body.error?.message ?? '',
      /Invalid value for field 'resource\.name': 'Bad_Name'\. Must be a match of regex/,
    );
    assert.match((await insert({ name: `a${'b'.repeat(63)}` })).body.error?.message ?? '', /resource\.name/);
    assert.match((await insert({ labels: { '9lives': 'x' } })).body.error?.message ?? '', /Label key '9lives' violates format constraints/);
    assert.match(
      (await insert({ guestAccelerators: [{ acceleratorType: 't4', acceleratorCount: 1 }] })).body.error?.message ?? '',
      /guest accelerators do not support live migration/,
    );
    assert.equal((await insert({})).status, 200);
    assert.equal(gcp.instances.size, 0, 'refused inserts create nothing');
  });

  it('user labels that GCP would refuse are made valid (keys start with a letter)', async () => {
    const p = provider();
    const handle = await p.launch(request({ nameOnCloud: 'lab-1', labels: { '9to5': 'Yes', 'team/name': 'A B', _x: '' } }));
    const labels = instancesOf('lab-1')[0].labels as Record<string, string>;
    assert.equal(labels['team-name'], 'a-b');
    assert.ok(
      Object.keys(labels).every((k) => /^[a-z]/.test(k)),
      JSON.stringify(labels),
    );
    await p.terminate(handle);
  });

  it('TPUs fail with a clear not-supported error before any API call', async () => {
    await assert.rejects(provider().launch(request({ accelerators: { name: 'tpu-v4-8', count: 1 }, instanceType: 'TPU-VM' })), (e: unknown) => {
      assert.ok(isProvisionError(e));
      assert.match(e.message, /TPUs \(tpu-v4-8\) are not supported by SkyDeck yet/);
      return true;
    });
    assert.equal(gcp.requests.length, 0);
  });

  it('a failure after the VMs exist (SSH never answers) deletes them and the firewall rule', async () => {
    const p = provider(async () => {
      throw new Error('connect ECONNREFUSED');
    });
    await assert.rejects(p.launch(request({ nameOnCloud: 'half-1', numNodes: 2 })), (e: unknown) => isProvisionError(e));
    // Each node is deleted; a DELETE may be repeated when an operation is slow, so names are counted once.
    const deleted = new Set(gcp.requests.filter((r) => r.startsWith('DELETE') && r.includes('/instances/')).map((r) => r.split('/instances/')[1]));
    assert.equal(deleted.size, 2, [...deleted].join(', '));
    assert.equal(gcp.instances.size, 0);
    assert.equal(gcp.firewalls.size, 0);
  });
});
