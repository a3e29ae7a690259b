// `skydeck validate` refuses input it cannot read safely, with a clear message (built CLI).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { builtFiles, requirePrerequisite } from '../../helpers/prerequisites';

const ROOT = path.resolve(__dirname, '../../..');
const CLI = path.join(ROOT, 'dist/cli.js');
const skip = requirePrerequisite(builtFiles(CLI));

function validate(file: string): {
  code: number | null;
  results: { diagnostics: { severity: string; code: string; message: string; range: { start: { line: number; character: number } } }[] }[];
  stderr: string;
} {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'skydeck-home-'));
  try {
    const r = spawnSync(process.execPath, [CLI, 'validate', '--json', file], {
      encoding: 'utf8',
      env: { ...process.env, SKYDECK_HOME: home },
      timeout: 180_000,
    });
    return { code: r.status, results: r.stdout ? JSON.parse(r.stdout) : [], stderr: r.stderr };
  } finally {
    fs.rmSync(home, { recursive: true, force: true });
  }
}

function tmpFile(name: string, content: string | Buffer): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skydeck-input-'));
  const p = path.join(dir, name);
  fs.writeFileSync(p, content);
  return p;
}

test('a device such as /dev/zero is refused, not read until memory runs out', { skip }, () => {
  const r = validate('/dev/zero');
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.results[0].diagnostics[0].message, /is a device, not a regular file/);
});

test('a directory is refused by name', { skip }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skydeck-dir-'));
  const r = validate(dir);
  assert.equal(r.code, 1);
  assert.match(r.results[0].diagnostics[0].message, /is a directory/);
});

test('a NUL byte is an error at its position', { skip }, () => {
  const r = validate(tmpFile('nul.yaml', 'run: echo hi\nsetup: echo a\u0000b\n'));
  assert.equal(r.code, 1);
  const d = r.results[0].diagnostics[0];
  assert.equal(d.code, 'invalid-character');
  assert.deepEqual(d.range.start, { line: 1, character: 13 });
  assert.match(d.message, /NUL/);
});

test('deep nesting is a diagnostic, not a stack overflow', { skip }, () => {
  for (const text of [
    'run: x\nresources: ' + '['.repeat(100_000) + ']'.repeat(100_000) + '\n',
    'a:\n' + '- '.repeat(50_000) + '1\n',
    'x: ' + '{a: '.repeat(20_000) + '1' + '}'.repeat(20_000) + '\n',
  ]) {
    const r = validate(tmpFile('deep.yaml', text));
    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.results[0].diagnostics[0].code, 'too-deep');
  }
});

test('a file that is not UTF-8 is refused as SkyPilot does', { skip }, () => {
  const r = validate(tmpFile('latin1.yaml', Buffer.from([0x72, 0x75, 0x6e, 0x3a, 0x20, 0xe9, 0x0a])));
  assert.equal(r.code, 1);
  assert.match(r.results[0].diagnostics[0].message, /not a valid UTF-8 text file/);
});
