/** A disabled Infra row offers the step that enables it; enabled rows offer none. */
import '../../helpers/vscode';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { setUpStep } from '../../../extension/views/infraSetup';
import { InfraNode } from '../../../extension/views/others';

test('each cloud row gets its own login, SSH pools get the pools file with a template', () => {
  assert.match(setUpStep('aws', '/p')!.terminal!, /^aws configure/);
  assert.match(setUpStep('gcp', '/p')!.terminal!, /gcloud auth application-default login/);
  assert.match(setUpStep('azure', '/p')!.terminal!, /^az login/);
  assert.match(setUpStep('kubernetes', '/p')!.terminal!, /kubectl config/);
  const ssh = setUpStep('ssh', '/home/u/.skydeck/ssh_node_pools.yaml')!;
  assert.equal(ssh.file, '/home/u/.skydeck/ssh_node_pools.yaml');
  assert.match(ssh.template!, /hosts:/);
  assert.equal(setUpStep('local', '/p'), undefined);
});

test('Set Up… is shown inline on disabled Infra rows only, and hidden from the palette', () => {
  const pkg = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../../../package.json'), 'utf8')) as {
    contributes: { menus: Record<string, { command: string; when: string }[]> };
  };
  const item = pkg.contributes.menus['view/item/context'].find((m) => m.command === 'skydeck.setUpInfra')!;
  assert.match(item.when, /viewItem == skydeck\.infra\.disabled/);
  assert.equal(new InfraNode('aws', false, 'No AWS credentials').getTreeItem().contextValue, 'skydeck.infra.disabled');
  assert.equal(new InfraNode('aws', true).getTreeItem().contextValue, 'skydeck.infra.enabled');
  assert.equal(pkg.contributes.menus.commandPalette.find((m) => m.command === 'skydeck.setUpInfra')?.when, 'false');
});

test("a disabled row's tooltip names its step; a disabled row with no step gets no Set Up… action", () => {
  const aws = new InfraNode('aws', false, 'No AWS credentials').getTreeItem();
  assert.match(String(aws.tooltip), /No AWS credentials\nSet Up…: Sign in to AWS \(aws configure\)/);
  const pool = new InfraNode('ssh/gpu-pool', false, 'host unreachable').getTreeItem();
  assert.match(String(pool.tooltip), /Set Up…: Add your machines to/);
  assert.equal(new InfraNode('lambda', false, 'not supported').getTreeItem().contextValue, 'skydeck.infra.disabled.nostep');
});
