/**
 * The walkthrough's "Open Example": the sample task as a real file (so its Launch lens and
 * launch flow work on a path, not an Untitled buffer), in the first workspace folder, or in a
 * fresh temp folder when no folder is open. An existing example is opened, never overwritten.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';

export const EXAMPLE_NAME = 'hello.sky.yaml';
/** The cluster the walkthrough's one-click launch uses (the name Launch suggests for the example). */
export const EXAMPLE_CLUSTER = 'sky-hello';

async function exists(uri: vscode.Uri): Promise<boolean> {
  try {
    await vscode.workspace.fs.stat(uri);
    return true;
  } catch {
    return false;
  }
}

export async function openExample(extensionUri: vscode.Uri): Promise<vscode.TextEditor> {
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri ?? vscode.Uri.file(await mkdtemp(path.join(tmpdir(), 'skydeck-example-')));
  const target = vscode.Uri.joinPath(folder, EXAMPLE_NAME);
  if (!(await exists(target))) {
    await vscode.workspace.fs.writeFile(target, await vscode.workspace.fs.readFile(vscode.Uri.joinPath(extensionUri, 'examples', 'hello.yaml')));
  }
  return vscode.window.showTextDocument(target);
}
