import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_CLUSTER_NAME_LENGTH, nameOnCloud, validateClusterName } from '../../../engine/cluster/naming';

test('names that read the same once made infra-safe get different names on the infra', () => {
  const names = ['foo_bar', 'Foo-bar', 'foo-bar', 'foo.bar', 'FOO_BAR'];
  const onCloud = names.map(nameOnCloud);
  assert.equal(new Set(onCloud).size, names.length, onCloud.join(', '));
  for (const n of onCloud) assert.match(n, /^foo-bar-[0-9a-f]{6}-[0-9a-f]{4}$/);
});

test('long names are truncated on the infra, and names sharing the kept prefix stay apart', () => {
  const a = nameOnCloud(`a${'x'.repeat(100)}1`);
  const b = nameOnCloud(`a${'x'.repeat(100)}2`);
  assert.notEqual(a, b);
  assert.ok(a.length <= 52, a);
  assert.equal(nameOnCloud('same'), nameOnCloud('same'), 'stable for one name');
});

test('a name over the limit is refused with its length; the longest allowed passes', () => {
  assert.throws(() => validateClusterName(`c${'x'.repeat(299)}`), /300 characters long; at most 128 are allowed/);
  validateClusterName(`c${'x'.repeat(MAX_CLUSTER_NAME_LENGTH - 1)}`);
  assert.throws(() => validateClusterName('1abc'), /is invalid/);
});
