/**
 * `aws.labels` / `gcp.labels` / `azure.labels` of the SkyPilot config reach the instances,
 * checked on what the cloud recorded (moto for EC2, the fake Compute API for GCP, the fake
 * Resource Manager for Azure); the task's labels win on a clash.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CreateSubnetCommand, CreateVpcCommand, DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { startMoto, type MotoServer } from '../../helpers/moto';
import { startFakeGcp, type FakeGcp } from '../../helpers/fakes/gcp';
import { startFakeAzure, type FakeAzure } from '../../helpers/fakes/azure';
import { createProvider as createAzure } from '../../../engine/infra/azure/index';
import { createProvider as createAws } from '../../../engine/infra/aws/index';
import { createProvider as createGcp } from '../../../engine/infra/gcp/index';
import { launchRequest, recordingSshWaiter, useMotoProviderEnv, useFakeGcpEnv, useFakeAzureProviderEnv } from '../../helpers/providerHarness';
import { isProvisionError } from '../../../engine/infra/provider';
import { setActiveConfig } from '../../../engine/config';

const ssh = recordingSshWaiter();

describe('aws.labels and aws.vpc_name on EC2 (moto)', { timeout: 480_000 }, () => {
  let moto: MotoServer;
  let env: { restore: () => void } | undefined;
  before(async () => {
    moto = await startMoto();
    env = useMotoProviderEnv('aws', moto.url);
  });
  after(async () => {
    setActiveConfig(undefined);
    await moto?.stop();
    env?.restore();
  });

  it('every instance carries the config labels, and the task label wins over the same key', async () => {
    setActiveConfig({ aws: { labels: { 'map-migrated': 'mig123', team: 'from-config' } } });
    const p = createAws({ pollIntervalMs: 30, waitForSsh: ssh.waitForSsh });
    const handle = await p.launch(
      launchRequest(
        { clusterName: 'lab', nameOnCloud: 'lab-ab12', region: 'us-east-1', zones: ['us-east-1a'], instanceType: 't3.micro' },
        { numNodes: 2, labels: { team: 'ml' } },
      ),
    );
    const ec2 = new EC2Client({ region: 'us-east-1', endpoint: moto.url, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
    const r = await ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'tag:skydeck-cluster', Values: ['lab-ab12'] }] }));
    const instances = (r.Reservations ?? []).flatMap((x) => x.Instances ?? []).filter((i) => i.State?.Name !== 'terminated');
    assert.equal(instances.length, 2);
    for (const i of instances) {
      const tags = Object.fromEntries((i.Tags ?? []).map((t) => [t.Key, t.Value]));
      assert.equal(tags['map-migrated'], 'mig123');
      assert.equal(tags.team, 'ml');
    }
    await p.terminate(handle);
  });

  it("aws.vpc_name: instances land in that VPC's subnet; a region without it fails over as config", async () => {
    const ec2 = new EC2Client({ region: 'us-east-1', endpoint: moto.url, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
    const vpc = await ec2.send(
      new CreateVpcCommand({ CidrBlock: '10.42.0.0/16', TagSpecifications: [{ ResourceType: 'vpc', Tags: [{ Key: 'Name', Value: 'team-vpc' }] }] }),
    );
    const vpcId = vpc.Vpc!.VpcId!;
    const subnet = await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.42.1.0/24', AvailabilityZone: 'us-east-1a' }));
    setActiveConfig({ aws: { vpc_name: 'team-vpc' } });
    const p = createAws({ pollIntervalMs: 30, waitForSsh: ssh.waitForSsh });
    const handle = await p.launch(
      launchRequest({ clusterName: 'v', nameOnCloud: 'vpc-ab12', region: 'us-east-1', zones: ['us-east-1a'], instanceType: 't3.micro' }),
    );
    const r = await ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'tag:skydeck-cluster', Values: ['vpc-ab12'] }] }));
    const inst = (r.Reservations ?? []).flatMap((x) => x.Instances ?? []).filter((i) => i.State?.Name !== 'terminated');
    assert.equal(inst.length, 1);
    assert.equal(inst[0].VpcId, vpcId);
    assert.equal(inst[0].SubnetId, subnet.Subnet!.SubnetId);
    await p.terminate(handle);
    await assert.rejects(
      p.launch(launchRequest({ clusterName: 'w', nameOnCloud: 'vpc-cd34', region: 'us-west-2', zones: ['us-west-2a'], instanceType: 't3.micro' })),
      (e: unknown) => {
        assert.ok(isProvisionError(e), String(e));
        assert.equal(e.kind, 'config');
        assert.equal(e.scope, 'region');
        assert.match(e.message, /no VPC named 'team-vpc'/);
        return true;
      },
    );
  });
});

describe('gcp.labels on GCE instances (fake Compute API)', { timeout: 300_000 }, () => {
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

  it('the insert request carries the config labels', async () => {
    setActiveConfig({ gcp: { labels: { costcenter: 'research', team: 'from-config' } } });
    const p = createGcp({ pollIntervalMs: 20, waitForSsh: ssh.waitForSsh });
    const handle = await p.launch(
      launchRequest(
        { clusterName: 'g', nameOnCloud: 'glab-ab12', region: 'us-central1', zones: ['us-central1-a'], instanceType: 'n1-standard-8' },
        { labels: { team: 'ml' } },
      ),
    );
    const mine = [...gcp.instances.values()].filter((i) => (i.labels as Record<string, string>)['skydeck-cluster'] === 'glab-ab12');
    assert.equal(mine.length, 1);
    const labels = mine[0].labels as Record<string, string>;
    assert.equal(labels.costcenter, 'research');
    assert.equal(labels.team, 'ml');
    await p.terminate(handle);
  });

  it('gcp.vpc_name: the instances and the ports firewall rule use that network (project-id/name: a shared VPC)', async () => {
    setActiveConfig({ gcp: { vpc_name: 'host-proj/shared-vpc' } });
    const p = createGcp({ pollIntervalMs: 20, waitForSsh: ssh.waitForSsh });
    const handle = await p.launch(
      launchRequest(
        { clusterName: 'n', nameOnCloud: 'gnet-ab12', region: 'us-central1', zones: ['us-central1-a'], instanceType: 'n1-standard-8' },
        { ports: ['8080'] },
      ),
    );
    const mine = [...gcp.instances.values()].filter((i) => (i.labels as Record<string, string>)['skydeck-cluster'] === 'gnet-ab12');
    assert.equal(mine.length, 1);
    const nics = mine[0].networkInterfaces as { network: string }[];
    assert.match(nics[0].network, /projects\/host-proj\/global\/networks\/shared-vpc$/);
    const rules = [...gcp.firewalls.values()].filter((f) => JSON.stringify(f).includes('gnet-ab12'));
    assert.ok(rules.length >= 1, 'a firewall rule for the ports');
    for (const f of rules) assert.match(String(f.network), /projects\/host-proj\/global\/networks\/shared-vpc$/);
    await p.terminate(handle);
  });
});

describe('azure.labels on Azure VMs (fake Resource Manager)', { timeout: 480_000 }, () => {
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

  it('the VM is tagged with the config labels', async () => {
    setActiveConfig({ azure: { labels: { costcenter: 'research', team: 'from-config' } } });
    const p = createAzure({ pollIntervalMs: 10, waitForSsh: ssh.waitForSsh });
    const handle = await p.launch(
      launchRequest({ clusterName: 'z', nameOnCloud: 'zlab-ab12', region: 'eastus', zones: [], instanceType: 'Standard_D4s_v5' }, { labels: { team: 'ml' } }),
    );
    const vms = [...az.resources.entries()].filter(([k]) => /\/virtualmachines\//.test(k)).map(([, v]) => v);
    assert.equal(vms.length, 1);
    const tags = vms[0].tags as Record<string, string>;
    assert.equal(tags.costcenter, 'research');
    assert.equal(tags.team, 'ml');
    await p.terminate(handle);
  });
});
