import '../../helpers/vscode';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, test } from 'node:test';
import { handlers, resetHandlers } from '../../helpers/vscode';
import { Uri } from '../../helpers/vscode/stub';
import { EXAMPLE_NAME, openExample } from '../../../extension/walkthrough/openExample';
import { parseTaskText } from '../../../engine/task/load';

afterEach(() => resetHandlers());

const ROOT = path.resolve(__dirname, '../../..');

/** workspace.fs over the real file system. */
function realFs(): void {
  handlers.workspace.fs = {
    stat: async (u: Uri) => fs.promises.stat(u.fsPath),
    readFile: async (u: Uri) => new Uint8Array(await fs.promises.readFile(u.fsPath)),
    writeFile: async (u: Uri, b: Uint8Array) => fs.promises.writeFile(u.fsPath, b),
  } as never;
}

test('with a folder open, the example is written there as a real task file that runs on local, and reused', async () => {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'skydeck-ws-'));
  try {
    realFs();
    handlers.workspace.workspaceFolders = [{ uri: Uri.file(folder) }] as never;
    const shown: string[] = [];
    handlers.window.showTextDocument = ((u: Uri) => (shown.push(u.fsPath), Promise.resolve({}))) as never;
    await openExample(Uri.file(ROOT) as never);
    const file = path.join(folder, EXAMPLE_NAME);
    assert.deepEqual(shown, [file]);
    const text = fs.readFileSync(file, 'utf8');
    const parsed = parseTaskText(text, { fileName: file });
    assert.deepEqual(
      parsed.diagnostics.filter((d) => d.severity === 'error'),
      [],
    );
    assert.equal(parsed.isTask, true);
    const res = parsed.taskFile!.tasks[0].resources.base;
    assert.equal(res.infra?.cloud, 'local');
    assert.equal(res.accelerators, undefined, 'local has no GPUs to give');

    fs.writeFileSync(file, `${text}# edited\n`);
    await openExample(Uri.file(ROOT) as never);
    assert.match(fs.readFileSync(file, 'utf8'), /# edited\n$/, 'an existing example is not overwritten');
  } finally {
    fs.rmSync(folder, { recursive: true, force: true });
  }
});

test('with no folder open, the example goes to a fresh temp folder', async () => {
  realFs();
  handlers.workspace.workspaceFolders = undefined as never;
  const shown: string[] = [];
  handlers.window.showTextDocument = ((u: Uri) => (shown.push(u.fsPath), Promise.resolve({}))) as never;
  await openExample(Uri.file(ROOT) as never);
  assert.equal(shown.length, 1);
  assert.equal(path.basename(shown[0]), EXAMPLE_NAME);
  assert.ok(shown[0].startsWith(os.tmpdir()));
  assert.ok(fs.existsSync(shown[0]));
  fs.rmSync(path.dirname(shown[0]), { recursive: true, force: true });
});
