/** LocalTransport: a `local` node's processes (HOME = node dir, provider env), files, errors. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LocalTransport } from '../../../engine/node/local';
import { isTransportError } from '../../../engine/node/transport';
import { CancelledError } from '../../../engine/errors';
import { processAlive, waitFor } from '../../helpers/localNodes';

function node(t: { after: (fn: () => void) => void }): { dir: string; tr: LocalTransport } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skydeck-localnode-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return { dir, tr: new LocalTransport({ nodeDir: dir, env: { SKYDECK_NODE_IP: '127.0.0.9' } }) };
}

test('exec: HOME is the node dir, provider env and per-call env, cwd relative to the node, stdin, exit codes', async (t) => {
  const { dir, tr } = node(t);
  fs.mkdirSync(path.join(dir, 'w'));
  const r = await tr.exec(['bash', '-c', 'echo "$HOME|$SKYDECK_NODE_IP|$X|$PWD"; cat; exit 3'], { env: { X: 'x y' }, cwd: '~/w', stdin: 'in' });
  assert.equal(r.exitCode, 3);
  assert.equal(r.stdout, `${dir}|127.0.0.9|x y|${dir}/w\nin`);
  const streamed: string[] = [];
  await tr.exec(['bash', '-c', 'echo a; echo b >&2'], { onStdout: (c) => streamed.push(`o:${c}`), onStderr: (c) => streamed.push(`e:${c}`) });
  assert.deepEqual(streamed.sort(), ['e:b\n', 'o:a\n']);
  await assert.rejects(tr.exec(['definitely-not-a-command-xyz']), /Command not found on local node/);
  await assert.rejects(tr.exec(['true'], { env: { 'NOT OK': '1' } }), /Invalid environment variable/);
});

test('exec: abort and timeout stop the whole command tree', async (t) => {
  const { dir, tr } = node(t);
  const ac = new AbortController();
  const running = tr.exec(['bash', '-c', 'sleep 300 & echo $! > child.pid; echo started; wait'], {
    signal: ac.signal,
    onStdout: () => ac.abort(),
  });
  await assert.rejects(running, (e: unknown) => e instanceof CancelledError);
  const child = Number(fs.readFileSync(path.join(dir, 'child.pid'), 'utf8'));
  await waitFor('the background child to die', () => (processAlive(child) ? undefined : true));
  await assert.rejects(
    tr.exec(['sleep', '30'], { timeoutMs: 200 }),
    (e: unknown) => isTransportError(e) && e.kind === 'timeout' && /did not finish within 200 ms/.test(e.message),
  );
});

test('putFile (atomic, parents, mode) and putDir with a filter', async (t) => {
  const { dir, tr } = node(t);
  await tr.putFile('~/a/b/c.txt', 'one', 0o600);
  await tr.putFile('a/b/c.txt', Buffer.from('two'));
  assert.equal(fs.readFileSync(path.join(dir, 'a/b/c.txt'), 'utf8'), 'two');
  assert.deepEqual(fs.readdirSync(path.join(dir, 'a/b')), ['c.txt']);
  await tr.putFile('~/k', 'key', 0o600);
  assert.equal(fs.statSync(path.join(dir, 'k')).mode & 0o777, 0o600);
  const src = fs.mkdtempSync(path.join(os.tmpdir(), 'skydeck-src-'));
  t.after(() => fs.rmSync(src, { recursive: true, force: true }));
  for (const f of ['keep.py', 'sub/keep.txt', 'node_modules/x.js', 'sub/drop.log']) {
    fs.mkdirSync(path.dirname(path.join(src, f)), { recursive: true });
    fs.writeFileSync(path.join(src, f), f);
  }
  await tr.putDir(src, '~/sky_workdir', (rel) => !rel.startsWith('node_modules') && !rel.endsWith('.log'));
  const listed = spawnSync('find', ['.', '-type', 'f'], { cwd: path.join(dir, 'sky_workdir'), encoding: 'utf8' })
    .stdout.split('\n')
    .filter(Boolean)
    .sort();
  assert.deepEqual(listed, ['./keep.py', './sub/keep.txt']);
});

test('interactiveShell: a login bash in the node dir with the node env', (t) => {
  const { dir, tr } = node(t);
  const sh = tr.interactiveShell();
  const r = spawnSync(sh.argv[0], [...sh.argv.slice(1), '-c', 'echo "$HOME $SKYDECK_NODE_IP $PWD"'], { env: sh.env, cwd: sh.cwd, encoding: 'utf8' });
  assert.equal(r.stdout.trim().split('\n').pop(), `${dir} 127.0.0.9 ${dir}`);
});
