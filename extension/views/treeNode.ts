/**
 * A small typed tree (style lesson 6): every node has a stable composite id
 * (`cluster/<name>/job/<id>`) so VS Code keeps expansion and selection across refreshes,
 * and kind + state go into contextValue for menus (`skydeck.cluster.up`).
 */
import * as vscode from 'vscode';

export interface TreeNode {
  readonly id: string;
  getTreeItem(): vscode.TreeItem;
  getChildren?(): Promise<TreeNode[]> | TreeNode[];
}

/** A leaf that shows a message (empty group, error, loading). */
export class MessageNode implements TreeNode {
  constructor(
    readonly id: string,
    private readonly label: string,
    private readonly icon = 'info',
    private readonly command?: vscode.Command,
    private readonly tooltip?: string,
  ) {}
  getTreeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem(this.label, vscode.TreeItemCollapsibleState.None);
    item.iconPath = new vscode.ThemeIcon(this.icon);
    item.contextValue = 'skydeck.message';
    item.command = this.command;
    item.tooltip = this.tooltip ?? this.label;
    return item;
  }
}

export class NodeTreeProvider implements vscode.TreeDataProvider<TreeNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<TreeNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  /** The last roots returned (tests and the status bar read them). */
  lastRoots: TreeNode[] = [];

  constructor(
    private readonly viewId: string,
    private readonly roots: () => Promise<TreeNode[]>,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  refresh(): void {
    this.changed.fire(undefined);
  }

  getTreeItem(node: TreeNode): vscode.TreeItem {
    const item = node.getTreeItem();
    item.id = node.id;
    return item;
  }

  async getChildren(node?: TreeNode): Promise<TreeNode[]> {
    try {
      if (node) return (await node.getChildren?.()) ?? [];
      this.lastRoots = await this.roots();
      return this.lastRoots;
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      this.log.warn(`${this.viewId}: ${message}`);
      return [
        new MessageNode(
          `${node?.id ?? this.viewId}/error`,
          `Could not load: ${message.split('\n')[0]}`,
          'warning',
          {
            command: 'skydeck.showOutput',
            title: 'Show output',
          },
          message,
        ),
      ];
    }
  }

  dispose(): void {
    this.changed.dispose();
  }
}

export function duration(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h ${m % 60}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

export function money(usd: number | undefined): string {
  if (usd === undefined || !Number.isFinite(usd)) return '—';
  if (usd === 0) return '$0';
  return usd < 0.01 ? `$${usd.toFixed(4)}` : `$${usd.toFixed(2)}`;
}

/** Icons for SkyPilot's status names, across clusters, jobs and services. */
export function statusIcon(status: string): vscode.ThemeIcon {
  const s = status.toUpperCase();
  const green = new vscode.ThemeColor('testing.iconPassed');
  const red = new vscode.ThemeColor('testing.iconFailed');
  const yellow = new vscode.ThemeColor('testing.iconQueued');
  if (s === 'UP' || s === 'READY') return new vscode.ThemeIcon('vm-running', green);
  if (s === 'RUNNING') return new vscode.ThemeIcon('play-circle', green);
  if (s === 'SUCCEEDED') return new vscode.ThemeIcon('pass', green);
  if (s === 'STOPPED') return new vscode.ThemeIcon('debug-stop', yellow);
  if (s === 'AUTOSTOPPING' || s === 'PENDING' || s === 'STARTING' || s === 'SUBMITTED') return new vscode.ThemeIcon('clock', yellow);
  if (s === 'INIT' || s === 'SETTING_UP' || s === 'PROVISIONING' || s === 'RECOVERING' || s === 'CONTROLLER_INIT' || s === 'REPLICA_INIT')
    return new vscode.ThemeIcon('loading~spin');
  if (s === 'CANCELLED' || s === 'CANCELLING' || s === 'SHUTTING_DOWN') return new vscode.ThemeIcon('circle-slash');
  if (s.startsWith('FAILED') || s === 'NOT_READY' || s === 'NO_REPLICA' || s === 'PREEMPTED') return new vscode.ThemeIcon('error', red);
  return new vscode.ThemeIcon('circle-outline');
}
