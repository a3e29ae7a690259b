/**
 * A `skydeck` task type for tasks.json, e.g.
 *   { "type": "skydeck", "command": "launch", "file": "train.sky.yaml", "cluster": "dev" }
 * It runs the bundled CLI in a terminal (argv array, no shell string).
 */
import * as vscode from 'vscode';
import { cliCommand } from './engine/cli';

export interface SkyDeckTaskDefinition extends vscode.TaskDefinition {
  command: 'launch' | 'exec' | 'jobs launch' | 'serve up' | 'validate' | 'down' | 'stop' | 'start';
  file?: string;
  cluster?: string;
  args?: string[];
}

function argsFor(def: SkyDeckTaskDefinition): string[] {
  const args = [...def.command.split(' ')];
  if (def.command === 'exec' || def.command === 'down' || def.command === 'stop' || def.command === 'start') {
    if (def.cluster) args.push(def.cluster);
  }
  if (def.file) args.push(def.file);
  if (def.cluster && def.command === 'launch') args.push('-c', def.cluster);
  if (['launch', 'jobs launch', 'serve up', 'down', 'stop'].includes(def.command)) args.push('-y');
  return [...args, ...(def.args ?? [])];
}

function buildTask(def: SkyDeckTaskDefinition, scope: vscode.WorkspaceFolder | vscode.TaskScope = vscode.TaskScope.Workspace): vscode.Task {
  const { node, argv, env } = cliCommand(argsFor(def));
  const stringEnv = Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => typeof e[1] === 'string'));
  const exec = new vscode.ProcessExecution(node, argv, { env: stringEnv });
  const label = `${def.command}${def.file ? ` ${def.file}` : ''}${def.cluster ? ` (${def.cluster})` : ''}`;
  return new vscode.Task(def, scope, label, 'skydeck', exec, []);
}

export class SkyDeckTaskProvider implements vscode.TaskProvider {
  provideTasks(): vscode.Task[] {
    const file = vscode.window.activeTextEditor?.document;
    if (!file || file.languageId !== 'yaml' || file.uri.scheme !== 'file') return [];
    const rel = vscode.workspace.asRelativePath(file.uri);
    return [buildTask({ type: 'skydeck', command: 'launch', file: rel }), buildTask({ type: 'skydeck', command: 'validate', file: rel })];
  }

  resolveTask(task: vscode.Task): vscode.Task | undefined {
    const def = task.definition as SkyDeckTaskDefinition;
    if (!def.command) return undefined;
    return buildTask(def, task.scope ?? vscode.TaskScope.Workspace);
  }
}
