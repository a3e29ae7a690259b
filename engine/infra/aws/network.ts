/**
 * Per-cluster network pieces: a security group (SSH, the task's ports, all traffic among
 * the cluster's own nodes) in the default VPC, an imported key pair, and the default
 * subnet of a zone. Everything is tagged skydeck-cluster=<nameOnCloud> so terminate and
 * cleanup can find it.
 */
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  DeleteKeyPairCommand,
  DeleteSecurityGroupCommand,
  DescribeKeyPairsCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeVpcsCommand,
  ImportKeyPairCommand,
  type IpPermission,
  type Tag,
} from '@aws-sdk/client-ec2';
import { ProvisionError } from '../provider';
import { parsePorts } from '../../vmShared/ports';
import { ec2 } from './client';
import { isAwsCode } from './errors';

export const CLUSTER_TAG = 'skydeck-cluster';

export function clusterTags(nameOnCloud: string, extra: Record<string, string> = {}): Tag[] {
  return [{ Key: CLUSTER_TAG, Value: nameOnCloud }, ...Object.entries(extra).map(([Key, Value]) => ({ Key, Value }))];
}

export function resourceNames(nameOnCloud: string): { securityGroup: string; keyPair: string } {
  return { securityGroup: `skydeck-${nameOnCloud}-sg`, keyPair: `skydeck-${nameOnCloud}-key` };
}

export async function defaultVpcId(region: string): Promise<string> {
  const r = await ec2(region).send(new DescribeVpcsCommand({ Filters: [{ Name: 'is-default', Values: ['true'] }] }));
  const id = r.Vpcs?.[0]?.VpcId;
  if (!id) {
    throw new ProvisionError('config', 'region', `AWS ${region}: the region has no default VPC.`, {
      hint: 'Create a default VPC (`aws ec2 create-default-vpc --region ' + region + '`) or use another region.',
    });
  }
  return id;
}

/** `aws.vpc_name`: the VPC with that Name tag; a region without it cannot host the cluster (SkyPilot skips it). */
export async function namedVpcId(region: string, name: string): Promise<string> {
  const r = await ec2(region).send(new DescribeVpcsCommand({ Filters: [{ Name: 'tag:Name', Values: [name] }] }));
  const id = r.Vpcs?.[0]?.VpcId;
  if (!id)
    throw new ProvisionError('config', 'region', `AWS ${region}: no VPC named '${name}' (aws.vpc_name of the SkyPilot config).`, {
      hint: 'Create it there, or choose a region that has it.',
    });
  return id;
}

/** A subnet of a named VPC (in `zone` when given): instances must not fall back to the default VPC. */
export async function namedVpcSubnetId(region: string, zone: string | undefined, vpcId: string, name: string): Promise<string> {
  const filters = [{ Name: 'vpc-id', Values: [vpcId] }, ...(zone ? [{ Name: 'availability-zone', Values: [zone] }] : [])];
  const r = await ec2(region).send(new DescribeSubnetsCommand({ Filters: filters }));
  const id = r.Subnets?.[0]?.SubnetId;
  if (!id) throw new ProvisionError('config', zone ? 'zone' : 'region', `AWS ${zone ?? region}: VPC '${name}' has no subnet there.`);
  return id;
}

export async function defaultSubnetId(region: string, zone: string, vpcId: string): Promise<string | undefined> {
  const r = await ec2(region).send(
    new DescribeSubnetsCommand({
      Filters: [
        { Name: 'vpc-id', Values: [vpcId] },
        { Name: 'availability-zone', Values: [zone] },
      ],
    }),
  );
  const subnets = r.Subnets ?? [];
  return (subnets.find((s) => s.DefaultForAz) ?? subnets[0])?.SubnetId;
}

/**
 * Finds the cluster's group or creates it. Returns its id and whether this call created it.
 * `configuredName` (`aws.security_group_name`): that group, shared by every cluster the config
 * gives it to, so it carries no cluster tag and teardown never deletes it (as SkyPilot).
 */
export async function ensureSecurityGroup(
  region: string,
  nameOnCloud: string,
  vpcId: string,
  configuredName?: string,
): Promise<{ groupId: string; created: boolean }> {
  const client = ec2(region);
  const name = configuredName ?? resourceNames(nameOnCloud).securityGroup;
  const existing = await client.send(
    new DescribeSecurityGroupsCommand({
      Filters: [
        { Name: 'group-name', Values: [name] },
        { Name: 'vpc-id', Values: [vpcId] },
      ],
    }),
  );
  const found = existing.SecurityGroups?.[0]?.GroupId;
  if (found) return { groupId: found, created: false };
  const r = await client.send(
    new CreateSecurityGroupCommand({
      GroupName: name,
      Description: configuredName ? 'SkyDeck clusters (aws.security_group_name)' : `SkyDeck cluster ${nameOnCloud}`,
      VpcId: vpcId,
      ...(configuredName ? {} : { TagSpecifications: [{ ResourceType: 'security-group' as const, Tags: clusterTags(nameOnCloud) }] }),
    }),
  );
  const groupId = r.GroupId as string;
  // Nodes of the cluster talk to each other freely (SkyPilot does the same).
  await authorize(region, groupId, [{ IpProtocol: '-1', UserIdGroupPairs: [{ GroupId: groupId }] }]);
  return { groupId, created: true };
}

async function authorize(region: string, groupId: string, permissions: IpPermission[]): Promise<void> {
  for (const p of permissions) {
    try {
      await ec2(region).send(new AuthorizeSecurityGroupIngressCommand({ GroupId: groupId, IpPermissions: [p] }));
    } catch (err) {
      if (!isAwsCode(err, 'InvalidPermission.Duplicate')) throw err;
    }
  }
}

/** Opens SSH and the given ports to the world (as SkyPilot does for `ports:`). */
export async function openIngress(region: string, groupId: string, ports: readonly string[]): Promise<void> {
  const ranges = [{ from: 22, to: 22 }, ...parsePorts(ports)];
  await authorize(
    region,
    groupId,
    ranges.map((r) => ({ IpProtocol: 'tcp', FromPort: r.from, ToPort: r.to, IpRanges: [{ CidrIp: '0.0.0.0/0' }] })),
  );
}

export async function findSecurityGroups(region: string, nameOnCloud: string): Promise<string[]> {
  const r = await ec2(region).send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: `tag:${CLUSTER_TAG}`, Values: [nameOnCloud] }] }));
  const byTag = (r.SecurityGroups ?? []).map((g) => g.GroupId as string);
  if (byTag.length) return byTag;
  const byName = await ec2(region).send(
    new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'group-name', Values: [resourceNames(nameOnCloud).securityGroup] }] }),
  );
  return (byName.SecurityGroups ?? []).map((g) => g.GroupId as string);
}

export async function deleteSecurityGroup(region: string, groupId: string): Promise<'deleted' | 'in-use'> {
  try {
    await ec2(region).send(new DeleteSecurityGroupCommand({ GroupId: groupId }));
    return 'deleted';
  } catch (err) {
    if (isAwsCode(err, 'InvalidGroup.NotFound')) return 'deleted';
    if (isAwsCode(err, 'DependencyViolation')) return 'in-use';
    throw err;
  }
}

export async function keyPairExists(region: string, keyName: string): Promise<boolean> {
  try {
    const r = await ec2(region).send(new DescribeKeyPairsCommand({ KeyNames: [keyName] }));
    return (r.KeyPairs ?? []).length > 0;
  } catch (err) {
    if (isAwsCode(err, 'InvalidKeyPair.NotFound')) return false;
    throw err;
  }
}

/** Imports the request's public key under the cluster's key name; returns whether this call created it. */
export async function ensureKeyPair(region: string, nameOnCloud: string, publicKey: string): Promise<{ keyName: string; created: boolean }> {
  const keyName = resourceNames(nameOnCloud).keyPair;
  if (await keyPairExists(region, keyName)) return { keyName, created: false };
  try {
    await ec2(region).send(
      new ImportKeyPairCommand({
        KeyName: keyName,
        PublicKeyMaterial: Buffer.from(publicKey.trim()),
        TagSpecifications: [{ ResourceType: 'key-pair', Tags: clusterTags(nameOnCloud) }],
      }),
    );
  } catch (err) {
    if (isAwsCode(err, 'InvalidKeyPair.Duplicate')) return { keyName, created: false };
    throw err;
  }
  return { keyName, created: true };
}

export async function deleteKeyPair(region: string, keyName: string): Promise<void> {
  try {
    await ec2(region).send(new DeleteKeyPairCommand({ KeyName: keyName }));
  } catch (err) {
    if (!isAwsCode(err, 'InvalidKeyPair.NotFound')) throw err;
  }
}
