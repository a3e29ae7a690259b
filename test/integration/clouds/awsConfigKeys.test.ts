/**
 * The `aws.*` keys that change what EC2 is asked for, checked on what moto recorded:
 * `remote_identity` (the instance profile on the instances; SERVICE_ACCOUNT's skypilot-v1, a
 * named profile by cluster glob, none for NO_UPLOAD; a missing profile stops the launch with
 * the key named and nothing left behind), `disk_encrypted` (the root volume), and `ssh_user` +
 * `post_provision_runcmd` (the instances' cloud-init user data and the login user).
 * moto's IAM and EC2 share one server, so profiles made through IAM's API are what EC2 checks.
 */
import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import {
  DescribeInstanceAttributeCommand,
  DescribeInstancesCommand,
  DescribeSecurityGroupsCommand,
  DescribeVolumesCommand,
  EC2Client,
  type Instance,
} from '@aws-sdk/client-ec2';
import { startMoto, type MotoServer } from '../../helpers/moto';
import { createProvider as createAws } from '../../../engine/infra/aws/index';
import { ProvisionError } from '../../../engine/infra/provider';
import { launchRequest, recordingSshWaiter, TEST_PUBKEY, useMotoProviderEnv } from '../../helpers/providerHarness';
import { setActiveConfig } from '../../../engine/config';

const ssh = recordingSshWaiter();

describe('aws.* config keys on EC2 (moto)', { timeout: 480_000 }, () => {
  let moto: MotoServer;
  let env: { restore: () => void } | undefined;
  let ec2: EC2Client;

  /** IAM's query API on moto (no IAM SDK is installed; moto routes by the signed service name). */
  const iam = async (params: Record<string, string>): Promise<string> => {
    const r = await fetch(moto.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: 'AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=0',
      },
      body: new URLSearchParams({ Version: '2010-05-08', ...params }).toString(),
    });
    const text = await r.text();
    assert.ok(r.ok, `IAM ${params.Action}: ${r.status} ${text}`);
    return text;
  };
  const createInstanceProfile = async (name: string) => {
    await iam({ Action: 'CreateRole', RoleName: name, AssumeRolePolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [] }) });
    await iam({ Action: 'CreateInstanceProfile', InstanceProfileName: name });
    await iam({ Action: 'AddRoleToInstanceProfile', InstanceProfileName: name, RoleName: name });
  };

  before(async () => {
    moto = await startMoto();
    env = useMotoProviderEnv('aws', moto.proxyUrl);
    ec2 = new EC2Client({ region: 'us-east-1', endpoint: moto.url, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
  });
  afterEach(async () => {
    setActiveConfig(undefined);
    await moto.reset();
  });
  after(async () => {
    await moto?.stop();
    env?.restore();
  });

  const liveInstances = async (nameOnCloud: string): Promise<Instance[]> => {
    const r = await ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'tag:skydeck-cluster', Values: [nameOnCloud] }] }));
    return (r.Reservations ?? []).flatMap((x) => x.Instances ?? []).filter((i) => i.State?.Name !== 'terminated');
  };
  const profileOf = async (nameOnCloud: string): Promise<string | undefined> => {
    const [i] = await liveInstances(nameOnCloud);
    assert.ok(i, `no instance of ${nameOnCloud}`);
    return i.IamInstanceProfile?.Arn?.split('/').pop();
  };
  const launch = (clusterName: string) =>
    createAws({ pollIntervalMs: 30, waitForSsh: ssh.waitForSsh }).launch(
      launchRequest({ clusterName, nameOnCloud: `${clusterName}-ab12`, region: 'us-east-1', zones: ['us-east-1a'], instanceType: 't3.micro' }),
    );

  it('SERVICE_ACCOUNT: the instances run with the skypilot-v1 instance profile', async () => {
    await createInstanceProfile('skypilot-v1');
    setActiveConfig({ aws: { remote_identity: 'SERVICE_ACCOUNT' } });
    await launch('sa');
    assert.equal(await profileOf('sa-ab12'), 'skypilot-v1');
  });

  it('a glob list: the first matching glob names the profile; no match (LOCAL_CREDENTIALS) and NO_UPLOAD attach none', async () => {
    await createInstanceProfile('train-profile');
    setActiveConfig({ aws: { remote_identity: [{ 'train-*': 'train-profile' }, { 'quiet-*': 'NO_UPLOAD' }] } });
    await launch('train-1');
    await launch('quiet-1');
    await launch('other');
    assert.equal(await profileOf('train-1-ab12'), 'train-profile');
    assert.equal(await profileOf('quiet-1-ab12'), undefined);
    assert.equal(await profileOf('other-ab12'), undefined);
  });

  for (const [what, inject] of [
    ['moto (IAM NoSuchEntity)', false],
    ["real EC2's InvalidParameterValue", true],
  ] as const) {
    it(`a missing instance profile (${what}) stops the launch on all of AWS, naming the key, with nothing left behind`, async () => {
      setActiveConfig({ aws: { remote_identity: 'SERVICE_ACCOUNT' } });
      if (inject) {
        moto.inject({
          action: 'RunInstances',
          code: 'InvalidParameterValue',
          status: 400,
          message: 'Value (skypilot-v1) for parameter iamInstanceProfile.name is invalid. Invalid IAM Instance Profile name',
        });
      }
      const err = await launch('noprof').then(
        () => assert.fail('the launch must fail'),
        (e: unknown) => e,
      );
      assert.ok(err instanceof ProvisionError, String(err));
      assert.equal(err.kind, 'config');
      assert.equal(err.scope, 'cloud', 'IAM is global: no other AWS region or zone can help');
      assert.match(err.message, /instance profile 'skypilot-v1' \(aws\.remote_identity: SERVICE_ACCOUNT\)/);
      assert.match(err.hint ?? '', /aws iam create-instance-profile --instance-profile-name skypilot-v1/);
      assert.deepEqual(await liveInstances('noprof-ab12'), []);
      const groups = await ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'group-name', Values: ['skydeck-noprof-ab12-sg'] }] }));
      assert.deepEqual(groups.SecurityGroups ?? [], []);
    });
  }

  it('disk_encrypted: the root volume is encrypted; unset: it is not', async () => {
    setActiveConfig({ aws: { disk_encrypted: true } });
    await launch('enc');
    setActiveConfig({ aws: {} });
    await launch('plain');
    const encrypted = async (nameOnCloud: string) => {
      const [i] = await liveInstances(nameOnCloud);
      const v = await ec2.send(new DescribeVolumesCommand({ Filters: [{ Name: 'attachment.instance-id', Values: [i.InstanceId as string] }] }));
      assert.equal(v.Volumes?.length, 1);
      return v.Volumes![0].Encrypted;
    };
    assert.equal(await encrypted('enc-ab12'), true);
    assert.equal(await encrypted('plain-ab12'), false);
  });

  it('ssh_user and post_provision_runcmd: cloud-init creates the user with the key and runs the commands; SkyDeck logs in as that user', async () => {
    setActiveConfig({ aws: { ssh_user: 'skyops', post_provision_runcmd: ['echo ready > /tmp/ready', ['systemctl', 'restart', 'ssh']] } });
    const handle = await launch('ci');
    const [i] = await liveInstances('ci-ab12');
    const attr = await ec2.send(new DescribeInstanceAttributeCommand({ InstanceId: i.InstanceId, Attribute: 'userData' }));
    const text = Buffer.from(attr.UserData?.Value ?? '', 'base64').toString('utf8');
    assert.ok(text.startsWith('#cloud-config\n'), text);
    const doc = parse(text) as { users: { name: string; ssh_authorized_keys: string[]; sudo: string }[]; runcmd: unknown[] };
    assert.equal(doc.users[0].name, 'skyops');
    assert.deepEqual(doc.users[0].ssh_authorized_keys, [TEST_PUBKEY]);
    assert.equal(doc.users[0].sudo, 'ALL=(ALL) NOPASSWD:ALL');
    assert.deepEqual(doc.runcmd, ['echo ready > /tmp/ready', ['systemctl', 'restart', 'ssh']]);
    const nodes = await createAws({ pollIntervalMs: 30, waitForSsh: ssh.waitForSsh }).query(handle);
    assert.equal(nodes[0].ssh?.user, 'skyops');
  });
});
