/**
 * What `npm run package` puts in the .vsix: vsce's own file list for this checkout, right after
 * the development build the test command makes (which leaves source maps in dist/).
 */
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { promisify } from 'node:util';

const ROOT = path.resolve(__dirname, '../..');
const SHIPPED = [
  /^(package\.json|README\.md|LICENSE)$/,
  /^dist\/[\w-]+\.js$/,
  /^dist\/agent\.sh$/,
  /^dist\/providers\/\w+\.js$/,
  /^dist\/stores\/\w+\.js$/,
  /^schemas\/[\w.]+\.json$/,
  /^catalogs\//,
  /^media\//,
  /^examples\/[\w.-]+\.ya?ml$/,
];

test('the .vsix holds the bundles, the licence and the data, never source maps or sources', async () => {
  const vsce = path.join(ROOT, 'node_modules/.bin/vsce');
  const { stdout } = await promisify(execFile)(vsce, ['ls', '--no-dependencies'], { cwd: ROOT, timeout: 180_000 });
  const files = stdout.split('\n').filter(Boolean);
  assert.ok(files.includes('LICENSE'), 'LICENSE ships');
  assert.ok(files.includes('dist/extension.js') && files.includes('dist/server.js'), 'the bundles ship');
  assert.ok(files.includes('dist/server-insights.js') && files.includes('dist/stores/s3.js'), 'the lazily required bundles ship');
  const unexpected = files.filter((f) => !SHIPPED.some((re) => re.test(f)));
  assert.deepEqual(unexpected, [], `files that should not ship: ${unexpected.join(', ')}`);
});
