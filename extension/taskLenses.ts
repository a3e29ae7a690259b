/**
 * The action lenses at the top of a task file: Launch · Managed job · Serve (only with
 * `service:`) · Plan. Task detection mirrors the server's rules cheaply (modeline, the
 * `skydeck.taskFiles` globs, then top-level keys), so no parse happens on the UI path.
 */
import * as vscode from 'vscode';
import { settings } from './settings';
import { isConfigFilePath } from '../engine/config/sources';

const TASK_KEYS = ['run', 'setup', 'resources', 'num_nodes', 'file_mounts', 'workdir', 'service'];
/** Top-level keys that mean "some other YAML format" (Kubernetes, compose, GitHub Actions, ...). */
const FOREIGN_KEYS = ['apiVersion', 'kind', 'services', 'jobs', 'on', 'steps', 'stages', 'version', 'spec', 'metadata'];

function topLevelKeys(text: string): Set<string> {
  const keys = new Set<string>();
  for (const m of text.matchAll(/^([A-Za-z_][\w-]*)\s*:/gm)) keys.add(m[1]);
  return keys;
}

export function isTaskDocument(doc: vscode.TextDocument): boolean {
  if (doc.languageId !== 'yaml') return false;
  // SkyPilot config files (.sky.yaml, ~/.sky/config.yaml) match the default *.sky.yaml task glob.
  if (doc.uri.scheme === 'file' && isConfigFilePath(doc.fileName)) return false;
  const head = doc.getText(new vscode.Range(0, 0, Math.min(doc.lineCount, 5), 0));
  if (/^#\s*skydeck:\s*ignore\b/m.test(head)) return false;
  if (/^#\s*skydeck:\s*task\b/m.test(head)) return true;
  if (settings().taskFiles.some((pattern) => vscode.languages.match({ pattern }, doc) > 0)) return true;
  const keys = topLevelKeys(doc.getText());
  if (FOREIGN_KEYS.some((k) => keys.has(k))) return false;
  return TASK_KEYS.some((k) => keys.has(k)) && (keys.has('run') || keys.has('resources') || keys.has('setup'));
}

export function hasService(doc: vscode.TextDocument): boolean {
  return /^service\s*:/m.test(doc.getText());
}

export class TaskLensProvider implements vscode.CodeLensProvider {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.changed.event;

  refresh(): void {
    this.changed.fire();
  }

  provideCodeLenses(doc: vscode.TextDocument): vscode.CodeLens[] {
    if (!isTaskDocument(doc)) return [];
    // First line that is not a comment or blank, so the lens sits above the task itself.
    let line = 0;
    while (line < doc.lineCount - 1 && /^\s*(#.*)?$/.test(doc.lineAt(line).text)) line++;
    const range = new vscode.Range(line, 0, line, 0);
    const args = [doc.uri];
    const lenses = [
      new vscode.CodeLens(range, { title: '$(rocket) Launch', command: 'skydeck.launch', arguments: args, tooltip: 'Launch this task on a cluster' }),
      new vscode.CodeLens(range, {
        title: '$(sync) Managed job',
        command: 'skydeck.launchManagedJob',
        arguments: args,
        tooltip: 'Run as a managed job that recovers from preemption',
      }),
    ];
    if (hasService(doc))
      lenses.push(
        new vscode.CodeLens(range, { title: '$(globe) Serve', command: 'skydeck.serveUp', arguments: args, tooltip: 'Serve this task behind a load balancer' }),
      );
    lenses.push(
      new vscode.CodeLens(range, {
        title: '$(list-ordered) Plan',
        command: 'skydeck.plan',
        arguments: args,
        tooltip: 'Show where it would run and what it costs',
      }),
    );
    return lenses;
  }
}
