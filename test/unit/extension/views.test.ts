/**
 * Sidebar nodes built from the CLI's real `--json` rows (engine/contract/cliJson.ts), through the
 * `vscode` stand-in: what a user sees for a managed job, a GPU offer and an infra row.
 */
import '../../helpers/vscode';
import * as vscode from 'vscode';
import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CheckRowJson, GpuOfferJson, ManagedJobJson } from '../../../engine/contract/cliJson';
import { GpuOfferNode, InfraNode, ManagedJobNode } from '../../../extension/views/others';

const job: ManagedJobJson = {
  id: 7,
  name: 'train',
  status: 'RUNNING',
  recoveries: 1,
  cluster: 'train-7',
  resources: '1x local',
  submittedAt: Date.now() - 3_900_000,
  totalDurationSeconds: 3900,
  jobDurationSeconds: 3720,
  infra: 'local',
  controllerStarts: 1,
};

test('a managed job shows its running time and, in the tooltip, the time since submission', () => {
  const item = new ManagedJobNode(job).getTreeItem();
  assert.equal(item.description, 'RUNNING · 1 recoveries · 1h 2m · local');
  assert.match(String(item.tooltip), /running 1h 2m of 1h 5m since submission/);
  assert.equal(item.contextValue, 'skydeck.managedJob.running');
});

test('a job that has not run yet shows no duration', () => {
  const item = new ManagedJobNode({ ...job, status: 'PENDING', recoveries: 0, jobDurationSeconds: 0 }).getTreeItem();
  assert.equal(item.description, 'PENDING · 0 recoveries · local');
});

test('a job group lists its tasks under the job, each with its status and role', () => {
  const task = (i: number, name: string, status: string, primary: boolean): ManagedJobJson => ({
    ...job,
    task: i,
    name,
    status,
    primary,
    recoveries: 0,
    cluster: `${name}-7`,
  });
  const group: ManagedJobJson = { ...job, execution: 'parallel', tasks: [task(0, 'trainer', 'RUNNING', true), task(1, 'evaluator', 'SUCCEEDED', false)] };
  const node = new ManagedJobNode(group);
  const item = node.getTreeItem();
  assert.equal(item.collapsibleState, vscode.TreeItemCollapsibleState.Collapsed);
  assert.match(String(item.description), /group of 2/);
  const rows = node.getChildren().map((c) => c.getTreeItem());
  assert.deepEqual(
    rows.map((r) => [r.label, r.description]),
    [
      ['0: trainer', 'RUNNING · primary · 1h 2m · trainer-7'],
      ['1: evaluator', 'SUCCEEDED · auxiliary · 1h 2m · evaluator-7'],
    ],
  );
  assert.deepEqual(new ManagedJobNode(job).getChildren(), [], 'a single-task job has no task rows');
});

test('an offer whose spot price is unknown says so instead of $0', () => {
  const offer: GpuOfferJson = {
    accelerator: 'A100',
    count: 8,
    cloud: 'azure',
    instanceType: 'Standard_ND96asr_v4',
    deviceMemoryGb: 40,
    vcpus: 96,
    memoryGb: 900,
    price: 27.2,
    spotPrice: null,
    region: 'eastus',
  };
  const item = new GpuOfferNode('A100', offer).getTreeItem();
  assert.match(String(item.description), /\$3\.40\/GPU-h/);
  assert.match(String(item.description), /spot —/);
  assert.doesNotMatch(String(item.description), /\$0\b/);
});

test('infra rows are named by the check row they come from', () => {
  const row: CheckRowJson = { infra: 'ssh/lab', enabled: false, reason: 'no hosts answer' };
  const item = new InfraNode(row.infra, row.enabled, row.reason).getTreeItem();
  assert.equal(item.label, 'ssh/lab');
  assert.equal(item.description, 'no hosts answer');
});
