/**
 * The `kubernetes` provider entry (bundle dist/providers/kubernetes.js). Without any
 * kubeconfig, check() answers from the file system alone; @kubernetes/client-node is
 * evaluated on first real use.
 */
import type { ClusterHandle, CredentialCheck, GpuAvailability, LaunchRequest, ManagesVolumes, NodeInfo, Provider, ReportsGpuAvailability } from '../provider';
import type { Transport } from '../../node/transport';
import { MISSING_KUBECONFIG, existingKubeconfigs } from './kubeconfigFiles';
import type { KubernetesProvider } from './kubernetesProvider';

export type { KubernetesProvider } from './kubernetesProvider';

export interface KubernetesProviderApi extends Provider, ReportsGpuAvailability, ManagesVolumes {
  /** Watch-based status: `onChange` with the cluster's nodes now and on every pod change; returns stop. */
  watchNodes(handle: ClusterHandle, onChange: (nodes: NodeInfo[]) => void, onError?: (err: unknown) => void): Promise<() => void>;
  /** The `k8s-ssh-proxy` verb: bridges stdio to the pod's sshd. Resolves with the exit code. */
  sshProxy(context: string, namespace: string, pod: string): Promise<number>;
}

export function createProvider(): KubernetesProviderApi {
  let impl: KubernetesProvider | undefined;
  const get = async (): Promise<KubernetesProvider> => (impl ??= new (await import('./kubernetesProvider')).KubernetesProvider());
  // The transport must be synchronous: it is only asked for after launch/query loaded the SDK.
  const loaded = (): KubernetesProvider => {
    if (!impl) impl = new (require('./kubernetesProvider') as typeof import('./kubernetesProvider')).KubernetesProvider();
    return impl;
  };
  return {
    name: 'kubernetes',
    canStop: false,
    async check(): Promise<CredentialCheck> {
      if (existingKubeconfigs().length === 0) return { enabled: false, reason: MISSING_KUBECONFIG };
      return (await get()).check();
    },
    launch: async (request: LaunchRequest) => (await get()).launch(request),
    query: async (handle: ClusterHandle) => (await get()).query(handle),
    queryMany: async (handles: ClusterHandle[]) => (await get()).queryMany(handles),
    stop: async (handle: ClusterHandle) => (await get()).stop(handle),
    start: async (handle: ClusterHandle) => (await get()).start(handle),
    terminate: async (handle: ClusterHandle) => (await get()).terminate(handle),
    openPorts: async (handle: ClusterHandle, ports: string[]) => (await get()).openPorts(handle, ports),
    // Pods cannot stop (autodown only, as in SkyPilot). The pod ends itself: its start-up shell
    // (PID 1, which exits on TERM) ends, the pod (restartPolicy Never) is Succeeded and its CPUs,
    // memory and GPUs are free at once, with no credential on the pod; the next `status -r` sees
    // it terminated and deletes the pod object. Only when PID 1 is that shell (not a host's init
    // where pods are emulated).
    autostopCommands: () => {
      const end = 'grep -q SKYDECK_SSH_PUBLIC_KEY /proc/1/cmdline 2>/dev/null && kill -TERM 1';
      return { stop: end, down: end };
    },
    transport: (handle: ClusterHandle, node: NodeInfo): Transport => loaded().transport(handle, node),
    gpuAvailability: async (): Promise<GpuAvailability[]> => (existingKubeconfigs().length === 0 ? [] : (await get()).gpuAvailability()),
    watchNodes: async (handle, onChange, onError) => (await get()).watchNodes(handle, onChange, onError),
    createVolume: async (request) => (await get()).createVolume(request),
    deleteVolume: async (volume) => (await get()).deleteVolume(volume),
    async sshProxy(context: string, namespace: string, pod: string): Promise<number> {
      const p = await get();
      const { bridgeToPodSshd } = await import('./sshProxy');
      const t = p.transport(
        { clusterName: pod, nameOnCloud: pod, provider: 'kubernetes', region: context, data: { context, namespace } },
        { id: pod, rank: 0, state: 'running', internalIp: '' },
      );
      try {
        return await bridgeToPodSshd(t, process.stdin, process.stdout, process.stderr);
      } finally {
        await t.close();
      }
    },
  };
}
