/**
 * The cost detail view, opened from the cost lens: a sortable table of the top offers
 * (cloud, region, instance, vCPUs, memory, GPUs, on-demand, spot), one-click "Pin" that
 * writes `resources.infra` into the task, and a plain-SVG chart of price per GPU-hour by
 * cloud and region, on-demand beside spot. No CDN, no remote content; strict CSP.
 */
import * as crypto from 'node:crypto';
import * as vscode from 'vscode';
import { planTask, type PlanRowJson } from '../engine/index';
import { pinInfraEdit } from './pinInfra';

export interface OfferRow {
  cloud: string;
  region: string;
  zone?: string;
  instanceType: string;
  vcpus?: number;
  memoryGb?: number;
  gpu?: string;
  gpuCount: number;
  price?: number;
  spotPrice?: number;
  nodes: number;
}

/** Arguments the cost lens passes (server -> `skydeck.showOffers`); tolerant of extra fields. */
export interface ShowOffersArgs {
  uri?: string;
  candidateIndex?: number;
  title?: string;
  offers?: OfferRow[];
  /** The lens's resources (server/service/costLens.ts): rows are asked of the language server. */
  resources?: unknown;
}

/** Merges on-demand and spot plan candidates into one row per (cloud, region, instance). */
function offersFromPlan(candidates: PlanRowJson[]): OfferRow[] {
  const rows = new Map<string, OfferRow>();
  for (const c of candidates) {
    const [gpu, gpuCount] = c.accelerators ? (Object.entries(c.accelerators)[0] ?? [undefined, 0]) : [undefined, 0];
    const key = `${c.cloud}/${c.region}/${c.instanceType}/${gpu ?? ''}`;
    const row = rows.get(key) ?? {
      cloud: c.cloud,
      region: c.region,
      instanceType: c.instanceType,
      gpu,
      gpuCount: gpuCount ?? 0,
      nodes: c.nodes,
      vcpus: (c as { cpus?: number }).cpus,
      memoryGb: (c as { memoryGb?: number }).memoryGb,
    };
    if (c.spot) row.spotPrice = row.spotPrice === undefined ? c.pricePerHour : Math.min(row.spotPrice, c.pricePerHour);
    else row.price = row.price === undefined ? c.pricePerHour : Math.min(row.price, c.pricePerHour);
    rows.set(key, row);
  }
  return [...rows.values()].sort((a, b) => (a.price ?? a.spotPrice ?? Infinity) - (b.price ?? b.spotPrice ?? Infinity));
}

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}
const fmt = (v: number | undefined): string => (v === undefined ? '—' : `$${v.toFixed(v < 1 ? 3 : 2)}`);

/** Bar chart: per cloud/region, the cheapest on-demand and spot price per GPU-hour (or per node-hour without GPUs). */
function chartSvg(rows: OfferRow[]): string {
  const per = (p: number | undefined, r: OfferRow): number | undefined => (p === undefined ? undefined : p / Math.max(1, r.gpuCount));
  const groups = new Map<string, { od?: number; spot?: number }>();
  for (const r of rows) {
    const g = groups.get(`${r.cloud}/${r.region}`) ?? {};
    const od = per(r.price, r);
    const sp = per(r.spotPrice, r);
    if (od !== undefined) g.od = g.od === undefined ? od : Math.min(g.od, od);
    if (sp !== undefined) g.spot = g.spot === undefined ? sp : Math.min(g.spot, sp);
    groups.set(`${r.cloud}/${r.region}`, g);
  }
  const list = [...groups.entries()].sort((a, b) => (a[1].od ?? a[1].spot ?? Infinity) - (b[1].od ?? b[1].spot ?? Infinity)).slice(0, 20);
  if (!list.length) return '<p>No priced offers to chart.</p>';
  const max = Math.max(...list.flatMap(([, g]) => [g.od ?? 0, g.spot ?? 0]), 0.0001);
  const rowH = 26;
  const labelW = 210;
  const barW = 420;
  const h = list.length * rowH + 30;
  const unit = rows.some((r) => r.gpuCount > 0) ? 'per GPU-hour' : 'per node-hour';
  const bars = list
    .map(([name, g], i) => {
      const y = 20 + i * rowH;
      const od =
        g.od !== undefined
          ? `<rect class="od" x="${labelW}" y="${y}" width="${((g.od / max) * barW).toFixed(1)}" height="10"><title>${esc(name)} on-demand ${fmt(g.od)}</title></rect><text x="${labelW + (g.od / max) * barW + 4}" y="${y + 9}">${fmt(g.od)}</text>`
          : '';
      const sp =
        g.spot !== undefined
          ? `<rect class="spot" x="${labelW}" y="${y + 11}" width="${((g.spot / max) * barW).toFixed(1)}" height="10"><title>${esc(name)} spot ${fmt(g.spot)}</title></rect><text x="${labelW + (g.spot / max) * barW + 4}" y="${y + 20}">${fmt(g.spot)}</text>`
          : '';
      return `<text x="${labelW - 6}" y="${y + 14}" text-anchor="end">${esc(name)}</text>${od}${sp}`;
    })
    .join('');
  const w = labelW + barW + 90;
  // Scales down with the panel (viewBox), never wider than its natural size.
  return `<svg role="img" aria-label="Price ${unit} by cloud and region" viewBox="0 0 ${w} ${h}" width="100%" style="max-width:${w}px" xmlns="http://www.w3.org/2000/svg">
<text x="0" y="12" class="legend">Cheapest price ${unit}: <tspan class="od-t">■ on-demand</tspan> <tspan class="spot-t">■ spot</tspan></text>${bars}</svg>`;
}

function offersHtml(rows: OfferRow[], title: string, nonce: string, cspSource: string): string {
  const body = rows
    .slice(0, 200)
    .map(
      (r) => `<tr>
<td>${esc(r.cloud)}</td><td>${esc(r.region)}</td><td>${esc(r.instanceType)}</td>
<td data-v="${r.vcpus ?? ''}">${r.vcpus ?? '—'}</td><td data-v="${r.memoryGb ?? ''}">${r.memoryGb ?? '—'}</td>
<td data-v="${r.gpuCount}">${r.gpu ? `${esc(r.gpu)}:${r.gpuCount}` : '—'}</td>
<td data-v="${r.price ?? ''}">${fmt(r.price)}</td><td data-v="${r.spotPrice ?? ''}">${fmt(r.spotPrice)}</td>
<td><button data-infra="${esc(`${r.cloud}/${r.region}`)}" title="Write infra: ${esc(`${r.cloud}/${r.region}`)} into the task">Pin</button></td></tr>`,
    )
    .join('\n');
  return `<!DOCTYPE html><html><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src ${cspSource} 'unsafe-inline'; script-src 'nonce-${nonce}';">
<style>
body{font-family:var(--vscode-font-family);color:var(--vscode-foreground);padding:8px 16px}
table{border-collapse:collapse;width:100%;margin:12px 0}th,td{text-align:left;padding:3px 8px;border-bottom:1px solid var(--vscode-panel-border)}
th{cursor:pointer;user-select:none}th.sorted::after{content:' ▲'}th.sorted.desc::after{content:' ▼'}
td[data-v]{text-align:right;font-variant-numeric:tabular-nums}
button{background:var(--vscode-button-background);color:var(--vscode-button-foreground);border:none;padding:2px 10px;cursor:pointer}
svg text{fill:var(--vscode-foreground);font-size:11px}rect.od,.od-t{fill:var(--vscode-charts-blue)}rect.spot,.spot-t{fill:var(--vscode-charts-green)}
</style></head><body>
<h2>${esc(title)}</h2>
<p>${rows.length} offers. Click a column to sort; <b>Pin</b> writes <code>infra</code> into the task's <code>resources</code>.</p>
${chartSvg(rows)}
<table id="offers"><thead><tr><th>Cloud</th><th>Region</th><th>Instance</th><th>vCPUs</th><th>Memory (GB)</th><th>GPUs</th><th class="sorted">On-demand /h</th><th>Spot /h</th><th></th></tr></thead>
<tbody>${body}</tbody></table>
<script nonce="${nonce}">
const vscode = acquireVsCodeApi();
const table = document.getElementById('offers');
table.querySelectorAll('th').forEach((th, col) => th.addEventListener('click', () => {
  const desc = th.classList.contains('sorted') && !th.classList.contains('desc');
  table.querySelectorAll('th').forEach(h => h.classList.remove('sorted', 'desc'));
  th.classList.add('sorted'); if (desc) th.classList.add('desc');
  const rows = [...table.tBodies[0].rows];
  const key = r => { const c = r.cells[col]; return c.dataset.v !== undefined ? (c.dataset.v === '' ? Infinity : Number(c.dataset.v)) : c.textContent; };
  rows.sort((a, b) => { const x = key(a), y = key(b); const r = typeof x === 'number' ? x - y : String(x).localeCompare(String(y)); return desc ? -r : r; });
  rows.forEach(r => table.tBodies[0].appendChild(r));
}));
document.addEventListener('click', e => { const b = e.target.closest('button[data-infra]'); if (b) vscode.postMessage({ type: 'pin', infra: b.dataset.infra }); });
</script></body></html>`;
}

let panel: vscode.WebviewPanel | undefined;
let pinSub: vscode.Disposable | undefined;

export async function showOffers(
  arg: unknown,
  log: vscode.LogOutputChannel,
  fetchRows?: (args: ShowOffersArgs) => Thenable<OfferRow[]>,
): Promise<vscode.WebviewPanel> {
  const args = (typeof arg === 'object' && arg !== null ? arg : {}) as ShowOffersArgs;
  const uri = args.uri ? vscode.Uri.parse(args.uri) : arg instanceof vscode.Uri ? arg : vscode.window.activeTextEditor?.document.uri;
  if (!uri) throw new Error('Open a task file to see its offers.');
  let rows = args.offers;
  if (!rows && args.resources && fetchRows) {
    try {
      rows = await fetchRows(args);
    } catch (e) {
      log.warn(`offers from the language server failed, planning instead: ${(e as Error).message}`);
    }
  }
  if (!rows?.length) {
    const plan = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: 'SkyDeck: pricing offers…' }, () =>
      planTask(uri.fsPath, ['--all-infra']),
    );
    rows = offersFromPlan(plan.candidates);
  }
  const title = args.title ?? `Offers for ${uri.path.split('/').pop()}`;
  if (!panel) {
    panel = vscode.window.createWebviewPanel(
      'skydeck.offers',
      title,
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true },
      { enableScripts: true, localResourceRoots: [] },
    );
    panel.onDidDispose(() => {
      panel = undefined;
      pinSub?.dispose();
      pinSub = undefined;
    });
  }
  panel.title = title;
  const nonce = crypto.randomBytes(16).toString('base64');
  panel.webview.html = offersHtml(rows, title, nonce, panel.webview.cspSource);
  const target = uri;
  pinSub?.dispose();
  pinSub = panel.webview.onDidReceiveMessage(async (msg: { type?: string; infra?: string }) => {
    if (msg.type !== 'pin' || !msg.infra) return;
    const doc = await vscode.workspace.openTextDocument(target);
    const e = pinInfraEdit(doc.getText(), msg.infra);
    const edit = new vscode.WorkspaceEdit();
    edit.replace(target, new vscode.Range(e.line, e.character, e.endLine, e.endCharacter), e.newText);
    await vscode.workspace.applyEdit(edit);
    log.info(`pinned infra ${msg.infra} in ${target.fsPath}`);
    void vscode.window.showInformationMessage(`Pinned infra: ${msg.infra} in ${target.path.split('/').pop()}.`);
  });
  panel.reveal(undefined, true);
  return panel;
}
