/**
 * A managed job whose checkpoints live in a MOUNT bucket resumes from its last checkpoint after
 * a preemption: on `local`, step 3 is written, `skydeck debug preempt`, the recovered run reads 3.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { jobLogPath } from '../../../engine/jobs/paths';
import { isTerminal } from '../../../engine/jobs/types';
import { getStore } from '../../../engine/storage/stores';
import { builtFiles, requirePrerequisite } from '../../helpers/prerequisites';
import { CLI, jobsEnv } from '../jobs/helpers';
import { s3Endpoint, storagePrerequisites } from './helpers';

const skip = requirePrerequisite(
  builtFiles(CLI, path.join(path.dirname(CLI), 'jobs-controller.js'), path.join(path.dirname(CLI), 'stores', 's3.js')) ?? storagePrerequisites(),
);

test('checkpoints in a MOUNT bucket survive preemption: the recovered run resumes from step N', { skip, timeout: 600_000 }, async (t) => {
  const moto = await s3Endpoint();
  const e = jobsEnv();
  t.after(async () => {
    await e.cleanup();
    await moto.stop();
  });
  const bucketName = 'st-ckpt-job';
  // The first run holds after step 3 until it is preempted; a resumed run starts past 3 and finishes.
  const run = [
    'start=0; [ -f ~/ckpt/step ] && start=$(cat ~/ckpt/step)',
    'echo "resumed from $start"',
    'for i in $(seq $((start+1)) 5); do',
    '  echo $i > ~/ckpt/step; echo "step $i"',
    '  if [ $i = 3 ] && [ $start = 0 ]; then while true; do sleep 1; done; fi',
    'done',
  ].join('\n');
  const file = e.write(
    'ckpt.yaml',
    `name: ckpt\nresources:\n  infra: local\n  use_spot: true\nfile_mounts:\n  ~/ckpt:\n    name: ${bucketName}\n    mode: MOUNT\nrun: |\n${run.replace(/^/gm, '  ')}\n`,
  );
  const r = await e.cli(['jobs', 'launch', file, '-y', '-d']);
  assert.equal(r.code, 0, r.stderr);
  const id = Number(/Managed job ID: (\d+)/.exec(r.stdout)![1]);
  const log = () => (fs.existsSync(jobLogPath(id)) ? fs.readFileSync(jobLogPath(id), 'utf8') : '');
  const store = getStore('s3');
  const ref = { store: 's3' as const, bucket: bucketName, prefix: '' };
  const running = await e.waitJob(id, 'RUNNING at step 3', (j) => j.status === 'RUNNING' && /step 3/.test(log()));
  // The checkpoint is in the bucket itself, not only on the node that is about to vanish.
  assert.deepEqual(await store.list(ref), ['step']);
  const p = await e.cli(['debug', 'preempt', running.tasks[0].cluster]);
  assert.equal(p.code, 0, p.stderr);
  const done = await e.waitJob(id, 'terminal', (j) => isTerminal(j.status), 300_000);
  const controllerLog = () => fs.readFileSync(path.join(e.home, 'managed_jobs', String(id), 'controller.log'), 'utf8');
  assert.equal(done.status, 'SUCCEEDED', `${done.failureReason}\n${controllerLog()}`);
  assert.equal(done.tasks[0].recoveries, 1);
  assert.match(log(), /resumed from 0[\s\S]*step 3[\s\S]*resumed from 3\n[\s\S]*step 4[\s\S]*step 5/);
  assert.doesNotMatch(log(), /resumed from 3[\s\S]*step [123]\n/, 'no step redone after the checkpoint');
  const ls = await e.cli(['storage', 'ls', '--json']);
  const rows = JSON.parse(ls.stdout) as { name: string; persistent: boolean; createdBySkydeck: boolean; clusters: string[] }[];
  assert.deepEqual(
    rows.map((x) => [x.name, x.persistent, x.createdBySkydeck, x.clusters]),
    [[bucketName, true, true, []]],
  );
  // The keys reached rclone on the node as its environment only: never in SkyDeck's state, logs or --json.
  const leaks = spawnSync('grep', ['-rl', process.env.AWS_SECRET_ACCESS_KEY!, e.home], { encoding: 'utf8' }).stdout.trim();
  assert.equal(leaks, '', `secret found in ${leaks}`);
  assert.doesNotMatch(ls.stdout, new RegExp(process.env.AWS_SECRET_ACCESS_KEY!));
  const del = await e.cli(['storage', 'delete', bucketName, '-y']);
  assert.equal(del.code, 0, del.stderr);
  assert.equal(await store.bucketExists(ref), false, 'storage delete removes the bucket SkyDeck created');
});
