/**
 * SSH actions only where they can work: a `local` cluster's tree items carry a `.local`
 * contextValue, which the package.json `when` clauses for Open SSH Terminal / Remote-SSH exclude.
 */
import '../../helpers/vscode';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import type { ClusterRecord } from '../../../engine/cluster/types';
import { ClusterMachineNode, ClusterNode } from '../../../extension/views/clusters';

function record(cloud: string): ClusterRecord {
  const now = Date.now();
  return {
    name: `c-${cloud}`,
    status: 'UP',
    resources: { cloud, region: cloud, instanceType: cloud, useSpot: false, diskSizeGb: 256, ports: [], pricePerHour: 0 },
    numNodes: 1,
    nodes: [],
    launchedAt: now,
    startedAt: now,
    accumulatedUpSeconds: 0,
  } as unknown as ClusterRecord;
}

const menus = (
  JSON.parse(fs.readFileSync(path.resolve(__dirname, '../../../package.json'), 'utf8')) as {
    contributes: { menus: Record<string, { command: string; when: string }[]> };
  }
).contributes.menus;

/** Evaluates the `viewItem =~ /re/` or `viewItem == x` part of a view/item/context when clause. */
function shownFor(command: string, contextValue: string): boolean {
  return menus['view/item/context']
    .filter((m) => m.command === command && m.when.includes('view == skydeck.clusters'))
    .some((m) => {
      const re = /viewItem =~ \/(.*)\/(?:\s|$)/.exec(m.when);
      if (re) return new RegExp(re[1].replace(/\\\\/g, '\\')).test(contextValue);
      const eq = /viewItem == (\S+)/.exec(m.when);
      return eq ? eq[1] === contextValue : false;
    });
}

test('local clusters and their nodes offer no SSH terminal or Remote-SSH; cloud clusters do', () => {
  const local = record('local');
  const gcp = record('gcp');
  const node = { rank: 0, id: 'n0', internalIp: '127.0.0.1', state: 'running' } as unknown as ConstructorParameters<typeof ClusterMachineNode>[1];
  const localItems = [new ClusterNode(local).getTreeItem().contextValue!, new ClusterMachineNode(local, node).getTreeItem().contextValue!];
  const gcpItems = [new ClusterNode(gcp).getTreeItem().contextValue!, new ClusterMachineNode(gcp, node).getTreeItem().contextValue!];
  assert.deepEqual(localItems, ['skydeck.cluster.up.local', 'skydeck.node.running.local']);
  assert.deepEqual(gcpItems, ['skydeck.cluster.up', 'skydeck.node.running']);
  for (const cmd of ['skydeck.openSshTerminal', 'skydeck.attachRemoteSsh']) {
    for (const v of localItems) assert.equal(shownFor(cmd, v), false, `${cmd} on ${v}`);
    for (const v of gcpItems) assert.equal(shownFor(cmd, v), true, `${cmd} on ${v}`);
  }
  // Lifecycle actions stay on local clusters.
  for (const cmd of ['skydeck.stop', 'skydeck.exec', 'skydeck.down', 'skydeck.logs']) assert.equal(shownFor(cmd, 'skydeck.cluster.up.local'), true, cmd);
});

test("a managed job's cluster offers no lifecycle action: its controller recovers and tears it down", () => {
  const owned = { ...record('aws'), owner: 'managed-job:3' } as ClusterRecord;
  const item = new ClusterNode(owned).getTreeItem();
  assert.match(String(item.description), /owned by managed-job 3/);
  for (const command of ['skydeck.stop', 'skydeck.down', 'skydeck.autostop', 'skydeck.exec'])
    assert.equal(shownFor(command, String(item.contextValue)), false, `${command} on an owned cluster`);
  assert.equal(shownFor('skydeck.down', String(new ClusterNode(record('aws')).getTreeItem().contextValue)), true);
});

test('a cluster whose nodes have no SSH endpoint (a pod without its proxy entry) offers no SSH action; one with an endpoint does', () => {
  const node = (rank: number, ssh?: object) =>
    ({ rank, id: `n${rank}`, internalIp: '10.0.0.1', state: 'running', ...(ssh ? { ssh } : {}) }) as unknown as ConstructorParameters<
      typeof ClusterMachineNode
    >[1];
  const noEndpoint = { ...record('kubernetes'), nodes: [node(0)] } as ClusterRecord;
  assert.equal(new ClusterNode(noEndpoint).getTreeItem().contextValue, 'skydeck.cluster.up.local');
  const withEndpoint = { ...record('kubernetes'), nodes: [node(0, { host: 'pod', user: 'sky', proxyCommand: 'x' }), node(1)] } as ClusterRecord;
  assert.equal(new ClusterNode(withEndpoint).getTreeItem().contextValue, 'skydeck.cluster.up');
  assert.equal(new ClusterMachineNode(withEndpoint, withEndpoint.nodes[0]).getTreeItem().contextValue, 'skydeck.node.running');
  assert.equal(new ClusterMachineNode(withEndpoint, withEndpoint.nodes[1]).getTreeItem().contextValue, 'skydeck.node.running.local');
  assert.equal(shownFor('skydeck.openSshTerminal', 'skydeck.node.running.local'), false);
});
