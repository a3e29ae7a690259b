import '../../helpers/vscode';
import * as assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { handlers, resetHandlers } from '../../helpers/vscode';
import { TaskContext } from '../../../extension/taskContext';
import { Uri } from '../../helpers/vscode/stub';

afterEach(() => resetHandlers());

test('menus follow the server: isTask / isServiceTask for the active editor, taskPaths for the explorer, set only on change', () => {
  let onActive: (() => void) | undefined;
  handlers.window.onDidChangeActiveTextEditor = ((l: () => void) => {
    onActive = l;
    return { dispose: () => (onActive = undefined) };
  }) as never;
  handlers.window.activeTextEditor = undefined as never;
  const editor = (p: string) => ({ document: { uri: Uri.file(p) } }) as never;
  const calls: string[] = [];
  const ctx = new TaskContext((key, value) => calls.push(`${key}=${JSON.stringify(value)}`));
  assert.deepEqual(calls.splice(0), ['skydeck.isTask=false', 'skydeck.isServiceTask=false']);

  ctx.onDetected({ uri: 'file:///w/train.yaml', isTask: true, hasService: false });
  ctx.onDetected({ uri: 'file:///w/deploy.yaml', isTask: false, hasService: false });
  assert.deepEqual(calls.splice(0), ['skydeck.taskPaths=["/w/train.yaml"]']);

  handlers.window.activeTextEditor = editor('/w/train.yaml');
  onActive?.();
  assert.deepEqual(calls.splice(0), ['skydeck.isTask=true']);

  // A Kubernetes manifest the server said is no task: no Launch button there.
  handlers.window.activeTextEditor = editor('/w/deploy.yaml');
  onActive?.();
  assert.deepEqual(calls.splice(0), ['skydeck.isTask=false']);

  ctx.onDetected({ uri: 'file:///w/llm.yaml', isTask: true, hasService: true });
  handlers.window.activeTextEditor = editor('/w/llm.yaml');
  onActive?.();
  assert.deepEqual(calls.splice(0), ['skydeck.taskPaths=["/w/llm.yaml","/w/train.yaml"]', 'skydeck.isTask=true', 'skydeck.isServiceTask=true']);

  // The active file edited into something else: its keys and the explorer list follow.
  ctx.onDetected({ uri: 'file:///w/llm.yaml', isTask: false, hasService: false });
  assert.deepEqual(calls.splice(0), ['skydeck.isTask=false', 'skydeck.isServiceTask=false', 'skydeck.taskPaths=["/w/train.yaml"]']);

  ctx.dispose();
  assert.equal(onActive, undefined);
});
