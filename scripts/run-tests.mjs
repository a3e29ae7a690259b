// Finds test files of the requested layers (default: all) and runs them with Node's
// test runner through tsx. Node 20's --test takes no globs, so we list files here.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const layers = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const extra = process.argv.slice(2).filter((a) => a.startsWith('-'));
const roots = (layers.length ? layers : ['unit', 'integration', 'e2e']).map((l) => path.join('test', l));

function walk(dir, out) {
  if (!fs.existsSync(dir)) return out;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else if (/\.test\.ts$/.test(e.name)) out.push(p);
  }
  return out;
}

// The runner starts files in this order, `concurrency` at a time. Real VS Code in headless
// Chromium goes last, beside the short unit files only: started first, it shared two cores
// with the heaviest integration files (50-job soak, netns hosts, moto) and once ran 10x slow.
const isE2e = (f) => f.split(path.sep).includes('e2e');
const files = roots.flatMap((r) => walk(r, [])).sort((a, b) => Number(isE2e(a)) - Number(isE2e(b)) || a.localeCompare(b));
if (files.length === 0) {
  console.error(`no test files under ${roots.join(', ')}`);
  process.exit(1);
}
// One test file per core (at least 2): more oversubscribes a small CI box and turns waits into timeouts.
const concurrency = process.env.SKYDECK_TEST_CONCURRENCY ?? String(Math.max(2, os.availableParallelism()));
// Safety nets against a run that never ends (CI would wait out its 90 minutes): a test file
// exits when its tests are done even if something it started still holds the event loop
// (--test-force-exit), a test fails after 10 minutes, and the whole run is stopped after 40.
const runMinutes = Number(process.env.SKYDECK_TEST_RUN_MINUTES ?? 40);
const r = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-force-exit', '--test-timeout=600000', `--test-concurrency=${concurrency}`, '--test-reporter=spec', ...extra, ...files],
  { stdio: 'inherit', env: { ...process.env, SKYDECK_TEST: '1' }, timeout: runMinutes * 60_000, killSignal: 'SIGKILL' },
);
if (r.error?.code === 'ETIMEDOUT') console.error(`\nThe test run took over ${runMinutes} minutes and was stopped (SKYDECK_TEST_RUN_MINUTES).`);
process.exit(r.status ?? 1);
