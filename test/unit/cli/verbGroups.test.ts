/**
 * The CLI registers only the verb group its command line names (so `status` does not evaluate
 * the launch path), and every group for help, --version and words that are no verb.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildProgram } from '../../../engine/cli/main';

const verbs = (argv?: string[]) =>
  buildProgram(argv)
    .commands.map((c) => c.name())
    .sort();

test('a verb registers its own group only; help and unknown words get every group', () => {
  const all = verbs();
  for (const v of ['status', 'launch', 'cost-report', 'jobs', 'serve', 'validate', 'show-gpus', 'config', 'debug']) assert.ok(all.includes(v), v);
  const status = verbs(['status', '--json']);
  assert.ok(status.includes('status') && status.includes('launch') && status.includes('cost-report'));
  assert.ok(!status.includes('jobs') && !status.includes('serve') && !status.includes('validate'));
  assert.deepEqual(verbs(['jobs', 'queue']), ['jobs']);
  assert.deepEqual(verbs(['gpus']), ['catalog', 'show-gpus']);
  assert.deepEqual(verbs(['--help']), all);
  assert.deepEqual(verbs(['no-such-verb']), all);
  assert.deepEqual(verbs([]), all);
  assert.deepEqual(verbs(['--version']), []);
});

test('every registered top-level verb is listed in a group (a missing one loses the fast path)', () => {
  // Each verb, given alone, must register its own group: a program that has it and not every group.
  const all = verbs();
  for (const v of all) {
    const own = verbs([v]);
    assert.ok(own.includes(v) && own.length < all.length, `verb ${v} is not in main.ts GROUPS`);
  }
});
