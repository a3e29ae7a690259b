// Finds test files of the requested layers (default: all) and runs them with Node's test runner
// in the order listed here. `node --test FILES` sorts its files, so the files go through the
// runner's API instead (scripts/test-files.mjs, started with tsx so each test file inherits it).
// Usage: node scripts/run-tests.mjs [unit|integration|e2e|<folder or file under test/> ...] [--test-name-pattern=RE] [--list]
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const layers = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const list = process.argv.includes('--list');
const options = process.argv.slice(2).filter((a) => a.startsWith('-') && a !== '--list');
const roots = (layers.length ? layers : ['unit', 'integration', 'e2e']).map((l) => path.join('test', l));

function walk(dir, out) {
  if (!fs.existsSync(dir)) return out;
  if (!fs.statSync(dir).isDirectory()) return /\.test\.ts$/.test(dir) ? [...out, dir] : out;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else if (/\.test\.ts$/.test(e.name)) out.push(p);
  }
  return out;
}

// The tests read real SkyPilot tasks and catalogs from the reference material beside the repo.
const shared = process.env.SKYDECK_SHARED_DIR ?? path.resolve('..', 'shared');
const missing = ['corpus', 'reference-catalogs'].map((d) => path.join(shared, d)).filter((d) => !fs.existsSync(d));
if (missing.length) {
  console.error(
    `The tests need the reference material (../shared beside the repo): ${missing.join(' and ')} not found. Put it there or set SKYDECK_SHARED_DIR to its folder.`,
  );
  process.exit(1);
}

// Files start in this order, `concurrency` at a time. Each layer's files go longest first, by
// the seconds measured in scripts/test-durations.json (a file not listed there is taken as
// short): a long file started late would run on alone at the end while the other cores idle.
// Real VS Code in headless Chromium starts after the integration files, beside the short unit
// files only: beside the heaviest integration files (50-job soak, netns hosts, moto) on two
// cores it once ran 10x slow. The unit files go last, where their many small pieces fill the
// slots as the longer files end.
const durations = JSON.parse(fs.readFileSync(new URL('./test-durations.json', import.meta.url), 'utf8'));
const cost = (f) => durations[f.split(path.sep).join('/')] ?? 0;
// Paths are test/<layer>/...
const layerRank = (f) => ({ unit: 2, e2e: 1 })[f.split(path.sep)[1]] ?? 0;
const files = roots.flatMap((r) => walk(r, [])).sort((a, b) => layerRank(a) - layerRank(b) || cost(b) - cost(a) || a.localeCompare(b));
if (files.length === 0) {
  console.error(`no test files under ${roots.join(', ')}`);
  process.exit(1);
}
if (list) {
  // The start order and the seconds each file is expected to take, without running anything.
  for (const f of files) console.log(`${String(cost(f) || '-').padStart(5)}  ${f}`);
  process.exit(0);
}
// One test file per core (at least 2): more oversubscribes a small CI box and turns waits into timeouts.
const concurrency = process.env.SKYDECK_TEST_CONCURRENCY ?? String(Math.max(2, os.availableParallelism()));
// A whole run that never ends would make CI wait out its 90 minutes: stop it after 40.
const runMinutes = Number(process.env.SKYDECK_TEST_RUN_MINUTES ?? 40);
// The runner is its own process group, so stopping it stops every test file it started too.
// Each file's process inherits both preloads: tsx, and the wall-time record of the closing summary.
const timing = new URL('./test-file-timing.mjs', import.meta.url).href;
const child = spawn(process.execPath, ['--import', 'tsx', '--import', timing, 'scripts/test-files.mjs', ...options, ...files], {
  stdio: 'inherit',
  env: { ...process.env, SKYDECK_TEST: '1', SKYDECK_TEST_CONCURRENCY: concurrency },
  detached: true,
});
const stopAll = () => {
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // already gone
  }
};
const timer = setTimeout(() => {
  console.error(`\nThe test run took over ${runMinutes} minutes and was stopped (SKYDECK_TEST_RUN_MINUTES).`);
  stopAll();
}, runMinutes * 60_000);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => (stopAll(), process.exit(1)));
child.on('exit', (code, signal) => {
  clearTimeout(timer);
  stopAll(); // anything a test file left behind in the group
  process.exit(code ?? (signal ? 1 : 0));
});
