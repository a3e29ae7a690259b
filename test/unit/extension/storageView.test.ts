/**
 * The Storage view from `skydeck storage ls --json` rows (engine/contract/cliJson.ts), and its
 * "Delete" context-menu command, through the `vscode` stand-in with canned JSON.
 */
import '../../helpers/vscode';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, test } from 'node:test';
import type { TreeItem } from 'vscode';
import type { StorageJson } from '../../../engine/contract/cliJson';
import { handlers, resetHandlers } from '../../helpers/vscode';
import { deleteStorage, StorageNode, storageRoots } from '../../../extension/views/storage';

afterEach(() => resetHandlers());

const row: StorageJson = {
  name: 'ckpt-bucket',
  store: 'gcs',
  source: '~/checkpoints',
  mode: 'MOUNT_CACHED',
  persistent: false,
  createdBySkydeck: true,
  clusters: ['train-1', 'train-2'],
  createdAt: '2026-12-06T10:00:00.000Z',
  status: 'READY',
};

test('a storage object shows its store, mode and the clusters using it; source and lifetime in the tooltip', async () => {
  const nodes = await storageRoots(async () => [
    row,
    { ...row, name: 'data', store: 's3', source: ['s3://a', 's3://b'], mode: 'COPY', clusters: [], persistent: true, createdBySkydeck: false },
  ]);
  const items = nodes.map((n) => n.getTreeItem() as TreeItem);
  assert.deepEqual(
    items.map((i) => [i.label, i.description, i.contextValue]),
    [
      ['ckpt-bucket', 'gcs · MOUNT_CACHED · used by train-1, train-2', 'skydeck.storage'],
      ['data', 's3 · COPY · not in use', 'skydeck.storage'],
    ],
  );
  assert.match(
    String(items[0].tooltip),
    /source: ~\/checkpoints\nmode: MOUNT_CACHED\nclusters: train-1, train-2\ndeleted on down of its last cluster\ncreated by SkyDeck/,
  );
  assert.match(String(items[1].tooltip), /source: s3:\/\/a, s3:\/\/b[\s\S]*persistent\nnot created by SkyDeck \(never deleted by it\)/);
});

test('no storage objects: one message node', async () => {
  const nodes = await storageRoots(async () => []);
  assert.equal(nodes.length, 1);
  assert.equal((nodes[0].getTreeItem() as TreeItem).label, 'No storage objects');
});

test('Delete asks first (modal, naming the clusters using it), then runs `storage delete NAME -y`', async () => {
  const asked: unknown[][] = [];
  const ran: string[][] = [];
  handlers.window.showWarningMessage = ((...args: unknown[]) => (asked.push(args), Promise.resolve('Delete'))) as never;
  assert.equal(await deleteStorage(new StorageNode(row), async (args) => ran.push(args)), true);
  assert.match(String(asked[0][0]), /Delete storage ckpt-bucket \(gcs\)\? .*used by train-1, train-2/);
  assert.deepEqual(asked[0].slice(1), [{ modal: true }, 'Delete']);
  assert.deepEqual(ran, [['storage', 'delete', 'ckpt-bucket', '-y']]);
});

test('Delete dismissed: nothing runs', async () => {
  const ran: string[][] = [];
  handlers.window.showWarningMessage = (() => Promise.resolve(undefined)) as never;
  assert.equal(await deleteStorage(new StorageNode(row), async (args) => ran.push(args)), false);
  assert.deepEqual(ran, []);
});

test('package.json declares the view, the command (SkyDeck category, hidden from the palette) and its context-menu entry', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', '..', 'package.json'), 'utf8')) as {
    contributes: {
      commands: { command: string; category: string }[];
      views: { skydeck: { id: string }[] };
      menus: Record<string, { command: string; when?: string }[]>;
    };
  };
  const c = pkg.contributes;
  assert.ok(c.views.skydeck.some((v) => v.id === 'skydeck.storage'));
  assert.equal(c.commands.find((x) => x.command === 'skydeck.storage.delete')?.category, 'SkyDeck');
  assert.equal(c.menus.commandPalette.find((x) => x.command === 'skydeck.storage.delete')?.when, 'false');
  assert.match(
    c.menus['view/item/context'].find((x) => x.command === 'skydeck.storage.delete')?.when ?? '',
    /view == skydeck.storage && viewItem == skydeck.storage/,
  );
  const main = fs.readFileSync(path.join(__dirname, '..', '..', '..', 'extension', 'main.ts'), 'utf8');
  assert.match(main, /commands\.register\('skydeck\.storage\.delete'/);
});
