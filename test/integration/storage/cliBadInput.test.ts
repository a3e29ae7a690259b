/**
 * Bad bucket mounts through the CLI's launch: every problem is named by file:line:column and
 * field, as the editor shows it, before anything is provisioned; no cluster, no bucket is left.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { findCluster } from '../../../engine/cluster';
import { getStore } from '../../../engine/storage/stores';
import type { MotoServer } from '../../helpers/moto';
import { requirePrerequisite } from '../../helpers/prerequisites';
import { freshHome } from '../cluster/helpers';
import { s3Endpoint, storagePrerequisites } from './helpers';

requirePrerequisite(storagePrerequisites());
const ROOT = path.join(__dirname, '..', '..', '..');

/** The CLI from source, in its own process. */
function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'engine', 'cli', 'main.ts'), ...argv], { cwd: ROOT, env: process.env });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('close', (code) => resolve({ code: code ?? 1, out, err }));
  });
}

describe('storage bad input through `skydeck launch`', { concurrency: false }, () => {
  let env: ReturnType<typeof freshHome>;
  let moto: MotoServer;
  before(async () => {
    env = freshHome();
    moto = await s3Endpoint();
  });
  after(async () => {
    await moto.stop();
    env.cleanup();
  });

  test('each bad field is named with its file:line:column; nothing is provisioned or created', async () => {
    const task = path.join(env.home, 'bad.yaml');
    fs.writeFileSync(
      task,
      [
        'resources:', //                                  1
        '  infra: local', //                              2
        'file_mounts:', //                                3
        '  ~/missing: s3://st-cli-no-such-bucket/x', //   4
        '  ~/scheme: foo://b/x', //                       5
        '  ~/named:', //                                  6
        '    name: Not_A_Bucket', //                      7
        '  ~/src.v2:', //                                 8
        '    name: st-cli-never-made', //                 9
        `    source: ${path.join(env.home, 'nope')}`, // 10
        '  ~/uri-source:', //                             11
        '    source: s3://st-cli-no-such-source', //      12
        'run: echo never', //                             13
        '',
      ].join('\n'),
    );
    const r = await cli('launch', '-y', '-c', 'st-cli-bad', task);
    assert.notEqual(r.code, 0, r.err);
    const expect: [number, number, RegExp][] = [
      [4, 3, /file_mounts\.~\/missing: bucket s3:\/\/st-cli-no-such-bucket does not exist/],
      [5, 3, /file_mounts\.~\/scheme: unknown scheme foo:\/\//],
      [7, 5, /file_mounts\.~\/named\.name: .*Not_A_Bucket/],
      [10, 5, /file_mounts\.~\/src\.v2\.source: local path .*nope does not exist/],
      [12, 5, /file_mounts\.~\/uri-source\.source: bucket s3:\/\/st-cli-no-such-source does not exist/],
    ];
    for (const [line, col, message] of expect) {
      const shown = r.err.split('\n').find((l) => message.test(l));
      assert.ok(shown, `${message} in:\n${r.err}`);
      assert.ok(shown.includes(`${task}:${line}:${col}: `), `line ${line}:${col} named in: ${shown}`);
    }
    assert.equal(await findCluster('st-cli-bad'), undefined, 'no cluster');
    assert.equal(await getStore('s3').bucketExists({ store: 's3', bucket: 'st-cli-never-made', prefix: '' }), false, 'no bucket');
    const local = path.join(env.home, 'local');
    assert.equal(fs.existsSync(local) && fs.readdirSync(local).length > 0, false, 'no node directory');
  });
});
