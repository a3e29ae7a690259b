/**
 * End to end on a cloud provider: the cluster engine launches a 2-node task on AWS (moto),
 * failing over from a region whose zones are all out of capacity (injected by the fault
 * proxy, mapped by the provider, blocked by the engine) to the next region, and runs it on
 * two network-namespace sshd hosts that the test address mapping puts behind the instances.
 * Then `status --refresh` sees instances stopped outside SkyDeck, and `down` leaves nothing.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DescribeInstancesCommand, EC2Client, StopInstancesCommand } from '@aws-sdk/client-ec2';
import { motoInstalled, startMoto, type MotoServer } from '../../helpers/moto';
import { netnsSkipReason, startSshHosts, type SshTestHosts } from '../../helpers/sshd';
import { startTogether } from '../../helpers/startTogether';
import { fastAgent, freshHome, makeTask, useMotoAws, useTestHostKey } from '../cluster/helpers';
import { clusters, type ProgressEvent } from '../../../engine/cluster';
import { closeAllSshConnections } from '../../../engine/node/ssh';
import { requirePrerequisite } from '../../helpers/prerequisites';

const skip = requirePrerequisite(netnsSkipReason() ?? (motoInstalled() ? undefined : 'moto (installed into .tools/moto by scripts/setup/30-moto.sh)'));
const SAVED_ENV = { ...process.env };

describe('2-node task on AWS (moto) with nodes mapped to netns sshd hosts', { skip, concurrency: false, timeout: 480_000 }, () => {
  let moto: MotoServer;
  let hosts: SshTestHosts;
  let env: ReturnType<typeof freshHome>;
  let ec2: EC2Client;

  before(async () => {
    env = freshHome();
    fastAgent(400);
    [moto, hosts] = await startTogether<[MotoServer, SshTestHosts]>([startMoto(), startSshHosts({ loopback: false, netnsHosts: 2 })], (s) => s.stop());
    ec2 = new EC2Client({ region: 'us-west-2', endpoint: moto.url, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
    // The engine's client key is the one the test hosts authorize (what cloud-init would do with sshPublicKey).
    useTestHostKey(env.home, hosts);
    const [h1, h2] = hosts.hosts;
    useMotoAws(env.home, moto.proxyUrl, [h1, h2]);
  });

  after(async () => {
    await clusters.down('aws-e2e').catch(() => undefined);
    closeAllSshConnections();
    await Promise.allSettled([moto?.stop(), hosts?.stop()]);
    env?.cleanup();
    process.env = SAVED_ENV;
  });

  test('launch fails over us-east-1 (no capacity in any zone) to us-west-2 and runs on both nodes', async () => {
    moto.inject({ action: 'RunInstances', region: 'us-east-1', code: 'InsufficientInstanceCapacity' });
    const events: ProgressEvent[] = [];
    let out = '';
    // Unquoted $SKYPILOT_NODE_IPS: the newline-separated list comes out space-separated.
    const run = 'echo "rank=$SKYPILOT_NODE_RANK host=$(hostname) n=$SKYPILOT_NUM_NODES ips=$(echo $SKYPILOT_NODE_IPS)"';
    const r = await clusters.launch(makeTask({ numNodes: 2, infra: { cloud: 'aws' }, run }), {
      clusterName: 'aws-e2e',
      onProgress: (e) => events.push(e),
      onOutput: (c) => (out += c),
    });
    assert.equal(r.jobStatus, 'SUCCEEDED', out);
    assert.equal(r.cluster.handle.provider, 'aws');
    assert.equal(r.cluster.resources.region, 'us-west-2');
    const messages = events.map((e) => e.message).join('\n');
    assert.match(messages, /InsufficientInstanceCapacity/);
    assert.match(messages, /Blocking aws\/us-east-1/);
    const east = moto.calls.filter((c) => c.action === 'RunInstances' && c.region === 'us-east-1').map((c) => c.zone);
    assert.deepEqual([...new Set(east)].sort(), ['us-east-1a', 'us-east-1b'], 'both catalog zones (AZ ids) of us-east-1 were tried');
    const [h1, h2] = hosts.hosts;
    assert.match(out, new RegExp(`rank=0 host=skydeck-h1 n=2 ips=${h1.host} ${h2.host}$`, 'm'));
    assert.match(out, new RegExp(`rank=1 host=skydeck-h2 n=2 ips=${h1.host} ${h2.host}$`, 'm'));
    const running = await ec2.send(
      new DescribeInstancesCommand({
        Filters: [
          { Name: 'tag:skydeck-cluster', Values: [r.cluster.handle.nameOnCloud] },
          { Name: 'instance-state-name', Values: ['running'] },
        ],
      }),
    );
    assert.equal((running.Reservations ?? []).flatMap((x) => x.Instances ?? []).length, 2);
  });

  test('status --refresh shows instances stopped outside SkyDeck; down leaves nothing tagged', async () => {
    const [rec] = await clusters.status({ refresh: true, names: ['aws-e2e'] });
    assert.equal(rec.status, 'UP');
    await ec2.send(new StopInstancesCommand({ InstanceIds: rec.nodes.map((n) => n.id) }));
    const [after] = await clusters.status({ refresh: true, names: ['aws-e2e'] });
    assert.equal(after.status, 'STOPPED');
    await clusters.down('aws-e2e');
    assert.deepEqual(await clusters.status({ names: ['aws-e2e'] }), []);
    const left = await ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'tag:skydeck-cluster', Values: [rec.handle.nameOnCloud] }] }));
    assert.deepEqual(
      (left.Reservations ?? [])
        .flatMap((x) => x.Instances ?? [])
        .map((i) => i.State?.Name)
        .filter((s) => s !== 'terminated'),
      [],
    );
  });
});
