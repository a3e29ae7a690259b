/**
 * GPU device memory (GB) and manufacturer, for memory-based accelerator requests
 * (`80GB+`, `nvidia:24GB:2`). SkyPilot reads these from common/metadata.csv; we keep the
 * same facts here (with H200 141 GB and B200 180 GB, which that file gets wrong) and prefer
 * the catalog's own GpuInfo memory when a row has it.
 */
export const GPU_METADATA: Record<string, { memoryGb: number; manufacturer: string }> = {
  A10: { memoryGb: 24, manufacturer: 'nvidia' },
  A10G: { memoryGb: 24, manufacturer: 'nvidia' },
  A100: { memoryGb: 40, manufacturer: 'nvidia' },
  'A100-80GB': { memoryGb: 80, manufacturer: 'nvidia' },
  A30: { memoryGb: 24, manufacturer: 'nvidia' },
  A40: { memoryGb: 48, manufacturer: 'nvidia' },
  A4000: { memoryGb: 16, manufacturer: 'nvidia' },
  A6000: { memoryGb: 48, manufacturer: 'nvidia' },
  A800: { memoryGb: 80, manufacturer: 'nvidia' },
  B200: { memoryGb: 180, manufacturer: 'nvidia' },
  GH200: { memoryGb: 96, manufacturer: 'nvidia' },
  H100: { memoryGb: 80, manufacturer: 'nvidia' },
  'H100-MEGA': { memoryGb: 80, manufacturer: 'nvidia' },
  H200: { memoryGb: 141, manufacturer: 'nvidia' },
  K80: { memoryGb: 12, manufacturer: 'nvidia' },
  L4: { memoryGb: 24, manufacturer: 'nvidia' },
  L40: { memoryGb: 48, manufacturer: 'nvidia' },
  L40S: { memoryGb: 48, manufacturer: 'nvidia' },
  M60: { memoryGb: 8, manufacturer: 'nvidia' },
  P100: { memoryGb: 16, manufacturer: 'nvidia' },
  P4: { memoryGb: 8, manufacturer: 'nvidia' },
  RTX3090: { memoryGb: 24, manufacturer: 'nvidia' },
  RTX4090: { memoryGb: 24, manufacturer: 'nvidia' },
  RTX6000: { memoryGb: 24, manufacturer: 'nvidia' },
  T4: { memoryGb: 16, manufacturer: 'nvidia' },
  V100: { memoryGb: 16, manufacturer: 'nvidia' },
  'V100-32GB': { memoryGb: 32, manufacturer: 'nvidia' },
  MI300X: { memoryGb: 192, manufacturer: 'amd' },
  'Radeon MI25': { memoryGb: 16, manufacturer: 'amd' },
  'Gaudi HL-205': { memoryGb: 32, manufacturer: 'intel' },
};

/** Every GPU name whose memory satisfies the request, by memory then name. */
export function gpusWithMemory(gb: number, orMore: boolean, manufacturer?: string): string[] {
  return Object.entries(GPU_METADATA)
    .filter(([, m]) => (orMore ? m.memoryGb >= gb : m.memoryGb === gb) && (!manufacturer || m.manufacturer === manufacturer.toLowerCase()))
    .sort((a, b) => a[1].memoryGb - b[1].memoryGb || a[0].localeCompare(b[0]))
    .map(([name]) => name);
}
