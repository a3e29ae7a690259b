// Preloaded into every test file's process (scripts/test-files.mjs is started with
// `--import` of this module, and the runner starts each file with its own execArgv): when the
// file's process exits, one JSON line with its wall time, from process start to exit, is
// appended to SKYDECK_TEST_TIMINGS. The runner prints the slowest files from it at the end.
import * as fs from 'node:fs';
import { performance } from 'node:perf_hooks';

const out = process.env.SKYDECK_TEST_TIMINGS;
const file = process.argv[1];
// Helper processes a test forks inherit this preload too; only the test file itself reports.
if (out && file && /\.test\.[cm]?[jt]s$/.test(file)) {
  process.on('exit', (code) => {
    const line = JSON.stringify({ file, start: performance.timeOrigin, end: Date.now(), code });
    try {
      fs.appendFileSync(out, line + '\n');
    } catch {
      // The summary is a convenience: a file it cannot write never fails a test.
    }
  });
}
