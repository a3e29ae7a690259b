/**
 * GCP prices GPUs apart from the VM that carries them: a GPU row has no instance type and
 * is priced for the GPUs alone. SkyPilot pairs it with a host VM in the same zone by these
 * fixed rules (sky/catalog/gcp_catalog.py): A100/L4/H100/... only on their own machine
 * series; every other GPU on an N1 VM sized by the GPU count. The offer's price is
 * host + GPUs (a4-highgpu-8g is listed at 0 because the B200 row carries the whole price).
 */

/** accelerator -> count -> host machine types that come with exactly those GPUs. */
export const GCP_ACC_INSTANCE_TYPES: Record<string, Record<number, string[]>> = {
  A100: { 1: ['a2-highgpu-1g'], 2: ['a2-highgpu-2g'], 4: ['a2-highgpu-4g'], 8: ['a2-highgpu-8g'], 16: ['a2-megagpu-16g'] },
  'A100-80GB': { 1: ['a2-ultragpu-1g'], 2: ['a2-ultragpu-2g'], 4: ['a2-ultragpu-4g'], 8: ['a2-ultragpu-8g'] },
  L4: {
    1: ['g2-standard-4', 'g2-standard-8', 'g2-standard-12', 'g2-standard-16', 'g2-standard-32'],
    2: ['g2-standard-24'],
    4: ['g2-standard-48'],
    8: ['g2-standard-96'],
  },
  H100: { 1: ['a3-highgpu-1g'], 2: ['a3-highgpu-2g'], 4: ['a3-highgpu-4g'], 8: ['a3-highgpu-8g'] },
  'H100-MEGA': { 8: ['a3-megagpu-8g'] },
  H200: { 8: ['a3-ultragpu-8g'] },
  B200: { 8: ['a4-highgpu-8g'] },
};

/** host machine type -> the GPUs it always carries. */
export const GCP_INSTANCE_TYPE_TO_ACC: Record<string, { name: string; count: number }> = (() => {
  const out: Record<string, { name: string; count: number }> = {};
  for (const [name, byCount] of Object.entries(GCP_ACC_INSTANCE_TYPES)) {
    for (const [count, types] of Object.entries(byCount)) for (const t of types) out[t] = { name, count: Number(count) };
  }
  return out;
})();

/** Default host vCPUs per GPU count for GPUs attached to N1 VMs (memory >= 4 GiB per vCPU). */
const NUM_ACC_TO_NUM_CPU: Record<string, Record<number, number>> = {
  K80: { 1: 4, 2: 8, 4: 16, 8: 32, 16: 64 },
  V100: { 1: 8, 2: 16, 4: 32, 8: 64 },
  T4: { 1: 4, 2: 8, 4: 48 },
  P100: { 1: 8, 2: 16, 4: 32, 8: 64 },
  DEFAULT: { 1: 8, 2: 16, 4: 32, 8: 64, 16: 128 },
};

export const GCP_HOST_FAMILIES = ['n1-standard-', 'n1-highmem-', 'n1-highcpu-'];
export const GCP_GPU_MEMORY_CPU_RATIO = 4;

export function gcpDefaultHostCpus(accelerator: string, count: number): number | undefined {
  const table = NUM_ACC_TO_NUM_CPU[accelerator] ?? NUM_ACC_TO_NUM_CPU.DEFAULT;
  return table[count];
}

/** GCP default CPU families for tasks without accelerators or an instance type. */
const DEFAULT_CPU_FAMILIES: Record<string, string[]> = {
  aws: ['m6i.', 'm6id.', 'm7i.', 'r6i.', 'r6id.', 'r7i.', 'c6i.', 'c6id.', 'c7i.'],
  gcp: ['n2-standard-', 'n2-highmem-', 'n2-highcpu-', 'n4-standard-', 'n4-highcpu-', 'n4-highmem-'],
  // Azure Ds_v5, Es_v5, Fs_v2 families: Standard_D4s_v5, Standard_E8s_v5, Standard_F16s_v2 ...
  azure: [],
};

const AZURE_DEFAULT = /^Standard_(D\d+s_v5|E\d+s_v5|F\d+s_v2)$/;

export function isDefaultCpuFamily(cloud: string, instanceType: string): boolean {
  if (cloud === 'azure') return AZURE_DEFAULT.test(instanceType);
  const prefixes = DEFAULT_CPU_FAMILIES[cloud];
  return !!prefixes && prefixes.some((p) => instanceType.startsWith(p));
}

export const DEFAULT_NUM_VCPUS = 8;
export const DEFAULT_MEMORY_CPU_RATIO = 4;
