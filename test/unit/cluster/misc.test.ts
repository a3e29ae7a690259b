import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { formatAutostop, formatInfra, formatResources, costSoFar, statusJson } from '../../../engine/cluster/format';
import { checkFit } from '../../../engine/cluster/engine';
import { clientKey, generateEd25519 } from '../../../engine/cluster/keys';
import { generateClusterName, validateClusterName } from '../../../engine/cluster/naming';
import { allocateIps, releaseIps } from '../../../engine/infra/local/ips';
import type { ClusterRecord } from '../../../engine/cluster/types';
import type { Task } from '../../../engine/task/types';
import { skipWithoutPrerequisite } from '../../helpers/prerequisites';

function rec(over: Partial<ClusterRecord> = {}): ClusterRecord {
  return {
    name: 'c',
    status: 'UP',
    handle: { clusterName: 'c', nameOnCloud: 'c-1', provider: 'aws', region: 'us-east-1', data: {} },
    resources: {
      cloud: 'aws',
      region: 'us-east-1',
      instanceType: 'p4d.24xlarge-with-long-name',
      accelerators: { name: 'A100', count: 8 },
      cpus: 96,
      useSpot: true,
      diskSizeGb: 256,
      ports: [],
      pricePerHour: 10,
    },
    numNodes: 2,
    nodes: [{ id: 'i', rank: 0, state: 'running', internalIp: '10.0.0.1' }],
    launchedAt: 0,
    accumulatedUpSeconds: 1800,
    ...over,
  };
}

function task(over: Partial<Task> = {}, base: Task['resources']['base'] = {}): Task {
  return { numNodes: 1, envs: {}, secrets: {}, fileMounts: {}, resources: { base, candidates: [], mode: 'single' }, raw: {}, ...over };
}

test("status columns in SkyPilot's format", () => {
  assert.equal(formatResources(rec().resources, 2), '2x[spot](gpus=A100:8, cpus=96, p4d.24xlarge-wi...)');
  assert.equal(formatInfra(rec().resources), 'AWS (us-east-1)');
  assert.equal(formatInfra({ ...rec().resources, cloud: 'local' }), 'Local');
  assert.equal(formatAutostop(undefined), '-');
  assert.equal(formatAutostop({ idleMinutes: 10, down: false }), '10m');
  assert.equal(formatAutostop({ idleMinutes: 120, down: true }), '2h (down)');
});

test('cost so far counts every UP period', () => {
  const now = 3600_000;
  const r = rec({ startedAt: now - 1800_000 });
  assert.equal(costSoFar(r, now), 10 * 2 * 1); // 30 min before + 30 min now, 2 nodes at $10
  assert.equal(costSoFar({ ...r, status: 'STOPPED' }, now), 10);
  const j = statusJson(r, now);
  assert.deepEqual([j.name, j.status, j.infra, j.uptimeSeconds, j.costPerHour, j.headIp], ['c', 'UP', 'aws/us-east-1', 1800, 20, '10.0.0.1']);
});

test('reuse: the task must fit the existing cluster', () => {
  const r = rec();
  checkFit(r, task({ numNodes: 2 }, { accelerators: [{ name: 'A100', count: 4 }], infra: { cloud: 'aws' } }));
  assert.throws(() => checkFit(r, task({ numNodes: 3 })), /3 nodes requested/);
  assert.throws(() => checkFit(r, task({}, { accelerators: [{ name: 'H100', count: 1 }] })), /H100:1 requested/);
  assert.throws(() => checkFit(r, task({}, { infra: { cloud: 'gcp' } })), /infra gcp requested/);
  assert.throws(() => checkFit(r, task({}, { useSpot: false })), /use_spot=false/);
});

test('cluster names', () => {
  validateClusterName('my-cluster.v2_a');
  assert.throws(() => validateClusterName('1bad'), /invalid/);
  assert.throws(() => validateClusterName('bad-'), /invalid/);
  assert.match(generateClusterName(), /^sky-[0-9a-f]{4}-[a-z0-9]+$/);
});

test('the client key is an OpenSSH ed25519 key, 0600, generated once', (t) => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'skydeck-key-'));
  t.after(() => fs.rmSync(home, { recursive: true, force: true }));
  process.env.SKYDECK_HOME = home;
  const a = clientKey();
  assert.equal(fs.statSync(a.privateKeyPath).mode & 0o777, 0o600);
  assert.deepEqual(clientKey(), a);
  assert.match(a.publicKey, /^ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA[A-Za-z0-9+/=]+ skydeck$/);
  const keygen = spawnSync('ssh-keygen', ['-y', '-f', a.privateKeyPath], { encoding: 'utf8' });
  if (skipWithoutPrerequisite(t, keygen.error && 'ssh-keygen (Debian package openssh-client, installed by scripts/setup/10-sshd.sh)')) return;
  assert.equal(keygen.stdout.trim(), a.publicKey, 'OpenSSH reads the private key and derives the same public key');
  assert.notEqual(generateEd25519().publicKey, a.publicKey);
});

test('local loopback IPs: unique across clusters, stable per cluster, released on down', async (t) => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'skydeck-ips-'));
  t.after(() => fs.rmSync(home, { recursive: true, force: true }));
  process.env.SKYDECK_HOME = home;
  const [a, b] = await Promise.all([allocateIps('a', 3), allocateIps('b', 2)]);
  assert.equal(new Set([...a, ...b]).size, 5);
  for (const ip of [...a, ...b]) assert.match(ip, /^127\.0\.\d+\.\d+$/);
  assert.ok(![...a, ...b].includes('127.0.0.1'));
  assert.deepEqual(await allocateIps('a', 3), a);
  await releaseIps('a');
  const c = await allocateIps('c', 3);
  assert.deepEqual(c.sort(), [...a].sort(), 'freed addresses are reused');
});
