/**
 * engine/environment.ts lists every SKYDECK_* variable: the code reads none it does not list,
 * and it lists none that nothing reads.
 */
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { SKYDECK_ENV } from '../../engine/environment';

const ROOT = path.resolve(__dirname, '../..');
// A whole name: `SKYDECK_JOBS_*` in prose names a family, not a variable.
const NAME = /SKYDECK_[A-Z0-9_]*[A-Z0-9](?![A-Z0-9_*])/g;
// Compile-time constants of the bundles, not environment variables.
const NOT_ENV = new Set(['SKYDECK_BUNDLED']);

function namesIn(pathspecs: string[]): Set<string> {
  const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '--', ...pathspecs], { cwd: ROOT, encoding: 'utf8' })
    .split('\n')
    .filter((f) => f && !f.endsWith('engine/environment.ts'));
  const names = new Set<string>();
  for (const f of files) {
    const text = fs.readFileSync(path.join(ROOT, f), 'utf8');
    for (const m of text.matchAll(NAME)) if (!NOT_ENV.has(m[0])) names.add(m[0]);
  }
  return names;
}

test('every SKYDECK_* variable the product and its scripts read is documented in engine/environment.ts', () => {
  const used = namesIn(['engine', 'server', 'extension', 'scripts', 'bin', '.ci', 'esbuild.config.mjs']);
  const missing = [...used].filter((n) => !(n in SKYDECK_ENV)).sort();
  assert.deepEqual(missing, [], `add these to engine/environment.ts: ${missing.join(', ')}`);
});

test('engine/environment.ts lists no variable that nothing reads', () => {
  const used = namesIn(['engine', 'server', 'extension', 'scripts', 'bin', '.ci', 'esbuild.config.mjs', 'test', 'bench']);
  const stale = Object.keys(SKYDECK_ENV).filter((n) => !used.has(n));
  assert.deepEqual(stale, [], `no code reads: ${stale.join(', ')}`);
});

test('each entry says what it changes', () => {
  for (const [name, v] of Object.entries(SKYDECK_ENV)) assert.ok(v.doc.length > 10, `${name} needs a doc`);
});
