/**
 * `skydeck status`'s start-up fast path (engine/cli/commands/statusFast.ts, answered by the
 * small dist/cli.js) prints what the full command (dist/cli-full.js) prints, for every flag
 * combination it takes, and hands over to the full command (same output, same exit code)
 * when a service exists or a store cannot be read.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { benchCluster, fillClusterStore } from '../../../bench/status/fill';

const ROOT = path.resolve(__dirname, '../../..');
const CLI = path.join(ROOT, 'dist', 'cli.js');
const FULL = path.join(ROOT, 'dist', 'cli-full.js');

let root: string;
before(() => {
  if (!fs.existsSync(CLI) || !fs.existsSync(FULL)) {
    const b = spawnSync('npm', ['run', '-s', 'build'], { cwd: ROOT, stdio: 'inherit' });
    assert.equal(b.status, 0, 'build failed');
  }
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'skydeck-status-fast-'));
  process.on('exit', () => fs.rmSync(root, { recursive: true, force: true }));
});

function home(name: string, clusters: number): string {
  const h = path.join(root, name);
  fs.mkdirSync(h, { recursive: true });
  // A fixed clock far in the past: ages and costs then read the same in both runs, whatever their timing.
  fillClusterStore(h, clusters, Date.now() - 400 * 86_400_000);
  return h;
}

function run(script: string, skydeckHome: string, argv: string[]) {
  const r = spawnSync(process.execPath, [script, ...argv], {
    env: { PATH: process.env.PATH, HOME: skydeckHome, SKYDECK_HOME: skydeckHome, SKYDECK_TEST: '1' },
    encoding: 'utf8',
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Uptime and cost move with the clock between the two runs: compare all but digits. */
const shape = (s: string) => s.replace(/\d+/g, '#');

for (const argv of [
  ['status'],
  ['status', '-v'],
  ['status', '--json'],
  ['status', '--verbose', '--no-show-managed-jobs'],
  ['status', '--no-show-services', '--show-services', '--no-show-managed-jobs'],
]) {
  test(`fast path prints what the full command prints: ${argv.join(' ')}`, () => {
    const h = home(`flags-${argv.join('_')}`, 40);
    const fast = run(CLI, h, argv);
    const full = run(FULL, h, argv);
    assert.equal(fast.status, 0, fast.stderr);
    assert.equal(full.status, 0, full.stderr);
    assert.equal(shape(fast.stdout), shape(full.stdout));
    assert.equal(fast.stderr, full.stderr);
    assert.match(fast.stdout, /bench-39/);
  });
}

test('an empty store: the same "No existing clusters." and summaries', () => {
  const h = home('empty', 0);
  const fast = run(CLI, h, ['status']);
  assert.equal(fast.status, 0);
  assert.equal(fast.stdout, run(FULL, h, ['status']).stdout);
  assert.match(fast.stdout, /^No existing clusters\.\n\nManaged jobs\nNo in-progress managed jobs\.\n\nServices\nNo live services\.\n$/);
});

test('a malformed cluster record is skipped with the same warning, once', () => {
  const h = home('malformed', 3);
  const file = path.join(h, 'state', 'clusters.json');
  const store = JSON.parse(fs.readFileSync(file, 'utf8'));
  store.data.clusters.broken = { ...benchCluster(9, Date.now()), name: 'other' };
  fs.writeFileSync(file, JSON.stringify(store));
  const fast = run(CLI, h, ['status']);
  const full = run(FULL, h, ['status']);
  assert.equal(fast.status, 0);
  assert.equal(fast.stderr, full.stderr);
  assert.equal(fast.stderr.match(/skipping cluster record 'broken'/g)?.length, 1);
});

test('a corrupt store: the full command reports it (same message, exit 1)', () => {
  const h = home('corrupt', 2);
  fs.writeFileSync(path.join(h, 'state', 'clusters.json'), '{"version": 1, "data": ');
  const fast = run(CLI, h, ['status']);
  const full = run(FULL, h, ['status']);
  assert.equal(fast.status, 1);
  assert.equal(full.status, 1);
  assert.equal(shape(fast.stderr), shape(full.stderr));
  assert.match(fast.stderr, /is not valid JSON/);
});

test('with a service in the store the full command answers (its Services table, not "No live services.")', () => {
  const h = home('service', 2);
  fs.writeFileSync(
    path.join(h, 'state', 'services.json'),
    JSON.stringify({ version: 1, data: { services: { svc: { name: 'svc', status: 'SHUTTING_DOWN', createdAt: Date.now(), replicas: [] } } } }),
  );
  const fast = run(CLI, h, ['status', '--no-show-managed-jobs']);
  const full = run(FULL, h, ['status', '--no-show-managed-jobs']);
  assert.equal(fast.status, full.status);
  assert.equal(shape(fast.stdout), shape(full.stdout));
  assert.equal(shape(fast.stderr), shape(full.stderr));
  assert.doesNotMatch(fast.stdout, /No live services/);
});

test('options the fast path does not take go to the full command', () => {
  const h = home('names', 5);
  for (const argv of [
    ['status', 'bench-1'],
    ['status', '--ip', 'bench-1'],
    ['status', '--help'],
    ['status', '--bogus'],
  ]) {
    const fast = run(CLI, h, argv);
    const full = run(FULL, h, argv);
    assert.equal(fast.status, full.status, argv.join(' '));
    assert.equal(shape(fast.stdout), shape(full.stdout), argv.join(' '));
    assert.equal(shape(fast.stderr), shape(full.stderr), argv.join(' '));
  }
});
