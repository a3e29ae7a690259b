/**
 * The node's API action (engine/vmShared/nodeApiAction.ts) as the head runs it: the program
 * the client wrote runs with its parameters; when it fails (a refused token, an API error) or
 * was never written (a worker), the fallback runs instead, so the cluster still powers off.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { nodeApiCommand, nodeApiFiles } from '../../../engine/vmShared/nodeApiAction';

function runOn(home: string, command: string): string {
  const r = spawnSync('bash', ['-c', command], { env: { ...process.env, HOME: home }, encoding: 'utf8' });
  return r.stdout + r.stderr;
}

function writeProgram(home: string, script: string, credential?: Buffer): void {
  for (const f of nodeApiFiles({ cloud: 'demo', script, params: { zone: 'z-1' }, credential })) {
    const file = path.join(home, f.path);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, f.content, { mode: f.mode });
    fs.chmodSync(file, f.mode);
  }
}

test('the program runs with its parameters; no fallback when it succeeds', () => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'skydeck-nodeapi-'));
  writeProgram(home, "log('zone ' + PARAMS['zone'])", Buffer.from('{"type":"authorized_user"}'));
  const out = runOn(home, nodeApiCommand('demo', 'echo FALLBACK'));
  assert.match(out, /zone z-1/);
  assert.doesNotMatch(out, /FALLBACK/);
  assert.equal(fs.statSync(path.join(home, '.skydeck_node/demo-api/credential.json')).mode & 0o777, 0o600);
  fs.rmSync(home, { recursive: true, force: true });
});

test('a failing program, or none at all, falls back to the guest shutdown', () => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'skydeck-nodeapi-'));
  assert.match(runOn(home, nodeApiCommand('demo', 'echo FALLBACK')), /FALLBACK/, 'a worker: no program');
  writeProgram(home, "raise Fail('the token endpoint refused: 400 invalid_grant')");
  // Fail is the prelude's; an uncaught one exits non-zero like any failure of the program.
  const out = runOn(home, nodeApiCommand('demo', 'echo FALLBACK'));
  assert.match(out, /invalid_grant/);
  assert.match(out, /falling back to the guest shutdown[\s\S]*FALLBACK/);
  fs.rmSync(home, { recursive: true, force: true });
});
