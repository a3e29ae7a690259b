/**
 * Runs inside code-server's extension host (payload route), once per fresh extension host.
 * Every number is a cold first load in this fresh extension host (never a second, warm
 * require). Measures, before any YAML document is open (so nothing has activated SkyDeck yet):
 *   activateTotal*     ext.activate(): the first load of dist/extension.js + activate()
 *   activateCall*      activate()'s own body (SkyDeckApi.activationMs / activationCpuMs)
 *   startToFirstDiagnosticsMs   language client start -> first diagnostics on a task file
 * and, as the same-run baseline of what lazy loading saves:
 *   engineRequire*     the first require() of dist/extension-engine.js in this host (what
 *                      activation would add if it loaded the engine eagerly)
 * Wall and CPU times: on a busy shared machine wall time mostly measures waiting for a core.
 * Writes results-<n>.json to SKYDECK_E2E_OUT.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { SkyDeckApi } from '../../extension/main';

function firstDiagnostics(uri: vscode.Uri, ms: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no diagnostics on ${uri.path} within ${ms} ms`)), ms);
    const sub = vscode.languages.onDidChangeDiagnostics((e) => {
      if (e.uris.some((u) => u.toString() === uri.toString()) && vscode.languages.getDiagnostics(uri).length) {
        clearTimeout(timer);
        sub.dispose();
        resolve(Date.now());
      }
    });
  });
}

export async function run(): Promise<void> {
  const ext = vscode.extensions.getExtension<SkyDeckApi>('skydeck.skydeck');
  if (!ext) throw new Error('skydeck.skydeck not loaded');
  if (ext.isActive) throw new Error('SkyDeck was already active: the measurement would be wrong');
  const folder = vscode.workspace.workspaceFolders![0].uri;
  const uri = vscode.Uri.joinPath(folder, 'invalid.sky.yaml');
  const diagnostics = firstDiagnostics(uri, 120_000);

  const extensionJs = path.join(ext.extensionPath, 'dist', 'extension.js');
  const engineJs = path.join(ext.extensionPath, 'dist', 'extension-engine.js');
  if (require.cache[extensionJs]) throw new Error('dist/extension.js already loaded in this host: not a cold first load');
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const api = await ext.activate();
  const activateTotalMs = performance.now() - t0;
  const activateCpu = process.cpuUsage(cpu0);
  const activateTotalCpuMs = (activateCpu.user + activateCpu.system) / 1000;

  // The baseline: the engine's first load in this host, before anything else can load it.
  if (require.cache[engineJs]) throw new Error('dist/extension-engine.js was loaded by activation: the lazy/eager baseline would be wrong');
  const engineCpu0 = process.cpuUsage();
  const engineT0 = performance.now();
  require(engineJs);
  const engineRequireMs = performance.now() - engineT0;
  const engineCpu = process.cpuUsage(engineCpu0);
  const engineRequireCpuMs = (engineCpu.user + engineCpu.system) / 1000;

  await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));
  const diagnosedAt = await diagnostics;

  const result = {
    activateTotalMs,
    activateTotalCpuMs,
    activateCallMs: api.activationMs,
    activateCallCpuMs: api.activationCpuMs,
    startToFirstDiagnosticsMs: diagnosedAt - api.clientStartedAt,
    engineRequireMs,
    engineRequireCpuMs,
    node: process.version,
    vscode: vscode.version,
  };
  const out = process.env.SKYDECK_E2E_OUT;
  if (out) fs.writeFileSync(path.join(out, `results-${Date.now()}.json`), JSON.stringify(result));
  console.log(`SKYDECK_BENCH ${JSON.stringify(result)}`);
}
