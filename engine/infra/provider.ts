/**
 * The Provider interface: one per kind of infrastructure (local, ssh, kubernetes, aws,
 * gcp, azure). Providers never import each other; the registry (./registry) loads them
 * lazily so heavy SDKs are only evaluated on first use.
 */
import { SkyDeckError } from '../errors';
import type { Transport } from '../node/transport';

export type NodeState = 'pending' | 'running' | 'stopping' | 'stopped' | 'terminated';

/** How to reach a node over SSH (for ssh config / Remote-SSH and the SSH transport). */
export interface SshEndpoint {
  host: string;
  port: number;
  user: string;
  identityFile?: string;
  /** OpenSSH ProxyCommand (`%h`/`%p` tokens) that every connection to the node goes through. */
  proxyCommand?: string;
  /**
   * Where a user-configured proxyCommand came from (`aws.ssh_proxy_command (file:line)`), for
   * its errors; unset for SkyDeck's own proxies (the Kubernetes API server tunnel).
   */
  proxyCommandSource?: string;
}

export interface NodeInfo {
  /** Provider's id: instance id, pod name, local node dir name, host alias. */
  id: string;
  /** 0 is the head; ranks follow stable IP order. */
  rank: number;
  state: NodeState;
  internalIp: string;
  externalIp?: string;
  ssh?: SshEndpoint;
}

/** What the cluster engine stores about a provisioned cluster; `data` is the provider's own. */
export interface ClusterHandle {
  clusterName: string;
  /** Name used on the cloud (unique, truncated per cloud). */
  nameOnCloud: string;
  provider: string;
  region: string;
  zone?: string;
  data: Record<string, unknown>;
}

export interface LaunchRequest {
  clusterName: string;
  nameOnCloud: string;
  region: string;
  /** Zones to try in this call, in order (providers that batch zones may use several). */
  zones: string[];
  instanceType: string;
  accelerators?: { name: string; count: number };
  useSpot: boolean;
  numNodes: number;
  diskSizeGb: number;
  diskTier?: string;
  imageId?: string;
  ports: string[];
  labels: Record<string, string>;
  /** The public key (OpenSSH format) to authorize on the nodes. */
  sshPublicKey: string;
  /** The cluster's autostop, when set at launch: clouds choose the instances' shutdown behaviour from it. */
  autostop?: { down: boolean };
  /** Set when resuming an existing (stopped) cluster's handle. */
  existing?: ClusterHandle;
  /** Persistent volumes to attach to every node (Kubernetes: PVCs mounted into the pods). */
  volumes?: VolumeAttachment[];
  /** The task mounts buckets through FUSE (SkyPilot's requires_fuse): Kubernetes gives its pods FUSE access. */
  requiresFuse?: boolean;
  signal?: AbortSignal;
  onProgress?: (message: string) => void;
}

/** Providers that create persistent volumes themselves (Kubernetes: PVCs). */
export interface ManagesVolumes {
  createVolume(request: VolumeCreateRequest): Promise<VolumeCreated>;
  /** Deletes the volume; a volume already gone is not an error. */
  deleteVolume(volume: { region?: string; namespace?: string; nameOnInfra: string }): Promise<void>;
}

export interface VolumeCreateRequest {
  /** The context (undefined: the current one). */
  region?: string;
  nameOnInfra: string;
  sizeGi?: number;
  namespace?: string;
  storageClassName?: string;
  accessMode?: string;
  /** Adopt an existing volume of that name instead of creating one. */
  useExisting: boolean;
  labels: Record<string, string>;
}

export interface VolumeCreated {
  region: string;
  namespace: string;
  sizeGi?: number;
}

export function managesVolumes(p: unknown): p is ManagesVolumes {
  return typeof (p as ManagesVolumes | undefined)?.createVolume === 'function' && typeof (p as ManagesVolumes).deleteVolume === 'function';
}

/** Providers whose volumes are directories on the hosts they reach (SSH pools): deleting one removes it from every host. */
export interface HoldsVolumeDirs {
  /** Removes `dir` on every host of `pool`; one row per host, with what went wrong there. */
  removeVolumeDir(pool: string, dir: string): Promise<{ host: string; error?: string }[]>;
}

export function holdsVolumeDirs(p: unknown): p is HoldsVolumeDirs {
  return typeof (p as HoldsVolumeDirs | undefined)?.removeVolumeDir === 'function';
}

/** A volume a launch attaches (engine/volumes decides which and checks they fit the infra). */
export interface VolumeAttachment {
  /** Where the task sees it. */
  mountPath: string;
  /** The volume's name on the infra (the PVC's name on Kubernetes). */
  nameOnInfra: string;
  /** A directory inside the volume to mount instead of its root. */
  subPath?: string;
  /** Kubernetes: the PVC's namespace (the pods must run there). */
  namespace?: string;
  readOnly?: boolean;
}

export interface CredentialCheck {
  enabled: boolean;
  /** What was found, or why it is not enabled and what to do. */
  reason: string;
}

export interface Provider {
  /** 'local' | 'ssh' | 'kubernetes' | 'aws' | 'gcp' | 'azure' */
  readonly name: string;
  check(): Promise<CredentialCheck>;
  /** Provision (or resume) all nodes; resolves when every node is reachable. Throws ProvisionError. */
  launch(request: LaunchRequest): Promise<ClusterHandle>;
  /** Current nodes as the infrastructure reports them (empty when all are gone). */
  query(handle: ClusterHandle): Promise<NodeInfo[]>;
  /**
   * `query` of many clusters in as few infra calls as the infra allows (the managed-jobs
   * controller's probe of every cluster it watches); results in `handles` order, each what
   * `query` gives for it, undefined where a cluster's nodes could not be read (a list that
   * fails makes only its own clusters undefined: it does not reject). Absent: `query` per cluster.
   */
  queryMany?(handles: ClusterHandle[]): Promise<(NodeInfo[] | undefined)[]>;
  stop(handle: ClusterHandle): Promise<void>;
  start(handle: ClusterHandle): Promise<ClusterHandle>;
  /** Deletes everything created for the cluster; idempotent. */
  terminate(handle: ClusterHandle): Promise<void>;
  openPorts(handle: ClusterHandle, ports: string[]): Promise<void>;
  /** A transport to one node. */
  transport(handle: ClusterHandle, node: NodeInfo): Transport;
  /** Whether stop is supported (Kubernetes cannot stop: autodown only). */
  readonly canStop: boolean;
  /**
   * argv prefix the HEAD node runs to execute its one extra argument (a shell command line)
   * on `node`: the agent starts every rank of a job this way (engine/node/agent/spec.ts
   * JobNode.launcher). Default: `bash -c` on the head itself, ssh to the node's internal IP otherwise.
   */
  rankLauncher?(handle: ClusterHandle, node: NodeInfo): string[];
  /**
   * What a node's container (a `docker:` image, engine/cluster/containers.ts) needs from this
   * infra: host paths mounted at the same path, container env. `local` mounts the node's
   * directory, which is the node's HOME, so `~` is one place inside and out.
   */
  containerOptions?(handle: ClusterHandle, node: NodeInfo): { binds?: string[]; env?: Record<string, string> };
  /** Makes the nodes vanish without warning, as a cloud preempting spot VMs (`local` only; tests, rehearsal). */
  preempt?(handle: ClusterHandle): Promise<void>;
  /**
   * Autostop with no client: the shell command each node runs (workers first, then the head)
   * to stop or tear down itself through the infra's own mechanism (docs/AUTOSTOP.md), and the
   * files the head needs for it (engine/vmShared/cloudApiAutostop.ts). Absent: the client
   * carries autostop out at its next `status -r`. `down` is the setting the commands are for
   * (a provider may need more on the node to tear down than to stop).
   */
  autostopCommands?(handle: ClusterHandle, down?: boolean): AutostopCommands;
  /** Called when autostop is set, before the nodes need it (e.g. the instances' shutdown behaviour). */
  prepareAutostop?(handle: ClusterHandle, down: boolean): Promise<void>;
  /**
   * The handle of a cluster this machine has no record of, found on the infra by its name
   * (engine/controllers/discover.ts: a controller launched from another machine); undefined
   * when nothing of it exists. For infra whose handle needs more than a region (a GCP zone).
   */
  findCluster?(clusterName: string, nameOnCloud: string): Promise<ClusterHandle | undefined>;
}

/** What a node runs when its cluster's autostop fires (see Provider.autostopCommands). */
export interface AutostopCommands {
  stop: string;
  down: string;
  /**
   * What the commands need on the head (a program, its parameters, a credential): placed in
   * AUTOSTOP_FILES_DIR when autostop is set, replacing what an earlier setting left, and
   * removed when it is cancelled (engine/cluster/autostop.ts).
   */
  files?: AutostopFile[];
}

/** A file of AutostopCommands.files: `name` inside AUTOSTOP_FILES_DIR, mode 0600; never logged or stored. */
export interface AutostopFile {
  name: string;
  content: string | Buffer;
}

/** Where the head keeps its autostop files, relative to its HOME (0700). */
export const AUTOSTOP_FILES_DIR = '.skydeck_node/cloud-api';

/** How much of the infrastructure a provisioning failure rules out (SkyPilot's blocklist granularity). */
export type BlockScope = 'zone' | 'region' | 'cloud' | 'launchable';

export type ProvisionErrorKind = 'capacity' | 'quota' | 'auth' | 'config' | 'unreachable' | 'other';

export class ProvisionError extends SkyDeckError {
  constructor(
    readonly kind: ProvisionErrorKind,
    readonly scope: BlockScope,
    message: string,
    options?: { hint?: string; cause?: unknown },
  ) {
    super(`PROVISION_${kind.toUpperCase()}`, message, options);
  }
}

/**
 * Providers are separate bundles (dist/providers/*.js), so a ProvisionError thrown by one
 * is not `instanceof` the class the engine sees. Check by shape instead.
 */
export function isProvisionError(err: unknown): err is ProvisionError {
  return err instanceof Error && err.name === 'ProvisionError' && typeof (err as ProvisionError).scope === 'string';
}

/** GPUs free right now on infra that reports them (Kubernetes nodes, SSH node pools). */
export interface GpuAvailability {
  /** 'k8s/<context>' or 'ssh/<pool>'. */
  infra: string;
  node: string;
  accelerator: string;
  total: number;
  free: number;
}

/** Optional capability of providers with live capacity (kubernetes, ssh). */
export interface ReportsGpuAvailability {
  gpuAvailability(): Promise<GpuAvailability[]>;
}

/**
 * Whether an infra looks usable, from cheap local evidence only (environment variables,
 * credential files, kubeconfig, node pools): each provider's `detect.ts`, which loads no SDK
 * and calls nothing. The optimizer plans over these; `skydeck check` confirms with check().
 */
export interface InfraDetection {
  /** 'local', 'aws', 'gcp', 'azure', 'k8s/<context>', 'ssh/<pool>', or 'kubernetes' / 'ssh' when none was found. */
  infra: string;
  enabled: boolean;
  /** What was found, or why not and what to do. */
  reason: string;
}
