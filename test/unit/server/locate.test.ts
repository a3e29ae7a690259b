import { test } from 'node:test';
import assert from 'node:assert/strict';
import { completionContext } from '../../../server/service/locate';

function ctx(t: string) {
  const at = t.indexOf('‸');
  return completionContext(t.slice(0, at) + t.slice(at + 1), at);
}

test('key contexts follow indentation, list items and block scalars', () => {
  assert.deepEqual(ctx('‸'), { kind: 'key', path: [], partial: '', replaceStart: 0, indent: 0 });
  assert.deepEqual(ctx('resources:\n  cp‸'), { kind: 'key', path: ['resources'], partial: 'cp', replaceStart: 13, indent: 2 });
  assert.deepEqual((ctx('resources:\n  any_of:\n    - infra: aws\n      ‸') as { path: string[] }).path, ['resources', 'any_of', '[]']);
  assert.deepEqual((ctx('resources:\n  any_of:\n  - ‸') as { path: string[] }).path, ['resources', 'any_of', '[]']);
  assert.deepEqual((ctx('run: |\n  echo\n\nresources:\n  labels:\n    a: b\n  ‸') as { path: string[] }).path, ['resources']);
  assert.deepEqual((ctx('file_mounts:\n  /data:\n    # c\n\n    na‸') as { path: string[] }).path, ['file_mounts', '/data']);
  assert.deepEqual((ctx('resources:\n  cpus: 4\n‸') as { path: string[] }).path, []);
});

test('value contexts: block and flow values', () => {
  assert.deepEqual(ctx('resources:\n  disk_tier: me‸'), { kind: 'value', path: ['resources', 'disk_tier'], partial: 'me', replaceStart: 24, flow: false });
  const flow = ctx('resources:\n  accelerators: {A100:1, H1‸}');
  assert.equal(flow.kind, 'value');
  assert.deepEqual(flow.kind === 'value' && [flow.partial, flow.flow], ['H1', true]);
  assert.deepEqual(ctx('run: x # comm‸'), { kind: 'none' });
});
