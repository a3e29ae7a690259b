/**
 * AWS `queryMany` against moto: clusters in two regions (and two zones of one), plus a
 * cluster with no instances, read in one DescribeInstances per region with exactly what
 * `query` gives for each; after a stop and a termination outside SkyDeck; a region whose
 * call fails leaves only its own clusters unknown; past EC2's filter-value limit the tag's
 * presence is selected and the clusters told apart by its value.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EC2Client, TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import { startMoto, type MotoServer } from '../../helpers/moto';
import { createProvider } from '../../../engine/infra/aws/index';
import { clustersInstances } from '../../../engine/infra/aws/instances';
import type { ClusterHandle, Provider } from '../../../engine/infra/provider';
import { launchRequest, recordingSshWaiter, useMotoProviderEnv } from '../../helpers/providerHarness';

let moto: MotoServer;
let env: { restore: () => void } | undefined;
let p: Provider;
let handles: ClusterHandle[];

function describeCalls(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const c of moto.calls) if (c.action === 'DescribeInstances') out[c.region ?? '?'] = (out[c.region ?? '?'] ?? 0) + 1;
  return out;
}

async function bothWays(hs: ClusterHandle[]) {
  const one = await Promise.all(hs.map((h) => p.query(h)));
  moto.calls.length = 0;
  const many = await p.queryMany!(hs);
  return { one, many, calls: describeCalls() };
}

describe('aws queryMany against moto', { timeout: 300_000 }, () => {
  before(async () => {
    moto = await startMoto();
    env = useMotoProviderEnv('aws-querymany', moto.proxyUrl);
    p = createProvider({ pollIntervalMs: 30, waitForSsh: recordingSshWaiter().waitForSsh });
    const launch = (name: string, region: string, zone: string, numNodes: number) =>
      p.launch(launchRequest({ clusterName: name, nameOnCloud: `${name}-ab12`, region, zones: [zone], instanceType: 'm5.large' }, { numNodes }));
    handles = [
      await launch('qa', 'us-east-1', 'us-east-1a', 2),
      await launch('qb', 'us-east-1', 'us-east-1b', 1),
      await launch('qc', 'us-west-2', 'us-west-2a', 3),
      await launch('qd', 'us-west-2', 'us-west-2b', 1),
    ];
    // A cluster this machine still records but whose instances are all gone.
    handles.push({ ...handles[1], clusterName: 'gone', nameOnCloud: 'gone-ab12', data: { ...handles[1].data } });
  });
  after(async () => {
    await moto?.stop();
    env?.restore();
  });

  it('reads every cluster in one DescribeInstances per region, as query does one by one', async () => {
    const { one, many, calls } = await bothWays(handles);
    assert.deepEqual(
      one.map((n) => n.length),
      [2, 1, 3, 1, 0],
    );
    assert.ok(one.flat().every((n) => n.state === 'running' && n.ssh));
    assert.deepEqual(many, one);
    assert.deepEqual(calls, { 'us-east-1': 1, 'us-west-2': 1 });
  });

  it('a stopped cluster and an instance terminated outside SkyDeck read the same both ways', async () => {
    await p.stop(handles[1]);
    const raw = new EC2Client({ region: 'us-west-2', endpoint: moto.url, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
    const [, worker] = await p.query(handles[2]);
    await raw.send(new TerminateInstancesCommand({ InstanceIds: [worker.id] }));
    const { one, many, calls } = await bothWays(handles);
    assert.deepEqual(
      one[1].map((n) => n.state),
      ['stopped'],
    );
    assert.ok(!one[2].some((n) => n.id === worker.id && n.state === 'running'), 'the terminated worker is not running');
    assert.deepEqual(many, one);
    assert.deepEqual(calls, { 'us-east-1': 1, 'us-west-2': 1 });
  });

  it('a region whose call fails leaves only its clusters unknown', async () => {
    const one = await Promise.all(handles.map((h) => p.query(h)));
    moto.inject({ action: 'DescribeInstances', region: 'us-west-2', code: 'UnauthorizedOperation', message: 'You are not authorized.', status: 403 });
    try {
      moto.calls.length = 0;
      const many = await p.queryMany!(handles);
      assert.deepEqual(many, [one[0], one[1], undefined, undefined, one[4]]);
      assert.equal(describeCalls()['us-east-1'], 1);
    } finally {
      moto.clearFaults();
    }
  });

  it('past the filter-value limit: the tag is selected by presence and the clusters told apart by value', async () => {
    const names = handles.filter((h) => h.region === 'us-east-1').map((h) => h.nameOnCloud);
    const byValue = await clustersInstances('us-east-1', names);
    const byPresence = await clustersInstances('us-east-1', names, 1);
    const ids = (m: Map<string, { InstanceId?: string }[]>) => Object.fromEntries([...m].map(([k, v]) => [k, v.map((i) => i.InstanceId).sort()]));
    assert.deepEqual(ids(byPresence), ids(byValue));
    assert.deepEqual(
      names.map((n) => byValue.get(n)?.length),
      [2, 1, 0],
    );
  });
});
