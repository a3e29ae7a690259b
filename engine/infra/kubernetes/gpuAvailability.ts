/**
 * Free GPUs per node, computed as SkyPilot does (catalog-sources.md section 4):
 * total = allocatable GPUs of a labelled node; free = total minus the GPU *requests* of its
 * Running/Pending pods (init containers not counted); nodes not Ready, cordoned, or with a
 * blocking taint count towards total but offer nothing free. Pure: the provider lists.
 */
import type { V1Node, V1Pod } from '@kubernetes/client-node';
import type { GpuAvailability } from '../provider';
import { detectScheme, nodeAccelerator } from './gpuLabels';
import { parseQuantity } from './quantity';

const GPU_RESOURCE_KEYS = ['amd.com/gpu', 'nvidia.com/gpu'] as const;

/** The GPU resource key: CUSTOM_GPU_RESOURCE_KEY, else amd then nvidia if any node has it in capacity. */
export function gpuResourceKey(nodes: readonly V1Node[], env: NodeJS.ProcessEnv = process.env): string {
  if (env.CUSTOM_GPU_RESOURCE_KEY) return env.CUSTOM_GPU_RESOURCE_KEY;
  for (const key of GPU_RESOURCE_KEYS) if (nodes.some((n) => n.status?.capacity?.[key] !== undefined)) return key;
  return 'nvidia.com/gpu';
}

/** Pods that hold resources: scheduled, and neither finished nor being torn down (SkyPilot's field selector). */
function holdsResources(pod: V1Pod): boolean {
  const phase = pod.status?.phase;
  if (phase !== 'Running' && phase !== 'Pending') return false;
  if (!pod.spec?.nodeName) return false;
  if (pod.metadata?.namespace === 'cw-hpc-verification') return false;
  return true;
}

function podRequest(pod: V1Pod, key: string): number {
  let sum = 0;
  for (const c of pod.spec?.containers ?? []) sum += parseQuantity(c.resources?.requests?.[key]) || 0;
  return sum;
}

function schedulable(node: V1Node, gpuKey: string): boolean {
  if (node.spec?.unschedulable) return false;
  const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
  if (!ready || ready.status !== 'True') return false;
  const ignored = new Set([
    gpuKey,
    'nvidia.com/gpu',
    'amd.com/gpu',
    'google.com/tpu',
    'node-role.kubernetes.io/master',
    'node-role.kubernetes.io/control-plane',
  ]);
  return !(node.spec?.taints ?? []).some((t) => t.effect !== 'PreferNoSchedule' && !ignored.has(t.key));
}

/**
 * One row per GPU node. `pods` undefined means listing pods was forbidden: free is -1 (unknown).
 */
export function computeGpuAvailability(
  infra: string,
  nodes: readonly V1Node[],
  pods: readonly V1Pod[] | undefined,
  env: NodeJS.ProcessEnv = process.env,
): GpuAvailability[] {
  const key = gpuResourceKey(nodes, env);
  const scheme = detectScheme(nodes.map((n) => n.metadata?.labels ?? {}));
  const allocated = new Map<string, number>();
  for (const pod of pods ?? []) {
    if (!holdsResources(pod)) continue;
    const node = pod.spec!.nodeName!;
    allocated.set(node, (allocated.get(node) ?? 0) + podRequest(pod, key));
  }
  const rows: GpuAvailability[] = [];
  for (const node of nodes) {
    const accelerator = nodeAccelerator(node.metadata?.labels ?? {}, scheme);
    const total = Math.floor(parseQuantity(node.status?.allocatable?.[key]) || 0);
    if (!accelerator || total <= 0) continue;
    const name = node.metadata?.name ?? '';
    let free: number;
    if (!pods) free = -1;
    else if (!schedulable(node, key)) free = 0;
    else free = Math.max(0, total - (allocated.get(name) ?? 0));
    rows.push({ infra, node: name, accelerator, total, free });
  }
  return rows;
}
