import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTaskText } from '../../../engine/task/load';
import { globToRegExp, matchesTaskGlobs } from '../../../engine/task/detect';

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
