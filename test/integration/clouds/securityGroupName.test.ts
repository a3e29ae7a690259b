/**
 * `aws.security_group_name` of the SkyPilot config, checked on what moto's EC2 recorded: the
 * instances join the named group (created when missing, found when it exists), a per-cluster
 * glob list picks the group by cluster name, and teardown leaves the shared group in place.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DescribeInstancesCommand, DescribeSecurityGroupsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { startMoto, type MotoServer } from '../../helpers/moto';
import { createProvider as createAws } from '../../../engine/infra/aws/index';
import { launchRequest, recordingSshWaiter, useMotoProviderEnv } from '../../helpers/providerHarness';
import { setActiveConfig } from '../../../engine/config';

const ssh = recordingSshWaiter();

describe('aws.security_group_name on EC2 (moto)', { timeout: 480_000 }, () => {
  let moto: MotoServer;
  let env: { restore: () => void } | undefined;
  let ec2: EC2Client;
  before(async () => {
    moto = await startMoto();
    env = useMotoProviderEnv('aws', moto.url);
    ec2 = new EC2Client({ region: 'us-east-1', endpoint: moto.url, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
  });
  after(async () => {
    setActiveConfig(undefined);
    await moto?.stop();
    env?.restore();
  });

  const groupsOf = async (nameOnCloud: string): Promise<string[]> => {
    const r = await ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'tag:skydeck-cluster', Values: [nameOnCloud] }] }));
    const live = (r.Reservations ?? []).flatMap((x) => x.Instances ?? []).filter((i) => i.State?.Name !== 'terminated');
    assert.ok(live.length > 0, `no instance of ${nameOnCloud}`);
    const ids = new Set(
      live.flatMap((i) => [...(i.SecurityGroups ?? []), ...(i.NetworkInterfaces ?? []).flatMap((n) => n.Groups ?? [])].map((g) => g.GroupId as string)),
    );
    const groups = await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [...ids] }));
    return (groups.SecurityGroups ?? []).map((g) => g.GroupName as string).sort();
  };
  const groupExists = async (name: string): Promise<boolean> =>
    ((await ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'group-name', Values: [name] }] }))).SecurityGroups ?? []).length > 0;

  it('one name: both clusters join that group; teardown keeps it', async () => {
    setActiveConfig({ aws: { security_group_name: 'team-sg' } });
    const p = createAws({ pollIntervalMs: 30, waitForSsh: ssh.waitForSsh });
    const a = await p.launch(
      launchRequest({ clusterName: 'sga', nameOnCloud: 'sga-ab12', region: 'us-east-1', zones: ['us-east-1a'], instanceType: 't3.micro' }),
    );
    const b = await p.launch(
      launchRequest({ clusterName: 'sgb', nameOnCloud: 'sgb-ab12', region: 'us-east-1', zones: ['us-east-1a'], instanceType: 't3.micro' }),
    );
    assert.deepEqual(await groupsOf('sga-ab12'), ['team-sg']);
    assert.deepEqual(await groupsOf('sgb-ab12'), ['team-sg']);
    await p.terminate(a);
    await p.terminate(b);
    assert.equal(await groupExists('team-sg'), true, 'a configured group is shared: teardown must not delete it');
  });

  it('a glob list picks the group by cluster name; no match: the cluster gets its own group, removed at teardown', async () => {
    setActiveConfig({ aws: { security_group_name: [{ 'train-*': 'train-sg' }] } });
    const p = createAws({ pollIntervalMs: 30, waitForSsh: ssh.waitForSsh });
    const t = await p.launch(
      launchRequest({ clusterName: 'train-1', nameOnCloud: 'train-1-ab12', region: 'us-east-1', zones: ['us-east-1a'], instanceType: 't3.micro' }),
    );
    const o = await p.launch(
      launchRequest({ clusterName: 'other', nameOnCloud: 'other-ab12', region: 'us-east-1', zones: ['us-east-1a'], instanceType: 't3.micro' }),
    );
    assert.deepEqual(await groupsOf('train-1-ab12'), ['train-sg']);
    const own = await groupsOf('other-ab12');
    assert.equal(own.length, 1);
    assert.notEqual(own[0], 'train-sg');
    await p.terminate(t);
    await p.terminate(o);
    assert.equal(await groupExists('train-sg'), true);
    assert.equal(await groupExists(own[0]), false);
  });
});
