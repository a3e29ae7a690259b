// dist/server.js starts the server bundle through V8's code cache (server/boot.ts): the first
// start writes it under SKYDECK_HOME/cache, later starts read it, and a damaged cache only means
// a start without it. The answers are the same every time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SERVER, startClient, within } from './lspClient';
import { builtFiles, requirePrerequisite } from '../../helpers/prerequisites';

const skip = requirePrerequisite(builtFiles(SERVER));

const URI = 'file:///work/task.yaml';
const TEXT = 'resources:\n  accelerators: A100:8\n  spot_recovery: FAILOVER\nrun: echo hi\n';

async function diagnosticsWithHome(home: string, whileRunning?: () => Promise<void>) {
  const before = process.env.SKYDECK_HOME;
  process.env.SKYDECK_HOME = home;
  const c = await startClient({ debounceMs: 20 }).finally(() => {
    if (before === undefined) delete process.env.SKYDECK_HOME;
    else process.env.SKYDECK_HOME = before;
  });
  try {
    c.open(URI, TEXT);
    const got = await within(c.diagnostics(URI, 1), 30_000, 'first diagnostics');
    if (whileRunning) await whileRunning();
    assert.deepEqual(c.errors, []);
    return got.diagnostics;
  } finally {
    await c.stop();
  }
}

/** Resolves when a cache file is in `dir` (the server writes it a few seconds after start). */
function cacheFileIn(dir: string): Promise<string> {
  return new Promise((resolve) => {
    const found = () => fs.readdirSync(dir).find((f) => f.endsWith('.v8cache'));
    const watcher = fs.watch(dir, () => {
      const f = found();
      if (f) {
        watcher.close();
        resolve(f);
      }
    });
    const f = found();
    if (f) {
      watcher.close();
      resolve(f);
    }
  });
}

test('the code cache: written by the first start, read by the next, a damaged one ignored', { skip }, async (t) => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'skydeck-code-cache-'));
  t.after(() => fs.rmSync(home, { recursive: true, force: true }));
  const cacheDir = path.join(home, 'cache');
  fs.mkdirSync(cacheDir, { recursive: true });

  let written = '';
  const first = await diagnosticsWithHome(home, async () => {
    written = await within(cacheFileIn(cacheDir), 60_000, 'the code cache file');
  });
  assert.equal(first.length, 1);
  assert.equal(first[0].code, 'spot-recovery-removed');
  assert.ok(fs.statSync(path.join(cacheDir, written)).size > 0);

  assert.deepEqual(await diagnosticsWithHome(home), first, 'the same answer from the cached code');
  assert.deepEqual(
    fs.readdirSync(cacheDir).filter((f) => f.endsWith('.v8cache')),
    [written],
    'one cache, kept',
  );

  fs.writeFileSync(path.join(cacheDir, written), 'not a code cache');
  assert.deepEqual(await diagnosticsWithHome(home), first, 'a damaged cache is ignored');
});
