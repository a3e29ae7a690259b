/**
 * The Storage view: the storage objects SkyDeck prepared for tasks (`skydeck storage ls
 * --json`): name, store, source, mode and the clusters using each; "Delete" in the context menu
 * runs `skydeck storage delete NAME -y` after a modal confirmation.
 */
import * as vscode from 'vscode';
import type { StorageJson } from '../../engine/contract/cliJson';
import { cliJson, runCli } from '../engine/cli';
import { MessageNode, type TreeNode } from './treeNode';

export class StorageNode implements TreeNode {
  readonly id: string;
  constructor(readonly storage: StorageJson) {
    this.id = `storage/${storage.store}/${storage.name}`;
  }
  getTreeItem(): vscode.TreeItem {
    const s = this.storage;
    const item = new vscode.TreeItem(s.name, vscode.TreeItemCollapsibleState.None);
    const source = Array.isArray(s.source) ? s.source.join(', ') : s.source;
    const used = s.clusters.length ? `used by ${s.clusters.join(', ')}` : 'not in use';
    item.description = [s.store, s.mode, used].join(' · ');
    item.iconPath = new vscode.ThemeIcon(s.status === 'READY' ? 'database' : 'warning');
    item.contextValue = 'skydeck.storage';
    item.tooltip = [
      `${s.name} (${s.store}), ${s.status}`,
      source ? `source: ${source}` : 'no source',
      `mode: ${s.mode}`,
      `clusters: ${s.clusters.length ? s.clusters.join(', ') : 'none'}`,
      s.persistent ? 'persistent' : 'deleted on down of its last cluster',
      s.createdBySkydeck ? 'created by SkyDeck' : 'not created by SkyDeck (never deleted by it)',
    ].join('\n');
    return item;
  }
}

export async function storageRoots(list: () => Promise<StorageJson[]> = () => cliJson<StorageJson[]>(['storage', 'ls'])): Promise<TreeNode[]> {
  const rows = await list();
  return rows.length ? rows.map((r) => new StorageNode(r)) : [new MessageNode('storage/none', 'No storage objects')];
}

/**
 * The "Delete" context-menu command: asks first (modal, naming the clusters still using it),
 * then runs the CLI. Returns whether it was deleted.
 */
export async function deleteStorage(node: unknown, run: (args: string[]) => Promise<unknown> = (args) => runCli(args)): Promise<boolean> {
  if (!(node instanceof StorageNode)) throw new Error('Delete Storage: pick a storage object in the Storage view.');
  const s = node.storage;
  const inUse = s.clusters.length ? ` It is used by ${s.clusters.join(', ')}.` : '';
  const picked = await vscode.window.showWarningMessage(
    `Delete storage ${s.name} (${s.store})? The bucket and everything in it are deleted.${inUse}`,
    { modal: true },
    'Delete',
  );
  if (picked !== 'Delete') return false;
  await run(['storage', 'delete', s.name, '-y']);
  return true;
}
