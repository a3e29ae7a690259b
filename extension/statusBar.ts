/** Status bar: what is running and what it costs per hour; a click focuses the sidebar. */
import * as vscode from 'vscode';
import type { ClusterRecord } from '../engine/cluster/types';
import { costPerHour } from './views/clusters';
import { money } from './views/treeNode';

function statusText(clusters: ClusterRecord[]): { text: string; tooltip: string } {
  const up = clusters.filter((c) => c.status === 'UP' || c.status === 'AUTOSTOPPING' || c.status === 'INIT');
  const perHour = up.reduce((s, c) => s + costPerHour(c), 0);
  if (!up.length) return { text: '$(cloud) SkyDeck', tooltip: 'SkyDeck: nothing running. Click to open the sidebar.' };
  const tooltip = up.map((c) => `${c.name}: ${c.status}, ${money(costPerHour(c))}/h`).join('\n');
  return { text: `$(cloud) ${up.length} running · ${money(perHour)}/h`, tooltip: `SkyDeck\n${tooltip}` };
}

export class SkyStatusBar implements vscode.Disposable {
  readonly item = vscode.window.createStatusBarItem('skydeck.status', vscode.StatusBarAlignment.Left, 40);

  constructor() {
    this.item.name = 'SkyDeck';
    this.item.command = 'workbench.view.extension.skydeck';
    this.item.text = '$(cloud) SkyDeck';
    this.item.tooltip = 'SkyDeck: click to open the sidebar.';
    this.item.show();
  }

  update(clusters: ClusterRecord[]): void {
    const s = statusText(clusters);
    this.item.text = s.text;
    this.item.tooltip = s.tooltip;
  }

  dispose(): void {
    this.item.dispose();
  }
}
