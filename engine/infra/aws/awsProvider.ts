/**
 * The `aws` provider (EC2 through @aws-sdk/client-ec2). One launch = one region; zones
 * are tried in the request's order, all nodes in one zone (SkyPilot's multi-node rule).
 * Every resource is tagged skydeck-cluster=<nameOnCloud>; a launch that fails halfway
 * removes what it created (instances, security group, key pair) before it reports.
 */
import { DescribeAvailabilityZonesCommand, GetConsoleOutputCommand, type Instance } from '@aws-sdk/client-ec2';
import { SkyDeckError } from '../../errors';
import { ProvisionError, type ClusterHandle, type CredentialCheck, type LaunchRequest, type NodeInfo, type Provider } from '../provider';
import type { Transport } from '../../node/transport';
import type { CloudProviderOptions } from '../../vmShared/options';
import { toNodeInfos } from '../../vmShared/nodes';
import { queryByGroup } from '../../vmShared/groupedQuery';
import { pollIntervalMs, pollUntil } from '../../vmShared/poll';
import { normaliseLaunchError, waitForNodesSsh, withCleanupNote } from '../../vmShared/launchSupport';
import { defaultIdentityFile, sshTransportFor } from '../../vmShared/transport';
import { recordNewNodeHostKeys } from '../../vmShared/hostKeys';
import { awsEndpointOverride, ec2 } from './client';
import { findAwsCredentials } from './credentials';
import { awsErrorCode, instanceProfileError, mapAwsError } from './errors';
import { resolveImage } from './images';
import { zoneNames } from './zones';
import { awsRemoteIdentity, instanceProfileOf } from './remoteIdentity';
import { cloudInitUserData, configuredSshUser } from './userData';
import {
  clusterInstances,
  clustersInstances,
  InstanceGoneError,
  runInstances,
  setShutdownBehavior,
  shutdownBehavior,
  startInstances,
  stopInstances,
  terminateInstances,
  toCloudInstance,
  waitRunning,
  waitState,
} from './instances';
import {
  defaultSubnetId,
  defaultVpcId,
  deleteKeyPair,
  deleteSecurityGroup,
  ensureKeyPair,
  ensureSecurityGroup,
  namedVpcId,
  namedVpcSubnetId,
  findSecurityGroups,
  keyPairExists,
  openIngress,
  resourceNames,
} from './network';
import { configValue, withConfigLabels } from '../../config/cloudLabels';
import { securityGroupNameFor } from '../../config/perCluster';
import { networkingFor, RegionWithoutProxyError, type NodeNetworking } from '../../config/networking';

/** What the cluster engine stores for an AWS cluster (ClusterHandle.data). */
interface AwsHandleData {
  securityGroupId: string;
  keyName: string;
  sshUser: string;
  useSpot: boolean;
  identityFile: string;
  /** `aws.use_internal_ips` / `aws.ssh_proxy_command` as they were when the cluster was launched. */
  network?: NodeNetworking;
}

function dataOf(handle: ClusterHandle): AwsHandleData {
  const d = handle.data as Partial<AwsHandleData>;
  const names = resourceNames(handle.nameOnCloud);
  return {
    securityGroupId: d.securityGroupId ?? '',
    keyName: d.keyName ?? names.keyPair,
    sshUser: d.sshUser ?? 'ubuntu',
    useSpot: d.useSpot ?? false,
    identityFile: d.identityFile ?? defaultIdentityFile(),
    network: d.network,
  };
}

/** The networking keys for a launch in `region`; a region a `{region: command}` mapping leaves out is not used. */
function launchNetworking(region: string): NodeNetworking {
  try {
    return networkingFor('aws', region);
  } catch (err) {
    if (err instanceof RegionWithoutProxyError) throw new ProvisionError('config', 'region', `AWS ${region}: ${err.message}`);
    throw err;
  }
}

export class AwsProvider implements Provider {
  readonly name = 'aws';
  readonly canStop = true;

  constructor(private readonly options: CloudProviderOptions = {}) {}

  private get timing() {
    return { timeoutMs: this.options.stateTimeoutMs ?? 10 * 60_000, intervalMs: this.options.pollIntervalMs ?? pollIntervalMs() };
  }

  private requireCredentials(): void {
    const src = findAwsCredentials();
    if (!src.found) throw new ProvisionError('auth', 'cloud', src.description, { hint: 'Then run `skydeck check`.' });
  }

  async check(): Promise<CredentialCheck> {
    const src = findAwsCredentials();
    if (!src.found) return { enabled: false, reason: src.description };
    const region = src.region ?? 'us-east-1';
    const where = awsEndpointOverride() ? ` at ${awsEndpointOverride()}` : '';
    try {
      const r = await ec2(region).send(new DescribeAvailabilityZonesCommand({}));
      return { enabled: true, reason: `Using ${src.description}; EC2 in ${region}${where} answered (${r.AvailabilityZones?.length ?? 0} zones).` };
    } catch (err) {
      const code = awsErrorCode(err);
      const msg = err instanceof Error ? err.message : String(err);
      return { enabled: false, reason: `Found ${src.description}, but EC2 in ${region}${where} refused them: ${code}: ${msg}` };
    }
  }

  async launch(request: LaunchRequest): Promise<ClusterHandle> {
    request = { ...request, labels: withConfigLabels('aws', request.labels) };
    this.requireCredentials();
    const { region, nameOnCloud } = request;
    const progress = (m: string) => request.onProgress?.(m);
    const createdIds: string[] = [];
    let createdGroup: string | undefined;
    let createdKey: string | undefined;
    let place = region;
    try {
      const network = launchNetworking(region);
      const vpcName = configValue(['aws', 'vpc_name']);
      const vpcId = typeof vpcName === 'string' ? await namedVpcId(region, vpcName) : await defaultVpcId(region);
      const existing = await clusterInstances(region, nameOnCloud);
      const existingZone = existing[0]?.Placement?.AvailabilityZone;
      // An existing cluster only ever resumes where it is (SkyPilot: no failover for it).
      const requested = await zoneNames(region, request.zones);
      const zones = existingZone ? [existingZone] : requested.length ? requested : [undefined];

      const key = await ensureKeyPair(region, nameOnCloud, request.sshPublicKey);
      if (key.created) createdKey = key.keyName;
      const sharedGroup = securityGroupNameFor('aws', request.clusterName);
      const sg = await ensureSecurityGroup(region, nameOnCloud, vpcId, sharedGroup);
      if (sg.created && !sharedGroup) createdGroup = sg.groupId;
      await openIngress(region, sg.groupId, request.ports);

      const stopped = existing.filter((i) => ['stopped', 'stopping'].includes(i.State?.Name ?? ''));
      if (stopped.length) {
        progress(`Starting ${stopped.length} stopped instance(s) of ${nameOnCloud} in ${existingZone}.`);
        await waitState(
          region,
          stopped.map((i) => i.InstanceId as string),
          ['stopped'],
          this.timing,
        );
        await startInstances(
          region,
          stopped.map((i) => i.InstanceId as string),
        );
      }

      let sshUser = dataOf(request.existing ?? { clusterName: '', nameOnCloud, provider: 'aws', region, data: {} }).sshUser;
      const missing = request.numNodes - existing.length;
      let zone = existingZone;
      if (missing > 0) {
        const image = await resolveImage(region, request.instanceType, request.imageId);
        sshUser = configuredSshUser() ?? image.sshUser;
        const identity = awsRemoteIdentity(request.clusterName);
        const instanceProfile = instanceProfileOf(identity);
        if (instanceProfile) progress(`The instances run with the IAM instance profile '${instanceProfile}' (aws.remote_identity: ${identity.kind}).`);
        const userData = cloudInitUserData(request.sshPublicKey);
        const diskEncrypted = configValue(['aws', 'disk_encrypted']) === true;
        const failures: string[] = [];
        let last: ProvisionError | undefined;
        for (const z of zones) {
          place = z ? `${region}/${z}` : region;
          if (request.signal?.aborted) break;
          progress(`Launching ${missing} x ${request.instanceType}${request.useSpot ? ' (spot)' : ''} in AWS ${place}.`);
          try {
            const ids = await runInstances({
              region,
              zone: z ?? '',
              subnetId:
                typeof vpcName === 'string' ? await namedVpcSubnetId(region, z, vpcId, vpcName) : z ? await defaultSubnetId(region, z, vpcId) : undefined,
              nameOnCloud,
              clusterName: request.clusterName,
              instanceType: request.instanceType,
              imageId: image.imageId,
              rootDeviceName: image.rootDeviceName,
              count: missing,
              keyName: key.keyName,
              securityGroupId: sg.groupId,
              diskSizeGb: request.diskSizeGb,
              diskTier: request.diskTier,
              useSpot: request.useSpot,
              labels: request.labels,
              needsHead: existing.length === 0,
              shutdownBehavior: shutdownBehavior(request.useSpot, request.autostop?.down ?? false),
              internalIpsOnly: network.useInternalIps,
              instanceProfile,
              diskEncrypted,
              userData,
            });
            createdIds.push(...ids);
            zone = z;
            last = undefined;
            break;
          } catch (err) {
            const profileRefused = instanceProfileError(err, instanceProfile, `aws.remote_identity: ${identity.kind}`);
            if (profileRefused) throw profileRefused;
            last = mapAwsError(err, { region, zone: z });
            if (last.scope !== 'zone') throw last;
            failures.push(`${z ?? region}: ${awsErrorCode(err)}`);
            progress(`AWS ${place}: ${awsErrorCode(err)}; trying the next zone.`);
          }
        }
        if (last) {
          throw new ProvisionError(last.kind, 'zone', `AWS ${region}: no capacity in the zones tried (${failures.join(', ')}). ${last.message}`, {
            hint: last.hint,
            cause: last.cause,
          });
        }
      }

      const ids = [...existing.map((i) => i.InstanceId as string), ...createdIds];
      progress(`Waiting for ${ids.length} instance(s) to be running.`);
      const running = await waitRunning(region, ids, { ...this.timing, signal: request.signal });
      zone ??= running[0]?.Placement?.AvailabilityZone;
      const handle: ClusterHandle = {
        clusterName: request.clusterName,
        nameOnCloud,
        provider: 'aws',
        region,
        zone,
        data: {
          securityGroupId: sg.groupId,
          keyName: key.keyName,
          sshUser,
          useSpot: request.useSpot,
          identityFile: defaultIdentityFile(),
          network,
        } satisfies AwsHandleData,
      };
      progress('Waiting for SSH on every node.');
      const nodes = this.nodesFrom(handle, running);
      await waitForNodesSsh(nodes, this.options, request.signal);
      const published = await recordNewNodeHostKeys(nodes, new Set(createdIds), (n) => consoleOutput(region, n.id));
      if (published) progress(`Recorded the SSH host keys of ${published} new instance(s) from their console output.`);
      return handle;
    } catch (err) {
      const failure =
        err instanceof InstanceGoneError
          ? new ProvisionError('capacity', 'zone', `AWS ${place}: ${err.message}`, { cause: err })
          : normaliseLaunchError(err, 'AWS', place, (e) => mapAwsError(e, { region }));
      progress(`Launch failed (${failure instanceof Error ? failure.message : String(failure)}); cleaning up what was created.`);
      const leftovers = await this.cleanupPartial(region, createdIds, createdGroup, createdKey);
      throw withCleanupNote(failure, leftovers);
    }
  }

  /** Removes what a failed launch created; returns what could not be removed. */
  private async cleanupPartial(region: string, ids: string[], groupId: string | undefined, keyName: string | undefined): Promise<string[]> {
    const leftovers: string[] = [];
    try {
      await terminateInstances(region, ids);
      await waitState(region, ids, ['terminated'], this.timing);
    } catch (err) {
      leftovers.push(`instances ${ids.join(', ')}: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (groupId) {
      try {
        await this.deleteGroupWhenFree(region, groupId);
      } catch (err) {
        leftovers.push(`security group ${groupId}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    if (keyName) {
      try {
        await deleteKeyPair(region, keyName);
      } catch (err) {
        leftovers.push(`key pair ${keyName}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    return leftovers;
  }

  /** A group is "in use" until its instances are fully terminated; retry until then. */
  private async deleteGroupWhenFree(region: string, groupId: string): Promise<void> {
    await pollUntil(
      `security group ${groupId} to be free`,
      async () => ((await deleteSecurityGroup(region, groupId)) === 'deleted' ? true : undefined),
      this.timing,
    );
  }

  private nodesFrom(handle: ClusterHandle, instances: Instance[]): NodeInfo[] {
    const d = dataOf(handle);
    return toNodeInfos(instances.map(toCloudInstance), d.sshUser, d.identityFile, d.network);
  }

  async query(handle: ClusterHandle): Promise<NodeInfo[]> {
    try {
      return this.nodesFrom(handle, await clusterInstances(handle.region, handle.nameOnCloud));
    } catch (err) {
      throw mapAwsError(err, { region: handle.region, zone: handle.zone });
    }
  }

  /** One DescribeInstances per region for all the handles there (the managed-jobs probe). */
  async queryMany(handles: ClusterHandle[]): Promise<(NodeInfo[] | undefined)[]> {
    return queryByGroup(
      handles,
      (h) => h.region,
      (group) =>
        clustersInstances(
          group[0].region,
          group.map((h) => h.nameOnCloud),
        ),
      (h, byCluster) => this.nodesFrom(h, byCluster.get(h.nameOnCloud) ?? []),
    );
  }

  async prepareAutostop(handle: ClusterHandle, down: boolean): Promise<void> {
    try {
      const live = await clusterInstances(handle.region, handle.nameOnCloud);
      await setShutdownBehavior(
        handle.region,
        live.map((i) => i.InstanceId as string),
        shutdownBehavior(dataOf(handle).useSpot, down),
      );
    } catch (err) {
      throw mapAwsError(err, { region: handle.region, zone: handle.zone });
    }
  }

  async stop(handle: ClusterHandle): Promise<void> {
    if (dataOf(handle).useSpot) {
      throw new SkyDeckError('NOT_SUPPORTED', `Cluster '${handle.clusterName}' runs on spot instances, which cannot be stopped.`, {
        hint: `Use \`skydeck down ${handle.clusterName}\` to terminate it.`,
      });
    }
    try {
      const live = await clusterInstances(handle.region, handle.nameOnCloud);
      const ids = live.filter((i) => ['pending', 'running'].includes(i.State?.Name ?? '')).map((i) => i.InstanceId as string);
      await stopInstances(handle.region, ids);
      await waitState(
        handle.region,
        live.map((i) => i.InstanceId as string),
        ['stopped', 'terminated'],
        this.timing,
      );
    } catch (err) {
      throw mapAwsError(err, { region: handle.region, zone: handle.zone });
    }
  }

  async start(handle: ClusterHandle): Promise<ClusterHandle> {
    try {
      const live = await clusterInstances(handle.region, handle.nameOnCloud);
      if (!live.length) {
        throw new SkyDeckError('CLUSTER_GONE', `No instances of '${handle.clusterName}' remain on AWS ${handle.region}.`, {
          hint: `They were terminated outside SkyDeck; run \`skydeck down ${handle.clusterName}\` and launch again.`,
        });
      }
      const ids = live.map((i) => i.InstanceId as string);
      const stopping = live.filter((i) => i.State?.Name === 'stopping').map((i) => i.InstanceId as string);
      await waitState(handle.region, stopping, ['stopped'], this.timing);
      await startInstances(
        handle.region,
        live.filter((i) => ['stopped', 'stopping'].includes(i.State?.Name ?? '')).map((i) => i.InstanceId as string),
      );
      const running = await waitRunning(handle.region, ids, this.timing);
      await waitForNodesSsh(this.nodesFrom(handle, running), this.options);
      return handle;
    } catch (err) {
      if (err instanceof SkyDeckError && !(err instanceof ProvisionError)) throw err;
      throw normaliseLaunchError(err, 'AWS', handle.region, (e) => mapAwsError(e, { region: handle.region, zone: handle.zone }));
    }
  }

  async terminate(handle: ClusterHandle): Promise<void> {
    const { region, nameOnCloud } = handle;
    const d = dataOf(handle);
    try {
      const live = await clusterInstances(region, nameOnCloud);
      const ids = live.map((i) => i.InstanceId as string);
      await terminateInstances(region, ids);
      await waitState(region, ids, ['terminated'], this.timing);
      for (const g of await findSecurityGroups(region, nameOnCloud)) await this.deleteGroupWhenFree(region, g);
      await deleteKeyPair(region, d.keyName);
      // Verify: nothing tagged for the cluster remains.
      const remaining = [
        ...(await clusterInstances(region, nameOnCloud)).filter((i) => i.State?.Name !== 'shutting-down').map((i) => `instance ${i.InstanceId}`),
        ...(await findSecurityGroups(region, nameOnCloud)).map((g) => `security group ${g}`),
        ...((await keyPairExists(region, d.keyName)) ? [`key pair ${d.keyName}`] : []),
      ];
      if (remaining.length) {
        throw new SkyDeckError(
          'TERMINATE_INCOMPLETE',
          `AWS ${region}: ${remaining.join(', ')} of cluster '${handle.clusterName}' still exist after terminate.`,
          {
            hint: 'Run `skydeck down` again, or remove them in the AWS console.',
          },
        );
      }
    } catch (err) {
      if (err instanceof SkyDeckError && !(err instanceof ProvisionError)) throw err;
      throw mapAwsError(err, { region, zone: handle.zone });
    }
  }

  async openPorts(handle: ClusterHandle, ports: string[]): Promise<void> {
    try {
      const groups = await findSecurityGroups(handle.region, handle.nameOnCloud);
      for (const g of groups) await openIngress(handle.region, g, ports);
    } catch (err) {
      throw mapAwsError(err, { region: handle.region, zone: handle.zone });
    }
  }

  transport(_handle: ClusterHandle, node: NodeInfo): Transport {
    return sshTransportFor(node);
  }
}

/**
 * The instance's console output (cloud-init prints the host keys there between
 * `-----BEGIN SSH HOST KEY KEYS-----` lines). `Latest` (Nitro instances) gives the current
 * text; other instances refuse it and get the buffered copy, which may not have the keys yet.
 */
async function consoleOutput(region: string, instanceId: string): Promise<string | undefined> {
  const out = await ec2(region)
    .send(new GetConsoleOutputCommand({ InstanceId: instanceId, Latest: true }))
    .catch(() => ec2(region).send(new GetConsoleOutputCommand({ InstanceId: instanceId })));
  return out.Output ? Buffer.from(out.Output, 'base64').toString('utf8') : undefined;
}
