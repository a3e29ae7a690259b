/**
 * The Kubernetes provider: each cluster node is a pod (labels skydeck-cluster=<nameOnCloud>,
 * skydeck-rank=<i>) in the context's namespace; the context is the "region". Pods cannot
 * stop (autodown only). Commands reach pods over the exec API (./execTransport).
 */
import * as k8s from '@kubernetes/client-node';
import type { V1NodeSelectorTerm, V1Pod } from '@kubernetes/client-node';
import { CancelledError, InputError, SkyDeckError, errorMessage } from '../../errors';
import type {
  ClusterHandle,
  CredentialCheck,
  GpuAvailability,
  LaunchRequest,
  ManagesVolumes,
  NodeInfo,
  NodeState,
  Provider,
  ReportsGpuAvailability,
  VolumeCreateRequest,
  VolumeCreated,
} from '../provider';
import { ProvisionError } from '../provider';
import type { Transport } from '../../node/transport';
import { parsePorts } from '../../vmShared/ports';
import { defaultIdentityFile } from '../../vmShared/transport';
import { queryByGroup } from '../../vmShared/groupedQuery';
import { CloudTimeoutError } from '../../vmShared/poll';
import { allowedNodesExpressions, allowedNodesSource, applyAllowedNodesAffinity, filterAllowedNodes } from './allowedNodes';
import { kubernetesSettings, type KubernetesSettings } from './config';
import { resolveContext, scanKubeconfig, type KubeContext } from './contexts';
import { apiMessage, fuseRefused, httpCode, mapKubernetesError } from './errors';
import { KubernetesExecTransport } from './execTransport';
import { acceleratorMatches, detectScheme, GPU_LABEL_SCHEMES, nodeAccelerator } from './gpuLabels';
import { computeGpuAvailability, gpuResourceKey } from './gpuAvailability';
import { parseInstanceType, type PodShape } from './instanceType';
import { MISSING_KUBECONFIG, existingKubeconfigs } from './kubeconfigFiles';
import { buildPod, CLUSTER_LABEL, CONTAINER_NAME, containerImage, DEFAULT_SERVICE_ACCOUNT, labelValue, podIdentity, podName, RANK_LABEL } from './podSpec';
import { FUSE_DEVICE_RESOURCE, grantFuseAccess, type FuseAccess } from './podSpec';
import { followPods, listPods, waitForPods, type PodSource, type Verdict } from './podWatch';
import { runPostProvisionCommands } from './postProvision';
import { ensureDefaultServiceAccount } from './serviceAccount';
import { sshEndpointFor } from './sshProxy';
import { createPvc, deletePvc } from './volumes';

/** What the provider keeps in ClusterHandle.data. */
export interface KubernetesHandleData {
  context: string;
  namespace: string;
  numNodes: number;
  service?: string;
  /** PVCs the pods mount (a reused cluster cannot gain more). */
  volumes?: string[];
  [key: string]: unknown;
}

interface Clients extends PodSource {
  ctx: KubeContext;
}

/** Container states that will not fix themselves: fail the launch instead of waiting out the timeout. */
const FATAL_WAITING = new Set([
  'ErrImagePull',
  'ImagePullBackOff',
  'InvalidImageName',
  'CreateContainerConfigError',
  'CreateContainerError',
  'CrashLoopBackOff',
  'RunContainerError',
]);

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new CloudTimeoutError(what, Math.round(ms / 1000))), ms);
      timer.unref?.();
    }),
  ]);
}

function clusterSelector(nameOnCloud: string): string {
  return `${CLUSTER_LABEL}=${labelValue(nameOnCloud)}`;
}

/** A selector too long for some proxies in front of API servers: past it, the label's presence is selected and the values matched here. */
const MAX_SELECTOR_CHARS = 4000;

/** The pods of any of the clusters: `skydeck-cluster in (a,b)`, or every SkyDeck pod when that would be too long. */
function clustersSelector(namesOnCloud: readonly string[]): string {
  const set = `${CLUSTER_LABEL} in (${[...new Set(namesOnCloud.map(labelValue))].join(',')})`;
  return set.length <= MAX_SELECTOR_CHARS ? set : CLUSTER_LABEL;
}

function podState(pod: V1Pod): NodeState {
  if (pod.metadata?.deletionTimestamp) return 'terminated';
  switch (pod.status?.phase) {
    case 'Running':
      return 'running';
    case 'Pending':
      return 'pending';
    default:
      return 'terminated'; // Succeeded, Failed, Unknown: the node is gone for good
  }
}

function podsToNodes(pods: Iterable<V1Pod>, context: string, namespace: string): NodeInfo[] {
  const nodes: NodeInfo[] = [];
  for (const pod of pods) {
    const rank = Number(pod.metadata?.labels?.[RANK_LABEL] ?? NaN);
    const id = pod.metadata?.name ?? '';
    const state = podState(pod);
    const node: NodeInfo = { id, rank: Number.isFinite(rank) ? rank : 1000 + nodes.length, state, internalIp: pod.status?.podIP ?? '' };
    if (state === 'running') node.ssh = sshEndpointFor(context, namespace, id, defaultIdentityFile());
    nodes.push(node);
  }
  return nodes.sort((a, b) => a.rank - b.rank);
}

/** Why a pending pod cannot be scheduled (the scheduler's PodScheduled=False condition), if so. */
function unschedulableReason(pod: V1Pod): string | undefined {
  const c = pod.status?.conditions?.find((x) => x.type === 'PodScheduled');
  if (c && c.status === 'False' && c.reason === 'Unschedulable') return c.message ?? 'Unschedulable';
  return undefined;
}

function fatalContainerProblem(pod: V1Pod): string | undefined {
  for (const cs of pod.status?.containerStatuses ?? []) {
    const w = cs.state?.waiting;
    if (w?.reason && FATAL_WAITING.has(w.reason)) return `${w.reason}${w.message ? `: ${w.message}` : ''}`;
    const t = cs.state?.terminated;
    if (t) return `container exited (${t.reason ?? 'terminated'}, code ${t.exitCode})`;
  }
  return undefined;
}

export class KubernetesProvider implements Provider, ReportsGpuAvailability, ManagesVolumes {
  readonly name = 'kubernetes';
  readonly canStop = false;
  private readonly contexts = new Map<string, Clients>();

  constructor(private readonly settings: (context?: string) => KubernetesSettings = (context) => kubernetesSettings(process.env, context)) {}

  private clients(context: string | undefined): Clients {
    const key = context ?? '';
    let c = this.contexts.get(key);
    if (!c) {
      const ctx = resolveContext(context);
      c = { ctx, config: ctx.config, core: ctx.config.makeApiClient(k8s.CoreV1Api), namespace: ctx.namespace };
      this.contexts.set(key, c);
    }
    return c;
  }

  /** The context's clients in the namespace `kubernetes.namespace` names, else the context's own (SkyPilot's order). */
  private configuredClients(context: string | undefined): Clients {
    const c = this.clients(context);
    const namespace = this.settings(c.ctx.name).namespace;
    return namespace && namespace !== c.namespace ? { ...c, namespace } : c;
  }

  private handleClients(handle: ClusterHandle): Clients {
    const data = handle.data as Partial<KubernetesHandleData>;
    const c = this.clients(data.context ?? handle.region);
    return data.namespace && data.namespace !== c.namespace ? { ...c, namespace: data.namespace } : c;
  }

  async check(): Promise<CredentialCheck> {
    if (existingKubeconfigs().length === 0) return { enabled: false, reason: MISSING_KUBECONFIG };
    const scan = scanKubeconfig();
    if (scan.contexts.length === 0) {
      return {
        enabled: false,
        reason: `No contexts in ${existingKubeconfigs().join(', ')}${scan.problems.length ? ` (${scan.problems.join('; ')})` : ''}. Add one with \`kubectl config set-context\`.`,
      };
    }
    const timeout = this.settings().apiTimeoutMs;
    const rows = await Promise.all(
      scan.contexts.map(async (ctx) => {
        try {
          const namespace = this.settings(ctx.name).namespace ?? ctx.namespace;
          const v = await withTimeout(ctx.config.makeApiClient(k8s.VersionApi).getCode(), timeout, `the API server of '${ctx.name}'`);
          // Answering /version is not enough: the namespace must be usable with these credentials.
          await withTimeout(ctx.config.makeApiClient(k8s.CoreV1Api).listNamespacedPod({ namespace, limit: 1 }), timeout, `pods in '${ctx.name}'`);
          return { ok: true, text: `k8s/${ctx.name}: API answers (${v.gitVersion}), namespace ${namespace}` };
        } catch (e) {
          const code = httpCode(e);
          const why =
            code === 401
              ? 'credentials rejected (401)'
              : code === 403
                ? `forbidden (403): ${apiMessage(e)}`
                : code
                  ? `HTTP ${code}: ${apiMessage(e)}`
                  : `API does not answer: ${apiMessage(e)}`;
          return { ok: false, text: `k8s/${ctx.name}: ${why}` };
        }
      }),
    );
    const ok = rows.filter((r) => r.ok).length;
    return {
      enabled: ok > 0,
      reason: `${ok} of ${rows.length} context(s) usable${scan.currentContext ? ` (current: ${scan.currentContext})` : ''}. ${rows.map((r) => r.text).join('; ')}`,
    };
  }

  /**
   * The context's nodes: all of them, and the ones `kubernetes.allowed_nodes` lets pods use
   * (allowedNodes.ts); undefined when listing nodes is forbidden.
   */
  private async nodes(c: Clients, settings: KubernetesSettings): Promise<{ all: k8s.V1Node[]; allowed: k8s.V1Node[] } | undefined> {
    try {
      const all = (await c.core.listNode()).items;
      return { all, allowed: filterAllowedNodes(all, settings.allowedNodes) };
    } catch (e) {
      if (httpCode(e) !== 403) throw e;
      return undefined;
    }
  }

  /** Node affinity terms for the requested GPU type, from the labels on the allowed nodes. */
  private gpuAffinity(c: Clients, accelerator: string, nodes: k8s.V1Node[] | undefined): { terms: V1NodeSelectorTerm[]; key: string } {
    // Cannot see nodes: select on SkyPilot's own label, the one a user can apply by hand.
    if (!nodes)
      return { terms: [{ matchExpressions: [{ key: GPU_LABEL_SCHEMES[0].key, operator: 'In', values: [accelerator.toLowerCase()] }] }], key: 'nvidia.com/gpu' };
    const key = gpuResourceKey(nodes);
    const scheme = detectScheme(nodes.map((n) => n.metadata?.labels ?? {}));
    const found = new Set<string>();
    const values = new Set<string>();
    for (const n of nodes) {
      const name = nodeAccelerator(n.metadata?.labels ?? {}, scheme);
      if (!name) continue;
      found.add(name);
      if (acceleratorMatches(accelerator, name)) values.add(n.metadata!.labels![scheme!.key]);
    }
    if (!scheme || values.size === 0) {
      throw new ProvisionError(
        'capacity',
        'region',
        `Kubernetes context '${c.ctx.name}' has no ${this.settings(c.ctx.name).allowedNodes ? 'allowed ' : ''}node with GPU ${accelerator}${found.size ? ` (it has: ${[...found].sort().join(', ')})` : ' (no labelled GPU nodes)'}.`,
        {
          hint: 'GPU nodes are recognised by the labels skypilot.co/accelerator, cloud.google.com/gke-accelerator, nvidia.com/gpu.product or gpu.nvidia.com/class.',
        },
      );
    }
    return { terms: [{ matchExpressions: [{ key: scheme.key, operator: 'In', values: [...values].sort() }] }], key };
  }

  /** FUSE through the device plugin when an allowed node offers it, else a privileged container (podSpec.ts grantFuseAccess). */
  private fuseAccess(nodes: k8s.V1Node[] | undefined): FuseAccess {
    return nodes?.some((n) => n.status?.allocatable?.[FUSE_DEVICE_RESOURCE] !== undefined) ? 'device-plugin' : 'privileged';
  }

  async launch(req: LaunchRequest): Promise<ClusterHandle> {
    let c: Clients;
    try {
      c = this.configuredClients(req.region);
    } catch (e) {
      throw new ProvisionError('config', 'region', errorMessage(e), { cause: e });
    }
    const context = c.ctx.name;
    const settings = this.settings(context);
    const selector = clusterSelector(req.nameOnCloud);
    const handle: ClusterHandle = {
      clusterName: req.clusterName,
      nameOnCloud: req.nameOnCloud,
      provider: 'kubernetes',
      region: context,
      data: {
        context,
        namespace: c.namespace,
        numNodes: req.numNodes,
        ...(req.volumes?.length ? { volumes: [...new Set(req.volumes.map((v) => v.nameOnInfra))] } : {}),
      } satisfies KubernetesHandleData,
    };
    let created = false;
    try {
      const elsewhere = req.volumes?.find((v) => v.namespace && v.namespace !== c.namespace);
      if (elsewhere)
        throw new ProvisionError(
          'config',
          'region',
          `volumes: PVC '${elsewhere.nameOnInfra}' is in namespace ${elsewhere.namespace}; the pods of context '${context}' run in ${c.namespace}.`,
          {
            hint: 'Create the volume in the namespace of the context the task runs in.',
          },
        );
      const shape: PodShape = parseInstanceType(req.instanceType);
      if (req.accelerators) shape.accelerator = req.accelerators;
      const ports = parsePorts(req.ports).flatMap((r) => (r.to - r.from < 64 ? Array.from({ length: r.to - r.from + 1 }, (_, i) => r.from + i) : [r.from]));
      const existing = await listPods(c, selector);
      const names = Array.from({ length: req.numNodes }, (_, i) => podName(req.nameOnCloud, i));
      const reusable = names.every((n) => existing.pods.get(n) && podState(existing.pods.get(n)!) === 'running') && existing.pods.size === names.length;
      if (!reusable) {
        if (existing.pods.size) {
          req.onProgress?.(`Removing ${existing.pods.size} leftover pod(s) of ${req.nameOnCloud}.`);
          await this.deleteAndVerify(c, selector, req.signal);
        }
        const needNodes = !!shape.accelerator || !!req.requiresFuse || !!settings.allowedNodes;
        const nodes = needNodes ? await this.nodes(c, settings) : undefined;
        const allowedNodes = settings.allowedNodes;
        if (allowedNodes && (allowedNodes.names.length || allowedNodes.ips.length) && !nodes)
          throw new ProvisionError(
            'config',
            'region',
            `${allowedNodesSource(context)} names nodes, but listing the nodes of context '${context}' is forbidden.`,
          );
        const gpu = shape.accelerator ? this.gpuAffinity(c, shape.accelerator.name, nodes?.allowed) : { terms: [], key: 'nvidia.com/gpu' };
        const fuse = req.requiresFuse ? this.fuseAccess(nodes?.allowed) : undefined;
        const allowedAffinity = allowedNodesExpressions(allowedNodes, nodes?.all ?? [], context);
        req.onProgress?.(`Creating ${req.numNodes} pod(s) in ${context}/${c.namespace}.`);
        created = true;
        for (let rank = 0; rank < req.numNodes; rank++) {
          if (req.signal?.aborted) throw new CancelledError('Launch');
          const pod = buildPod({
            identity: podIdentity(settings.remoteIdentity),
            resourceLimitsMultiplier: settings.resourceLimitsMultiplier,
            name: names[rank],
            namespace: c.namespace,
            nameOnCloud: req.nameOnCloud,
            clusterName: req.clusterName,
            rank,
            shape,
            image: containerImage(req.imageId),
            gpuResourceKey: gpu.key,
            gpuAffinity: gpu.terms,
            ports,
            userLabels: req.labels,
            sshPublicKey: req.sshPublicKey,
            podConfig: settings.podConfig,
            customMetadata: settings.customMetadata,
            volumes: req.volumes?.map((v) => ({ mountPath: v.mountPath, claimName: v.nameOnInfra, subPath: v.subPath, readOnly: v.readOnly })),
          });
          // After pod_config, as SkyPilot decides: only its own account is set up by it.
          if (rank === 0 && pod.spec?.serviceAccountName === DEFAULT_SERVICE_ACCOUNT) await ensureDefaultServiceAccount(c.config, context, c.namespace);
          // After pod_config, as SkyPilot: ANDed with every node affinity the pod has by then.
          applyAllowedNodesAffinity(pod, allowedAffinity);
          const body = fuse ? grantFuseAccess(pod, fuse) : pod;
          await c.core.createNamespacedPod({ namespace: c.namespace, body }).catch((e: unknown) => {
            throw (fuse && fuseRefused(e, context, fuse)) || e;
          });
        }
      }
      req.onProgress?.('Waiting for the pods to run.');
      const start = Date.now();
      const graceMs = settings.provisionTimeoutSeconds * 1000;
      await waitForPods(c, selector, (pods, now) => this.launchVerdict(context, names, pods, now, start + graceMs), {
        timeoutMs: settings.launchTimeoutSeconds * 1000,
        signal: req.signal,
        what: `pods of ${req.nameOnCloud} in ${context} to run`,
      });
      if (!reusable && settings.postProvisionRuncmd.length) {
        req.onProgress?.(`Running kubernetes.post_provision_runcmd in ${req.numNodes} pod(s).`);
        const pods = names.map((name) => ({ name, transport: this.podTransport(c, name) }));
        await runPostProvisionCommands(pods, settings.postProvisionRuncmd, context);
      }
      return handle;
    } catch (err) {
      let mapped = mapKubernetesError(err, context);
      if (err instanceof CloudTimeoutError)
        mapped = new ProvisionError('unreachable', 'region', `Kubernetes context '${context}': ${err.message}`, { cause: err });
      if (created) {
        try {
          await this.deleteAndVerify(c, selector);
        } catch (e) {
          if (mapped instanceof Error) mapped.message += ` (cleanup also failed: ${errorMessage(e)})`;
        }
      }
      throw mapped;
    }
  }

  private launchVerdict(context: string, names: string[], pods: Map<string, V1Pod>, now: number, unschedulableDeadline: number): Verdict<void> {
    let pendingUnschedulable: string | undefined;
    for (const name of names) {
      const pod = pods.get(name);
      if (!pod) return { error: new ProvisionError('other', 'region', `Pod ${name} in context '${context}' disappeared during the launch.`) };
      if (pod.status?.phase === 'Failed' || pod.status?.phase === 'Succeeded') {
        return {
          error: new ProvisionError(
            'other',
            'region',
            `Pod ${name} in context '${context}' ended (${pod.status.phase}${pod.status.reason ? `: ${pod.status.reason}` : ''}) before it was ready.`,
          ),
        };
      }
      const fatal = fatalContainerProblem(pod);
      if (fatal)
        return {
          error: new ProvisionError('config', 'region', `Pod ${name} in context '${context}' cannot start: ${fatal}`, {
            hint: 'Check image_id (the image must exist and be pullable from the cluster).',
          }),
        };
      const why = unschedulableReason(pod);
      if (why) pendingUnschedulable ??= `${name}: ${why}`;
    }
    if (pendingUnschedulable) {
      if (now >= unschedulableDeadline) {
        const quota = /quota/i.test(pendingUnschedulable);
        return {
          error: new ProvisionError(
            quota ? 'quota' : 'capacity',
            'region',
            `Kubernetes context '${context}' cannot schedule the pods (${pendingUnschedulable}).`,
            {
              hint: 'Free resources in the cluster, ask for fewer CPUs/memory/GPUs, or let failover try other infra.',
            },
          ),
        };
      }
      return { wakeAt: unschedulableDeadline };
    }
    const allRunning = names.every((n) => {
      const pod = pods.get(n)!;
      return pod.status?.phase === 'Running' && !pod.metadata?.deletionTimestamp && (pod.status.containerStatuses ?? []).every((cs) => cs.ready !== false);
    });
    return allRunning ? { done: undefined } : {};
  }

  async query(handle: ClusterHandle): Promise<NodeInfo[]> {
    const c = this.handleClients(handle);
    const { pods } = await listPods(c, clusterSelector(handle.nameOnCloud));
    return podsToNodes(pods.values(), c.ctx.name, c.namespace);
  }

  /**
   * One pod list per context and namespace for all the handles there (the managed-jobs probe),
   * selecting their cluster labels; each handle's pods become nodes as in `query`.
   */
  async queryMany(handles: ClusterHandle[]): Promise<(NodeInfo[] | undefined)[]> {
    return queryByGroup(
      handles,
      (h) => {
        const c = this.handleClients(h);
        return JSON.stringify([c.ctx.name, c.namespace]);
      },
      async (group) => {
        const c = this.handleClients(group[0]);
        const { pods } = await listPods(c, clustersSelector(group.map((h) => h.nameOnCloud)));
        return { c, pods: [...pods.values()] };
      },
      (h, { c, pods }) => {
        const value = labelValue(h.nameOnCloud);
        return podsToNodes(
          pods.filter((p) => p.metadata?.labels?.[CLUSTER_LABEL] === value),
          c.ctx.name,
          c.namespace,
        );
      },
    );
  }

  /**
   * Watch-based status: calls `onChange` with the cluster's nodes now and after every pod
   * change the API server reports. Returns a function that stops watching.
   */
  watchNodes(handle: ClusterHandle, onChange: (nodes: NodeInfo[]) => void, onError: (err: unknown) => void = () => undefined): () => void {
    const c = this.handleClients(handle);
    return followPods(c, clusterSelector(handle.nameOnCloud), (pods) => onChange(podsToNodes(pods.values(), c.ctx.name, c.namespace)), onError);
  }

  async stop(handle: ClusterHandle): Promise<void> {
    throw new InputError(`Cluster '${handle.clusterName}' runs on Kubernetes, where pods cannot be stopped.`, {
      hint: 'Use `skydeck down` (or autostop with --down).',
    });
  }

  async start(handle: ClusterHandle): Promise<ClusterHandle> {
    throw new InputError(`Cluster '${handle.clusterName}' runs on Kubernetes, where pods cannot be stopped or started.`, { hint: 'Launch it again instead.' });
  }

  /** Deletes every pod and service labelled for the cluster, then waits until none remain. */
  async terminate(handle: ClusterHandle): Promise<void> {
    const c = this.handleClients(handle);
    await this.deleteAndVerify(c, clusterSelector(handle.nameOnCloud));
  }

  private async deleteAndVerify(c: Clients, selector: string, signal?: AbortSignal): Promise<void> {
    const ignore404 = (e: unknown): void => {
      if (httpCode(e) !== 404) throw e;
    };
    const services = await c.core.listNamespacedService({ namespace: c.namespace, labelSelector: selector });
    await Promise.all(
      services.items.map((s) => c.core.deleteNamespacedService({ namespace: c.namespace, name: s.metadata!.name! }).then(() => undefined, ignore404)),
    );
    const { pods } = await listPods(c, selector);
    await Promise.all([...pods.keys()].map((name) => c.core.deleteNamespacedPod({ namespace: c.namespace, name }).then(() => undefined, ignore404)));
    await waitForPods<void>(c, selector, (left): Verdict<void> => (left.size === 0 ? { done: undefined } : {}), {
      timeoutMs: this.settings().deleteTimeoutSeconds * 1000,
      signal,
      what: `the pods of ${selector} in ${c.ctx.name} to be deleted`,
    }).catch((e: unknown) => {
      if (e instanceof CloudTimeoutError)
        throw new SkyDeckError('K8S_DELETE_INCOMPLETE', `Pods labelled ${selector} still exist in ${c.ctx.name}/${c.namespace}: ${e.message}`, {
          hint: `Check with \`kubectl -n ${c.namespace} get pods -l ${selector}\` (finalizers?).`,
        });
      throw e;
    });
    const leftover = await c.core.listNamespacedService({ namespace: c.namespace, labelSelector: selector });
    if (leftover.items.length) throw new SkyDeckError('K8S_DELETE_INCOMPLETE', `Services labelled ${selector} still exist in ${c.ctx.name}/${c.namespace}.`);
  }

  /** podip (default): nothing to create; nodeport/loadbalancer: one Service selecting the head pod. */
  async openPorts(handle: ClusterHandle, ports: string[]): Promise<void> {
    const mode = this.settings().portsMode;
    if (mode === 'podip' || ports.length === 0) return;
    const c = this.handleClients(handle);
    const ranges = parsePorts(ports);
    const list = ranges.flatMap((r) => Array.from({ length: r.to - r.from + 1 }, (_, i) => r.from + i));
    if (list.length > 100) throw new InputError(`Too many ports (${list.length}) for a Kubernetes Service.`, { hint: 'Expose at most 100 ports.' });
    const name = `${handle.nameOnCloud.slice(0, 56)}-ports`;
    const body: k8s.V1Service = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name, namespace: c.namespace, labels: { [CLUSTER_LABEL]: labelValue(handle.nameOnCloud) } },
      spec: {
        type: mode === 'loadbalancer' ? 'LoadBalancer' : 'NodePort',
        selector: { [CLUSTER_LABEL]: labelValue(handle.nameOnCloud), [RANK_LABEL]: '0' },
        ports: list.map((p) => ({ name: `port-${p}`, port: p, targetPort: p, protocol: 'TCP' })),
      },
    };
    try {
      await c.core.createNamespacedService({ namespace: c.namespace, body });
    } catch (e) {
      if (httpCode(e) !== 409) throw mapKubernetesError(e, c.ctx.name);
      await c.core.replaceNamespacedService({
        namespace: c.namespace,
        name,
        body: {
          ...body,
          metadata: { ...body.metadata, resourceVersion: (await c.core.readNamespacedService({ namespace: c.namespace, name })).metadata?.resourceVersion },
        },
      });
    }
    handle.data.service = name;
  }

  async createVolume(request: VolumeCreateRequest): Promise<VolumeCreated> {
    const c = this.configuredClients(request.region);
    return createPvc(c.core, c.ctx.name, request.namespace ?? c.namespace, request);
  }

  async deleteVolume(volume: { region?: string; namespace?: string; nameOnInfra: string }): Promise<void> {
    const c = this.configuredClients(volume.region);
    await deletePvc(c.core, c.ctx.name, volume.namespace ?? c.namespace, volume.nameOnInfra);
  }

  transport(handle: ClusterHandle, node: NodeInfo): Transport {
    return this.podTransport(this.handleClients(handle), node.id);
  }

  private podTransport(c: Clients, pod: string): KubernetesExecTransport {
    return new KubernetesExecTransport({
      config: c.config,
      kubeconfigFile: c.ctx.file,
      context: c.ctx.name,
      namespace: c.namespace,
      pod,
      container: CONTAINER_NAME,
    });
  }

  /** Free GPUs per node on every kubeconfig context that answers (catalog-sources.md section 4). */
  async gpuAvailability(): Promise<GpuAvailability[]> {
    if (existingKubeconfigs().length === 0) return [];
    const timeout = this.settings().apiTimeoutMs;
    const scan = scanKubeconfig();
    const per = await Promise.all(
      scan.contexts.map(async (ctx) => {
        const core = ctx.config.makeApiClient(k8s.CoreV1Api);
        try {
          const nodes = (await withTimeout(core.listNode(), timeout, `nodes of ${ctx.name}`)).items;
          let pods: V1Pod[] | undefined;
          try {
            const fieldSelector = 'status.phase!=Succeeded,status.phase!=Failed,status.phase!=Unknown';
            pods = (await withTimeout(core.listPodForAllNamespaces({ fieldSelector }), timeout, `pods of ${ctx.name}`)).items;
          } catch (e) {
            if (httpCode(e) !== 403) throw e;
          }
          return computeGpuAvailability(`k8s/${ctx.name}`, filterAllowedNodes(nodes, this.settings(ctx.name).allowedNodes), pods);
        } catch {
          return []; // an unreachable context has nothing to show
        }
      }),
    );
    return per.flat();
  }
}
