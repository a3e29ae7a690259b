/**
 * GCP `queryMany` against the fake Compute API: clusters in three zones of two regions, plus a
 * cluster with no instances, read in one aggregated instance list (the cluster label's
 * presence) with exactly what `query` gives for each, also after a stop, a preemption and an
 * instance deleted outside SkyDeck.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startFakeGcp, type FakeGcp } from '../../helpers/fakes/gcp';
import { createProvider } from '../../../engine/infra/gcp/index';
import type { ClusterHandle, Provider } from '../../../engine/infra/provider';
import { launchRequest, recordingSshWaiter, useFakeGcpEnv } from '../../helpers/providerHarness';

let gcp: FakeGcp;
let env: { restore: () => void } | undefined;
let p: Provider;
let handles: ClusterHandle[];

async function bothWays(hs: ClusterHandle[]) {
  const one = await Promise.all(hs.map((h) => p.query(h)));
  gcp.requests.length = 0;
  const many = await p.queryMany!(hs);
  return { one, many, requests: gcp.requests.filter((r) => r.includes('/instances')) };
}

describe('gcp queryMany against the fake Compute API', { timeout: 300_000 }, () => {
  before(async () => {
    gcp = await startFakeGcp({ project: 'skydeck-test' });
    env = useFakeGcpEnv('gcp-querymany', gcp.url);
    p = createProvider({ pollIntervalMs: 20, waitForSsh: recordingSshWaiter().waitForSsh });
    const launch = (name: string, region: string, zone: string, numNodes: number) =>
      p.launch(launchRequest({ clusterName: name, nameOnCloud: `${name}-ab12`, region, zones: [zone], instanceType: 'n1-standard-8' }, { numNodes }));
    handles = [
      await launch('ga', 'us-central1', 'us-central1-a', 2),
      await launch('gb', 'us-central1', 'us-central1-b', 1),
      await launch('gc', 'us-east1', 'us-east1-b', 3),
    ];
    handles.push({ ...handles[1], clusterName: 'gone', nameOnCloud: 'gone-ab12', data: { ...handles[1].data } });
  });
  after(async () => {
    await gcp?.close();
    env?.restore();
  });

  it('reads every cluster in one aggregated list, as query does one by one', async () => {
    const { one, many, requests } = await bothWays(handles);
    assert.deepEqual(
      one.map((n) => n.length),
      [2, 1, 3, 0],
    );
    assert.ok(one.flat().every((n) => n.state === 'running' && n.ssh));
    assert.deepEqual(many, one);
    assert.deepEqual(requests, ['GET /compute/v1/projects/skydeck-test/aggregated/instances']);
  });

  it('a handle whose zone is not where its label is found reads empty, as query does', async () => {
    const elsewhere = { ...handles[0], zone: 'us-central1-c' };
    const { one, many } = await bothWays([elsewhere, handles[1]]);
    assert.deepEqual(one[0], []);
    assert.deepEqual(many, one);
  });

  it('a stopped cluster, a preempted and a deleted instance read the same both ways', async () => {
    await p.stop(handles[1]);
    const [, w1, w2] = await p.query(handles[2]);
    gcp.setStatus(w1.id, 'TERMINATED');
    gcp.remove(w2.id);
    const { one, many, requests } = await bothWays(handles);
    assert.deepEqual(
      one[1].map((n) => n.state),
      ['stopped'],
    );
    assert.deepEqual(
      one[2].map((n) => [n.id, n.state]),
      [
        [one[2][0].id, 'running'],
        [w1.id, 'stopped'],
      ],
    );
    assert.deepEqual(many, one);
    assert.equal(requests.length, 1);
  });
});
