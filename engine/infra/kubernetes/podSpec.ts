/**
 * The pod for one cluster node: labels that name the cluster and rank, requests for
 * cpus/memory/GPUs, node affinity for the GPU type, and a container that authorizes the
 * SkyDeck key, starts sshd when the image has one (for Remote-SSH and multi-node ranks),
 * then idles. Pure: the provider decides names and the GPU affinity.
 *
 * `kubernetes.pod_config` is merged over it as SkyPilot does (config/merge.ts mergeK8s: the
 * user's pod spec wins, containers[0] merged, env/volumes by name), then `custom_metadata`
 * into its metadata; the name, namespace and SkyDeck's own labels are set last, as the
 * provider finds its pods by them.
 */
import type { V1NodeSelectorTerm, V1Pod, V1Volume, V1VolumeMount } from '@kubernetes/client-node';
import { mergeK8s } from '../../config/merge';
import type { ConfigMap } from '../../config/types';
import type { PodShape } from './instanceType';

export const CLUSTER_LABEL = 'skydeck-cluster';
export const RANK_LABEL = 'skydeck-rank';
export const CONTAINER_NAME = 'skydeck';
/** SkyPilot's default Kubernetes image (Ubuntu with sshd, conda, rsync). */
const DEFAULT_IMAGE = 'us-docker.pkg.dev/sky-dev-465/skypilotk8s/skypilot:latest';

/** Pod names: `<name>-head`, `<name>-worker<i>` (DNS-1123, at most 63 characters). */
export function podName(nameOnCloud: string, rank: number): string {
  const suffix = rank === 0 ? '-head' : `-worker${rank}`;
  return `${nameOnCloud.slice(0, 63 - suffix.length).replace(/-+$/, '')}${suffix}`;
}

/** Label values: at most 63 of [A-Za-z0-9._-], alphanumeric at both ends. */
export function labelValue(v: string): string {
  return v
    .replace(/[^A-Za-z0-9._-]/g, '-')
    .slice(0, 63)
    .replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '');
}

function labelKeyOk(k: string): boolean {
  return /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/.test(k);
}

/** `docker:<image>` or a plain image reference; the default otherwise. */
export function containerImage(imageId: string | undefined): string {
  if (!imageId) return DEFAULT_IMAGE;
  return imageId.replace(/^docker:/, '');
}

const STARTUP = [
  'set -u',
  'if [ -n "${SKYDECK_SSH_PUBLIC_KEY:-}" ]; then mkdir -p "$HOME/.ssh" && chmod 700 "$HOME/.ssh";',
  '  grep -qxF "$SKYDECK_SSH_PUBLIC_KEY" "$HOME/.ssh/authorized_keys" 2>/dev/null || printf "%s\\n" "$SKYDECK_SSH_PUBLIC_KEY" >> "$HOME/.ssh/authorized_keys";',
  '  chmod 600 "$HOME/.ssh/authorized_keys"; fi',
  'SSHD=$(command -v sshd || ls /usr/sbin/sshd 2>/dev/null || true)',
  'if [ -n "$SSHD" ]; then mkdir -p /run/sshd; ssh-keygen -A >/dev/null 2>&1 || true; "$SSHD" -p 22 || echo "skydeck: sshd did not start" >&2; fi',
  'trap "exit 0" TERM INT',
  'while :; do sleep 3600 & wait $!; done',
].join('\n');

export interface PodRequest {
  name: string;
  namespace: string;
  nameOnCloud: string;
  clusterName: string;
  rank: number;
  shape: PodShape;
  image: string;
  gpuResourceKey: string;
  /** ORed terms selecting nodes with the requested GPU type (empty: no affinity). */
  gpuAffinity: V1NodeSelectorTerm[];
  ports: number[];
  userLabels: Record<string, string>;
  sshPublicKey: string;
  /** `kubernetes.pod_config` of the configuration in force. */
  podConfig?: ConfigMap;
  /** `kubernetes.custom_metadata` (labels, annotations). */
  customMetadata?: ConfigMap;
  /** Persistent volume claims mounted into the container (the task's `volumes:`). */
  volumes?: PodVolume[];
  /** `kubernetes.set_pod_resource_limits`: cpu/memory limits = requests x this. */
  resourceLimitsMultiplier?: number;
  /** The pods' service account (`kubernetes.remote_identity`, see podIdentity). */
  identity?: PodIdentity;
}

/** What `kubernetes.remote_identity` makes of a pod's service account. */
export interface PodIdentity {
  serviceAccountName: string;
  automountServiceAccountToken: boolean;
}

/** The service account SkyPilot creates (with a Role and RoleBinding) for SERVICE_ACCOUNT. */
export const DEFAULT_SERVICE_ACCOUNT = 'skypilot-service-account';

/**
 * SkyPilot's mapping (sky/clouds/kubernetes.py): LOCAL_CREDENTIALS runs as the namespace's
 * `default` account without its token (the kubeconfig is what is uploaded); SERVICE_ACCOUNT
 * as skypilot-service-account; any other name as that account. NO_UPLOAD uploads nothing and
 * leaves the pod what Kubernetes gives it anyway: `default`, token mounted.
 */
export function podIdentity(remoteIdentity: string): PodIdentity {
  switch (remoteIdentity) {
    case 'LOCAL_CREDENTIALS':
      return { serviceAccountName: 'default', automountServiceAccountToken: false };
    case 'SERVICE_ACCOUNT':
      return { serviceAccountName: DEFAULT_SERVICE_ACCOUNT, automountServiceAccountToken: true };
    case 'NO_UPLOAD':
      return { serviceAccountName: 'default', automountServiceAccountToken: true };
    default:
      return { serviceAccountName: remoteIdentity, automountServiceAccountToken: true };
  }
}

/** Rounded so a multiplier like 1.1 does not write 2.2000000000000002. */
function times(n: number, m: number): number {
  return Math.round(n * m * 1000) / 1000;
}

/** `set_pod_resource_limits`: cpu and memory limits from the requests (GPU limits are already equal). */
function applyResourceLimits(pod: V1Pod, shape: PodShape, multiplier: number | undefined): void {
  if (multiplier === undefined) return;
  const resources = pod.spec!.containers[0].resources!;
  resources.limits = { ...resources.limits, cpu: String(times(shape.cpus, multiplier)), memory: `${times(shape.memoryGb, multiplier)}Gi` };
}

function applyIdentity(pod: V1Pod, identity: PodIdentity | undefined): void {
  if (!identity) return;
  pod.spec!.serviceAccountName = identity.serviceAccountName;
  pod.spec!.automountServiceAccountToken = identity.automountServiceAccountToken;
}

export interface PodVolume {
  mountPath: string;
  claimName: string;
  subPath?: string;
  readOnly?: boolean;
}

/** Pod volume names: DNS-1123 labels, unique per pod (`skydeck-vol-<i>`). */
export function podVolumes(volumes: PodVolume[]): { volumes: V1Volume[]; mounts: V1VolumeMount[] } {
  const claims = [...new Set(volumes.map((v) => v.claimName))];
  const nameOf = (claim: string) => `skydeck-vol-${claims.indexOf(claim)}`;
  return {
    volumes: claims.map((claimName) => ({ name: nameOf(claimName), persistentVolumeClaim: { claimName } })),
    mounts: volumes.map((v) => ({
      name: nameOf(v.claimName),
      mountPath: v.mountPath,
      ...(v.subPath ? { subPath: v.subPath } : {}),
      ...(v.readOnly ? { readOnly: true } : {}),
    })),
  };
}

/** pod_config, then custom_metadata, over the pod; SkyDeck's identity of the pod stays. */
function applyConfig(pod: V1Pod, r: PodRequest): void {
  const own = { ...pod.metadata!.labels };
  const asMap = pod as unknown as ConfigMap;
  if (r.podConfig) mergeK8s(asMap, structuredClone(r.podConfig));
  if (r.customMetadata) {
    if (!pod.metadata) pod.metadata = {};
    mergeK8s(pod.metadata as unknown as ConfigMap, structuredClone(r.customMetadata));
  }
  pod.metadata = { ...pod.metadata, name: r.name, namespace: r.namespace, labels: { ...pod.metadata?.labels, ...own } };
}

export function buildPod(r: PodRequest): V1Pod {
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(r.userLabels)) if (labelKeyOk(k)) labels[k] = labelValue(v);
  labels[CLUSTER_LABEL] = labelValue(r.nameOnCloud);
  labels[RANK_LABEL] = String(r.rank);
  labels['skydeck-cluster-name'] = labelValue(r.clusterName);
  const requests: Record<string, string> = { cpu: String(r.shape.cpus), memory: `${r.shape.memoryGb}Gi` };
  const limits: Record<string, string> = {};
  if (r.shape.accelerator) {
    // Extended resources must have limits equal to requests.
    requests[r.gpuResourceKey] = String(r.shape.accelerator.count);
    limits[r.gpuResourceKey] = String(r.shape.accelerator.count);
  }
  const pod: V1Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: r.name, namespace: r.namespace, labels },
    spec: {
      restartPolicy: 'Never',
      terminationGracePeriodSeconds: 10,
      containers: [
        {
          name: CONTAINER_NAME,
          image: r.image,
          imagePullPolicy: 'IfNotPresent',
          command: ['/bin/bash', '-c', STARTUP],
          env: [
            { name: 'SKYDECK_SSH_PUBLIC_KEY', value: r.sshPublicKey },
            { name: 'SKYDECK_NODE_RANK', value: String(r.rank) },
          ],
          ports: [{ name: 'ssh', containerPort: 22 }, ...r.ports.map((p) => ({ containerPort: p }))],
          resources: { requests, ...(Object.keys(limits).length ? { limits } : {}) },
        },
      ],
    },
  };
  if (r.volumes?.length) {
    const { volumes, mounts } = podVolumes(r.volumes);
    pod.spec!.volumes = volumes;
    pod.spec!.containers[0].volumeMounts = mounts;
  }
  if (r.gpuAffinity.length) {
    pod.spec!.affinity = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: r.gpuAffinity } } };
    // GPU nodes are commonly tainted nvidia.com/gpu=present:NoSchedule.
    pod.spec!.tolerations = [{ key: r.gpuResourceKey, operator: 'Exists', effect: 'NoSchedule' }];
  }
  // Before pod_config, which may override either (as over SkyPilot's template).
  applyIdentity(pod, r.identity);
  applyResourceLimits(pod, r.shape, r.resourceLimitsMultiplier);
  applyConfig(pod, r);
  return pod;
}

/** The FUSE device plugin's resource (smarter-device-manager), which SkyPilot's pods requested for FUSE. */
export const FUSE_DEVICE_RESOURCE = 'smarter-devices/fuse';

/**
 * How a pod gets FUSE for MOUNT / MOUNT_CACHED storage: through the device plugin when the
 * cluster's nodes offer it (SkyPilot's pod spec of that set-up: the device, CAP_SYS_ADMIN and
 * AppArmor unconfined), else as a privileged container (the device and the right to mount
 * with no plugin; what SkyPilot's fusermount-server DaemonSet holds on each node).
 */
export type FuseAccess = 'device-plugin' | 'privileged';

/** Adds what `access` needs to the pod's container; what pod_config set explicitly is kept. */
export function grantFuseAccess(pod: V1Pod, access: FuseAccess): V1Pod {
  const container = pod.spec!.containers[0];
  const security = (container.securityContext ??= {});
  if (access === 'privileged') {
    security.privileged ??= true;
    return pod;
  }
  const resources = (container.resources ??= {});
  resources.requests = { ...resources.requests, [FUSE_DEVICE_RESOURCE]: '1' };
  resources.limits = { ...resources.limits, [FUSE_DEVICE_RESOURCE]: '1' };
  const capabilities = (security.capabilities ??= {});
  if (!capabilities.add?.includes('SYS_ADMIN')) capabilities.add = [...(capabilities.add ?? []), 'SYS_ADMIN'];
  const metadata = (pod.metadata ??= {});
  metadata.annotations = { [`container.apparmor.security.beta.kubernetes.io/${container.name}`]: 'unconfined', ...metadata.annotations };
  return pod;
}
