/**
 * A store with N clusters, written as the engine writes it (state/clusters.json, the store's
 * versioned envelope): a mix of providers, statuses, multi-node clusters, autostop and ports,
 * so `status` formats every column kind it meets in real use.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ClusterRecord, ClusterStatus } from '../../engine/cluster/types';

const SHAPES = [
  { cloud: 'aws', region: 'us-east-1', zone: 'us-east-1a', instanceType: 'p4d.24xlarge', accelerators: { name: 'A100', count: 8 }, price: 32.77 },
  { cloud: 'gcp', region: 'us-central1', zone: 'us-central1-a', instanceType: 'n2-standard-8', price: 0.39 },
  { cloud: 'kubernetes', region: 'kind-skydeck', instanceType: '4CPU--16GB', price: 0 },
  { cloud: 'local', region: 'local', instanceType: 'local', price: 0 },
] as const;

const STATUSES: ClusterStatus[] = ['UP', 'UP', 'STOPPED', 'INIT'];

export function benchCluster(i: number, now: number): ClusterRecord {
  const s = SHAPES[i % SHAPES.length];
  const numNodes = 1 + (i % 3);
  const status = STATUSES[i % STATUSES.length];
  const launchedAt = now - (i + 1) * 60_000;
  return {
    name: `bench-${i}`,
    status,
    handle: {
      clusterName: `bench-${i}`,
      provider: s.cloud,
      nameOnCloud: `bench-${i}-2ea4`,
      region: s.region,
      ...('zone' in s ? { zone: s.zone } : {}),
      data: { bench: true },
    },
    resources: {
      cloud: s.cloud,
      region: s.region,
      ...('zone' in s ? { zone: s.zone } : {}),
      instanceType: s.instanceType,
      ...('accelerators' in s ? { accelerators: s.accelerators } : {}),
      cpus: 8,
      memoryGb: 32,
      useSpot: i % 5 === 0,
      diskSizeGb: 256,
      ports: i % 7 === 0 ? ['8080', '9000-9002'] : [],
      pricePerHour: s.price,
    },
    numNodes,
    nodes: Array.from({ length: numNodes }, (_, rank) => ({
      id: `i-${i}-${rank}`,
      rank,
      internalIp: `10.0.${Math.floor(i / 250)}.${(i % 250) + rank}`,
      externalIp: `203.0.113.${(i + rank) % 250}`,
      state: status === 'STOPPED' ? ('stopped' as const) : ('running' as const),
    })),
    launchedAt,
    ...(status === 'UP' ? { startedAt: launchedAt } : {}),
    accumulatedUpSeconds: status === 'STOPPED' ? 3600 : 0,
    ...(i % 4 === 0 ? { autostop: { idleMinutes: 10 * (1 + (i % 6)), down: i % 8 === 0 } } : {}),
  };
}

export function fillClusterStore(home: string, n: number, now = Date.now()): void {
  const clusters: Record<string, ClusterRecord> = {};
  for (let i = 0; i < n; i++) clusters[`bench-${i}`] = benchCluster(i, now);
  const dir = path.join(home, 'state');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'clusters.json'), JSON.stringify({ version: 1, data: { clusters } }));
}
