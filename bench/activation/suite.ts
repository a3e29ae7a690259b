/**
 * Runs inside code-server's extension host (payload route), once per fresh extension host.
 * Measures, before any YAML document is open (so nothing has activated SkyDeck yet):
 *   activateTotalMs    ext.activate() wall time: loading dist/extension.js + activate()
 *   activateCallMs     activate()'s own body (SkyDeckApi.activationMs)
 *   startToFirstDiagnosticsMs   language client start -> first diagnostics on a task file
 * and, as the same-run baseline of what lazy loading saves:
 *   engineRequire*     a fresh require() of dist/extension-engine.js (what activation would
 *                      add if it loaded the engine eagerly)
 *   extensionRequire*  a fresh require() of dist/extension.js (code loading alone)
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

  const t0 = performance.now();
  const api = await ext.activate();
  const activateTotalMs = performance.now() - t0;
  await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));
  const diagnosedAt = await diagnostics;

  // Fresh, synchronous requires: wall and CPU time of evaluating each bundle.
  const freshRequire = (file: string): { ms: number; cpuMs: number } => {
    delete require.cache[require.resolve(file)];
    const cpu0 = process.cpuUsage();
    const w0 = performance.now();
    require(file);
    const cpu = process.cpuUsage(cpu0);
    return { ms: performance.now() - w0, cpuMs: (cpu.user + cpu.system) / 1000 };
  };
  const engine = freshRequire(path.join(ext.extensionPath, 'dist', 'extension-engine.js'));
  const extension = freshRequire(path.join(ext.extensionPath, 'dist', 'extension.js'));

  const result = {
    activateTotalMs,
    activateCallMs: api.activationMs,
    activateCallCpuMs: api.activationCpuMs,
    startToFirstDiagnosticsMs: diagnosedAt - api.clientStartedAt,
    engineRequireMs: engine.ms,
    engineRequireCpuMs: engine.cpuMs,
    extensionRequireMs: extension.ms,
    extensionRequireCpuMs: extension.cpuMs,
    node: process.version,
    vscode: vscode.version,
  };
  const out = process.env.SKYDECK_E2E_OUT;
  if (out) fs.writeFileSync(path.join(out, `results-${Date.now()}.json`), JSON.stringify(result));
  console.log(`SKYDECK_BENCH ${JSON.stringify(result)}`);
}
