/**
 * Context keys the menus' `when` clauses use (package.json), so task actions show only where
 * they apply:
 * - `skydeck.isTask` / `skydeck.isServiceTask`: the active editor holds a SkyPilot task (with a
 *   `service:` section). The language server's content detection decides (TASK_DETECTED); until
 *   it has spoken for a document, the extension's cheap mirror of its rules (taskLenses.ts).
 * - `skydeck.taskPaths`: file paths known to be tasks, for the explorer (`resourcePath in
 *   skydeck.taskPaths`), which has no editor content to look at.
 */
import * as vscode from 'vscode';
import type { TaskDetectedParams } from '../server/lsp/notifications';
import { hasService, isTaskDocument } from './taskLenses';

export type SetContext = (key: string, value: unknown) => unknown;

export class TaskContext implements vscode.Disposable {
  private readonly detected = new Map<string, TaskDetectedParams>();
  private readonly sent = new Map<string, string>();
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(private readonly setContext: SetContext = (key, value) => vscode.commands.executeCommand('setContext', key, value)) {
    this.subscriptions.push(vscode.window.onDidChangeActiveTextEditor(() => this.updateActive()));
    this.updateActive();
  }

  /** The server's answer for one document. */
  onDetected(params: TaskDetectedParams): void {
    this.detected.set(params.uri, params);
    this.updateActive();
    const paths = [...this.detected.values()].filter((p) => p.isTask && p.uri.startsWith('file:')).map((p) => vscode.Uri.parse(p.uri).fsPath);
    this.set('skydeck.taskPaths', paths.sort());
  }

  /** What the active editor is, by the server's answer when it has one. */
  activeState(): { isTask: boolean; isServiceTask: boolean } {
    const doc = vscode.window.activeTextEditor?.document;
    if (!doc) return { isTask: false, isServiceTask: false };
    const known = this.detected.get(doc.uri.toString());
    if (known) return { isTask: known.isTask, isServiceTask: known.hasService };
    const isTask = isTaskDocument(doc);
    return { isTask, isServiceTask: isTask && hasService(doc) };
  }

  private updateActive(): void {
    const s = this.activeState();
    this.set('skydeck.isTask', s.isTask);
    this.set('skydeck.isServiceTask', s.isServiceTask);
  }

  /** setContext only on a change: each call is a round trip to the workbench. */
  private set(key: string, value: unknown): void {
    const text = JSON.stringify(value);
    if (this.sent.get(key) === text) return;
    this.sent.set(key, text);
    void this.setContext(key, value);
  }

  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
  }
}
