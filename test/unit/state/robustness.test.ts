/**
 * The store under damage: empty, blank, truncated and wrong-shape files are never taken for
 * a new store; one bad cluster record does not hide the others; a lock left by a killed
 * process is taken over at once; files are 0600 and folders 0700 whatever the umask.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Collection, StateCorruptError, StateShapeError } from '../../../engine/state/store';
import { listClusters, findCluster, clusterTable } from '../../../engine/cluster/records';

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skydeck-state-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Collects what is written to stderr while `fn` runs. */
async function captureStderr<R>(fn: () => Promise<R>): Promise<{ result: R; stderr: string }> {
  const original = process.stderr.write.bind(process.stderr);
  let stderr = '';
  process.stderr.write = ((chunk: string | Uint8Array) => {
    stderr += chunk.toString();
    return true;
  }) as typeof process.stderr.write;
  try {
    return { result: await fn(), stderr };
  } finally {
    process.stderr.write = original;
  }
}

for (const [label, content] of [
  ['a 0-byte', ''],
  ['a whitespace-only', ' \n\t\n'],
  ['a truncated', '{"version": 1, "data": {"clusters": {"a": {"na'],
] as const) {
  test(`${label} clusters.json is corrupt, not a new store: clear error, a copy kept, never overwritten`, async (t) => {
    const dir = tempDir(t);
    const file = path.join(dir, 'clusters.json');
    fs.writeFileSync(file, content);
    const col = new Collection<{ clusters: Record<string, unknown> }>({ name: 'clusters', dir, initial: () => ({ clusters: {} }) });
    await assert.rejects(
      col.update((d) => void (d.clusters.x = {})),
      (e: unknown) => {
        assert.ok(e instanceof StateCorruptError, String(e));
        assert.ok(e.message.includes(file), e.message);
        assert.equal(fs.readFileSync(e.backup, 'utf8'), content, 'the copy holds what was there');
        assert.match(e.hint ?? '', /nothing was overwritten/);
        return true;
      },
    );
    assert.throws(() => col.readSync(), StateCorruptError);
    await assert.rejects(col.read(), StateCorruptError);
    assert.equal(fs.readFileSync(file, 'utf8'), content, 'the file is left as it was');
    const copies = fs.readdirSync(dir).filter((f) => f.startsWith('clusters.json.corrupt-'));
    assert.equal(copies.length, 1, `one copy per content, not one per read: ${copies.join(', ')}`);
  });
}

test('valid JSON of the wrong shape is a clear error naming the file and the problem, not a TypeError', async (t) => {
  const home = tempDir(t);
  const saved = process.env.SKYDECK_HOME;
  process.env.SKYDECK_HOME = home;
  t.after(() => (saved === undefined ? delete process.env.SKYDECK_HOME : (process.env.SKYDECK_HOME = saved)));
  const file = clusterTable().file;
  for (const text of ['[]', '{"version": 1, "data": []}', '{"version": 1, "data": {"clusters": "x"}}', '{"version": 1, "data": {}}', '"just a string"']) {
    fs.writeFileSync(file, text);
    await assert.rejects(listClusters(), (e: unknown) => {
      assert.ok(e instanceof StateCorruptError, `${text}: ${String(e)}`);
      assert.ok(e.message.includes(file), e.message);
      if (text.includes('"data"')) assert.ok(e instanceof StateShapeError && /data/.test(e.message), e.message);
      return true;
    });
    assert.equal(fs.readFileSync(file, 'utf8'), text);
  }
});

test('one bad cluster record is skipped with a warning naming it; the others still show; the bad one is kept', async (t) => {
  const home = tempDir(t);
  const saved = process.env.SKYDECK_HOME;
  process.env.SKYDECK_HOME = home;
  t.after(() => (saved === undefined ? delete process.env.SKYDECK_HOME : (process.env.SKYDECK_HOME = saved)));
  const good = {
    name: 'good',
    status: 'UP',
    handle: { clusterName: 'good', nameOnCloud: 'good-1', provider: 'local', region: 'local', data: {} },
    resources: { cloud: 'local', region: 'local', instanceType: 'local', useSpot: false, diskSizeGb: 1, ports: [], pricePerHour: 0 },
    numNodes: 1,
    nodes: [],
    launchedAt: 1,
    accumulatedUpSeconds: 0,
  };
  const file = clusterTable().file;
  fs.writeFileSync(file, JSON.stringify({ version: 1, data: { clusters: { good, bad: { name: 'bad', status: 'UP', handle: null }, worse: 7 } } }));
  const { result, stderr } = await captureStderr(() => listClusters());
  assert.deepEqual(
    result.map((r) => r.name),
    ['good'],
  );
  assert.match(stderr, /skipping cluster record 'bad' in .*clusters\.json: "handle"/);
  assert.match(stderr, /skipping cluster record 'worse'/);
  await assert.rejects(findCluster('bad'), /record of cluster 'bad' in .*clusters\.json is unusable/);
  // A change to another record keeps the bad ones as they were.
  await clusterTable().update((d) => void (d.clusters.good.status = 'STOPPED'));
  const after = JSON.parse(fs.readFileSync(file, 'utf8')) as { data: { clusters: Record<string, unknown> } };
  assert.deepEqual(after.data.clusters.bad, { name: 'bad', status: 'UP', handle: null });
  assert.equal(after.data.clusters.worse, 7);
});

test('a lock left by a killed process is taken over at once, with a message', { timeout: 45_000 }, async (t) => {
  const dir = tempDir(t);
  const col = new Collection<{ n: number }>({ name: 'c', dir, initial: () => ({ n: 0 }) });
  await col.update((d) => void (d.n = 1));
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'fixtures', 'holdLock.ts'), col.file], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  t.after(() => child.exitCode === null && child.kill('SIGKILL'));
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (b: Buffer) => b.toString().includes('locked') && resolve());
    child.once('exit', (code) => reject(new Error(`lock holder exited early (${code})`)));
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
  assert.ok(fs.existsSync(`${col.file}.lock`), 'the killed holder left its lock behind');
  // The test's timeout (45 s) is below proper-lockfile's 60 s stale time: only the owner check can pass it.
  const { result, stderr } = await captureStderr(() => col.update((d) => ++d.n));
  assert.equal(result, 2);
  assert.match(stderr, new RegExp(`Took over the lock on .*c\\.json: its holder, process ${child.pid}, is no longer running`));
});

test('state files are 0600 and the state folder 0700 whatever the umask', async (t) => {
  const home = tempDir(t);
  const old = process.umask(0);
  t.after(() => process.umask(old));
  const dir = path.join(home, 'state');
  fs.mkdirSync(dir, { mode: 0o777 });
  fs.chmodSync(dir, 0o777);
  fs.writeFileSync(path.join(dir, 'c.json'), JSON.stringify({ version: 1, data: { n: 0 } }), { mode: 0o666 });
  const col = new Collection<{ n: number }>({ name: 'c', dir, initial: () => ({ n: 0 }) });
  await col.update((d) => void (d.n = 1));
  const fresh = new Collection<{ n: number }>({ name: 'fresh', dir, initial: () => ({ n: 0 }) });
  await fresh.update((d) => void (d.n = 1));
  assert.equal(fs.statSync(dir).mode & 0o777, 0o700);
  assert.equal(fs.statSync(col.file).mode & 0o777, 0o600);
  assert.equal(fs.statSync(fresh.file).mode & 0o777, 0o600);
});
