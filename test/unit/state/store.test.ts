import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Collection, StateCorruptError, StateVersionError } from '../../../engine/state/store';

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skydeck-state-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('update is a transaction: the result is returned and persisted, a throwing change writes nothing', async (t) => {
  const dir = tempDir(t);
  const col = new Collection<{ n: number }>({ name: 'c', dir, initial: () => ({ n: 0 }) });
  assert.equal(await col.update((d) => ++d.n), 1);
  await assert.rejects(
    col.update((d) => {
      d.n = 99;
      throw new Error('boom');
    }),
    /boom/,
  );
  assert.deepEqual(await col.read(), { n: 1 });
  assert.deepEqual(col.readSync(), { n: 1 });
});

test('8 processes hammering one collection lose nothing', async (t) => {
  const dir = tempDir(t);
  const writers = 8;
  const each = 15;
  const fixture = path.join(__dirname, 'fixtures', 'hammer.ts');
  const children = Array.from({ length: writers }, (_, w) =>
    spawn(process.execPath, ['--import', 'tsx', fixture, dir, `w${w}`, String(each)], { stdio: ['ignore', 'ignore', 'pipe'] }),
  );
  t.after(() => children.forEach((c) => c.exitCode === null && c.kill('SIGKILL')));
  const codes = await Promise.all(
    children.map(
      (c) =>
        new Promise<{ code: number | null; err: string }>((resolve) => {
          let err = '';
          c.stderr!.on('data', (b: Buffer) => (err += b.toString()));
          c.on('exit', (code) => resolve({ code, err }));
        }),
    ),
  );
  for (const { code, err } of codes) assert.equal(code, 0, err);
  const col = new Collection<{ items: string[] }>({ name: 'hammer', dir, initial: () => ({ items: [] }) });
  const items = (await col.read()).items;
  assert.equal(items.length, writers * each);
  assert.equal(new Set(items).size, writers * each);
  // Each writer's own entries stay in order.
  for (let w = 0; w < writers; w++) {
    const mine = items.filter((i) => i.startsWith(`w${w}-`)).map((i) => Number(i.split('-')[1]));
    assert.deepEqual(
      mine,
      [...mine].sort((a, b) => a - b),
    );
  }
});

test('a corrupt file gives a clear error, keeps a backup and is never overwritten', async (t) => {
  const dir = tempDir(t);
  const col = new Collection<{ n: number }>({ name: 'c', dir, initial: () => ({ n: 0 }) });
  await col.update((d) => void (d.n = 5));
  fs.writeFileSync(col.file, '{"version": 1, "data": {"n": 5'); // truncated
  await assert.rejects(
    col.update((d) => void (d.n = 6)),
    (e: unknown) => {
      assert.ok(e instanceof StateCorruptError);
      assert.match(e.message, /not valid JSON/);
      assert.ok(fs.existsSync(e.backup), 'backup kept');
      assert.equal(fs.readFileSync(e.backup, 'utf8'), '{"version": 1, "data": {"n": 5');
      assert.match(e.hint ?? '', new RegExp(e.backup.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
      return true;
    },
  );
  assert.equal(fs.readFileSync(col.file, 'utf8'), '{"version": 1, "data": {"n": 5', 'the corrupt file is left as it was');
  assert.throws(() => col.readSync(), StateCorruptError);
});

test('migrations upgrade old files; a newer file is refused', async (t) => {
  const dir = tempDir(t);
  fs.writeFileSync(path.join(dir, 'm.json'), JSON.stringify({ version: 1, data: { names: ['a'] } }));
  const col = new Collection<{ items: { name: string }[] }>({
    name: 'm',
    dir,
    initial: () => ({ items: [] }),
    migrations: [(old) => ({ items: (old as { names: string[] }).names.map((name) => ({ name })) })],
  });
  assert.deepEqual(await col.read(), { items: [{ name: 'a' }] });
  await col.update((d) => void d.items.push({ name: 'b' }));
  assert.equal(JSON.parse(fs.readFileSync(col.file, 'utf8')).version, 2);
  const old = new Collection<{ names: string[] }>({ name: 'm', dir, initial: () => ({ names: [] }) });
  await assert.rejects(old.read(), StateVersionError);
});
