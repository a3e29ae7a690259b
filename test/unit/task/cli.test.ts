// `skydeck validate` through the built CLI (npm run build first; scripts/test.sh does).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { corpusDir, yamlFiles } from '../../helpers/shared';
import { builtFiles, requirePrerequisite } from '../../helpers/prerequisites';

const ROOT = path.resolve(__dirname, '../../..');
const CLI = path.join(ROOT, 'dist/cli.js');
const cliMissing = requirePrerequisite(builtFiles(CLI));
const CORPUS = corpusDir();

interface FileResult {
  file: string;
  isTask: boolean;
  diagnostics: {
    severity: string;
    message: string;
    code: string;
    range: { start: { line: number; character: number }; end: { line: number; character: number } };
  }[];
}

function run(args: string[]): { code: number; stdout: string } {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'skydeck-home-'));
  try {
    const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, SKYDECK_HOME: home } });
    return { code: r.status ?? -1, stdout: r.stdout };
  } finally {
    fs.rmSync(home, { recursive: true, force: true });
  }
}

// SkyPilot itself refuses these three (see verdicts.test.ts).
const SKYPILOT_REJECTS = /deepseek-r1-671B(-A100)?\.yaml$|rag\/serve_rag\.yaml$/;

test('validate --json over the corpus: tasks clean (exit 0), tasks-invalid flagged (exit 1)', { skip: cliMissing }, () => {
  const tasks = run(['validate', '--json', ...yamlFiles(path.join(CORPUS, 'tasks')).filter((f) => !SKYPILOT_REJECTS.test(f))]);
  assert.equal(tasks.code, 0);
  const parsed = JSON.parse(tasks.stdout) as FileResult[];
  assert.ok(parsed.length >= 150);
  for (const r of parsed) {
    assert.equal(r.isTask, true);
    assert.deepEqual(
      r.diagnostics.filter((d) => d.severity === 'error'),
      [],
      r.file,
    );
  }
  const invalid = run(['validate', '--json', ...yamlFiles(path.join(CORPUS, 'tasks-invalid'))]);
  assert.equal(invalid.code, 1);
  for (const r of JSON.parse(invalid.stdout) as FileResult[]) {
    assert.deepEqual(
      r.diagnostics.map((d) => d.code),
      ['spot-recovery-removed'],
    );
    assert.deepEqual(Object.keys(r.diagnostics[0]).sort(), ['code', 'message', 'range', 'severity']);
  }
});

test('validate --auto: not-tasks get no error; without --auto every file is a task', { skip: cliMissing }, () => {
  const files = yamlFiles(path.join(CORPUS, 'not-tasks'));
  const auto = run(['validate', '--json', '--auto', ...files]);
  assert.equal(auto.code, 0);
  const results = JSON.parse(auto.stdout) as FileResult[];
  assert.equal(results.length, files.length);
  for (const r of results) {
    assert.deepEqual(
      r.diagnostics.filter((d) => d.severity === 'error'),
      [],
      r.file,
    );
    if (!r.isTask) assert.deepEqual(r.diagnostics, []);
  }
  const compose = files.find((f) => f.endsWith('docker-compose.yml')) as string;
  const forced = run(['validate', '--json', compose]);
  assert.equal(forced.code, 1);
  assert.equal((JSON.parse(forced.stdout) as FileResult[])[0].isTask, true);
});

test('validate text and SARIF output', { skip: cliMissing }, () => {
  const f = yamlFiles(path.join(CORPUS, 'tasks-invalid'))[0];
  const text = run(['validate', f]);
  assert.equal(text.code, 1);
  assert.match(
    text.stdout,
    new RegExp(`^${f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:5: error: 'spot_recovery' was removed.*\\[spot-recovery-removed\\]$`, 'm'),
  );
  const sarif = JSON.parse(run(['validate', '--format', 'sarif', f]).stdout);
  assert.equal(sarif.version, '2.1.0');
  const res = sarif.runs[0].results[0];
  assert.equal(res.ruleId, 'spot-recovery-removed');
  assert.equal(res.level, 'error');
  assert.equal(res.locations[0].physicalLocation.region.startColumn, 5);
  const missing = run(['validate', '--json', path.join(os.tmpdir(), 'does-not-exist.yaml')]);
  assert.equal(missing.code, 1);
  assert.equal(JSON.parse(missing.stdout)[0].diagnostics[0].code, 'file-unreadable');
});
