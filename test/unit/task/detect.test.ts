import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTaskText } from '../../../engine/task/load';
import { detectTask, globToRegExp, matchesTaskGlobs } from '../../../engine/task/detect';

const isTask = (text: string, opts: { fileName?: string; taskFiles?: string[] } = {}) => parseTaskText(text, opts).isTask;

test('content: task keys are claimed, a typo does not stop it', () => {
  assert.equal(isTask('resources:\n  accelerators: A100\nrun: python x.py\n'), true);
  assert.equal(isTask('setups: pip install x\nrun: python x.py\n'), true);
  assert.equal(isTask('name: x\nrun: echo\n'), true);
});

test('content: foreign formats are never claimed', () => {
  assert.equal(isTask('apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\nspec:\n  containers: []\n'), false);
  assert.equal(isTask('version: "3"\nservices:\n  web:\n    image: nginx\n'), false);
  assert.equal(isTask('name: CI\non: [push]\njobs:\n  build:\n    runs-on: ubuntu-latest\n'), false);
  assert.equal(isTask('name: action\ndescription: d\nruns:\n  using: composite\n'), false);
  // Helm values: a resources block among many foreign keys
  assert.equal(
    isTask(
      'replicaCount: 1\nimage:\n  repository: nginx\nservice:\n  type: ClusterIP\nresources:\n  limits:\n    cpu: 1\ningress:\n  enabled: false\nnodeSelector: {}\n',
    ),
    false,
  );
  assert.equal(isTask('name: vol\ntype: k8s-pvc\ninfra: k8s\nsize: 10Gi\n'), false);
  assert.equal(isTask('admin_policy: my.Policy\n'), false);
  assert.equal(isTask(''), false);
});

test('modeline and taskFiles globs override content', () => {
  assert.equal(isTask('# skydeck: task\nfoo: bar\n'), true);
  assert.equal(isTask('# skydeck: ignore\nrun: echo\n'), false);
  assert.equal(isTask('foo: 1\n', { fileName: '/w/sky/train.yaml', taskFiles: ['**/sky/*.yaml'] }), true);
  assert.equal(isTask('foo: 1\n', { fileName: '/w/other/train.yaml', taskFiles: ['**/sky/*.yaml'] }), false);
  assert.equal(matchesTaskGlobs('C:\\w\\a.sky.yaml', ['*.sky.{yaml,yml}']), true);
  assert.ok(globToRegExp('**/*.yaml').test('a/b/c.yaml'));
  assert.ok(!globToRegExp('*.yaml').test('a/b.yml'));
});

test('modeline: the scan finds what the multiline regex over the first 2000 characters finds', () => {
  // The definition the scan must keep: a line (after blanks, which \s allows across lines) that is `# skydeck: task|ignore`.
  const definition = /^\s*#\s*skydeck\s*:\s*(task|ignore)\b/im;
  const expected = (text: string) => definition.exec(text.slice(0, 2000))?.[1].toLowerCase();
  const found = (text: string) => {
    const reason = detectTask(text, []).reason;
    return reason === 'modeline' ? 'task' : reason === 'modeline-ignore' ? 'ignore' : undefined;
  };
  const pieces = [
    '#',
    ' ',
    '\n',
    '\r',
    '\t',
    '\u00a0',
    '\u2028',
    '\ufeff',
    '\v',
    'skydeck',
    'SkyDeck',
    ':',
    'task',
    'IGNORE',
    'tasks',
    'x',
    'a: 1',
    '# skydeck: task',
    '\u0085',
  ];
  // A fixed linear congruential sequence: the same texts on every run.
  let seed = 12345;
  const next = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % n;
  };
  for (let i = 0; i < 20000; i++) {
    let text = next(20) === 0 ? `${'x'.repeat(1990 + next(15))}\n` : '';
    const length = 1 + next(14);
    for (let k = 0; k < length; k++) text += pieces[next(pieces.length)];
    assert.equal(found(text), expected(text), JSON.stringify(text));
  }
});
