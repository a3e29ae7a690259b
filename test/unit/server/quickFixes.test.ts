// Every quick fix the editor offers produces a document that validates better: the problem it
// fixes is gone and it adds no error of its own (a duplicate key, say).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadCatalogDir } from '../../../engine/catalog/sources';
import { createInsights } from '../../../engine/optimizer/insights';
import { TextMap } from '../../../engine/task/yamlTree';
import { TaskLanguageService } from '../../../server/service/languageService';
import { REFERENCE_CATALOGS } from '../optimizer/helpers';

const cat = loadCatalogDir(REFERENCE_CATALOGS);
const service = new TaskLanguageService({ insights: createInsights({ catalog: () => cat, liveAvailability: false, infra: () => [] }) });
let version = 0;
const docOf = (text: string) => ({ uri: 'file:///w/fix.yaml', version: ++version, getText: () => text });
const errors = (text: string) => service.diagnostics(docOf(text)).filter((d) => d.severity === 1 || d.severity === 2);

const documents = [
  'resources:\n  spot_recovery: FAILOVER\nrun: x\n',
  'resources_extra:\n  cpus: 2\nrun: x\n',
  'resources:\n  cpus: 2\nresources_extra:\n  memory: 4\nrun: x\n',
  'setups: pip install x\nrun: x\n',
  'resources:\n  accelerators: A1000:8\nrun: x\n',
  'resources:\n  accelerators: A100:3\nrun: x\n',
  'resources:\n  accelerators: T4:1\n  infra: gcp/me-central2\nrun: x\n',
  'resources:\n  cpus: 3\nrun: x\n',
];

test('each quick fix, applied, removes its problem and adds no error', () => {
  let applied = 0;
  for (const text of documents) {
    const d = docOf(text);
    const before = errors(text);
    const tm = new TextMap(text);
    const actions = service.codeActions(d, { start: { line: 0, character: 0 }, end: { line: 1000, character: 0 } });
    for (const a of actions) {
      const edits = [...(a.edit?.changes?.[d.uri] ?? [])].sort((x, y) => tm.offsetAt(y.range.start) - tm.offsetAt(x.range.start));
      let fixed = text;
      for (const e of edits) fixed = fixed.slice(0, tm.offsetAt(e.range.start)) + e.newText + fixed.slice(tm.offsetAt(e.range.end));
      const after = errors(fixed);
      const target = a.diagnostics![0];
      assert.ok(!after.some((x) => x.message === target.message), `'${a.title}' on ${JSON.stringify(text)} leaves: ${target.message}`);
      assert.ok(after.length < before.length, `'${a.title}' on ${JSON.stringify(text)} gives ${JSON.stringify(after.map((x) => x.message))}`);
      applied++;
    }
  }
  assert.ok(applied >= documents.length, `${applied} fixes applied`);
});

test("no rename into a key that is already there: 'resources_extra' beside 'resources' gets no fix", () => {
  const d = docOf('resources:\n  cpus: 2\nresources_extra:\n  memory: 4\nrun: x\n');
  const [problem] = service.diagnostics(d);
  assert.match(String(problem.message), /'resources' is already set/);
  assert.deepEqual(service.codeActions(d, problem.range), []);
});
