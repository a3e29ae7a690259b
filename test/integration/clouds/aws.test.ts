/**
 * The AWS provider against moto (real EC2 API emulator) with a fault proxy in front of it:
 * launch/query/stop/start/terminate, spot, zone failover on an injected capacity error,
 * error scopes, and cleanup after a failure halfway through a launch.
 */
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  DescribeInstancesCommand,
  DescribeKeyPairsCommand,
  DescribeSecurityGroupsCommand,
  EC2Client,
  StopInstancesCommand,
  TerminateInstancesCommand,
  type Instance,
} from '@aws-sdk/client-ec2';
import { startMoto, type MotoServer } from '../../helpers/moto';
import { createProvider } from '../../../engine/infra/aws/index';
import { isProvisionError, type LaunchRequest, type Provider } from '../../../engine/infra/provider';
import { launchRequest, recordingSshWaiter, useMotoProviderEnv } from '../../helpers/providerHarness';
import { CancelledError } from '../../../engine/errors';
import type { SshWaiter } from '../../../engine/vmShared/sshWait';

let moto: MotoServer;
let env: { home: string; restore: () => void } | undefined;
const ssh = recordingSshWaiter();
const sshWaits = ssh.waits;

function request(over: Partial<LaunchRequest> = {}): LaunchRequest {
  return launchRequest({ clusterName: 'c1', nameOnCloud: 'c1-ab12', region: 'us-east-1', zones: ['us-east-1a'], instanceType: 'g5.xlarge' }, over);
}

function provider(waitForSsh?: SshWaiter): Provider {
  return createProvider({
    pollIntervalMs: 30,
    waitForSsh: waitForSsh ?? ssh.waitForSsh,
  });
}

function raw(region = 'us-east-1'): EC2Client {
  return new EC2Client({ region, endpoint: moto.url, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
}

async function tagged(nameOnCloud: string, region = 'us-east-1'): Promise<Instance[]> {
  const r = await raw(region).send(new DescribeInstancesCommand({ Filters: [{ Name: 'tag:skydeck-cluster', Values: [nameOnCloud] }] }));
  return (r.Reservations ?? []).flatMap((x) => x.Instances ?? []).filter((i) => i.State?.Name !== 'terminated');
}

async function leftovers(nameOnCloud: string, region = 'us-east-1'): Promise<string[]> {
  const out = (await tagged(nameOnCloud, region)).map((i) => `instance ${i.InstanceId} ${i.State?.Name}`);
  const sgs = await raw(region).send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'group-name', Values: [`skydeck-${nameOnCloud}-sg`] }] }));
  out.push(...(sgs.SecurityGroups ?? []).map((g) => `sg ${g.GroupId}`));
  const keys = await raw(region).send(new DescribeKeyPairsCommand({}));
  out.push(...(keys.KeyPairs ?? []).filter((k) => k.KeyName === `skydeck-${nameOnCloud}-key`).map((k) => `key ${k.KeyName}`));
  return out;
}

describe('aws provider against moto', { timeout: 480_000 }, () => {
  before(async () => {
    moto = await startMoto();
    env = useMotoProviderEnv('aws', moto.proxyUrl);
  });
  after(async () => {
    await moto?.stop();
    env?.restore();
  });
  beforeEach(async () => {
    await moto.reset();
    sshWaits.length = 0;
  });

  it('check() reports the credentials and the EC2 endpoint that answered', async () => {
    const c = await provider().check();
    assert.equal(c.enabled, true, c.reason);
    assert.match(c.reason, /AWS_ACCESS_KEY_ID/);
    assert.match(c.reason, /us-east-1/);
  });

  it('check() without credentials explains what is missing, without calling anything', async () => {
    const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
    delete process.env.AWS_ACCESS_KEY_ID;
    delete process.env.AWS_SECRET_ACCESS_KEY;
    try {
      const c = await provider().check();
      assert.equal(c.enabled, false);
      assert.match(c.reason, /No AWS credentials found/);
      assert.match(c.reason, /aws configure/);
      assert.equal(moto.calls.length, 0);
      await assert.rejects(provider().launch(request()), (e: unknown) => isProvisionError(e) && e.scope === 'cloud' && e.kind === 'auth');
    } finally {
      process.env.AWS_ACCESS_KEY_ID = saved.id;
      process.env.AWS_SECRET_ACCESS_KEY = saved.secret;
    }
  });

  it('launches 2 nodes, reports them, stops, starts and terminates leaving nothing tagged', async () => {
    const p = provider();
    const handle = await p.launch(request({ numNodes: 2, ports: ['8080', '9000-9002'], labels: { team: 'ml' }, diskSizeGb: 123 }));
    assert.equal(handle.provider, 'aws');
    assert.equal(handle.zone, 'us-east-1a');
    assert.equal(sshWaits.length, 2, 'waited for SSH on both nodes');

    const nodes = await p.query(handle);
    assert.equal(nodes.length, 2);
    assert.deepEqual(
      nodes.map((n) => n.rank),
      [0, 1],
    );
    assert.ok(nodes.every((n) => n.state === 'running' && n.internalIp && n.ssh?.port === 22 && n.ssh.user === 'ubuntu'));

    const instances = await tagged('c1-ab12');
    assert.equal(instances.length, 2);
    const head = instances.find((i) => i.InstanceId === nodes[0].id);
    assert.ok(head?.Tags?.some((t) => t.Key === 'skydeck-node-type' && t.Value === 'head'));
    assert.ok(instances.every((i) => i.Tags?.some((t) => t.Key === 'team' && t.Value === 'ml')));
    assert.ok(instances.every((i) => i.InstanceType === 'g5.xlarge' && i.Placement?.AvailabilityZone === 'us-east-1a' && i.KeyName === 'skydeck-c1-ab12-key'));

    const sg = await raw().send(new DescribeSecurityGroupsCommand({ GroupIds: [handle.data.securityGroupId as string] }));
    const open = (sg.SecurityGroups?.[0]?.IpPermissions ?? [])
      .filter((x) => x.IpProtocol === 'tcp')
      .map((x) => `${x.FromPort}-${x.ToPort}`)
      .sort();
    assert.deepEqual(open, ['22-22', '8080-8080', '9000-9002']);

    await p.openPorts(handle, ['7000']);
    const sg2 = await raw().send(new DescribeSecurityGroupsCommand({ GroupIds: [handle.data.securityGroupId as string] }));
    assert.ok(sg2.SecurityGroups?.[0]?.IpPermissions?.some((x) => x.FromPort === 7000));

    await p.stop(handle);
    assert.deepEqual(
      (await p.query(handle)).map((n) => n.state),
      ['stopped', 'stopped'],
    );
    assert.ok((await p.query(handle)).every((n) => n.ssh === undefined));

    await p.start(handle);
    assert.deepEqual(
      (await p.query(handle)).map((n) => n.state),
      ['running', 'running'],
    );

    await p.terminate(handle);
    assert.deepEqual(await p.query(handle), []);
    assert.deepEqual(await leftovers('c1-ab12'), []);
    await p.terminate(handle); // idempotent
  });

  it('query() shows what happened outside SkyDeck (stopped, then terminated)', async () => {
    const p = provider();
    const handle = await p.launch(request({ nameOnCloud: 'outside-1' }));
    const [node] = await p.query(handle);
    await raw().send(new StopInstancesCommand({ InstanceIds: [node.id] }));
    assert.equal((await p.query(handle))[0].state, 'stopped');
    await raw().send(new TerminateInstancesCommand({ InstanceIds: [node.id] }));
    assert.deepEqual(await p.query(handle), []);
    await p.terminate(handle);
    assert.deepEqual(await leftovers('outside-1'), []);
  });

  it('launches spot instances (InstanceMarketOptions) and refuses to stop them', async () => {
    const p = provider();
    const handle = await p.launch(request({ nameOnCloud: 'spot-1', useSpot: true }));
    const [inst] = await tagged('spot-1');
    assert.equal(inst.InstanceLifecycle, 'spot');
    await assert.rejects(p.stop(handle), /spot instances, which cannot be stopped/);
    await p.terminate(handle);
    assert.deepEqual(await leftovers('spot-1'), []);
  });

  it('fails over to the next zone on an injected capacity error', async () => {
    moto.inject({ action: 'RunInstances', zone: 'us-east-1a', code: 'InsufficientInstanceCapacity' });
    const p = provider();
    const progress: string[] = [];
    const handle = await p.launch(request({ nameOnCloud: 'fo-1', zones: ['us-east-1a', 'us-east-1b'], onProgress: (m) => progress.push(m) }));
    assert.equal(handle.zone, 'us-east-1b');
    const runs = moto.calls.filter((c) => c.action === 'RunInstances').map((c) => c.zone);
    assert.equal(runs[0], 'us-east-1a');
    assert.equal(runs.at(-1), 'us-east-1b');
    assert.ok(progress.some((m) => /InsufficientInstanceCapacity; trying the next zone/.test(m)));
    assert.equal((await tagged('fo-1'))[0].Placement?.AvailabilityZone, 'us-east-1b');
    await p.terminate(handle);
  });

  it("catalog AZ ids (use1-az1) are mapped to the account's zone names", async () => {
    const p = provider();
    const handle = await p.launch(request({ nameOnCloud: 'azid-1', zones: ['use1-az1'] }));
    assert.equal(handle.zone, 'us-east-1b');
    assert.equal(moto.calls.find((c) => c.action === 'RunInstances')?.zone, 'us-east-1b');
    await p.terminate(handle);
  });

  it('a region out of capacity in every zone tried is a zone-scoped capacity error and leaves nothing behind; the next region works', async () => {
    moto.inject({ action: 'RunInstances', region: 'us-east-1', code: 'InsufficientInstanceCapacity' });
    const p = provider();
    await assert.rejects(p.launch(request({ nameOnCloud: 'fo-2', zones: ['us-east-1a', 'us-east-1b'] })), (e: unknown) => {
      assert.ok(isProvisionError(e));
      assert.equal(e.scope, 'zone');
      assert.equal(e.kind, 'capacity');
      assert.match(e.message, /us-east-1a: InsufficientInstanceCapacity, us-east-1b: InsufficientInstanceCapacity/);
      return true;
    });
    assert.deepEqual(await leftovers('fo-2'), []);
    const handle = await p.launch(request({ nameOnCloud: 'fo-2', region: 'us-west-2', zones: ['us-west-2a'] }));
    assert.equal(handle.region, 'us-west-2');
    assert.equal((await tagged('fo-2', 'us-west-2')).length, 1);
    await p.terminate(handle);
    assert.deepEqual(await leftovers('fo-2', 'us-west-2'), []);
  });

  it('maps quota errors to the region and credential errors to all of AWS', async () => {
    const p = provider();
    moto.inject({
      action: 'RunInstances',
      code: 'VcpuLimitExceeded',
      status: 400,
      message: 'You have requested more vCPU capacity than your current vCPU limit of 0 allows.',
    });
    await assert.rejects(
      p.launch(request({ nameOnCloud: 'q-1', zones: ['us-east-1a', 'us-east-1b'] })),
      (e: unknown) => isProvisionError(e) && e.scope === 'region' && e.kind === 'quota',
    );
    assert.equal(moto.calls.filter((c) => c.action === 'RunInstances').length, 1, 'a region-scoped error stops trying zones');
    assert.deepEqual(await leftovers('q-1'), []);
    moto.clearFaults();
    moto.inject({ action: 'DescribeVpcs', code: 'AuthFailure', status: 401, message: 'AWS was not able to validate the provided access credentials' });
    await assert.rejects(p.launch(request({ nameOnCloud: 'q-2' })), (e: unknown) => isProvisionError(e) && e.scope === 'cloud' && e.kind === 'auth');
  });

  it('a failure after the instances exist (SSH never answers) removes instances, security group and key pair', async () => {
    const p = provider(async () => {
      throw Object.assign(new Error('Timed out after 5s waiting for SSH'), { name: 'CloudTimeoutError' });
    });
    await assert.rejects(p.launch(request({ nameOnCloud: 'half-1', numNodes: 2 })), (e: unknown) => isProvisionError(e) && e.scope === 'zone');
    const all = await raw().send(new DescribeInstancesCommand({ Filters: [{ Name: 'tag:skydeck-cluster', Values: ['half-1'] }] }));
    const states = (all.Reservations ?? []).flatMap((r) => r.Instances ?? []).map((i) => i.State?.Name);
    assert.equal(states.length, 2, 'the instances were created before the failure');
    assert.deepEqual(await leftovers('half-1'), []);
  });

  it('cancelling a launch (AbortSignal) while it waits for SSH removes what it created and reports the cancellation', async () => {
    const controller = new AbortController();
    const p = provider(
      (_ep, { signal }) =>
        new Promise<void>((_resolve, reject) => {
          signal?.addEventListener('abort', () => reject(new CancelledError('Launch')), { once: true });
          controller.abort();
        }),
    );
    await assert.rejects(p.launch(request({ nameOnCloud: 'cancel-1', signal: controller.signal })), (e: unknown) => (e as Error).name === 'CancelledError');
    assert.deepEqual(await leftovers('cancel-1'), []);
  });
});
