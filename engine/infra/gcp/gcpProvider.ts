/**
 * The `gcp` provider (Compute Engine through @google-cloud/compute, REST transport).
 * Zones are tried one at a time (SkyPilot's GCP rule); each node is one instance,
 * labelled skydeck-cluster=<nameOnCloud>; one firewall rule per cluster opens SSH and the
 * task's ports to the cluster's network tag. A launch that fails halfway deletes what it
 * created before it reports.
 */
import type { protos } from '@google-cloud/compute';
import * as crypto from 'node:crypto';
import { SkyDeckError } from '../../errors';
import { ProvisionError, type ClusterHandle, type CredentialCheck, type LaunchRequest, type NodeInfo, type NodeState, type Provider } from '../provider';
import type { Transport } from '../../node/transport';
import type { CloudProviderOptions } from '../../vmShared/options';
import { toNodeInfos, type CloudInstance } from '../../vmShared/nodes';
import { queryByGroup } from '../../vmShared/groupedQuery';
import { pollIntervalMs, pollUntil } from '../../vmShared/poll';
import { parsePorts, portRangeText } from '../../vmShared/ports';
import { normaliseLaunchError, waitForNodesSsh, withCleanupNote } from '../../vmShared/launchSupport';
import { recordNewNodeHostKeys } from '../../vmShared/hostKeys';
import { defaultIdentityFile, sshTransportFor } from '../../vmShared/transport';
import { gcpClients, gcpEndpointOverride, type GcpClients } from './clients';
import { findGcpCredentials } from './credentials';
import { gcpRemoteIdentity, serviceAccountsFor, type GcpRemoteIdentity } from './remoteIdentity';
import { gcpErrorInfo, isNotFound, mapGcpError } from './errors';
import {
  buildInstance,
  checkSupported,
  CLUSTER_LABEL,
  defaultImage,
  firewallName,
  gcpLabel,
  instanceName,
  networkTag,
  NODE_TYPE_LABEL,
  placementPolicyName,
  SSH_USER,
} from './instanceSpec';
import { configValue, withConfigLabels } from '../../config/cloudLabels';
import { networkingFor, RegionWithoutProxyError, type NodeNetworking } from '../../config/networking';

type Instance = protos.google.cloud.compute.v1.IInstance;
type Operation = protos.google.cloud.compute.v1.IOperation;

interface GcpHandleData {
  project: string;
  useSpot: boolean;
  sshUser: string;
  identityFile: string;
  firewall: string;
  /** `gcp.use_internal_ips` / `gcp.ssh_proxy_command` as they were when the cluster was launched. */
  network?: NodeNetworking;
  /** `gcp.remote_identity` at launch: what the head's autodown acts with (autodown.ts). */
  remoteIdentity?: GcpRemoteIdentity;
}

/** An error reported inside a finished operation (code + message, like the API's). */
class GcpOperationError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'GcpOperationError';
  }
}

function nodeState(status: string | null | undefined): NodeState {
  switch (status) {
    case 'RUNNING':
      return 'running';
    case 'STOPPING':
    case 'SUSPENDING':
      return 'stopping';
    case 'TERMINATED':
    case 'STOPPED':
    case 'SUSPENDED':
      return 'stopped';
    default:
      return 'pending';
  }
}

function toCloudInstance(i: Instance): CloudInstance {
  const nic = i.networkInterfaces?.[0];
  return {
    id: i.name as string,
    isHead: i.labels?.[NODE_TYPE_LABEL] === 'head',
    state: nodeState(i.status),
    internalIp: nic?.networkIP ?? undefined,
    externalIp: nic?.accessConfigs?.[0]?.natIP ?? undefined,
  };
}

/** `gcp.vpc_name` (`name` or `project-id/name`, a shared VPC), else the default network. */
function configNetwork(): string {
  const v = configValue(['gcp', 'vpc_name']);
  if (typeof v !== 'string' || !v) return 'global/networks/default';
  const [a, b] = v.split('/');
  return b ? `projects/${a}/global/networks/${b}` : `global/networks/${a}`;
}

/**
 * The instance on `gcp.vpc_name`'s network; with `gcp.use_internal_ips` it gets no external IP
 * unless `gcp.force_enable_external_ips` asks for one (SkyPilot's rule).
 */
function inConfigNetwork<T extends { networkInterfaces?: { network?: string | null; accessConfigs?: unknown[] | null }[] | null }>(
  instance: T,
  network: NodeNetworking,
): T {
  const external = !network.useInternalIps || configValue(['gcp', 'force_enable_external_ips']) === true;
  const gvnic = configValue(['gcp', 'enable_gvnic']) === true;
  for (const nic of instance.networkInterfaces ?? []) {
    nic.network = configNetwork();
    if (!external) delete nic.accessConfigs;
    // `gcp.enable_gvnic`: Google's virtual NIC instead of virtio-net (SkyPilot's nicType).
    if (gvnic) (nic as { nicType?: string }).nicType = 'GVNIC';
  }
  return instance;
}

/** The networking keys for a launch in `region`; a region a `{region: command}` mapping leaves out is not used. */
function launchNetworking(region: string): NodeNetworking {
  try {
    return networkingFor('gcp', region);
  } catch (err) {
    if (err instanceof RegionWithoutProxyError) throw new ProvisionError('config', 'region', `GCP ${region}: ${err.message}`);
    throw err;
  }
}

export class GcpProvider implements Provider {
  readonly name = 'gcp';
  readonly canStop = true;

  constructor(private readonly options: CloudProviderOptions = {}) {}

  private get timing() {
    return { timeoutMs: this.options.stateTimeoutMs ?? 10 * 60_000, intervalMs: this.options.pollIntervalMs ?? pollIntervalMs() };
  }

  private clients(): GcpClients {
    const creds = findGcpCredentials();
    if (!creds.found) throw new ProvisionError('auth', 'cloud', creds.description, { hint: 'Then run `skydeck check`.' });
    return gcpClients(creds);
  }

  async check(): Promise<CredentialCheck> {
    const creds = findGcpCredentials();
    if (!creds.found) return { enabled: false, reason: creds.description };
    const where = gcpEndpointOverride() ? ` at ${gcpEndpointOverride()}` : '';
    try {
      const c = gcpClients(creds);
      await c.firewalls.list({ project: c.project, maxResults: 1 }, { autoPaginate: false });
      return { enabled: true, reason: `Using ${creds.description}; the Compute Engine API${where} answered.` };
    } catch (err) {
      const info = gcpErrorInfo(err);
      return { enabled: false, reason: `Found ${creds.description}, but the Compute Engine API${where} refused: ${info.code}: ${info.message}` };
    }
  }

  /** Waits for a zone operation (`zone`), a region one (`{ region }`) or a global one (neither). */
  private async waitOp(c: GcpClients, op: Operation | null | undefined, zone?: string | { region: string }): Promise<void> {
    let cur = op ?? {};
    const deadline = Date.now() + this.timing.timeoutMs;
    while (cur.status !== 'DONE') {
      if (Date.now() > deadline) throw new SkyDeckError('CLOUD_TIMEOUT', `Timed out waiting for GCP operation ${cur.name}.`);
      // `wait` blocks server-side until DONE (or about 2 minutes), so this loop rarely turns.
      [cur] =
        typeof zone === 'string'
          ? await c.zoneOperations.wait({ project: c.project, zone, operation: cur.name as string })
          : zone
            ? await c.regionOperations.wait({ project: c.project, region: zone.region, operation: cur.name as string })
            : await c.globalOperations.wait({ project: c.project, operation: cur.name as string });
    }
    const first = cur.error?.errors?.[0];
    if (first) throw new GcpOperationError(first.code ?? 'UNKNOWN', first.message ?? 'operation failed');
  }

  private async list(c: GcpClients, zone: string, nameOnCloud: string): Promise<Instance[]> {
    const [items] = await c.instances.list({ project: c.project, zone, filter: `labels.${CLUSTER_LABEL} = ${gcpLabel(nameOnCloud)}` });
    return items ?? [];
  }

  /** Creates the cluster's firewall rule or widens it; returns whether this call created it. */
  private async ensureFirewall(c: GcpClients, nameOnCloud: string, ports: string[]): Promise<boolean> {
    const name = firewallName(nameOnCloud);
    const wanted = ['22', ...parsePorts(ports).map(portRangeText)];
    let existing: protos.google.cloud.compute.v1.IFirewall | undefined;
    try {
      [existing] = await c.firewalls.get({ project: c.project, firewall: name });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    if (existing) {
      const have = new Set((existing.allowed ?? []).flatMap((a) => a.ports ?? []));
      const missing = wanted.filter((p) => !have.has(p));
      if (missing.length) {
        const [op] = await c.firewalls.patch({
          project: c.project,
          firewall: name,
          firewallResource: { allowed: [{ IPProtocol: 'tcp', ports: [...have, ...missing] }] },
        });
        await this.waitOp(c, op.latestResponse as Operation);
      }
      return false;
    }
    const [op] = await c.firewalls.insert({
      project: c.project,
      firewallResource: {
        name,
        network: configNetwork(),
        direction: 'INGRESS',
        sourceRanges: ['0.0.0.0/0'],
        targetTags: [networkTag(nameOnCloud)],
        allowed: [{ IPProtocol: 'tcp', ports: wanted }],
        description: `SkyDeck cluster ${nameOnCloud}`,
      },
    });
    await this.waitOp(c, op.latestResponse as Operation);
    return true;
  }

  private async deleteFirewall(c: GcpClients, nameOnCloud: string): Promise<void> {
    try {
      const [op] = await c.firewalls.delete({ project: c.project, firewall: firewallName(nameOnCloud) });
      await this.waitOp(c, op.latestResponse as Operation);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  /**
   * `gcp.placement_policy: compact` (SkyPilot's rule): a regional resource policy
   * `<nameOnCloud>-placement-policy` with COLLOCATED group placement, created when missing, that
   * every instance of the cluster names. Other values are ignored, as SkyPilot ignores them.
   * Returns the policy's path (undefined when none) and whether this call created it.
   */
  private async ensurePlacementPolicy(c: GcpClients, region: string, nameOnCloud: string): Promise<{ policy?: string; created: boolean }> {
    const v = configValue(['gcp', 'placement_policy']);
    if (typeof v !== 'string' || v.toLowerCase() !== 'compact') return { created: false };
    const name = placementPolicyName(nameOnCloud);
    const policy = `projects/${c.project}/regions/${region}/resourcePolicies/${name}`;
    try {
      await c.resourcePolicies.get({ project: c.project, region, resourcePolicy: name });
      return { policy, created: false };
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    const [op] = await c.resourcePolicies.insert({
      project: c.project,
      region,
      resourcePolicyResource: { name, groupPlacementPolicy: { collocation: 'COLLOCATED' } },
    });
    await this.waitOp(c, op.latestResponse as Operation, { region });
    return { policy, created: true };
  }

  private async deletePlacementPolicy(c: GcpClients, region: string, nameOnCloud: string): Promise<void> {
    try {
      const [op] = await c.resourcePolicies.delete({ project: c.project, region, resourcePolicy: placementPolicyName(nameOnCloud) });
      await this.waitOp(c, op.latestResponse as Operation, { region });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  private async deleteInstances(c: GcpClients, zone: string, names: string[]): Promise<void> {
    await Promise.all(
      names.map(async (instance) => {
        try {
          const [op] = await c.instances.delete({ project: c.project, zone, instance });
          await this.waitOp(c, op.latestResponse as Operation, zone);
        } catch (err) {
          if (!isNotFound(err)) throw err;
        }
      }),
    );
  }

  private async waitRunning(c: GcpClients, zone: string, nameOnCloud: string, count: number, signal?: AbortSignal): Promise<Instance[]> {
    return pollUntil(
      `${count} GCP instance(s) of ${nameOnCloud} to be RUNNING`,
      async () => {
        const items = await this.list(c, zone, nameOnCloud);
        const gone = items.find((i) => i.status === 'TERMINATED' && i.scheduling?.provisioningModel === 'SPOT');
        if (gone) throw new ProvisionError('capacity', 'zone', `GCP ${zone}: spot instance ${gone.name} was preempted while starting.`);
        return items.length >= count && items.every((i) => i.status === 'RUNNING') ? items : undefined;
      },
      { ...this.timing, signal },
    );
  }

  private handleFor(request: LaunchRequest, c: GcpClients, zone: string, network: NodeNetworking, remoteIdentity: GcpRemoteIdentity): ClusterHandle {
    const data: GcpHandleData = {
      project: c.project,
      useSpot: request.useSpot,
      sshUser: SSH_USER,
      identityFile: defaultIdentityFile(),
      firewall: firewallName(request.nameOnCloud),
      network,
      remoteIdentity,
    };
    return { clusterName: request.clusterName, nameOnCloud: request.nameOnCloud, provider: 'gcp', region: request.region, zone, data: { ...data } };
  }

  /**
   * The host keys the guest agent published (guest attributes, namespace `hostkeys`: key = key
   * type, value = the key, with or without its type) as `type base64` lines.
   */
  private async guestHostKeys(c: GcpClients, zone: string, instance: string): Promise<string> {
    const [attrs] = await c.instances.getGuestAttributes({ project: c.project, zone, instance, queryPath: 'hostkeys/' });
    return (attrs.queryValue?.items ?? [])
      .filter((i) => i.namespace === 'hostkeys' && i.key && i.value)
      .map((i) => (/^\S+\s+\S+/.test(i.value as string) ? (i.value as string) : `${i.key} ${i.value}`))
      .join('\n');
  }

  private nodes(handle: ClusterHandle, items: Instance[]): NodeInfo[] {
    const d = handle.data as Partial<GcpHandleData>;
    return toNodeInfos(items.map(toCloudInstance), d.sshUser ?? SSH_USER, d.identityFile ?? defaultIdentityFile(), d.network);
  }

  async launch(request: LaunchRequest): Promise<ClusterHandle> {
    request = { ...request, labels: withConfigLabels('gcp', request.labels) };
    checkSupported(request);
    const c = this.clients();
    const { region, nameOnCloud } = request;
    const progress = (m: string) => request.onProgress?.(m);
    const network = launchNetworking(region);
    const identity = gcpRemoteIdentity(request.clusterName, c.project);
    const serviceAccounts = serviceAccountsFor(identity);
    let createdFirewall = false;
    let createdPolicy = false;
    let zone = request.existing?.zone ?? request.zones[0] ?? `${region}-a`;
    const created: string[] = [];
    try {
      // An existing cluster resumes where it is; a new one tries the zones in order.
      let zones = request.existing?.zone ? [request.existing.zone] : request.zones.length ? request.zones : ['a', 'b', 'c'].map((s) => `${region}-${s}`);
      let existing: Instance[] = [];
      for (const z of zones) {
        const found = await this.list(c, z, nameOnCloud);
        if (found.length) {
          existing = found;
          zones = [z];
          break;
        }
      }
      createdFirewall = await this.ensureFirewall(c, nameOnCloud, request.ports);
      const placement = await this.ensurePlacementPolicy(c, region, nameOnCloud);
      createdPolicy = placement.created;
      const image = defaultImage(request, region);
      let last: ProvisionError | undefined;
      const failures: string[] = [];
      for (const z of zones) {
        zone = z;
        if (request.signal?.aborted) break;
        const stopped = existing.filter((i) => nodeState(i.status) === 'stopped');
        for (const i of stopped) {
          progress(`Starting ${i.name} in GCP ${z}.`);
          const [op] = await c.instances.start({ project: c.project, zone: z, instance: i.name as string });
          await this.waitOp(c, op.latestResponse as Operation, z);
        }
        const missing = request.numNodes - existing.length;
        if (missing <= 0) {
          last = undefined;
          break;
        }
        progress(
          `Launching ${missing} x ${request.instanceType}${request.accelerators ? ` with ${request.accelerators.count} x ${request.accelerators.name}` : ''}${request.useSpot ? ' (spot)' : ''} in GCP ${z}.`,
        );
        const suffix = crypto.randomBytes(2).toString('hex');
        const hasHead = existing.some((i) => i.labels?.[NODE_TYPE_LABEL] === 'head');
        const names = Array.from({ length: missing }, (_, k) => {
          const role = !hasHead && k === 0 ? 'head' : 'worker';
          return { name: instanceName(nameOnCloud, role, role === 'head' ? suffix : `${suffix}${k}`), role } as const;
        });
        const inZone: string[] = [];
        try {
          const results = await Promise.allSettled(
            names.map(async ({ name, role }) => {
              const [op] = await c.instances.insert({
                project: c.project,
                zone: z,
                instanceResource: {
                  ...inConfigNetwork(buildInstance(request, z, name, role, image), network),
                  ...(serviceAccounts ? { serviceAccounts } : {}),
                  ...(placement.policy ? { resourcePolicies: [placement.policy] } : {}),
                },
              });
              inZone.push(name);
              await this.waitOp(c, op.latestResponse as Operation, z);
            }),
          );
          const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
          if (failed) throw failed.reason;
          created.push(...inZone);
          last = undefined;
          break;
        } catch (err) {
          // All nodes of a cluster live in one zone: remove this zone's partial set before moving on.
          await this.deleteInstances(c, z, inZone);
          last = mapGcpError(err, { region, zone: z });
          if (last.scope !== 'zone') throw last;
          failures.push(`${z}: ${gcpErrorInfo(err).code}`);
          progress(`GCP ${z}: ${gcpErrorInfo(err).code}; trying the next zone.`);
        }
      }
      if (last) {
        throw new ProvisionError(last.kind, 'zone', `GCP ${region}: no capacity in the zones tried (${failures.join(', ')}). ${last.message}`, {
          hint: last.hint,
          cause: last.cause,
        });
      }
      progress('Waiting for the instances to be RUNNING.');
      const running = await this.waitRunning(c, zone, nameOnCloud, request.numNodes, request.signal);
      const handle = this.handleFor(request, c, zone, network, identity);
      progress('Waiting for SSH on every node.');
      const nodes = this.nodes(handle, running);
      await waitForNodesSsh(nodes, this.options, request.signal);
      const published = await recordNewNodeHostKeys(nodes, new Set(created), (n) => this.guestHostKeys(c, zone, n.id));
      if (published) progress(`Recorded the SSH host keys of ${published} new instance(s) from their guest attributes.`);
      return handle;
    } catch (err) {
      const failure = normaliseLaunchError(err, 'GCP', zone, (e) => mapGcpError(e, { region, zone }));
      const leftovers: string[] = [];
      try {
        await this.deleteInstances(c, zone, created);
      } catch (e) {
        leftovers.push(`instances ${created.join(', ')}: ${e instanceof Error ? e.message : String(e)}`);
      }
      if (createdFirewall) {
        try {
          await this.deleteFirewall(c, nameOnCloud);
        } catch (e) {
          leftovers.push(`firewall ${firewallName(nameOnCloud)}: ${e instanceof Error ? e.message : String(e)}`);
        }
      }
      if (createdPolicy) {
        try {
          await this.deletePlacementPolicy(c, region, nameOnCloud);
        } catch (e) {
          leftovers.push(`resource policy ${placementPolicyName(nameOnCloud)}: ${e instanceof Error ? e.message : String(e)}`);
        }
      }
      throw withCleanupNote(failure, leftovers);
    }
  }

  private zoneOf(handle: ClusterHandle): string {
    return handle.zone ?? `${handle.region}-a`;
  }

  async query(handle: ClusterHandle): Promise<NodeInfo[]> {
    const c = this.clients();
    try {
      return this.nodes(handle, await this.list(c, this.zoneOf(handle), handle.nameOnCloud));
    } catch (err) {
      throw mapGcpError(err, { region: handle.region, zone: handle.zone });
    }
  }

  /**
   * Every handle in one aggregated list of the project's SkyDeck instances (the managed-jobs
   * probe): instances carrying the cluster label in any zone, paginated, then each handle's
   * own label value in its own zone, as `query` lists them.
   */
  async queryMany(handles: ClusterHandle[]): Promise<(NodeInfo[] | undefined)[]> {
    let c: GcpClients;
    try {
      c = this.clients();
    } catch {
      return handles.map(() => undefined);
    }
    return queryByGroup(
      handles,
      () => c.project,
      () => this.listLabelled(c),
      (h, byZone) =>
        this.nodes(
          h,
          (byZone.get(this.zoneOf(h)) ?? []).filter((i) => i.labels?.[CLUSTER_LABEL] === gcpLabel(h.nameOnCloud)),
        ),
    );
  }

  /** The project's instances that carry the cluster label, by zone, from one paginated aggregated list. */
  private async listLabelled(c: GcpClients): Promise<Map<string, Instance[]>> {
    const byZone = new Map<string, Instance[]>();
    for await (const [scope, list] of c.instances.aggregatedListAsync({ project: c.project, filter: `labels.${CLUSTER_LABEL}:*` }, { autoPaginate: false })) {
      if (list.instances?.length) byZone.set(scope.replace(/^zones\//, ''), list.instances);
    }
    return byZone;
  }

  async stop(handle: ClusterHandle): Promise<void> {
    if ((handle.data as Partial<GcpHandleData>).useSpot) {
      throw new SkyDeckError('NOT_SUPPORTED', `Cluster '${handle.clusterName}' runs on spot VMs, which SkyDeck does not stop.`, {
        hint: `Use \`skydeck down ${handle.clusterName}\` to delete it.`,
      });
    }
    const c = this.clients();
    const zone = this.zoneOf(handle);
    try {
      const items = await this.list(c, zone, handle.nameOnCloud);
      await Promise.all(
        items
          .filter((i) => ['running', 'pending'].includes(nodeState(i.status)))
          .map(async (i) => {
            const [op] = await c.instances.stop({ project: c.project, zone, instance: i.name as string });
            await this.waitOp(c, op.latestResponse as Operation, zone);
          }),
      );
      await pollUntil(
        `${handle.clusterName} to stop`,
        async () => ((await this.list(c, zone, handle.nameOnCloud)).every((i) => nodeState(i.status) === 'stopped') ? true : undefined),
        this.timing,
      );
    } catch (err) {
      throw mapGcpError(err, { region: handle.region, zone });
    }
  }

  async start(handle: ClusterHandle): Promise<ClusterHandle> {
    const c = this.clients();
    const zone = this.zoneOf(handle);
    try {
      const items = await this.list(c, zone, handle.nameOnCloud);
      if (!items.length) {
        throw new SkyDeckError('CLUSTER_GONE', `No instances of '${handle.clusterName}' remain on GCP ${zone}.`, {
          hint: `They were deleted outside SkyDeck; run \`skydeck down ${handle.clusterName}\` and launch again.`,
        });
      }
      await pollUntil(
        `${handle.clusterName} to finish stopping`,
        async () => ((await this.list(c, zone, handle.nameOnCloud)).some((i) => i.status === 'STOPPING') ? undefined : true),
        this.timing,
      );
      for (const i of items.filter((x) => nodeState(x.status) !== 'running')) {
        const [op] = await c.instances.start({ project: c.project, zone, instance: i.name as string });
        await this.waitOp(c, op.latestResponse as Operation, zone);
      }
      const running = await this.waitRunning(c, zone, handle.nameOnCloud, items.length);
      await waitForNodesSsh(this.nodes(handle, running), this.options);
      return handle;
    } catch (err) {
      if (err instanceof SkyDeckError && !(err instanceof ProvisionError)) throw err;
      throw normaliseLaunchError(err, 'GCP', zone, (e) => mapGcpError(e, { region: handle.region, zone }));
    }
  }

  async terminate(handle: ClusterHandle): Promise<void> {
    const c = this.clients();
    const zone = this.zoneOf(handle);
    try {
      const items = await this.list(c, zone, handle.nameOnCloud);
      await this.deleteInstances(
        c,
        zone,
        items.map((i) => i.name as string),
      );
      await this.deleteFirewall(c, handle.nameOnCloud);
      await this.deletePlacementPolicy(c, handle.region, handle.nameOnCloud);
      const remaining = (await this.list(c, zone, handle.nameOnCloud)).map((i) => `instance ${i.name}`);
      try {
        await c.firewalls.get({ project: c.project, firewall: firewallName(handle.nameOnCloud) });
        remaining.push(`firewall ${firewallName(handle.nameOnCloud)}`);
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
      if (remaining.length) {
        throw new SkyDeckError('TERMINATE_INCOMPLETE', `GCP ${zone}: ${remaining.join(', ')} of cluster '${handle.clusterName}' still exist after delete.`, {
          hint: 'Run `skydeck down` again, or remove them in the Google Cloud console.',
        });
      }
    } catch (err) {
      if (err instanceof SkyDeckError && !(err instanceof ProvisionError)) throw err;
      throw mapGcpError(err, { region: handle.region, zone });
    }
  }

  /**
   * A cluster launched elsewhere (a controller, found from a second machine): its instances in
   * any zone of the project, by label, in one aggregated list; the zone they are in makes the handle.
   */
  async findCluster(clusterName: string, nameOnCloud: string): Promise<ClusterHandle | undefined> {
    const c = this.clients();
    const pages = c.instances.aggregatedListAsync({ project: c.project, filter: `labels.${CLUSTER_LABEL} = ${gcpLabel(nameOnCloud)}` });
    for await (const [scope, list] of pages) {
      const first = list.instances?.[0];
      if (!first) continue;
      const zone = scope.replace(/^zones\//, '');
      const region = zone.replace(/-[a-z]$/, '');
      let network: NodeNetworking | undefined;
      try {
        network = networkingFor('gcp', region);
      } catch {
        network = undefined;
      }
      const data: GcpHandleData = {
        project: c.project,
        useSpot: first.scheduling?.provisioningModel === 'SPOT',
        sshUser: SSH_USER,
        identityFile: defaultIdentityFile(),
        firewall: firewallName(nameOnCloud),
        network,
      };
      return { clusterName, nameOnCloud, provider: 'gcp', region, zone, data: { ...data } };
    }
    return undefined;
  }

  async openPorts(handle: ClusterHandle, ports: string[]): Promise<void> {
    const c = this.clients();
    try {
      await this.ensureFirewall(c, handle.nameOnCloud, ports);
    } catch (err) {
      throw mapGcpError(err, { region: handle.region, zone: handle.zone });
    }
  }

  transport(_handle: ClusterHandle, node: NodeInfo): Transport {
    return sshTransportFor(node);
  }
}
