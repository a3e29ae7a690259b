import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { listSyncedFiles } from '../../../engine/cluster/syncFilter';

function tree(t: { after: (fn: () => void) => void }, files: Record<string, string>): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'skydeck-sync-'));
  t.after(() => fs.rmSync(root, { recursive: true, force: true }));
  for (const [rel, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), content);
  }
  return root;
}

test('.gitignore rules apply per directory (dir-merge), plus .git/info/exclude; .git never synced', (t) => {
  const root = tree(t, {
    '.gitignore': '*.log\nbuild/\n',
    'a.py': '',
    'run.log': '',
    'build/out.bin': '',
    'src/.gitignore': 'local.cfg\n',
    'src/local.cfg': '',
    'src/main.py': '',
    'local.cfg': '',
    '.git/info/exclude': 'scratch.txt\n',
    '.git/HEAD': '',
    'scratch.txt': '',
  });
  assert.deepEqual(listSyncedFiles(root), ['.gitignore', 'a.py', 'local.cfg', 'src/.gitignore', 'src/main.py']);
});

test('.skyignore at the root replaces .gitignore entirely', (t) => {
  const root = tree(t, {
    '.skyignore': 'data/\n/secret.txt\n',
    '.gitignore': 'a.py\n',
    'a.py': '',
    'secret.txt': '',
    'data/x.csv': '',
    'sub/secret.txt': '',
    'sub/.skyignore': '*.tmp\n',
    'sub/y.tmp': '',
  });
  assert.deepEqual(listSyncedFiles(root), ['.gitignore', '.skyignore', 'a.py', 'sub/.skyignore', 'sub/secret.txt']);
});

test('negation and nested paths follow gitignore semantics', (t) => {
  const root = tree(t, {
    '.gitignore': '*.ckpt\n!keep.ckpt\nmodels/**/cache\n',
    'a.ckpt': '',
    'keep.ckpt': '',
    'models/m1/cache/x': '',
    'models/m1/w.bin': '',
  });
  assert.deepEqual(listSyncedFiles(root), ['.gitignore', 'keep.ckpt', 'models/m1/w.bin']);
});
