// Runs the given test files with Node's test runner API, in the given order (the `--test` flag
// sorts them). Each file runs in its own process, which inherits this process's `--import tsx`
// (and scripts/test-file-timing.mjs, when this process was started with it).
// The spec reporter's closing counts are what CI reads; the slowest files' wall times follow them.
// Usage: node --import tsx [--import ./scripts/test-file-timing.mjs] scripts/test-files.mjs [--test-name-pattern=RE ...] FILE...
import * as fs from 'node:fs';
import * as os from 'node:os';
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

const concurrency = Number(process.env.SKYDECK_TEST_CONCURRENCY ?? 2);
const timingsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'skydeck-test-timings-'));
process.env.SKYDECK_TEST_TIMINGS = path.join(timingsDir, 'files.jsonl');
const runStart = Date.now();

const stream = run({
  files,
  concurrency,
  // A file whose tests are done exits even if something it started still holds its event loop.
  forceExit: true,
  // A hang detector per test: the slowest suites take a few minutes on a loaded 2-core machine.
  timeout: 600_000,
  testNamePatterns: patterns.length ? patterns : undefined,
});
stream.on('test:fail', () => {
  process.exitCode = 1;
});
const reported = stream.compose(spec);
reported.pipe(process.stdout);
reported.on('end', () => {
  printTimings();
  fs.rmSync(timingsDir, { recursive: true, force: true });
});

/** The slowest files, when each started, and how much of the run's slot time was spent idle (a long file started late shows there). */
function printTimings() {
  let rows;
  try {
    rows = fs
      .readFileSync(process.env.SKYDECK_TEST_TIMINGS, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l));
  } catch {
    return; // not preloaded: no timings
  }
  const wall = (Date.now() - runStart) / 1000;
  const busy = rows.reduce((s, r) => s + (r.end - r.start) / 1000, 0);
  const sec = (ms) => (ms / 1000).toFixed(1).padStart(7);
  const slowest = rows.sort((a, b) => b.end - b.start - (a.end - a.start)).slice(0, 25);
  const lines = [
    '',
    `Test files: ${rows.length} of ${files.length} timed, ${concurrency} at a time, ${wall.toFixed(0)} s in all; files busy ${busy.toFixed(0)} of ${(wall * concurrency).toFixed(0)} slot-seconds.`,
    'Slowest (wall s, started at s, file):',
    ...slowest.map((r) => `${sec(r.end - r.start)} ${sec(r.start - runStart)}  ${path.relative(process.cwd(), r.file)}`),
  ];
  const unreported = files.filter((f) => !rows.some((r) => r.file === f));
  if (unreported.length && rows.length)
    lines.push(`No timing (killed, or never started): ${unreported.map((f) => path.relative(process.cwd(), f)).join(', ')}`);
  process.stdout.write(lines.join('\n') + '\n');
}
