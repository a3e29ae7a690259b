// rclone on a node reaches GCS with the store's remote settings: here Debian's rclone against
// the fake JSON API (the same API the emulators and the real service speak).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { startFakeGcs, type FakeGcs } from '../../helpers/fakes/gcs';
import { requirePrerequisite } from '../../helpers/prerequisites';
import { createGcsStore } from '../../../engine/storage/stores/gcs';

const run = promisify(execFile);
const missing = requirePrerequisite(!fs.existsSync('/usr/bin/rclone') && 'rclone (scripts/setup installs it)');

let fake: FakeGcs;
let dir: string;
before(async () => {
  fake = await startFakeGcs();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skydeck-gcs-rclone-'));
});
after(async () => {
  await fake.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('rclone lists and copies what the store uploaded, and writes back into the bucket', { skip: missing }, async () => {
  const env = { ...process.env, STORAGE_EMULATOR_HOST: fake.url };
  const store = createGcsStore(env);
  const ref = { store: 'gcs' as const, bucket: 'rclone-bucket', prefix: 'data' };
  await store.createBucket(ref);
  fs.mkdirSync(path.join(dir, 'src', 'nested'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'src', 'one.txt'), 'one');
  fs.writeFileSync(path.join(dir, 'src', 'nested', 'two.txt'), 'two');
  await store.upload(ref, path.join(dir, 'src'), ['one.txt', path.join('nested', 'two.txt')]);

  const remote = await store.rcloneRemote(ref);
  const rcloneEnv: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: dir, RCLONE_CONFIG_SKYGCS_TYPE: remote.type };
  for (const [k, v] of Object.entries(remote.settings)) rcloneEnv[`RCLONE_CONFIG_SKYGCS_${k.toUpperCase()}`] = v;
  const rclone = (...args: string[]) => run('rclone', ['--config', '/dev/null', ...args], { env: rcloneEnv });

  const listed = await rclone('lsf', '-R', '--files-only', 'skygcs:rclone-bucket/data');
  assert.deepEqual(listed.stdout.trim().split('\n').sort(), ['nested/two.txt', 'one.txt']);
  await rclone('copy', 'skygcs:rclone-bucket/data', path.join(dir, 'out'));
  assert.equal(fs.readFileSync(path.join(dir, 'out', 'nested', 'two.txt'), 'utf8'), 'two');

  fs.writeFileSync(path.join(dir, 'step.txt'), '42');
  await rclone('copyto', path.join(dir, 'step.txt'), 'skygcs:rclone-bucket/data/ckpt/step.txt');
  assert.ok((await store.list(ref)).includes('data/ckpt/step.txt'));
});
