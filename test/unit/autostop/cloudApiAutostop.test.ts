/**
 * The head's cloud-API autostop program (engine/vmShared/cloudApiAutostop.ts) as the head runs
 * it: the program the client wrote runs with its parameters and credential; when it fails (a
 * refused token, an API error) or was never written (a worker), the fallback runs instead, so
 * the cluster still powers off.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cloudApiCommand, cloudApiFiles } from '../../../engine/vmShared/cloudApiAutostop';
import { AUTOSTOP_FILES_DIR } from '../../../engine/infra/provider';

function runOn(home: string, command: string): string {
  const r = spawnSync('bash', ['-c', command], { env: { ...process.env, HOME: home }, encoding: 'utf8' });
  return r.stdout + r.stderr;
}

function writeProgram(home: string, script: string, credential?: Buffer): void {
  const dir = path.join(home, AUTOSTOP_FILES_DIR);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  for (const f of cloudApiFiles({ cloud: 'demo', script, params: { zone: 'z-1' }, credential })) {
    fs.writeFileSync(path.join(dir, f.name), f.content, { mode: 0o600 });
  }
}

test('the program runs with its parameters, credential and arguments; no fallback when it succeeds', () => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'skydeck-nodeapi-'));
  writeProgram(home, "log('zone %s, %s, %s' % (PARAMS['zone'], read_credential()['type'], sys.argv[1]))", Buffer.from('{"type":"authorized_user"}'));
  const out = runOn(home, cloudApiCommand('demo', 'echo FALLBACK', 'down'));
  assert.match(out, /zone z-1, authorized_user, down/);
  assert.doesNotMatch(out, /FALLBACK/);
  fs.rmSync(home, { recursive: true, force: true });
});

test('a failing program, or none at all, falls back to the guest shutdown', () => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'skydeck-nodeapi-'));
  assert.match(runOn(home, cloudApiCommand('demo', 'echo FALLBACK')), /FALLBACK/, 'a worker: no program');
  writeProgram(home, "raise Fail('the token endpoint refused: 400 invalid_grant')");
  // Fail is the prelude's; an uncaught one exits non-zero like any failure of the program.
  const out = runOn(home, cloudApiCommand('demo', 'echo FALLBACK'));
  assert.match(out, /invalid_grant/);
  assert.match(out, /falling back to the guest shutdown[\s\S]*FALLBACK/);
  fs.rmSync(home, { recursive: true, force: true });
});
