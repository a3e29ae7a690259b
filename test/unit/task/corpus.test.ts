// The "done means" over the real SkyPilot corpus (read-only, from ../shared/corpus).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseTaskText } from '../../../engine/task/load';
import { corpusDir, yamlFiles } from '../../helpers/shared';

const CORPUS = corpusDir();

const rel = (f: string) => path.relative(CORPUS, f);

// SkyPilot itself refuses these (verdicts.test.ts holds its recorded answers): min_replicas !=
// max_replicas without target_qps_per_replica, and a service mixing spot and on-demand.
const SKYPILOT_REJECTS = ['tasks/llm/deepseek-r1/deepseek-r1-671B-A100.yaml', 'tasks/llm/deepseek-r1/deepseek-r1-671B.yaml', 'tasks/llm/rag/serve_rag.yaml'];

test('tasks/: every file SkyPilot accepts parses, is detected as a task, builds, with no error diagnostic', () => {
  const files = yamlFiles(path.join(CORPUS, 'tasks')).filter((f) => !SKYPILOT_REJECTS.includes(rel(f)));
  assert.ok(files.length >= 150, `corpus has ${files.length} task files`);
  for (const f of files) {
    const r = parseTaskText(fs.readFileSync(f, 'utf8'), { fileName: f });
    const errors = r.diagnostics.filter((d) => d.severity === 'error');
    assert.deepEqual(errors, [], rel(f));
    assert.ok(r.isTask, `${rel(f)} not detected as a task`);
    assert.ok(r.taskFile && r.taskFile.tasks.length >= 1, `${rel(f)} built no task`);
  }
});

test('tasks-invalid/: the spot_recovery error, on that key, with a rename fix', () => {
  const files = yamlFiles(path.join(CORPUS, 'tasks-invalid'));
  assert.ok(files.length >= 2);
  for (const f of files) {
    const text = fs.readFileSync(f, 'utf8');
    const r = parseTaskText(text, { fileName: f });
    const errors = r.diagnostics.filter((d) => d.severity === 'error');
    assert.equal(errors.length, 1, `${rel(f)}: ${JSON.stringify(errors)}`);
    const [d] = errors;
    assert.equal(d.code, 'spot-recovery-removed');
    const line = text.split('\n')[d.range.start.line];
    assert.equal(line.slice(d.range.start.character, d.range.end.character), 'spot_recovery', rel(f));
    assert.equal(d.fixes?.[0].edits[0].newText, 'job_recovery');
    assert.equal(r.taskFile, undefined);
  }
});

test('not-tasks/: with content detection, no error diagnostic (foreign formats not claimed)', () => {
  const files = yamlFiles(path.join(CORPUS, 'not-tasks'));
  assert.ok(files.length >= 20);
  for (const f of files) {
    const r = parseTaskText(fs.readFileSync(f, 'utf8'), { fileName: f });
    if (!r.isTask) continue;
    // Only SkyPilot job groups (pipelines of valid tasks) may be claimed, and then cleanly.
    assert.match(rel(f), /jobgroup/, `${rel(f)} claimed as a task`);
    assert.deepEqual(
      r.diagnostics.filter((d) => d.severity === 'error'),
      [],
      rel(f),
    );
  }
  const claimedForeign = files.filter(
    (f) => /docker-compose|\.github|values|admin_policy|configs\//.test(f) && parseTaskText(fs.readFileSync(f, 'utf8'), { fileName: f }).isTask,
  );
  assert.deepEqual(claimedForeign, []);
});
