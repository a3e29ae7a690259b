// SkyPilot config files and a task's config: block in the pure language service.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as os from 'node:os';
import * as path from 'node:path';
import { TaskLanguageService, type TextDocumentLike } from '../../../server/service/languageService';

let version = 0;
/** A document from text with one `|` marking the cursor. */
function doc(textWithCursor: string, uri: string): { d: TextDocumentLike; pos: { line: number; character: number } } {
  const at = textWithCursor.indexOf('|');
  const text = at >= 0 ? textWithCursor.slice(0, at) + textWithCursor.slice(at + 1) : textWithCursor;
  const before = text.slice(0, Math.max(0, at)).split('\n');
  return { d: { uri, version: ++version, getText: () => text }, pos: { line: before.length - 1, character: before[before.length - 1].length } };
}

const PROJECT = 'file:///w/proj/.sky.yaml';
const labels = (items: { label: string }[]) => items.map((i) => i.label);

test('.sky.yaml is a config file, not a task: errors on the exact node, unhonoured keys warned on the key', () => {
  const s = new TaskLanguageService({ settings: { taskFiles: ['**/*.sky.yaml'] } });
  const { d } = doc('kubernetes:\n  provision_timeout: soon\n  pod_config: {}\naws:\n  vpc_nam: x\n', PROJECT);
  assert.equal(s.isTask(d), false, 'the *.sky.yaml task glob does not claim .sky.yaml');
  const diags = s.diagnostics(d);
  assert.deepEqual(
    diags.map((x) => [x.range.start.line, x.range.start.character, x.severity]),
    [
      [1, 21, 1],
      [4, 2, 1],
    ],
  );
  assert.match(String(diags[0].message), /provision_timeout must be an integer/);
  assert.match(String(diags[1].message), /did you mean 'vpc_name'/);
  const ok = s.diagnostics(doc('nvidia_gpus:\n  disable_ecc: true\nkubernetes:\n  provision_timeout: 60\n', PROJECT).d);
  assert.equal(ok.length, 1);
  assert.equal(ok[0].severity, 2);
  assert.deepEqual(ok[0].range.start, { line: 1, character: 2 });
  assert.match(String(ok[0].message), /'nvidia_gpus.disable_ecc' is not honoured by SkyDeck/);
});

test('~/.sky/config.yaml and SKYDECK_HOME/config.yaml are config files', () => {
  const s = new TaskLanguageService();
  for (const file of [
    path.join(os.homedir(), '.sky', 'config.yaml'),
    path.join(process.env.SKYDECK_HOME || path.join(os.homedir(), '.skydeck'), 'config.yaml'),
  ]) {
    const diags = s.diagnostics(doc('allowed_clouds: [awz]\n', `file://${file}`).d);
    assert.equal(diags.length, 1, file);
    assert.match(String(diags[0].message), /Invalid allowed_clouds\[0\] 'awz'.*Did you mean 'aws'/);
  }
});

test("completion and hover in a config file come from SkyPilot's config schema", () => {
  const s = new TaskLanguageService();
  const top = doc('kubernetes:\n  provision_timeout: 5\n|', PROJECT);
  const topLabels = labels(s.complete(top.d, top.pos));
  for (const k of ['allowed_clouds', 'aws', 'gcp', 'docker', 'jobs', 'provision']) assert.ok(topLabels.includes(k), k);
  assert.ok(!topLabels.includes('kubernetes'), 'present keys are left out');
  assert.ok(!topLabels.includes('run'), 'no task keys');
  const nested = doc('kubernetes:\n  provision_timeout: 5\n  |', PROJECT);
  const k8s = labels(s.complete(nested.d, nested.pos));
  assert.ok(k8s.includes('pod_config') && k8s.includes('allowed_contexts') && !k8s.includes('provision_timeout'));
  const value = doc('kubernetes:\n  ports: |', PROJECT);
  assert.deepEqual(labels(s.complete(value.d, value.pos)).sort(), ['ingress', 'loadbalancer', 'podip']);
  const h = doc('aws:\n  use_internal_i|ps: true\n', PROJECT);
  const hover = s.hover(h.d, h.pos);
  assert.ok(hover && typeof hover.contents === 'object' && 'value' in hover.contents);
  assert.match(hover.contents.value, /\*\*aws.use_internal_ips\*\*/);
  assert.match(hover.contents.value, /private IPs/);
});

test("a task's config: block: SkyPilot's config schema and its task-only rule, hover and completion inside it", () => {
  const s = new TaskLanguageService();
  const { d } = doc(
    'run: echo hi\nconfig:\n  kubernetes:\n    provision_timeout: soon\n    allowed_contexts: [a]\n  nvidia_gpus:\n    disable_ecc: true\n',
    'file:///w/task.yaml',
  );
  const diags = s.diagnostics(d);
  const config = diags.filter((x) => x.range.start.line >= 2).map((x) => [x.range.start.line, x.severity, x.message]);
  assert.equal(config.length, 2, JSON.stringify(config));
  assert.match(String(config[0][2]), /config.kubernetes.provision_timeout must be an integer/);
  assert.match(String(config[1][2]), /'kubernetes.allowed_contexts' cannot be set in a task's config/);
  const good = s.diagnostics(doc('run: echo hi\nconfig:\n  nvidia_gpus:\n    disable_ecc: true\n', 'file:///w/task2.yaml').d);
  assert.deepEqual(
    good.map((x) => [x.range.start.line, x.severity]),
    [[3, 2]],
  );
  assert.match(String(good[0].message), /'config.nvidia_gpus.disable_ecc' is not honoured/);
  const h = doc('run: x\nconfig:\n  kubernetes:\n    pod_con|fig: {}\n', 'file:///w/task3.yaml');
  const hover = s.hover(h.d, h.pos);
  assert.ok(hover && typeof hover.contents === 'object' && 'value' in hover.contents);
  assert.match(hover.contents.value, /\*\*config.kubernetes.pod_config\*\*/);
  const c = doc('run: x\nconfig:\n  kubernetes:\n    |', 'file:///w/task4.yaml');
  assert.ok(labels(s.complete(c.d, c.pos)).includes('provision_timeout'));
});
