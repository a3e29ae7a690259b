/** EC2 instances of a cluster: find by tag, run, wait for a state, start/stop/terminate. */
import {
  CreateTagsCommand,
  DescribeInstancesCommand,
  ModifyInstanceAttributeCommand,
  RunInstancesCommand,
  StartInstancesCommand,
  StopInstancesCommand,
  TerminateInstancesCommand,
  type BlockDeviceMapping,
  type Filter,
  type Instance,
  type RunInstancesCommandInput,
} from '@aws-sdk/client-ec2';
import type { NodeState } from '../provider';
import type { CloudInstance } from '../../vmShared/nodes';
import { pollUntil } from '../../vmShared/poll';
import { ec2 } from './client';
import { CLUSTER_TAG, clusterTags } from './network';
import { isAwsCode } from './errors';

const NODE_TYPE_TAG = 'skydeck-node-type';
const LIVE_STATES = ['pending', 'running', 'stopping', 'stopped', 'shutting-down'];

function nodeState(ec2State: string | undefined): NodeState {
  switch (ec2State) {
    case 'running':
      return 'running';
    case 'stopped':
      return 'stopped';
    case 'stopping':
    case 'shutting-down':
      return 'stopping';
    case 'terminated':
      return 'terminated';
    default:
      return 'pending';
  }
}

export function toCloudInstance(i: Instance): CloudInstance {
  const head = i.Tags?.some((t) => t.Key === NODE_TYPE_TAG && t.Value === 'head') ?? false;
  return { id: i.InstanceId as string, isHead: head, state: nodeState(i.State?.Name), internalIp: i.PrivateIpAddress, externalIp: i.PublicIpAddress };
}

async function describe(
  region: string,
  input: { ids?: string[]; nameOnCloud?: string; filters?: Filter[]; states?: string[]; pageSize?: number },
): Promise<Instance[]> {
  const filters = [...(input.filters ?? [])];
  if (input.nameOnCloud) filters.push({ Name: `tag:${CLUSTER_TAG}`, Values: [input.nameOnCloud] });
  if (input.states) filters.push({ Name: 'instance-state-name', Values: input.states });
  const out: Instance[] = [];
  let token: string | undefined;
  do {
    const r = await ec2(region).send(
      new DescribeInstancesCommand({ InstanceIds: input.ids, Filters: filters.length ? filters : undefined, MaxResults: input.pageSize, NextToken: token }),
    );
    for (const res of r.Reservations ?? []) out.push(...(res.Instances ?? []));
    token = r.NextToken;
  } while (token);
  return out;
}

/** Instances tagged for the cluster that are not terminated. */
export function clusterInstances(region: string, nameOnCloud: string): Promise<Instance[]> {
  return describe(region, { nameOnCloud, states: LIVE_STATES });
}

/** The largest page DescribeInstances gives (without MaxResults a page may hold fewer). */
const MAX_PAGE = 1000;

/** EC2 refuses more than 200 values in one filter (a limit seen in practice): more clusters are matched on the tag's presence, then by its value here. */
const MAX_FILTER_VALUES = 200;

/**
 * The live instances of each named cluster in `region` (what clusterInstances gives for each),
 * from one paginated DescribeInstances; a name without instances maps to [].
 */
export async function clustersInstances(region: string, names: readonly string[], maxFilterValues = MAX_FILTER_VALUES): Promise<Map<string, Instance[]>> {
  const wanted = [...new Set(names)];
  const byCluster = new Map(wanted.map((n) => [n, [] as Instance[]]));
  const tag: Filter = wanted.length <= maxFilterValues ? { Name: `tag:${CLUSTER_TAG}`, Values: wanted } : { Name: 'tag-key', Values: [CLUSTER_TAG] };
  for (const i of await describe(region, { filters: [tag], states: LIVE_STATES, pageSize: MAX_PAGE })) {
    const name = i.Tags?.find((t) => t.Key === CLUSTER_TAG)?.Value;
    if (name !== undefined) byCluster.get(name)?.push(i);
  }
  return byCluster;
}

const TIER: Record<string, Pick<BlockDeviceMapping, 'Ebs'>['Ebs']> = {
  low: { VolumeType: 'gp3' },
  medium: { VolumeType: 'gp3', Iops: 3500, Throughput: 250 },
  high: { VolumeType: 'gp3', Iops: 6000, Throughput: 400 },
  ultra: { VolumeType: 'io2', Iops: 20000 },
  best: { VolumeType: 'io2', Iops: 20000 },
};

export interface RunSpec {
  region: string;
  zone: string;
  subnetId?: string;
  nameOnCloud: string;
  clusterName: string;
  instanceType: string;
  imageId: string;
  rootDeviceName: string;
  count: number;
  keyName: string;
  securityGroupId: string;
  diskSizeGb: number;
  diskTier?: string;
  useSpot: boolean;
  labels: Record<string, string>;
  /** Whether the first new instance becomes the head (no head exists yet). */
  needsHead: boolean;
  /** What a shutdown from inside the instance does (autostop on the node: docs/AUTOSTOP.md). */
  shutdownBehavior: 'stop' | 'terminate';
  /** `aws.use_internal_ips`: no public IP on the instances. */
  internalIpsOnly?: boolean;
  /** `aws.remote_identity`: the IAM instance profile (by name) the instances run with. */
  instanceProfile?: string;
  /** `aws.disk_encrypted`: an encrypted root volume (the account's default EBS key). */
  diskEncrypted?: boolean;
  /** cloud-init user data (`aws.ssh_user`, `aws.post_provision_runcmd`), plain text. */
  userData?: string;
}

/**
 * The instances' InstanceInitiatedShutdownBehavior: autodown (and spot, which cannot stop)
 * terminates on a guest shutdown, otherwise the instance stops, as `skydeck stop` would.
 */
export function shutdownBehavior(useSpot: boolean, autodown: boolean): 'stop' | 'terminate' {
  return useSpot || autodown ? 'terminate' : 'stop';
}

/** Changes what a guest shutdown does on the cluster's instances (`skydeck autostop --down` after launch). */
export async function setShutdownBehavior(region: string, ids: string[], behavior: 'stop' | 'terminate'): Promise<void> {
  for (const id of ids) {
    await ec2(region).send(new ModifyInstanceAttributeCommand({ InstanceId: id, InstanceInitiatedShutdownBehavior: { Value: behavior } }));
  }
}

export async function runInstances(spec: RunSpec): Promise<string[]> {
  const tags = clusterTags(spec.nameOnCloud, { ...spec.labels, 'skydeck-cluster-name': spec.clusterName, Name: spec.nameOnCloud });
  const input: RunInstancesCommandInput = {
    ImageId: spec.imageId,
    InstanceType: spec.instanceType as RunInstancesCommandInput['InstanceType'],
    MinCount: spec.count,
    MaxCount: spec.count,
    KeyName: spec.keyName,
    InstanceInitiatedShutdownBehavior: spec.shutdownBehavior,
    Placement: { AvailabilityZone: spec.zone },
    BlockDeviceMappings: [
      {
        DeviceName: spec.rootDeviceName,
        Ebs: {
          VolumeSize: spec.diskSizeGb,
          DeleteOnTermination: true,
          ...(TIER[spec.diskTier ?? 'medium'] ?? TIER.medium),
          ...(spec.diskEncrypted ? { Encrypted: true } : {}),
        },
      },
    ],
    ...(spec.instanceProfile ? { IamInstanceProfile: { Name: spec.instanceProfile } } : {}),
    ...(spec.userData ? { UserData: Buffer.from(spec.userData).toString('base64') } : {}),
    TagSpecifications: [
      { ResourceType: 'instance', Tags: tags },
      { ResourceType: 'volume', Tags: tags },
    ],
    ...(spec.subnetId
      ? { NetworkInterfaces: [{ DeviceIndex: 0, SubnetId: spec.subnetId, Groups: [spec.securityGroupId], AssociatePublicIpAddress: !spec.internalIpsOnly }] }
      : { SecurityGroupIds: [spec.securityGroupId] }),
    ...(spec.useSpot
      ? { InstanceMarketOptions: { MarketType: 'spot', SpotOptions: { SpotInstanceType: 'one-time', InstanceInterruptionBehavior: 'terminate' } } }
      : {}),
  };
  const r = await ec2(spec.region).send(new RunInstancesCommand(input));
  const ids = (r.Instances ?? []).map((i) => i.InstanceId as string);
  if (ids.length) {
    const [first, ...rest] = ids;
    const client = ec2(spec.region);
    await client.send(new CreateTagsCommand({ Resources: [first], Tags: [{ Key: NODE_TYPE_TAG, Value: spec.needsHead ? 'head' : 'worker' }] }));
    if (rest.length) await client.send(new CreateTagsCommand({ Resources: rest, Tags: [{ Key: NODE_TYPE_TAG, Value: 'worker' }] }));
  }
  return ids;
}

export class InstanceGoneError extends Error {
  constructor(
    readonly instanceId: string,
    readonly reason: string,
  ) {
    super(`Instance ${instanceId} went away while starting: ${reason}`);
    this.name = 'InstanceGoneError';
  }
}

/** Waits until every id is running (with its addresses), or fails if one terminates on the way (spot reclaim). */
export async function waitRunning(region: string, ids: string[], opts: { timeoutMs: number; intervalMs: number; signal?: AbortSignal }): Promise<Instance[]> {
  return pollUntil(
    `instances ${ids.join(', ')} to be running`,
    async () => {
      let instances: Instance[];
      try {
        instances = await describe(region, { ids });
      } catch (err) {
        // New ids may not be visible yet (eventual consistency).
        if (isAwsCode(err, 'InvalidInstanceID.NotFound')) return undefined;
        throw err;
      }
      for (const i of instances) {
        const s = i.State?.Name;
        if (s === 'terminated' || s === 'shutting-down') throw new InstanceGoneError(i.InstanceId as string, i.StateReason?.Message ?? s);
      }
      const ok = instances.length === ids.length && instances.every((i) => i.State?.Name === 'running' && i.PrivateIpAddress);
      return ok ? instances : undefined;
    },
    opts,
  );
}

export async function waitState(
  region: string,
  ids: string[],
  states: string[],
  opts: { timeoutMs: number; intervalMs: number; signal?: AbortSignal },
): Promise<void> {
  if (!ids.length) return;
  await pollUntil(
    `instances ${ids.join(', ')} to be ${states.join('/')}`,
    async () => {
      try {
        const instances = await describe(region, { ids });
        return instances.every((i) => states.includes(i.State?.Name ?? '')) ? true : undefined;
      } catch (err) {
        if (isAwsCode(err, 'InvalidInstanceID.NotFound') && states.includes('terminated')) return true;
        throw err;
      }
    },
    opts,
  );
}

export async function terminateInstances(region: string, ids: string[]): Promise<void> {
  if (ids.length) await ec2(region).send(new TerminateInstancesCommand({ InstanceIds: ids }));
}

export async function stopInstances(region: string, ids: string[]): Promise<void> {
  if (ids.length) await ec2(region).send(new StopInstancesCommand({ InstanceIds: ids }));
}

export async function startInstances(region: string, ids: string[]): Promise<void> {
  if (ids.length) await ec2(region).send(new StartInstancesCommand({ InstanceIds: ids }));
}
