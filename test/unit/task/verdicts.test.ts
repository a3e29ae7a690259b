// Differential test: SkyDeck's verdict (the `skydeck validate --json` path: any error
// diagnostic = reject) against SkyPilot's, on the real corpus, on named alterations of it
// (./verdictMutations.ts) and on hand-written fixtures (fixtures/verdicts/*.yaml, first line
// `# expect: accept` or `# expect: reject: <substring of the message>`). SkyPilot's own answers
// are recorded in fixtures/verdicts/skypilot-verdicts.json; the expectations are checked
// against them too, so a fixture cannot drift from SkyPilot without failing here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseTaskText } from '../../../engine/task/load';
import { corpusDir } from '../../helpers/shared';
import { mutations, type Expectation } from './verdictMutations';

const FIXTURES = path.join(__dirname, 'fixtures', 'verdicts');
const CORPUS = corpusDir();

interface Recorded {
  fixtures: Record<string, { verdict: string; message?: string }>;
  corpus: Record<string, { verdict: string; message?: string }>;
  mutations: Record<string, Record<string, string>>;
}
const recorded = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'skypilot-verdicts.json'), 'utf8')) as Recorded;

/** Where SkyPilot's schema has a gap and the value can only fail later, SkyDeck rejects on purpose. */
const STRICTER = new Set([
  'accelerator-empty-name.yaml',
  'autostop-negative.yaml',
  'service-replicas-negative.yaml',
  'edge-eph-neg.yaml',
  'gen-volume-int-name.yaml',
]);

/** The corpus files SkyPilot rejects, and what SkyDeck's message must say. */
const CORPUS_REJECTS: Record<string, string> = {
  'tasks/llm/deepseek-r1/deepseek-r1-671B-A100.yaml': 'target_qps_per_replica',
  'tasks/llm/deepseek-r1/deepseek-r1-671B.yaml': 'target_qps_per_replica',
  'tasks/llm/rag/serve_rag.yaml': 'spot',
};

interface Case {
  id: string;
  text: string;
  expect: Expectation;
}

function parseExpectation(line: string): Expectation {
  const m = /^#?\s*expect:\s*(accept|reject)(?::\s*(.+))?$/.exec(line.trim());
  assert.ok(m, `bad expectation line: ${line}`);
  return m[1] === 'accept' ? { verdict: 'accept' } : { verdict: 'reject', message: m[2]?.trim() };
}

function fixtureCases(): Case[] {
  return fs
    .readdirSync(FIXTURES)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => {
      const text = fs.readFileSync(path.join(FIXTURES, f), 'utf8');
      // An empty file cannot carry its expectation: it sits beside it.
      const line = text === '' ? fs.readFileSync(path.join(FIXTURES, f.replace(/\.yaml$/, '.expect')), 'utf8') : text.split('\n')[0];
      return { id: `fixture ${f}`, text, expect: parseExpectation(line) };
    });
}

function corpusFiles(): string[] {
  const out: string[] = [];
  for (const sub of ['tasks', 'tasks-invalid']) {
    const walk = (dir: string) => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (/\.ya?ml$/.test(e.name)) out.push(p);
      }
    };
    walk(path.join(CORPUS, sub));
  }
  return out.sort();
}

function corpusCases(): Case[] {
  return corpusFiles().map((f) => {
    const rel = path.relative(CORPUS, f);
    const expect: Expectation = rel.startsWith('tasks-invalid/')
      ? { verdict: 'reject', message: 'spot_recovery' }
      : CORPUS_REJECTS[rel]
        ? { verdict: 'reject', message: CORPUS_REJECTS[rel] }
        : { verdict: 'accept' };
    return { id: `corpus ${rel}`, text: fs.readFileSync(f, 'utf8'), expect };
  });
}

const isSingleDocument = (text: string) => !/^---\s*$/m.test(text.replace(/^---\s*\n/, ''));

function mutationCases(): Case[] {
  const out: Case[] = [];
  for (const f of corpusFiles()) {
    const rel = path.relative(CORPUS, f);
    if (!rel.startsWith('tasks/') || CORPUS_REJECTS[rel]) continue;
    const text = fs.readFileSync(f, 'utf8');
    if (!isSingleDocument(text)) continue;
    for (const m of mutations) {
      const altered = m.apply(text);
      if (altered !== undefined) out.push({ id: `${m.name} ${rel.slice('tasks/'.length).replace(/\//g, '__')}`, text: altered, expect: m.expect });
    }
  }
  return out;
}

function skydeckVerdict(c: Case): { agrees: boolean; why: string } {
  const r = parseTaskText(c.text, { fileName: 'task.yaml' });
  const errors = r.diagnostics.filter((d) => d.severity === 'error');
  const verdict = errors.length ? 'reject' : 'accept';
  if (verdict !== c.expect.verdict) return { agrees: false, why: `${verdict} (want ${c.expect.verdict}) ${JSON.stringify(errors.map((d) => d.message))}` };
  if (verdict === 'reject' && c.expect.message && !errors.some((d) => d.message.includes(c.expect.message as string))) {
    return { agrees: false, why: `rejects, but no message says '${c.expect.message}': ${JSON.stringify(errors.map((d) => d.message))}` };
  }
  return { agrees: true, why: '' };
}

test('the expectations are SkyPilot verdicts (recorded from its own loader)', () => {
  for (const c of fixtureCases()) {
    const name = c.id.replace(/^fixture /, '');
    const sky = recorded.fixtures[name];
    assert.ok(sky, `${name}: no recorded SkyPilot verdict (run the referee on it)`);
    if (STRICTER.has(name)) assert.equal(sky.verdict, 'accept', `${name} is listed as stricter than SkyPilot`);
    else assert.equal(sky.verdict, c.expect.verdict, `${name}: SkyPilot says ${sky.verdict}: ${sky.message ?? ''}`);
  }
  for (const [rel, sky] of Object.entries(recorded.corpus)) {
    const want = rel.startsWith('tasks-invalid/') || CORPUS_REJECTS[rel] ? 'reject' : 'accept';
    assert.equal(sky.verdict, want, `${rel}: SkyPilot says ${sky.verdict}`);
  }
  let checked = 0;
  for (const m of mutations) {
    const answers = recorded.mutations[m.name] ?? {};
    assert.ok(Object.keys(answers).length > 0, `mutation ${m.name}: no recorded SkyPilot verdicts`);
    for (const [file, verdict] of Object.entries(answers)) {
      assert.equal(verdict, m.expect.verdict, `${m.name} ${file}: SkyPilot says ${verdict}`);
      checked++;
    }
  }
  assert.ok(checked > 1000, `only ${checked} recorded mutation verdicts`);
});

test("SkyDeck's verdicts agree with SkyPilot's on the corpus, its alterations and the fixtures", () => {
  const groups: [string, Case[]][] = [
    ['corpus', corpusCases()],
    ['alterations', mutationCases()],
    ['fixtures', fixtureCases()],
  ];
  const disagreements: string[] = [];
  let total = 0;
  let agreed = 0;
  for (const [label, cases] of groups) {
    let ok = 0;
    for (const c of cases) {
      const r = skydeckVerdict(c);
      if (r.agrees) ok++;
      else disagreements.push(`${c.id}: ${r.why}`);
    }
    total += cases.length;
    agreed += ok;
    console.log(`verdicts ${label}: ${ok}/${cases.length} agree`);
  }
  console.log(`verdicts total: ${agreed}/${total} agree with SkyPilot (${STRICTER.size} fixtures stricter on purpose)`);
  assert.ok(total > 2000, `only ${total} cases`);
  assert.deepEqual(disagreements, []);
});

test('every group of the issue is covered by several cases', () => {
  const names = fixtureCases().map((c) => c.id);
  const groups: Record<string, RegExp> = {
    replicaPolicy: /replica-policy/,
    serveUp: /serve-|pool-/,
    tpu: /tpu-/,
    stringified: /envs-(list|map|nested)|cpus-plus/,
    nulls: /file-mounts-null|envs-(explicit-)?null|setup-list|idle-minutes|memory-|pod-config/,
    headers: /pipeline-|job-group-|empty|single-header/,
    secretsEphemeralSlash: /secrets-|ephemeral-|bucket-|mount-/,
    messages: /num-nodes|accelerator-|service-replicas-negative|autostop-negative/,
  };
  for (const [g, re] of Object.entries(groups)) assert.ok(names.filter((n) => re.test(n)).length >= 3, `group ${g} has fewer than 3 fixtures`);
});
