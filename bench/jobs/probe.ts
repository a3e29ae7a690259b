/**
 * bench/jobs/probe.ts: one managed-jobs probe round (engine/jobs/probe.ts) over N AWS clusters
 * in moto, with the provider's `queryMany` (one DescribeInstances per region) against the
 * baseline of its `query` per cluster (what the probe did before), in the same run, alternating
 * which goes first each round. Prints each round's wall time, this process's CPU time (the
 * controller's share; moto's is not counted) and the DescribeInstances calls moto saw; the two
 * paths' node lists are checked equal every round.
 *
 * The clusters are instances tagged as the provider tags them (skydeck-cluster, a head), made
 * directly in moto: a full launch of each (key pair, security group, waits) is not what is measured.
 *
 * Usage: node --import tsx bench/jobs/probe.ts [--clusters 250] [--nodes 1] [--regions us-east-1,us-west-2] [--rounds 7]
 */
import { isDeepStrictEqual } from 'node:util';
import { DescribeImagesCommand, EC2Client, RunInstancesCommand } from '@aws-sdk/client-ec2';
import { startMoto, type MotoServer } from '../../test/helpers/moto';
import { useMotoProviderEnv } from '../../test/helpers/providerHarness';
import { createProvider } from '../../engine/infra/aws/index';
import { clusterProbe } from '../../engine/jobs/probe';
import type { ClusterRecord } from '../../engine/cluster/types';
import type { ClusterHandle, Provider } from '../../engine/infra/provider';

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
}
const CLUSTERS = Number(arg('clusters', '250'));
const NODES = Number(arg('nodes', '1'));
const REGIONS = arg('regions', 'us-east-1,us-west-2').split(',');
const ROUNDS = Number(arg('rounds', '7'));

// The SDK's "Node 22 will be required" notice is for SDK maintainers (engine/infra/aws/client.ts does the same).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function makeClusters(moto: MotoServer): Promise<ClusterHandle[]> {
  const handles: ClusterHandle[] = [];
  for (const region of REGIONS) {
    const ec2 = new EC2Client({ region, endpoint: moto.url, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
    const imageId = (await ec2.send(new DescribeImagesCommand({}))).Images?.[0]?.ImageId;
    if (!imageId) throw new Error(`moto has no image in ${region}`);
    const mine = Array.from({ length: CLUSTERS }, (_, i) => i).filter((i) => i % REGIONS.length === REGIONS.indexOf(region));
    // A few at a time: moto is one Python process.
    for (let k = 0; k < mine.length; k += 10) {
      await Promise.all(
        mine.slice(k, k + 10).map(async (i) => {
          const nameOnCloud = `bench${i}-ab12`;
          const tags = [
            { Key: 'skydeck-cluster', Value: nameOnCloud },
            { Key: 'skydeck-node-type', Value: 'head' },
          ];
          await ec2.send(
            new RunInstancesCommand({
              ImageId: imageId,
              InstanceType: 'm5.large',
              MinCount: NODES,
              MaxCount: NODES,
              Placement: { AvailabilityZone: `${region}a` },
              TagSpecifications: [{ ResourceType: 'instance', Tags: tags }],
            }),
          );
          handles.push({ clusterName: `bench${i}`, nameOnCloud, provider: 'aws', region, zone: `${region}a`, data: { sshUser: 'ubuntu', useSpot: false } });
        }),
      );
    }
  }
  return handles;
}

async function main(): Promise<void> {
  const moto = await startMoto();
  const env = useMotoProviderEnv('bench-probe', moto.proxyUrl);
  try {
    const t0 = Date.now();
    const handles = await makeClusters(moto);
    console.log(`${handles.length} clusters x ${NODES} node(s) in ${REGIONS.join(', ')} made in moto in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const provider = createProvider();
    const perCluster: Provider = { ...provider, queryMany: undefined };
    const records = handles.map((handle) => ({ name: handle.clusterName, status: 'UP', handle, numNodes: NODES }) as unknown as ClusterRecord);
    const paths = { queryMany: clusterProbe(async () => provider), 'query per cluster': clusterProbe(async () => perCluster) };
    const nodes = { queryMany: () => provider.queryMany!(handles), 'query per cluster': () => Promise.all(handles.map((h) => provider.query(h))) };
    const ms: Record<string, number[]> = { queryMany: [], 'query per cluster': [] };
    const calls: Record<string, number[]> = { queryMany: [], 'query per cluster': [] };
    /** CPU of this process (the controller's side: requests, XML parsing, the probe), moto's excluded. */
    const cpuMs: Record<string, number[]> = { queryMany: [], 'query per cluster': [] };
    // Warm-up: SDK clients, connections, module loading.
    await paths.queryMany(records);
    await paths['query per cluster'](records);
    for (let r = 0; r < ROUNDS; r++) {
      const order = (r % 2 ? ['query per cluster', 'queryMany'] : ['queryMany', 'query per cluster']) as (keyof typeof paths)[];
      for (const name of order) {
        moto.calls.length = 0;
        const start = process.hrtime.bigint();
        const cpu0 = process.cpuUsage();
        const verdicts = await paths[name](records);
        ms[name].push(Number(process.hrtime.bigint() - start) / 1e6);
        const used = process.cpuUsage(cpu0);
        cpuMs[name].push((used.user + used.system) / 1000);
        calls[name].push(moto.calls.filter((c) => c.action === 'DescribeInstances').length);
        if (verdicts.size !== records.length || [...verdicts.values()].some((v) => !v.ok)) throw new Error(`${name}: not every cluster read as running`);
      }
      const [a, b] = await Promise.all([nodes.queryMany(), nodes['query per cluster']()]);
      if (!isDeepStrictEqual(a, b)) throw new Error('queryMany and query per cluster disagree');
    }
    console.log(`one probe round over ${handles.length} clusters, ${ROUNDS} rounds (load average ${(await import('node:os')).loadavg()[0].toFixed(1)}):`);
    for (const name of Object.keys(ms)) {
      console.log(
        `  ${name.padEnd(18)} median ${median(ms[name]).toFixed(0)} ms (${ms[name].map((x) => x.toFixed(0)).join(', ')}), this process's CPU median ${median(cpuMs[name]).toFixed(0)} ms, DescribeInstances per round: ${median(calls[name])}`,
      );
    }
  } finally {
    await moto.stop();
    env.restore();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
