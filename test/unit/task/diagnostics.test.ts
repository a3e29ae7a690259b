// Exact ranges and messages for each kind of problem the validator reports.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTaskText } from '../../../engine/task/load';
import type { TaskDiagnostic } from '../../../engine/task/diagnostics';

type Expected = [severity: TaskDiagnostic['severity'], code: string, sl: number, sc: number, el: number, ec: number, message: string | RegExp];

// Fields SkyDeck does not act on have their own test (unsupported.test.ts); these are the language's rules.
function check(text: string, expected: Expected[]): TaskDiagnostic[] {
  const diagnostics = parseTaskText(text).diagnostics.filter((d) => d.code !== 'not-honoured');
  const got = diagnostics.map((d) => [d.severity, d.code, d.range.start.line, d.range.start.character, d.range.end.line, d.range.end.character, d.message]);
  assert.equal(got.length, expected.length, `diagnostics: ${JSON.stringify(got, null, 1)}`);
  expected.forEach((e, i) => {
    assert.deepEqual(got[i].slice(0, 6), e.slice(0, 6), `diagnostic ${i}: ${JSON.stringify(got[i])}`);
    const msg = e[6];
    if (msg instanceof RegExp) assert.match(String(got[i][6]), msg);
    else assert.equal(got[i][6], msg);
  });
  return diagnostics;
}

test('YAML syntax errors stay on one line', () => {
  const [d] = check('run: echo hi\nresources: {cpus: 4\nsetup: x\n', [['error', 'yaml-syntax', 2, 0, 2, 1, /^YAML syntax: Flow map/]]);
  assert.ok(d.range.end.line === d.range.start.line);
});

test('duplicate keys: error on the second key, at any depth', () => {
  check('run: a\nrun: b\n', [['error', 'duplicate-key', 1, 0, 1, 3, "Duplicate key 'run' (first defined on line 1)."]]);
  check('resources:\n  cpus: 4\n  cpus: 8\n', [['error', 'duplicate-key', 2, 2, 2, 6, "Duplicate key 'cpus' (first defined on line 2)."]]);
});

test('unknown keys: on the key, with a difflib suggestion and a rename fix', () => {
  const ds = check('setups: x\nfoo_bar_baz: 1\n', [
    ['error', 'unknown-key', 0, 0, 0, 6, "Instead of 'setups', did you mean 'setup'? ('setups' is not a field of the task.)"],
    ['error', 'unknown-key', 1, 0, 1, 11, "Found unsupported field 'foo_bar_baz' in the task."],
  ]);
  assert.deepEqual(ds[0].fixes, [{ title: "Rename 'setups' to 'setup'", edits: [{ range: ds[0].range, newText: 'setup' }] }]);
  assert.equal(ds[1].fixes, undefined);
});

test('unknown key inside an any_of item names the item', () => {
  check('resources:\n  any_of:\n    - infra: aws\n      acclerators: A100\n', [
    ['error', 'unknown-key', 3, 6, 3, 17, "Instead of 'acclerators', did you mean 'accelerators'? ('acclerators' is not a field of resources.any_of[0].)"],
  ]);
});

test('resources.spot_recovery: error on the key with a rename-to-job_recovery fix', () => {
  const [d] = check('resources:\n  use_spot: true\n  spot_recovery: FAILOVER\n', [
    ['error', 'spot-recovery-removed', 2, 2, 2, 15, /rename it to 'job_recovery'/],
  ]);
  assert.deepEqual(d.fixes, [
    {
      title: "Rename 'spot_recovery' to 'job_recovery'",
      edits: [{ range: { start: { line: 2, character: 2 }, end: { line: 2, character: 15 } }, newText: 'job_recovery' }],
    },
  ]);
});

test('wrong type: on the value', () => {
  check('num_nodes: two\n', [['error', 'type', 0, 11, 0, 14, "num_nodes must be an integer, not a string ('two')."]]);
  check("num_nodes: '2'\n", [['error', 'type', 0, 11, 0, 14, "num_nodes must be an integer, not a string ('2')."]]);
  check('run:\n  - a\n', [['error', 'type', 1, 2, 1, 5, 'run must be a string, not a list.']]);
  check('resources:\n  use_spot: maybe\n', [['error', 'type', 1, 12, 1, 17, "resources.use_spot must be a boolean, not a string ('maybe')."]]);
});

test('out of range and enum values: on the value', () => {
  check('num_nodes: 0\n', [['error', 'range', 0, 11, 0, 12, 'num_nodes should be a positive int.']]);
  check('resources:\n  ports: 70000\n', [['error', 'range', 1, 9, 1, 14, 'resources.ports must be >= 1 and <= 65535, got 70000.']]);
  check('resources:\n  disk_tier: fast\n', [
    ['error', 'enum', 1, 13, 1, 17, "Invalid resources.disk_tier 'fast'. Expected one of: low, medium, high, ultra, best."],
  ]);
  check('resources:\n  disk_tier: HIGH\n', []);
});

test('pattern errors say what is accepted', () => {
  check('name: -bad-\n', [['error', 'pattern', 0, 6, 0, 11, /^Invalid name '-bad-'\. Task names use letters and digits/]]);
  check('resources:\n  infra: mycloud/us\n', [['error', 'pattern', 1, 9, 1, 19, /^Invalid resources.infra 'mycloud\/us'\. Write infra as cloud/]]);
  check('resources:\n  infra: AWS/us-east-1\n', []);
  check('resources:\n  infra: k8s/my/ctx/with/slashes\n', []);
});

test('missing required field: on the parent key', () => {
  check('workdir:\n  ref: main\n', [['error', 'missing-required', 0, 0, 0, 7, "workdir is missing the required field 'url'."]]);
  check('service:\n  readiness_probe:\n    initial_delay_seconds: 10\n  replicas: 1\n  ports: 8080\n', [
    ['error', 'missing-required', 1, 2, 1, 17, "service.readiness_probe is missing the required field 'path'."],
  ]);
});

test('cross-field rules', () => {
  check('resources:\n  infra: aws\n  cloud: gcp\n  gpus: A100\n  accelerators: H100\n', [
    ['error', 'conflict', 2, 2, 2, 7, "Cannot specify both 'infra' and 'cloud': put everything in infra (cloud/region/zone), e.g. infra: aws/us-east-1."],
    ['error', 'conflict', 3, 2, 3, 6, "Cannot specify both gpus and accelerators: 'gpus' is an alias of 'accelerators'; keep one."],
  ]);
  check('resources:\n  any_of:\n    - infra: aws\n  ordered:\n    - infra: gcp\n', [
    ['error', 'conflict', 3, 2, 3, 9, "Cannot specify both 'any_of' and 'ordered' in resources: use any_of (cheapest wins) or ordered (first wins)."],
  ]);
  check('service:\n  readiness_probe: /\n  replicas: 2\n  replica_policy:\n    min_replicas: 1\n  ports: 8080\npool:\n  workers: 2\n', [
    ['error', 'conflict', 2, 2, 2, 10, "Cannot specify both 'replicas' and 'replica_policy': use replicas for a fixed count, replica_policy for autoscaling."],
    ['error', 'conflict', 6, 0, 6, 4, "Cannot specify both 'service' and 'pool': a task is either a service or a pool."],
  ]);
});

test('value languages: accelerators, cpus, memory, ports, autostop', () => {
  check('resources:\n  accelerators: A100:x\n', [
    ['error', 'value', 1, 16, 1, 22, "Invalid accelerator count in 'A100:x': 'x' is not a number. Write NAME or NAME:COUNT, e.g. 'A100:8'."],
  ]);
  check('resources:\n  accelerators: {A100: 0}\n', [['error', 'value', 1, 23, 1, 24, "The count of accelerator 'A100' must be a positive number, got 0."]]);
  check('resources:\n  ports: "9000-8000"\n', [['error', 'value', 1, 9, 1, 20, "Invalid port range '9000-8000': the end is before the start."]]);
  check('resources:\n  memory: lots\n', [['error', 'pattern', 1, 10, 1, 14, /^Invalid resources.memory 'lots'\./]]);
  check('resources:\n  autostop: 5 hours\n', [['error', 'pattern', 1, 12, 1, 19, /^Invalid resources.autostop '5 hours'\./]]);
  check(
    'resources:\n  accelerators: {A100:1, V100:1}\n  cpus: 4+\n  memory: 32GB+\n  autostop: {idle_minutes: 10, down: true}\n  job_recovery: {strategy: failover, max_restarts_on_errors: 3}\n',
    [],
  );
});

test('envs: null values warn (error with requireEnvs), --env overrides silence it', () => {
  check('envs:\n  TOKEN:\nrun: echo $TOKEN\n', [['warning', 'env-null', 1, 2, 1, 7, /^Environment variable 'TOKEN' has no value/]]);
  assert.equal(parseTaskText('envs:\n  TOKEN:\n', { envOverrides: { TOKEN: 'x' } }).diagnostics.length, 0);
  assert.equal(parseTaskText('envs:\n  TOKEN:\n', { requireEnvs: true }).diagnostics[0].severity, 'error');
  check('envs:\n  PORT: 8080\n  FLAG: true\n', []);
  check('envs:\n  1BAD: x\n', [['error', 'invalid-key', 1, 2, 1, 6, /^Invalid key '1BAD' in envs/]]);
});

test('env substitution happens before file_mounts / service are checked', () => {
  check('envs:\n  STORE: s3\nfile_mounts:\n  /data:\n    name: b\n    store: $STORE\n', []);
  check('envs:\n  STORE: nope\nfile_mounts:\n  /data:\n    name: b\n    store: ${STORE}\n', [
    [
      'error',
      'enum',
      5,
      11,
      5,
      19,
      "Invalid file_mounts./data.store 'nope'. Expected one of: s3, gcs, azure, r2, ibm, oci, nebius, coreweave, vastdata, hf, volume.",
    ],
  ]);
  // resources are not substituted, as in SkyPilot
  check('envs:\n  T: high\nresources:\n  disk_tier: $T\n', [['error', 'enum', 3, 13, 3, 15, /^Invalid resources.disk_tier '\$T'/]]);
  // --env overrides envs before substitution
  check('envs:\n  STORE: nope\nfile_mounts:\n  /data:\n    name: b\n    store: $STORE\n', [['error', 'enum', 5, 11, 5, 17, /'nope'/]]);
  assert.equal(
    parseTaskText('envs:\n  STORE: nope\nfile_mounts:\n  /data:\n    name: b\n    store: $STORE\n', { envOverrides: { STORE: 'gcs' } }).diagnostics.filter(
      (d) => d.code !== 'not-honoured',
    ).length,
    0,
  );
});

test('null-valued fields are dropped per layer (skip_none)', () => {
  check('name:\nsetup:\nresources:\n  cpus:\nfile_mounts:\n  /ckpt:\n    name:\n    mode: MOUNT\nrun: echo\n', []);
});

test('a document that is not a mapping', () => {
  check('just a string\n', [
    ['error', 'type', 0, 0, 0, 13, 'Invalid task YAML: the document is a string; a task is a mapping of fields such as run, setup and resources.'],
  ]);
  // SkyPilot refuses a file with no task in it (sky launch: "is empty or contains no task definition").
  check('', [['error', 'empty-file', 0, 0, 0, 0, /^The file is empty or holds no task definition/]]);
  check('# only a comment\n', [['error', 'empty-file', 0, 0, 0, 1, /^The file is empty or holds no task definition/]]);
});

test('pipelines: header document and several tasks, each validated', () => {
  const text = 'name: pipe\n---\nname: a\nrun: echo a\n---\nname: b\nrunn: echo b\n';
  check(text, [['error', 'unknown-key', 6, 0, 6, 4, "Instead of 'runn', did you mean 'run'? ('runn' is not a field of the task.)"]]);
  const ok = parseTaskText('name: pipe\n---\nname: a\nrun: echo a\n---\nname: b\nrun: echo b\n');
  assert.equal(ok.taskFile?.name, 'pipe');
  assert.deepEqual(
    ok.taskFile?.tasks.map((t) => t.name),
    ['a', 'b'],
  );
});

test('ranges never run to the end of the file', () => {
  const text = `resources: [1, 2]\n${'run: x\n'.replace('run', 'setup')}${'# filler\n'.repeat(50)}`;
  const { diagnostics } = parseTaskText(text);
  assert.ok(diagnostics.length > 0);
  for (const d of diagnostics) assert.ok(d.range.end.line <= 1, JSON.stringify(d));
});
