/**
 * Kubernetes `queryMany` against two fake API servers: clusters in three context/namespace
 * pairs (two contexts of one server, one namespace each, and a second server), plus a cluster
 * with no pods, read in one pod list per context and namespace (`skydeck-cluster in (...)`)
 * with exactly what `query` gives for each, also after a pod failed and a pod deleted outside
 * SkyDeck and when the selector would be too long; a context the kubeconfig does not have leaves only its own cluster unknown.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { FakeKubernetes } from '../../helpers/fakes/kubernetes';
import { kubernetesLaunchRequest, useFakeKubernetes } from '../../helpers/providerHarness';
import { createProvider } from '../../../engine/infra/kubernetes';
import type { ClusterHandle, Provider } from '../../../engine/infra/provider';

let main: Awaited<ReturnType<typeof useFakeKubernetes>>;
let other: FakeKubernetes;
let p: Provider;
let handles: ClusterHandle[];

/** Pod lists (not watches) each server answered since `from`. */
function podLists(fake: FakeKubernetes, from: number): string[] {
  return fake.requests.slice(from).filter((r) => /^GET \/api\/v1\/namespaces\/[^/]+\/pods\?/.test(r) && !/watch=/.test(r));
}

async function bothWays(hs: ClusterHandle[]) {
  const one = await Promise.all(hs.map((h) => p.query(h)));
  const from = [main.fake.requests.length, other.requests.length];
  const many = await p.queryMany!(hs);
  return { one, many, lists: [...podLists(main.fake, from[0]), ...podLists(other, from[1])] };
}

describe('kubernetes queryMany against the fake API servers', { timeout: 300_000 }, () => {
  before(async () => {
    const nodes = [{ name: 'n1', cpu: '32', memory: '128Gi' }];
    main = await useFakeKubernetes('k8s-querymany', { nodes, namespaces: ['default', 'kube-system', 'team'] }, { SKYDECK_K8S_PROVISION_TIMEOUT: '0' });
    other = await FakeKubernetes.start({ nodes });
    process.env.KUBECONFIG = main.fake.writeKubeconfig(path.join(main.home, 'kubeconfig'), [
      { name: 'fake' },
      { name: 'team', namespace: 'team' },
      { name: 'other', server: other.url },
    ]);
    p = createProvider();
    const launch = (name: string, context: string, numNodes: number) => p.launch({ ...kubernetesLaunchRequest(name, numNodes), region: context });
    handles = [await launch('ka', 'fake', 2), await launch('kb', 'team', 1), await launch('kc', 'other', 3), await launch('kd', 'fake', 1)];
    handles.push({ ...handles[0], clusterName: 'gone', nameOnCloud: 'gone-abcd', data: { ...handles[0].data } });
  });
  after(async () => {
    await other?.close();
    await main?.stop();
  });

  it('reads every cluster in one pod list per context and namespace, as query does one by one', async () => {
    const { one, many, lists } = await bothWays(handles);
    assert.deepEqual(
      handles.map((h) => [h.data.context, h.data.namespace]),
      [
        ['fake', 'default'],
        ['team', 'team'],
        ['other', 'default'],
        ['fake', 'default'],
        ['fake', 'default'],
      ],
    );
    assert.deepEqual(
      one.map((n) => n.length),
      [2, 1, 3, 1, 0],
    );
    assert.ok(one.flat().every((n) => n.state === 'running' && n.ssh));
    assert.deepEqual(many, one);
    assert.deepEqual(lists.map((r) => decodeURIComponent(r.replace(/\+/g, ' '))).sort(), [
      'GET /api/v1/namespaces/default/pods?labelSelector=skydeck-cluster in (ka-abcd,kd-abcd,gone-abcd)',
      'GET /api/v1/namespaces/default/pods?labelSelector=skydeck-cluster in (kc-abcd)',
      'GET /api/v1/namespaces/team/pods?labelSelector=skydeck-cluster in (kb-abcd)',
    ]);
  });

  it('a failed pod and a pod deleted outside SkyDeck read the same both ways', async () => {
    const [, w1, w2] = await p.query(handles[2]);
    other.setPodPhase('default', w1.id, 'Failed', 'Evicted');
    other.removePod('default', w2.id);
    const { one, many, lists } = await bothWays(handles);
    assert.deepEqual(
      one[2].map((n) => [n.id, n.state]),
      [
        [one[2][0].id, 'running'],
        [w1.id, 'terminated'],
      ],
    );
    assert.deepEqual(many, one);
    assert.equal(lists.length, 3);
  });

  it('a selector too long to list by value selects the label by presence, with the same result', async () => {
    const many = Array.from({ length: 80 }, (_, i) => ({ ...handles[4], clusterName: `long${i}`, nameOnCloud: `${'x'.repeat(50)}-${i}` }));
    const { one, many: got, lists } = await bothWays([...handles, ...many]);
    assert.deepEqual(got, one);
    assert.ok(lists.includes('GET /api/v1/namespaces/default/pods?labelSelector=skydeck-cluster'), lists.join('\n'));
    assert.equal(lists.length, 3);
  });

  it('a context the kubeconfig does not name leaves only its cluster unknown', async () => {
    const stray = { ...handles[1], region: 'nope', data: { ...handles[1].data, context: 'nope' } };
    await assert.rejects(p.query(stray));
    const one = await Promise.all(handles.map((h) => p.query(h)));
    assert.deepEqual(await p.queryMany!([stray, ...handles]), [undefined, ...one]);
  });
});
