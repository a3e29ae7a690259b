/**
 * AWS rows of the bundled snapshot (catalogs/aws/vms.csv). What these numbers are, plainly:
 * they were WRITTEN FROM MEMORY by the session that built the snapshot, which had no
 * network access. They were not fetched from AWS, not copied from AWS's pricing page and
 * not checked against it: read them as on-demand Linux us-east-1 prices per hour as that
 * session remembered them (P4/P5 from before AWS's June 2025 GPU price cut, so probably
 * high), with instance shapes (vCPUs, memory, GPU count and memory) likewise from memory.
 * Any of them may be wrong. Spot prices and availability zones are left empty (unknown).
 * catalogs/SOURCES.json records this as `written-from-memory-unverified`.
 *
 * `skydeck catalog refresh --cloud aws` replaces all of it with AWS's public offer files
 * (engine/catalog/fetchers/aws.ts); the hosted SkyPilot catalog also replaces it.
 */
export interface AwsListPrice {
  type: string;
  vcpus: number;
  memoryGb: number;
  gpu?: [name: string, count: number, memoryMiB: number];
  usEast1: number;
}

const T4: [string, number] = ['T4', 16384];
const A10G: [string, number] = ['A10G', 24576];
const L4: [string, number] = ['L4', 22888];
const L40S: [string, number] = ['L40S', 45776];

function family(prefix: string, sizes: [string, number, number, number][], gpu?: [string, number], gpus?: Record<string, number>): AwsListPrice[] {
  return sizes.map(([size, vcpus, memoryGb, price]) => ({
    type: `${prefix}.${size}`,
    vcpus,
    memoryGb,
    gpu: gpu ? [gpu[0], gpus?.[size] ?? 1, gpu[1]] : undefined,
    usEast1: price,
  }));
}

const CPU_SIZES = (ratio: number, prices: number[], biggest: [string, number] = ['32xlarge', 128]): [string, number, number, number][] => {
  const sizes: [string, number][] = [['large', 2], ['xlarge', 4], ['2xlarge', 8], ['4xlarge', 16], ['8xlarge', 32], ['12xlarge', 48], ['16xlarge', 64], ['24xlarge', 96], biggest];
  return sizes.map(([s, v], i) => [s, v, v * ratio, prices[i]]);
};

export const AWS_LIST_PRICES: AwsListPrice[] = [
  ...family('m6i', CPU_SIZES(4, [0.096, 0.192, 0.384, 0.768, 1.536, 2.304, 3.072, 4.608, 6.144])),
  ...family('c6i', CPU_SIZES(2, [0.085, 0.17, 0.34, 0.68, 1.36, 2.04, 2.72, 4.08, 5.44])),
  ...family('r6i', CPU_SIZES(8, [0.126, 0.252, 0.504, 1.008, 2.016, 3.024, 4.032, 6.048, 8.064])),
  ...family('m7i', CPU_SIZES(4, [0.1008, 0.2016, 0.4032, 0.8064, 1.6128, 2.4192, 3.2256, 4.8384, 9.6768], ['48xlarge', 192])),
  ...family('c7i', CPU_SIZES(2, [0.08925, 0.1785, 0.357, 0.714, 1.428, 2.142, 2.856, 4.284, 8.568], ['48xlarge', 192])),
  ...family('r7i', CPU_SIZES(8, [0.1323, 0.2646, 0.5292, 1.0584, 2.1168, 3.1752, 4.2336, 6.3504, 12.7008], ['48xlarge', 192])),
  ...family(
    'g4dn',
    [
      ['xlarge', 4, 16, 0.526],
      ['2xlarge', 8, 32, 0.752],
      ['4xlarge', 16, 64, 1.204],
      ['8xlarge', 32, 128, 2.176],
      ['12xlarge', 48, 192, 3.912],
      ['16xlarge', 64, 256, 4.352],
      ['metal', 96, 384, 7.824],
    ],
    T4,
    { '12xlarge': 4, metal: 8 },
  ),
  ...family(
    'g5',
    [
      ['xlarge', 4, 16, 1.006],
      ['2xlarge', 8, 32, 1.212],
      ['4xlarge', 16, 64, 1.624],
      ['8xlarge', 32, 128, 2.448],
      ['12xlarge', 48, 192, 5.672],
      ['16xlarge', 64, 256, 4.096],
      ['24xlarge', 96, 384, 8.144],
      ['48xlarge', 192, 768, 16.288],
    ],
    A10G,
    { '12xlarge': 4, '24xlarge': 4, '48xlarge': 8 },
  ),
  ...family(
    'g6',
    [
      ['xlarge', 4, 16, 0.8048],
      ['2xlarge', 8, 32, 0.9776],
      ['4xlarge', 16, 64, 1.3232],
      ['8xlarge', 32, 128, 2.0144],
      ['12xlarge', 48, 192, 4.6016],
      ['16xlarge', 64, 256, 3.3968],
      ['24xlarge', 96, 384, 6.6752],
      ['48xlarge', 192, 768, 13.3504],
    ],
    L4,
    { '12xlarge': 4, '24xlarge': 4, '48xlarge': 8 },
  ),
  ...family(
    'g6e',
    [
      ['xlarge', 4, 32, 1.861],
      ['2xlarge', 8, 64, 2.24208],
      ['4xlarge', 16, 128, 3.00424],
      ['8xlarge', 32, 256, 4.52856],
      ['12xlarge', 48, 384, 10.49264],
      ['16xlarge', 64, 512, 7.57719],
      ['24xlarge', 96, 768, 15.06559],
      ['48xlarge', 192, 1536, 30.13118],
    ],
    L40S,
    { '12xlarge': 4, '24xlarge': 4, '48xlarge': 8 },
  ),
  { type: 'p3.2xlarge', vcpus: 8, memoryGb: 61, gpu: ['V100', 1, 16384], usEast1: 3.06 },
  { type: 'p3.8xlarge', vcpus: 32, memoryGb: 244, gpu: ['V100', 4, 16384], usEast1: 12.24 },
  { type: 'p3.16xlarge', vcpus: 64, memoryGb: 488, gpu: ['V100', 8, 16384], usEast1: 24.48 },
  { type: 'p3dn.24xlarge', vcpus: 96, memoryGb: 768, gpu: ['V100-32GB', 8, 32768], usEast1: 31.212 },
  { type: 'p4d.24xlarge', vcpus: 96, memoryGb: 1152, gpu: ['A100', 8, 40960], usEast1: 32.7726 },
  { type: 'p4de.24xlarge', vcpus: 96, memoryGb: 1152, gpu: ['A100-80GB', 8, 81920], usEast1: 40.9657 },
  { type: 'p5.48xlarge', vcpus: 192, memoryGb: 2048, gpu: ['H100', 8, 81920], usEast1: 98.32 },
];

/** Regions the snapshot lists AWS in; AWS prices these families the same in both. */
export const AWS_SNAPSHOT_REGIONS = ['us-east-1', 'us-west-2'];
