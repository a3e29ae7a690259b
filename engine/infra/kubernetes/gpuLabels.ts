/**
 * Which GPU a node has, from the labels SkyPilot reads (catalog-sources.md section 4),
 * tried in SkyPilot's order: the first label key present on any node with a usable value
 * decides the scheme for the whole cluster.
 */

export interface GpuLabelScheme {
  /** Label key on the node. */
  key: string;
  /** The SkyPilot accelerator name for a label value, or undefined when the value is not usable. */
  toName(value: string): string | undefined;
}

const GKE: Record<string, string> = {
  'nvidia-tesla-t4': 'T4',
  'nvidia-tesla-v100': 'V100',
  'nvidia-tesla-p100': 'P100',
  'nvidia-tesla-p4': 'P4',
  'nvidia-tesla-k80': 'K80',
  'nvidia-tesla-a100': 'A100',
  'nvidia-a100-80gb': 'A100-80GB',
  'nvidia-l4': 'L4',
  'nvidia-h100-80gb': 'H100',
  'nvidia-h100-mega-80gb': 'H100-MEGA-80GB',
  'nvidia-h200-141gb': 'H200',
  'nvidia-b200': 'B200',
};

/** Most specific first (SkyPilot's canonical list for `nvidia.com/gpu.product`). */
const CANONICAL = [
  'GB300',
  'GB200',
  'B300',
  'B200',
  'B100',
  'GH200',
  'H200',
  'H100-80GB',
  'H100-MEGA',
  'H100',
  'A100-80GB',
  'A100',
  'A10G',
  'A10',
  'A16',
  'A30',
  'A40',
  'RTX6000-Ada',
  'L40S',
  'L40',
  'L4',
  'A6000',
  'A5000',
  'A4000',
  'V100-32GB',
  'V100',
  'P100',
  'P40',
  'P4000',
  'P4',
  'T4g',
  'T4',
  'K80',
  'M60',
];

function lowerOnly(value: string): string | undefined {
  return value && value === value.toLowerCase() ? value.toUpperCase() : undefined;
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** `nvidia.com/gpu.product` values such as `NVIDIA-H100-80GB-HBM3` or `Tesla-T4`. */
export function canonicalGfdName(value: string): string | undefined {
  if (!value) return undefined;
  if (/A100.*-80GB/i.test(value)) return 'A100-80GB';
  if (/H100.*-80GB/i.test(value)) return 'H100-80GB';
  for (const name of CANONICAL) {
    if (new RegExp(`(^|[-_\\s])${escapeRe(name)}($|[-_\\s])`, 'i').test(value)) return name;
  }
  return value
    .replace(/^NVIDIA-/i, '')
    .replace(/^GEFORCE-/i, '')
    .replace(/RTX-/i, 'RTX')
    .toUpperCase();
}

export const GPU_LABEL_SCHEMES: readonly GpuLabelScheme[] = [
  { key: 'skypilot.co/accelerator', toName: lowerOnly },
  {
    key: 'cloud.google.com/gke-accelerator',
    toName: (v) => (v ? (GKE[v] ?? (v.startsWith('nvidia-') ? v.replace(/^nvidia-(tesla-)?/, '').toUpperCase() : v)) : undefined),
  },
  { key: 'karpenter.k8s.aws/instance-gpu-name', toName: lowerOnly },
  { key: 'nvidia.com/gpu.product', toName: canonicalGfdName },
  { key: 'gpu.nvidia.com/class', toName: (v) => (v ? v.toUpperCase() : undefined) },
  { key: 'nebius.com/gpu-name', toName: (v) => (v ? v.toUpperCase() : undefined) },
];

/** The scheme a set of nodes uses: the first whose key appears on any node with a usable value. */
export function detectScheme(nodeLabels: readonly Record<string, string>[]): GpuLabelScheme | undefined {
  return GPU_LABEL_SCHEMES.find((s) => nodeLabels.some((l) => l[s.key] !== undefined && s.toName(l[s.key]) !== undefined));
}

/** The accelerator name of one node under `scheme`. */
export function nodeAccelerator(labels: Record<string, string>, scheme: GpuLabelScheme | undefined): string | undefined {
  if (!scheme) return undefined;
  const v = labels[scheme.key];
  return v === undefined ? undefined : scheme.toName(v);
}

/** Requested `H200` matches a node's `H200` or `H200-SXM-80GB` (SkyPilot accepts a prefix followed by `-`). */
export function acceleratorMatches(requested: string, nodeName: string): boolean {
  const r = requested.toUpperCase();
  const n = nodeName.toUpperCase();
  return n === r || n.startsWith(`${r}-`);
}
