import { test } from 'node:test';
import assert from 'node:assert/strict';
import { blockEntry, imageForRegion, provisionWithFailover } from '../../../engine/cluster/provision';
import { overrideProvider } from '../../../engine/infra/registry';
import { ProvisionError, type ClusterHandle, type LaunchRequest, type Provider } from '../../../engine/infra/provider';
import type { Candidate } from '../../../engine/optimizer/types';
import type { Task } from '../../../engine/task/types';

const task: Task = {
  numNodes: 2,
  run: 'x',
  envs: {},
  secrets: {},
  fileMounts: {},
  resources: { base: { infra: { cloud: 'ssh' } }, candidates: [], mode: 'single' },
  raw: {},
};

function fakeSsh(behaviour: (req: LaunchRequest, call: number) => void): { provider: Provider; calls: string[] } {
  const calls: string[] = [];
  const provider = {
    name: 'ssh',
    canStop: true,
    async launch(req: LaunchRequest): Promise<ClusterHandle> {
      calls.push(req.region);
      behaviour(req, calls.length);
      return { clusterName: req.clusterName, nameOnCloud: req.nameOnCloud, provider: 'ssh', region: req.region, data: {} };
    },
  } as unknown as Provider;
  return { provider, calls };
}

const opts = { clusterName: 'c', nameOnCloud: 'c-1', enabledInfra: ['ssh/p1', 'ssh/p2', 'ssh/p3'], sshPublicKey: 'k' };

test('blocklist granularity follows the error scope', () => {
  const c = { cloud: 'gcp', region: 'us-central1', zone: 'us-central1-a' } as Candidate;
  assert.equal(blockEntry(c, { scope: 'zone' }), 'gcp/us-central1/us-central1-a');
  assert.equal(blockEntry({ ...c, zone: undefined }, { scope: 'zone' }), 'gcp/us-central1');
  assert.equal(blockEntry(c, { scope: 'region' }), 'gcp/us-central1');
  assert.equal(blockEntry(c, { scope: 'cloud' }), 'gcp');
});

test('a ProvisionError blocks that pool and the next plan is tried', async (t) => {
  const { provider, calls } = fakeSsh((req) => {
    if (req.region !== 'p3') throw new ProvisionError('unreachable', 'region', `pool ${req.region} down`);
  });
  overrideProvider('ssh', provider);
  t.after(() => overrideProvider('ssh', undefined));
  const messages: string[] = [];
  const out = await provisionWithFailover(task, { ...opts, onProgress: (m) => messages.push(m) });
  assert.equal(out.candidate.region, 'p3');
  assert.deepEqual(calls.sort(), ['p1', 'p2', 'p3']);
  assert.equal(messages.filter((m) => /Blocking ssh\/p[12]/.test(m)).length, 2);
});

test('nothing left: ResourcesUnavailableError with the failover history', async (t) => {
  const { provider } = fakeSsh((req) => {
    throw new ProvisionError('capacity', 'region', `no room in ${req.region}`);
  });
  overrideProvider('ssh', provider);
  t.after(() => overrideProvider('ssh', undefined));
  await assert.rejects(provisionWithFailover(task, opts), (e: Error & { code?: string; failoverHistory?: string[] }) => {
    assert.equal(e.code, 'RESOURCES_UNAVAILABLE');
    assert.match(e.message, /Failed to provision all possible launchable resources/);
    assert.equal(e.failoverHistory?.length, 3);
    return true;
  });
});

test('--retry-until-up starts over after a failed round; other errors are not failed over', async (t) => {
  process.env.SKYDECK_RETRY_GAP_SECONDS = '0';
  t.after(() => delete process.env.SKYDECK_RETRY_GAP_SECONDS);
  const { provider, calls } = fakeSsh((req, n) => {
    if (n <= 3) throw new ProvisionError('capacity', 'region', 'busy');
  });
  overrideProvider('ssh', provider);
  t.after(() => overrideProvider('ssh', undefined));
  const out = await provisionWithFailover(task, { ...opts, retryUntilUp: true });
  assert.equal(calls.length, 4);
  assert.ok(out.handle);
  const boom = fakeSsh(() => {
    throw new Error('bug in provider');
  });
  overrideProvider('ssh', boom.provider);
  await assert.rejects(provisionWithFailover(task, opts), /bug in provider/);
  assert.equal(boom.calls.length, 1);
});

test('an aborted launch stops retrying', async (t) => {
  process.env.SKYDECK_RETRY_GAP_SECONDS = '30';
  t.after(() => delete process.env.SKYDECK_RETRY_GAP_SECONDS);
  const { provider } = fakeSsh(() => {
    throw new ProvisionError('capacity', 'region', 'busy');
  });
  overrideProvider('ssh', provider);
  t.after(() => overrideProvider('ssh', undefined));
  const ac = new AbortController();
  const p = provisionWithFailover(task, { ...opts, retryUntilUp: true, signal: ac.signal, onProgress: (m) => /retrying/.test(m) && ac.abort() });
  await assert.rejects(p, (e: Error & { code?: string }) => e.code === 'CANCELLED');
});

test('image_id: a string applies everywhere, a map gives the chosen region its own image', () => {
  assert.equal(imageForRegion(undefined, 'us-east-1'), undefined);
  assert.equal(imageForRegion('ami-0123', 'eu-west-1'), 'ami-0123');
  const map = { 'us-east-1': 'ami-east', 'us-west-2': 'ami-west' };
  assert.equal(imageForRegion(map, 'us-west-2'), 'ami-west');
  assert.equal(imageForRegion(map, 'eu-west-1'), undefined);
  assert.equal(imageForRegion({ docker: 'nvcr.io/nvidia/pytorch:24.01-py3' }, 'my-context'), 'docker:nvcr.io/nvidia/pytorch:24.01-py3');
  assert.equal(imageForRegion({ 'us-east-1': 'ami-east', docker: 'ubuntu:22.04' }, 'us-east-1'), 'ami-east');
});
