/**
 * The `azure` provider (ARM through @azure/arm-compute, -network, -resources, -identity).
 * One resource group per cluster holds everything (NSG with the task's ports, VNet/subnet,
 * a public IP + NIC + VM per node), so down = delete the group. With `azure.vpc_name` the NICs
 * join that existing network's subnet instead (./vnet.ts) and carry the NSG themselves. Azure is provisioned per
 * region (no zones, like SkyPilot); a launch that fails halfway deletes what it created.
 */
import * as crypto from 'node:crypto';
import type { VirtualMachine, VirtualMachineInstanceView } from '@azure/arm-compute';
import type { NetworkInterface, PublicIPAddress, SecurityRule } from '@azure/arm-network';
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
import { azureClients, azureEndpointOverride, type AzureClients } from './clients';
import { findAzureCredentials } from './credentials';
import { azureErrorCode, isAzureNotFound, mapAzureError } from './errors';
import { chooseImage, CLUSTER_TAG, names, NODE_TYPE_TAG, SSH_USER, tagsFor, vmBody } from './spec';
import { withConfigLabels } from '../../config/cloudLabels';
import { remoteIdentityFor, type RemoteIdentity } from './nodeCredential';
import { networkingFor, RegionWithoutProxyError, type NodeNetworking } from '../../config/networking';
import { configuredSubnetId, configuredVnet } from './vnet';

interface AzureHandleData {
  resourceGroup: string;
  subscriptionId: string;
  sshUser: string;
  useSpot: boolean;
  identityFile: string;
  /** `azure.use_internal_ips` / `azure.ssh_proxy_command` as they were when the cluster was launched. */
  network?: NodeNetworking;
  /** `azure.remote_identity` for this cluster at launch: which credential its autostop action gets. */
  remoteIdentity?: RemoteIdentity;
}

/** The networking keys for a launch in `region`; a region a `{region: command}` mapping leaves out is not used. */
function launchNetworking(region: string): NodeNetworking {
  try {
    return networkingFor('azure', region);
  } catch (err) {
    if (err instanceof RegionWithoutProxyError) throw new ProvisionError('config', 'region', `Azure ${region}: ${err.message}`);
    throw err;
  }
}

const MSI_API = '2023-01-31';
const ROLE_API = '2022-04-01';
/** Azure's built-in Contributor role (what SkyPilot gives its per-cluster identity, on the cluster's group). */
const CONTRIBUTOR_ROLE = 'b24988ac-6180-42a0-ab88-20f7382dd24c';

function nodeState(power: string | undefined, provisioning: string | undefined): NodeState {
  switch (power) {
    case 'running':
      return 'running';
    case 'stopping':
    case 'deallocating':
      return 'stopping';
    case 'stopped':
    case 'deallocated':
      return 'stopped';
    default:
      return provisioning === 'Deleting' ? 'terminated' : 'pending';
  }
}

/** A VM's power state (`running`, `deallocated`, ...) from its instance view. */
function powerState(view: VirtualMachineInstanceView): string | undefined {
  return view.statuses
    ?.map((s) => s.code ?? '')
    .find((s) => s.startsWith('PowerState/'))
    ?.slice('PowerState/'.length);
}

/** Resources by their id, lower-cased (ARM ids are case-insensitive and echoed in any case). */
function byLowerId<T extends { id?: string }>(): { map: Map<string, T>; add: (r: T) => void } {
  const map = new Map<string, T>();
  return { map, add: (r) => map.set((r.id ?? '').toLowerCase(), r) };
}

/** The resource group named in an ARM id, lower-cased. */
function resourceGroupOf(id: string | undefined): string {
  return (/\/resourceGroups\/([^/]+)/i.exec(id ?? '')?.[1] ?? '').toLowerCase();
}

/** A VM as a node: its first NIC's private address, that NIC's public IP, its power state. */
function cloudInstance(vm: VirtualMachine, power: string | undefined, nics: Map<string, NetworkInterface>, ips: Map<string, PublicIPAddress>): CloudInstance {
  const nic = nics.get((vm.networkProfile?.networkInterfaces?.[0]?.id ?? '').toLowerCase());
  const ipc = nic?.ipConfigurations?.[0];
  const pub = ips.get((ipc?.publicIPAddress?.id ?? '').toLowerCase());
  return {
    id: vm.name as string,
    isHead: vm.tags?.[NODE_TYPE_TAG] === 'head',
    state: nodeState(power, vm.provisioningState),
    internalIp: ipc?.privateIPAddress,
    externalIp: pub?.ipAddress,
  };
}

/** A subscription's VMs, their power states, NICs and public IPs, by resource group (lower-cased). */
type SubscriptionView = Map<
  string,
  {
    vms: VirtualMachine[];
    power: Map<string, string | undefined>;
    nics: ReturnType<typeof byLowerId<NetworkInterface>>;
    ips: ReturnType<typeof byLowerId<PublicIPAddress>>;
  }
>;

function sshRule(): SecurityRule {
  return {
    name: 'skydeck-ssh',
    protocol: 'Tcp',
    access: 'Allow',
    direction: 'Inbound',
    priority: 1000,
    sourceAddressPrefix: '*',
    sourcePortRange: '*',
    destinationAddressPrefix: '*',
    destinationPortRange: '22',
  };
}

function portsRule(ports: string[]): SecurityRule {
  return {
    name: 'skydeck-ports',
    protocol: 'Tcp',
    access: 'Allow',
    direction: 'Inbound',
    priority: 1001,
    sourceAddressPrefix: '*',
    sourcePortRange: '*',
    destinationAddressPrefix: '*',
    destinationPortRanges: ports,
  };
}

export class AzureProvider implements Provider {
  readonly name = 'azure';
  readonly canStop = true;

  constructor(private readonly options: CloudProviderOptions = {}) {}

  private get timing() {
    return { timeoutMs: this.options.stateTimeoutMs ?? 15 * 60_000, intervalMs: this.options.pollIntervalMs ?? pollIntervalMs() };
  }

  /** LRO polling interval for the SDK's pollers. */
  private get lro() {
    return { updateIntervalInMs: this.timing.intervalMs };
  }

  private clients(): AzureClients {
    const creds = findAzureCredentials();
    if (!creds.found) throw new ProvisionError('auth', 'cloud', creds.description, { hint: 'Then run `skydeck check`.' });
    return azureClients(creds);
  }

  async check(): Promise<CredentialCheck> {
    const creds = findAzureCredentials();
    if (!creds.found) return { enabled: false, reason: creds.description };
    const where = azureEndpointOverride() ? ` at ${azureEndpointOverride()}` : '';
    try {
      const c = azureClients(creds);
      const it = c.resources.resourceGroups.list({ top: 1 });
      await it.next();
      return { enabled: true, reason: `Using ${creds.description}; Azure Resource Manager${where} answered.` };
    } catch (err) {
      const msg = err instanceof Error ? err.message.split('\n')[0] : String(err);
      return { enabled: false, reason: `Found ${creds.description}, but Azure Resource Manager${where} refused: ${azureErrorCode(err)}: ${msg}` };
    }
  }

  private async listVms(c: AzureClients, rg: string): Promise<VirtualMachine[]> {
    const out: VirtualMachine[] = [];
    try {
      for await (const vm of c.compute.virtualMachines.list(rg)) out.push(vm);
    } catch (err) {
      if (isAzureNotFound(err)) return [];
      throw err;
    }
    return out;
  }

  private async instances(c: AzureClients, rg: string): Promise<CloudInstance[]> {
    const vms = await this.listVms(c, rg);
    if (!vms.length) return [];
    const nics = byLowerId<NetworkInterface>();
    const ips = byLowerId<PublicIPAddress>();
    for await (const nic of c.network.networkInterfaces.list(rg)) nics.add(nic);
    for await (const ip of c.network.publicIPAddresses.list(rg)) ips.add(ip);
    return Promise.all(
      vms.map(async (vm) => {
        let power: string | undefined;
        try {
          power = powerState(await c.compute.virtualMachines.instanceView(rg, vm.name as string));
        } catch (err) {
          if (!isAzureNotFound(err)) throw err;
        }
        return cloudInstance(vm, power, nics.map, ips.map);
      }),
    );
  }

  /**
   * Every VM, NIC and public IP of the subscription, and every VM's power state, in four
   * paginated subscription-wide lists (the managed-jobs probe: a cluster's own resource group
   * would cost one list per cluster, and its instance views one call per VM).
   */
  private async subscriptionView(c: AzureClients): Promise<SubscriptionView> {
    const all = async <T>(pages: AsyncIterable<T>): Promise<T[]> => {
      const out: T[] = [];
      for await (const x of pages) out.push(x);
      return out;
    };
    const [vms, statuses, nics, ips] = await Promise.all([
      all(c.compute.virtualMachines.listAll()),
      all(c.compute.virtualMachines.listAll({ statusOnly: 'true' })),
      all(c.network.networkInterfaces.listAll()),
      all(c.network.publicIPAddresses.listAll()),
    ]);
    const view: SubscriptionView = new Map();
    const groupOf = (id: string | undefined) => {
      const rg = resourceGroupOf(id);
      let g = view.get(rg);
      if (!g) view.set(rg, (g = { vms: [], power: new Map(), nics: byLowerId(), ips: byLowerId() }));
      return g;
    };
    for (const vm of vms) groupOf(vm.id).vms.push(vm);
    for (const vm of statuses) groupOf(vm.id).power.set((vm.id ?? '').toLowerCase(), vm.instanceView ? powerState(vm.instanceView) : undefined);
    for (const nic of nics) groupOf(nic.id).nics.add(nic);
    for (const ip of ips) groupOf(ip.id).ips.add(ip);
    return view;
  }

  /** What `instances` gives for resource group `rg`, out of the subscription's lists. */
  private instancesIn(view: SubscriptionView, rg: string): CloudInstance[] {
    const g = view.get(rg.toLowerCase());
    if (!g) return [];
    return g.vms.map((vm) => cloudInstance(vm, g.power.get((vm.id ?? '').toLowerCase()), g.nics.map, g.ips.map));
  }

  private nodes(handle: ClusterHandle, instances: CloudInstance[]): NodeInfo[] {
    const d = handle.data as Partial<AzureHandleData>;
    return toNodeInfos(instances, d.sshUser ?? SSH_USER, d.identityFile ?? defaultIdentityFile(), d.network);
  }

  private async createNode(
    c: AzureClients,
    request: LaunchRequest,
    rg: string,
    subnetId: string,
    vmName: string,
    role: 'head' | 'worker',
    image: string,
    internalIpsOnly: boolean,
    identity: string | undefined,
    /** The NSG the NIC carries itself: a network SkyDeck does not own keeps its subnets as they are. */
    nicNsg: string | undefined,
  ): Promise<void> {
    const tags = tagsFor(request, role);
    // `azure.use_internal_ips`: the VM gets no public IP at all.
    const ip = internalIpsOnly
      ? undefined
      : await c.network.publicIPAddresses.beginCreateOrUpdateAndWait(
          rg,
          `${vmName}-ip`,
          { location: request.region, tags, sku: { name: 'Standard' }, publicIPAllocationMethod: 'Static' },
          this.lro,
        );
    const nic = await c.network.networkInterfaces.beginCreateOrUpdateAndWait(
      rg,
      `${vmName}-nic`,
      {
        location: request.region,
        tags,
        ipConfigurations: [{ name: 'ipconfig1', subnet: { id: subnetId }, ...(ip ? { publicIPAddress: { id: ip.id } } : {}) }],
        ...(nicNsg ? { networkSecurityGroup: { id: nicNsg } } : {}),
      },
      this.lro,
    );
    await c.compute.virtualMachines.createOrUpdate(rg, vmName, vmBody(request, vmName, role, nic.id as string, image, identity), this.lro);
  }

  /**
   * `azure.remote_identity` at launch: SERVICE_ACCOUNT creates the cluster's own user-assigned
   * identity in its resource group, Contributor on that group only (SkyPilot's per-cluster
   * identity and role), so the nodes can stop or delete the cluster; a named identity (its
   * resource id) is attached as it is. Returns the identity the VMs carry.
   */
  private async nodeIdentity(c: AzureClients, request: LaunchRequest, rg: string, identity: RemoteIdentity): Promise<string | undefined> {
    if (identity.mode !== 'managed') return undefined;
    if (identity.identity) {
      if (!/^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.ManagedIdentity\/userAssignedIdentities\/[^/]+$/i.test(identity.identity)) {
        throw new ProvisionError(
          'config',
          'cloud',
          `azure.remote_identity: '${identity.identity}' is not LOCAL_CREDENTIALS, SERVICE_ACCOUNT, NO_UPLOAD or a user-assigned identity's resource id.`,
          { hint: 'Use /subscriptions/<sub>/resourceGroups/<rg>/providers/Microsoft.ManagedIdentity/userAssignedIdentities/<name>.' },
        );
      }
      return identity.identity;
    }
    const groupId = `/subscriptions/${c.subscriptionId}/resourceGroups/${rg}`;
    const msiId = `${groupId}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${names(request.nameOnCloud).identity}`;
    // The SDK puts the id after its own slash.
    const msi = await c.resources.resources.beginCreateOrUpdateByIdAndWait(
      msiId.slice(1),
      MSI_API,
      { location: request.region, tags: tagsFor(request) },
      this.lro,
    );
    const principalId = (msi.properties as { principalId?: string } | undefined)?.principalId;
    // A deterministic name: launching the cluster again finds the same assignment.
    const hex = crypto.createHash('sha256').update(msiId.toLowerCase()).digest('hex');
    const assignment = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
    const assign = () =>
      c.resources.resources.beginCreateOrUpdateByIdAndWait(
        `${groupId.slice(1)}/providers/Microsoft.Authorization/roleAssignments/${assignment}`,
        ROLE_API,
        {
          properties: {
            roleDefinitionId: `/subscriptions/${c.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${CONTRIBUTOR_ROLE}`,
            principalId,
            principalType: 'ServicePrincipal',
          },
        },
        this.lro,
      );
    // A new identity takes a while to replicate to the directory the role assignment checks.
    await pollUntil(
      `the role assignment of ${names(request.nameOnCloud).identity}`,
      () =>
        assign().then(
          () => true,
          (err: unknown) => (azureErrorCode(err) === 'PrincipalNotFound' ? undefined : Promise.reject(err)),
        ),
      { timeoutMs: 5 * 60_000, intervalMs: this.timing.intervalMs, signal: request.signal },
    );
    return msiId;
  }

  /** The cluster's own VNet (in its group, deleted with it), whose subnet carries the NSG. */
  private async ownSubnet(c: AzureClients, request: LaunchRequest, rg: string, nsgId: string): Promise<string> {
    const n = names(request.nameOnCloud);
    const vnet = await c.network.virtualNetworks.beginCreateOrUpdateAndWait(
      rg,
      n.vnet,
      {
        location: request.region,
        tags: tagsFor(request),
        addressSpace: { addressPrefixes: ['10.0.0.0/16'] },
        subnets: [{ name: n.subnet, addressPrefix: '10.0.0.0/24', networkSecurityGroup: { id: nsgId } }],
      },
      this.lro,
    );
    return vnet.subnets?.find((s) => s.name === n.subnet)?.id as string;
  }

  async launch(request: LaunchRequest): Promise<ClusterHandle> {
    request = { ...request, labels: withConfigLabels('azure', request.labels) };
    const c = this.clients();
    const { region, nameOnCloud } = request;
    const n = names(nameOnCloud);
    const rg = n.resourceGroup;
    const progress = (m: string) => request.onProgress?.(m);
    const network = launchNetworking(region);
    const remoteIdentity = remoteIdentityFor(request.clusterName);
    let createdGroup = false;
    const createdVms: string[] = [];
    try {
      // Before anything is created: a configured network that is not there is the user's to fix.
      const vpcName = configuredVnet();
      const sharedSubnet = vpcName ? await configuredSubnetId(c, region, vpcName) : undefined;
      const exists = (await c.resources.resourceGroups.checkExistence(rg)).body;
      if (exists) {
        const group = await c.resources.resourceGroups.get(rg);
        if (group.location && group.location.toLowerCase() !== region.toLowerCase()) {
          throw new ProvisionError('config', 'region', `Azure: cluster '${request.clusterName}' already exists in ${group.location}, not ${region}.`, {
            hint: `Use \`skydeck down ${request.clusterName}\` first to launch it elsewhere.`,
          });
        }
      }
      progress(`Preparing resource group ${rg} in Azure ${region}.`);
      await c.resources.resourceGroups.createOrUpdate(rg, { location: region, tags: tagsFor(request) });
      createdGroup = !exists;
      const nodeIdentity = await this.nodeIdentity(c, request, rg, remoteIdentity);
      const ports = parsePorts(request.ports).map(portRangeText);
      const nsg = await c.network.networkSecurityGroups.beginCreateOrUpdateAndWait(
        rg,
        n.nsg,
        { location: region, tags: tagsFor(request), securityRules: [sshRule(), ...(ports.length ? [portsRule(ports)] : [])] },
        this.lro,
      );
      const subnetId = sharedSubnet ?? (await this.ownSubnet(c, request, rg, nsg.id as string));

      const existing = await this.listVms(c, rg);
      for (const vm of existing) {
        progress(`Starting ${vm.name}.`);
        await c.compute.virtualMachines.start(rg, vm.name as string, this.lro);
      }
      const missing = request.numNodes - existing.length;
      if (missing > 0) {
        const image = chooseImage(request);
        const hasHead = existing.some((vm) => vm.tags?.[NODE_TYPE_TAG] === 'head');
        const suffix = crypto.randomBytes(2).toString('hex');
        const planned = Array.from({ length: missing }, (_, k) => {
          const role: 'head' | 'worker' = !hasHead && k === 0 ? 'head' : 'worker';
          return { role, vmName: role === 'head' ? `${nameOnCloud}-head` : `${nameOnCloud}-worker-${suffix}${k}` };
        });
        progress(`Creating ${missing} x ${request.instanceType}${request.useSpot ? ' (Spot)' : ''} in Azure ${region}.`);
        createdVms.push(...planned.map((p) => p.vmName));
        const results = await Promise.allSettled(
          planned.map((p) =>
            this.createNode(c, request, rg, subnetId, p.vmName, p.role, image, network.useInternalIps, nodeIdentity, sharedSubnet ? nsg.id : undefined),
          ),
        );
        const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
        if (failed) throw failed.reason;
      }
      const handle: ClusterHandle = {
        clusterName: request.clusterName,
        nameOnCloud,
        provider: 'azure',
        region,
        data: {
          resourceGroup: rg,
          subscriptionId: c.subscriptionId,
          sshUser: SSH_USER,
          useSpot: request.useSpot,
          identityFile: defaultIdentityFile(),
          network,
          // The node asks IMDS for the identity the VMs carry (SERVICE_ACCOUNT: the one created here).
          remoteIdentity: nodeIdentity ? { mode: 'managed', identity: nodeIdentity } : remoteIdentity,
        } satisfies AzureHandleData,
      };
      progress('Waiting for the VMs to be running.');
      const running = await pollUntil(
        `${request.numNodes} Azure VM(s) of ${nameOnCloud} to run`,
        async () => {
          const inst = await this.instances(c, rg);
          return inst.length >= request.numNodes && inst.every((i) => i.state === 'running' && i.internalIp) ? inst : undefined;
        },
        { ...this.timing, signal: request.signal },
      );
      progress('Waiting for SSH on every node.');
      const nodes = this.nodes(handle, running);
      await waitForNodesSsh(nodes, this.options, request.signal);
      // Azure publishes no host keys through its API (engine/vmShared/HOSTKEYS.md): the
      // first connection records them; what an earlier VM at a reused address left is dropped.
      await recordNewNodeHostKeys(nodes, new Set(createdVms), undefined);
      return handle;
    } catch (err) {
      const failure = normaliseLaunchError(err, 'Azure', region, (e) => mapAzureError(e, region));
      progress(`Launch failed; cleaning up what was created.`);
      const leftovers = await this.cleanup(c, rg, createdGroup, createdVms);
      throw withCleanupNote(failure, leftovers);
    }
  }

  private async cleanup(c: AzureClients, rg: string, wholeGroup: boolean, vms: string[]): Promise<string[]> {
    try {
      if (wholeGroup) {
        await c.resources.resourceGroups.beginDeleteAndWait(rg, this.lro);
      } else {
        for (const vm of vms) {
          await c.compute.virtualMachines.delete(rg, vm, this.lro).catch((e: unknown) => (isAzureNotFound(e) ? undefined : Promise.reject(e)));
          await c.network.networkInterfaces
            .beginDeleteAndWait(rg, `${vm}-nic`, this.lro)
            .catch((e: unknown) => (isAzureNotFound(e) ? undefined : Promise.reject(e)));
          await c.network.publicIPAddresses
            .beginDeleteAndWait(rg, `${vm}-ip`, this.lro)
            .catch((e: unknown) => (isAzureNotFound(e) ? undefined : Promise.reject(e)));
        }
      }
      return [];
    } catch (err) {
      if (isAzureNotFound(err)) return [];
      return [`resource group ${rg}: ${err instanceof Error ? err.message : String(err)}`];
    }
  }

  private rgOf(handle: ClusterHandle): string {
    return ((handle.data as Partial<AzureHandleData>).resourceGroup as string | undefined) ?? names(handle.nameOnCloud).resourceGroup;
  }

  async query(handle: ClusterHandle): Promise<NodeInfo[]> {
    const c = this.clients();
    try {
      return this.nodes(handle, await this.instances(c, this.rgOf(handle)));
    } catch (err) {
      throw mapAzureError(err, handle.region);
    }
  }

  /** All the handles from one set of subscription-wide lists (subscriptionView). */
  async queryMany(handles: ClusterHandle[]): Promise<(NodeInfo[] | undefined)[]> {
    let c: AzureClients;
    try {
      c = this.clients();
    } catch {
      return handles.map(() => undefined);
    }
    return queryByGroup(
      handles,
      () => c.subscriptionId,
      () => this.subscriptionView(c),
      (h, view) => this.nodes(h, this.instancesIn(view, this.rgOf(h))),
    );
  }

  async stop(handle: ClusterHandle): Promise<void> {
    if ((handle.data as Partial<AzureHandleData>).useSpot) {
      throw new SkyDeckError('NOT_SUPPORTED', `Cluster '${handle.clusterName}' runs on Spot VMs, which SkyDeck does not stop.`, {
        hint: `Use \`skydeck down ${handle.clusterName}\` to delete it.`,
      });
    }
    const c = this.clients();
    const rg = this.rgOf(handle);
    try {
      const vms = await this.listVms(c, rg);
      // Deallocate (not just power off), so compute is no longer billed, as SkyPilot does.
      await Promise.all(vms.map((vm) => c.compute.virtualMachines.deallocate(rg, vm.name as string, this.lro)));
    } catch (err) {
      throw mapAzureError(err, handle.region);
    }
  }

  async start(handle: ClusterHandle): Promise<ClusterHandle> {
    const c = this.clients();
    const rg = this.rgOf(handle);
    try {
      const vms = await this.listVms(c, rg);
      if (!vms.length) {
        throw new SkyDeckError('CLUSTER_GONE', `No VMs of '${handle.clusterName}' remain in Azure resource group ${rg}.`, {
          hint: `They were deleted outside SkyDeck; run \`skydeck down ${handle.clusterName}\` and launch again.`,
        });
      }
      await Promise.all(vms.map((vm) => c.compute.virtualMachines.start(rg, vm.name as string, this.lro)));
      const running = await pollUntil(
        `${handle.clusterName} to run`,
        async () => {
          const inst = await this.instances(c, rg);
          return inst.every((i) => i.state === 'running') ? inst : undefined;
        },
        this.timing,
      );
      await waitForNodesSsh(this.nodes(handle, running), this.options);
      return handle;
    } catch (err) {
      if (err instanceof SkyDeckError && !(err instanceof ProvisionError)) throw err;
      throw normaliseLaunchError(err, 'Azure', handle.region, (e) => mapAzureError(e, handle.region));
    }
  }

  async terminate(handle: ClusterHandle): Promise<void> {
    const c = this.clients();
    const rg = this.rgOf(handle);
    try {
      await c.resources.resourceGroups.beginDeleteAndWait(rg, this.lro).catch((e: unknown) => (isAzureNotFound(e) ? undefined : Promise.reject(e)));
      if ((await c.resources.resourceGroups.checkExistence(rg)).body) {
        throw new SkyDeckError('TERMINATE_INCOMPLETE', `Azure resource group ${rg} of cluster '${handle.clusterName}' still exists after delete.`, {
          hint: 'Run `skydeck down` again, or delete the resource group in the Azure portal.',
        });
      }
    } catch (err) {
      if (err instanceof SkyDeckError && !(err instanceof ProvisionError)) throw err;
      throw mapAzureError(err, handle.region);
    }
  }

  /**
   * A cluster launched elsewhere (a controller, found from a second machine): its resource
   * group follows from the name on the cloud, and SkyDeck's cluster tag on it confirms it is
   * that cluster's; the group's location is the region. Undefined when it holds no VM.
   */
  async findCluster(clusterName: string, nameOnCloud: string): Promise<ClusterHandle | undefined> {
    const c = this.clients();
    const rg = names(nameOnCloud).resourceGroup;
    try {
      if (!(await c.resources.resourceGroups.checkExistence(rg)).body) return undefined;
      const group = await c.resources.resourceGroups.get(rg);
      if (group.tags?.[CLUSTER_TAG] !== nameOnCloud || !group.location) return undefined;
      const vms = await this.listVms(c, rg);
      if (!vms.length) return undefined;
      const region = group.location;
      let network: NodeNetworking | undefined;
      try {
        network = networkingFor('azure', region);
      } catch {
        network = undefined;
      }
      const data: AzureHandleData = {
        resourceGroup: rg,
        subscriptionId: c.subscriptionId,
        sshUser: SSH_USER,
        useSpot: vms.some((vm) => vm.priority === 'Spot'),
        identityFile: defaultIdentityFile(),
        network,
      };
      return { clusterName, nameOnCloud, provider: 'azure', region, data: { ...data } };
    } catch (err) {
      throw mapAzureError(err, `resource group ${rg}`);
    }
  }

  async openPorts(handle: ClusterHandle, ports: string[]): Promise<void> {
    const c = this.clients();
    const rg = this.rgOf(handle);
    const n = names(handle.nameOnCloud);
    try {
      const nsg = await c.network.networkSecurityGroups.get(rg, n.nsg);
      const current = nsg.securityRules?.find((r) => r.name === n.portsRule)?.destinationPortRanges ?? [];
      const wanted = [...new Set([...current, ...parsePorts(ports).map(portRangeText)])];
      await c.network.securityRules.beginCreateOrUpdateAndWait(rg, n.nsg, n.portsRule, portsRule(wanted), this.lro);
    } catch (err) {
      throw mapAzureError(err, handle.region);
    }
  }

  transport(_handle: ClusterHandle, node: NodeInfo): Transport {
    return sshTransportFor(node);
  }
}
