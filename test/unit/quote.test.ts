import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { shellJoin, shellQuote } from '../../engine/node/quote';

test('shellQuote round-trips awkward arguments through bash', () => {
  const args = ['plain', '', "it's", 'a b', '$HOME', '`x`', 'line\nbreak', '\\', '"q"'];
  const out = execFileSync('bash', ['-c', `printf '%s\\0' ${shellJoin(args)}`]).toString();
  assert.deepEqual(out.split('\0').slice(0, -1), args);
});

test('shellQuote leaves safe words alone', () => {
  assert.equal(shellQuote('abc-1.2/x'), 'abc-1.2/x');
});
