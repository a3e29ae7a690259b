// Runs the given test files with Node's test runner API, in the given order (the `--test` flag
// sorts them). Each file runs in its own process, which inherits this process's `--import tsx`.
// The spec reporter's closing counts are what CI reads.
// Usage: node --import tsx scripts/test-files.mjs [--test-name-pattern=RE ...] FILE...
import * as path from 'node:path';
import { run } from 'node:test';
import { spec } from 'node:test/reporters';

const args = process.argv.slice(2);
const patterns = [];
const files = [];
for (const a of args) {
  const m = /^--test-name-pattern=(.+)$/.exec(a);
  if (m) patterns.push(new RegExp(m[1]));
  else if (a.startsWith('-')) {
    console.error(`unknown option ${a}; this runner takes --test-name-pattern=RE`);
    process.exit(2);
  } else files.push(path.resolve(a));
}

const stream = run({
  files,
  concurrency: Number(process.env.SKYDECK_TEST_CONCURRENCY ?? 2),
  // A file whose tests are done exits even if something it started still holds its event loop.
  forceExit: true,
  // A hang detector per test: the slowest suites take a few minutes on a loaded 2-core machine.
  timeout: 600_000,
  testNamePatterns: patterns.length ? patterns : undefined,
});
stream.on('test:fail', () => {
  process.exitCode = 1;
});
stream.compose(spec).pipe(process.stdout);
