/**
 * A provider whose SDK-backed implementation is evaluated on first real use. The registry
 * already loads each provider bundle lazily, but `skydeck check` loads every one of them:
 * with this wrapper a cloud without credentials answers from files and the environment
 * alone, without evaluating its SDK (esbuild keeps in-bundle dynamic imports lazy).
 */
import type { AutostopCommands, ClusterHandle, CredentialCheck, LaunchRequest, NodeInfo, Provider } from '../infra/provider';
import type { Transport } from '../node/transport';
import { sshTransportFor } from './transport';

export function lazyProvider(spec: {
  name: string;
  canStop: boolean;
  /** A disabled result when credentials are plainly missing; undefined to ask the cloud. */
  quickCheck: () => CredentialCheck | undefined;
  load: () => Promise<Provider>;
  /** What a node runs when its autostop fires (SDK-free: a shell command). */
  autostopCommands?: (handle: ClusterHandle, down?: boolean) => AutostopCommands;
}): Provider {
  let impl: Promise<Provider> | undefined;
  const get = () => (impl ??= spec.load());
  return {
    name: spec.name,
    canStop: spec.canStop,
    async check(): Promise<CredentialCheck> {
      return spec.quickCheck() ?? (await get()).check();
    },
    launch: async (request: LaunchRequest) => (await get()).launch(request),
    query: async (handle: ClusterHandle) => (await get()).query(handle),
    queryMany: async (handles: ClusterHandle[]) => {
      const p = await get();
      return p.queryMany ? p.queryMany(handles) : Promise.all(handles.map((h) => p.query(h).catch(() => undefined)));
    },
    stop: async (handle: ClusterHandle) => (await get()).stop(handle),
    start: async (handle: ClusterHandle) => (await get()).start(handle),
    terminate: async (handle: ClusterHandle) => (await get()).terminate(handle),
    openPorts: async (handle: ClusterHandle, ports: string[]) => (await get()).openPorts(handle, ports),
    ...(spec.autostopCommands ? { autostopCommands: spec.autostopCommands } : {}),
    prepareAutostop: async (handle: ClusterHandle, down: boolean) => (await get()).prepareAutostop?.(handle, down),
    findCluster: async (clusterName: string, nameOnCloud: string) => (await get()).findCluster?.(clusterName, nameOnCloud),
    // SSH needs no SDK.
    transport: (_handle: ClusterHandle, node: NodeInfo): Transport => sshTransportFor(node),
  };
}
