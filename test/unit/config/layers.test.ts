/** Config layers: where files are found, SkyPilot's precedence and merge rules, provenance, bad input. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigError, originOf, parseCliConfig, resolveConfig, sshNodePoolsPath, type ResolvedConfig } from '../../../engine/config';
import { mergeK8s } from '../../../engine/config/merge';

interface Sandbox {
  home: string;
  skydeckHome: string;
  project: string;
  env: NodeJS.ProcessEnv;
}

function sandbox(): Sandbox {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'skydeck-config-'));
  const home = path.join(root, 'home');
  const skydeckHome = path.join(root, 'skydeck');
  const project = path.join(root, 'project');
  for (const d of [home, path.join(home, '.sky'), skydeckHome, project]) fs.mkdirSync(d, { recursive: true });
  process.env.SKYDECK_HOME = skydeckHome;
  return { home, skydeckHome, project, env: { HOME: home, SKYDECK_HOME: skydeckHome } };
}

function write(file: string, text: string): string {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  return file;
}

function resolveIn(s: Sandbox, extra: { cli?: string[]; taskFile?: string } = {}): ResolvedConfig {
  return resolveConfig({ cwd: s.project, env: s.env, ...extra });
}

test("SkyPilot's documented override example: project over user, lists replaced, mappings merged", () => {
  const s = sandbox();
  const user = write(
    path.join(s.home, '.sky', 'config.yaml'),
    'kubernetes:\n  allowed_contexts: [context1, context2]\n  provision_timeout: 600\naws:\n  labels:\n    map-migrated: my-value\n    Owner: user-unique-name\n',
  );
  const project = write(
    path.join(s.project, '.sky.yaml'),
    'kubernetes:\n  allowed_contexts: [context3, context4]\n  provision_timeout: 300\naws:\n  labels:\n    Owner: project-unique-name\n',
  );
  const r = resolveIn(s);
  assert.deepEqual(r.config, {
    kubernetes: { allowed_contexts: ['context3', 'context4'], provision_timeout: 300 },
    aws: { labels: { 'map-migrated': 'my-value', Owner: 'project-unique-name' } },
  });
  assert.deepEqual(originOf(r.origins, ['aws', 'labels', 'map-migrated']), { source: user, line: 6 });
  assert.deepEqual(originOf(r.origins, ['aws', 'labels', 'Owner']), { source: project, line: 6 });
  assert.deepEqual(originOf(r.origins, ['kubernetes', 'allowed_contexts']), { source: project, line: 2 });
  assert.deepEqual(
    r.layers.map((l) => l.kind),
    ['user', 'project'],
  );
});

test('the task config: is over the project, --config over everything', () => {
  const s = sandbox();
  write(path.join(s.home, '.sky', 'config.yaml'), 'kubernetes:\n  provision_timeout: 100\n');
  write(path.join(s.project, '.sky.yaml'), 'kubernetes:\n  provision_timeout: 200\n');
  const task = write(
    path.join(s.project, 'task.yaml'),
    'run: echo hi\nconfig:\n  kubernetes:\n    provision_timeout: 300\n    pod_config:\n      spec:\n        priorityClassName: low\n',
  );
  const r1 = resolveIn(s, { taskFile: task });
  assert.equal((r1.config.kubernetes as Record<string, unknown>).provision_timeout, 300);
  assert.deepEqual(originOf(r1.origins, ['kubernetes', 'provision_timeout']), { source: task, line: 4 });
  const r2 = resolveIn(s, { taskFile: task, cli: ['kubernetes.provision_timeout=400,kubernetes.pod_config.spec.priorityClassName=high'] });
  const k8s = r2.config.kubernetes as Record<string, Record<string, Record<string, unknown>>>;
  assert.equal(k8s.provision_timeout, 400);
  assert.equal(k8s.pod_config.spec.priorityClassName, 'high');
  assert.equal(originOf(r2.origins, ['kubernetes', 'provision_timeout'])?.source, '--config kubernetes.provision_timeout=400');
  assert.deepEqual(
    r2.layers.map((l) => l.kind),
    ['user', 'project', 'task', 'cli'],
  );
});

test("SkyDeck's own config.yaml is the user layer; ~/.sky/config.yaml is read only without it; SKYPILOT_GLOBAL_CONFIG wins", () => {
  const s = sandbox();
  const sky = write(path.join(s.home, '.sky', 'config.yaml'), 'kubernetes:\n  provision_timeout: 1\n');
  assert.equal(resolveIn(s).layers[0].source, sky);
  const own = write(path.join(s.skydeckHome, 'config.yaml'), 'kubernetes:\n  provision_timeout: 2\n');
  assert.equal(resolveIn(s).layers[0].source, own);
  const named = write(path.join(s.project, 'elsewhere.yaml'), 'kubernetes:\n  provision_timeout: 3\n');
  s.env.SKYPILOT_GLOBAL_CONFIG = named;
  assert.equal((resolveIn(s).config.kubernetes as Record<string, unknown>).provision_timeout, 3);
  s.env.SKYPILOT_GLOBAL_CONFIG = path.join(s.project, 'missing.yaml');
  assert.throws(() => resolveIn(s), /SKYPILOT_GLOBAL_CONFIG .*does not exist/);
});

test('the project file is .sky.yaml in the current directory only, or SKYPILOT_PROJECT_CONFIG', () => {
  const s = sandbox();
  write(path.join(s.project, '.sky.yaml'), 'kubernetes:\n  provision_timeout: 5\n');
  const sub = path.join(s.project, 'sub');
  fs.mkdirSync(sub);
  assert.deepEqual(resolveConfig({ cwd: sub, env: s.env }).layers, [], 'parents are not searched');
  const named = write(path.join(s.home, 'proj.yaml'), 'kubernetes:\n  provision_timeout: 6\n');
  const r = resolveConfig({ cwd: sub, env: { ...s.env, SKYPILOT_PROJECT_CONFIG: named } });
  assert.equal(r.layers[0].source, named);
});

test('pod_config lists merge as a pod patch: containers[0] merged, volumes/env by name, other lists appended', () => {
  const s = sandbox();
  write(
    path.join(s.home, '.sky', 'config.yaml'),
    [
      'kubernetes:',
      '  pod_config:',
      '    spec:',
      '      containers:',
      '        - env: [{name: A, value: "1"}]',
      '      volumes: [{name: data, hostPath: {path: /a}}]',
      '      tolerations: [{key: t1}]',
      '  allowed_contexts: [one]',
      '',
    ].join('\n'),
  );
  write(
    path.join(s.project, '.sky.yaml'),
    [
      'kubernetes:',
      '  pod_config:',
      '    spec:',
      '      containers:',
      '        - env: [{name: A, value: "2"}, {name: B, value: "3"}]',
      '      volumes: [{name: data, hostPath: {path: /b}}, {name: more, emptyDir: {}}]',
      '      tolerations: [{key: t2}]',
      '  allowed_contexts: [two]',
      '',
    ].join('\n'),
  );
  const k8s = resolveIn(s).config.kubernetes as Record<string, Record<string, Record<string, unknown>>>;
  assert.deepEqual(k8s.pod_config.spec.containers, [
    {
      env: [
        { name: 'A', value: '2' },
        { name: 'B', value: '3' },
      ],
    },
  ]);
  assert.deepEqual(k8s.pod_config.spec.volumes, [
    { name: 'data', hostPath: { path: '/b' } },
    { name: 'more', emptyDir: {} },
  ]);
  assert.deepEqual(k8s.pod_config.spec.tolerations, [{ key: 't1' }, { key: 't2' }]);
  assert.deepEqual(k8s.allowed_contexts, ['two'], 'outside pod_config lists are replaced');
});

test('mergeK8s is the same rule for the pod SkyDeck builds', () => {
  const pod = { spec: { containers: [{ name: 'ray-node', env: [{ name: 'X', value: '1' }] }] } };
  mergeK8s(pod, { spec: { containers: [{ env: [{ name: 'Y', value: '2' }] }], nodeSelector: { pool: 'gpu' } } });
  assert.deepEqual(pod, {
    spec: {
      containers: [
        {
          name: 'ray-node',
          env: [
            { name: 'X', value: '1' },
            { name: 'Y', value: '2' },
          ],
        },
      ],
      nodeSelector: { pool: 'gpu' },
    },
  });
});

test('an unknown key or a wrong type is an error with file and line, and nothing is returned', () => {
  const s = sandbox();
  const file = write(path.join(s.project, '.sky.yaml'), 'kubernetes:\n  provision_timeout: soon\naws:\n  vpc_nam: x\n');
  let err: unknown;
  try {
    resolveIn(s);
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof ConfigError);
  const byLine = err.problems.map((p) => `${p.source}:${p.line}`);
  assert.deepEqual(byLine, [`${file}:2`, `${file}:4`]);
  assert.match(err.message, /provision_timeout must be an integer/);
  assert.match(err.message, /did you mean 'vpc_name'/);
});

test("a task's config: may set only SkyPilot's overridable keys", () => {
  const s = sandbox();
  const task = write(path.join(s.project, 'task.yaml'), 'run: x\nconfig:\n  allowed_clouds: [aws]\n  kubernetes:\n    allowed_contexts: [a]\n');
  assert.throws(
    () => resolveIn(s, { taskFile: task }),
    (e: unknown) => e instanceof ConfigError && e.problems.map((p) => p.line).join(',') === '3,5' && /allowed_clouds' cannot be set in a task/.test(e.message),
  );
});

test('custom_metadata cannot set name or namespace', () => {
  const s = sandbox();
  write(path.join(s.project, '.sky.yaml'), 'kubernetes:\n  custom_metadata:\n    name: x\n');
  assert.throws(() => resolveIn(s), /custom_metadata cannot set 'name'/);
});

test('--config: a file (only one), or key=value pairs read as YAML; bad ones name the flag', () => {
  const s = sandbox();
  const f = write(path.join(s.project, 'over.yaml'), 'kubernetes:\n  provision_timeout: 9\n');
  assert.deepEqual(parseCliConfig([f]).value, { kubernetes: { provision_timeout: 9 } });
  assert.throws(() => parseCliConfig([f, 'a=1']), /several --config flags with a config file/);
  assert.deepEqual(parseCliConfig(['kubernetes.allowed_contexts=[a, b]', 'aws.labels.team=ml']).value, {
    kubernetes: { allowed_contexts: ['a', 'b'] },
    aws: { labels: { team: 'ml' } },
  });
  assert.throws(() => parseCliConfig(['nope']), /not key=value/);
  assert.throws(() => parseCliConfig(['kubernetes.provision_timeout=soon']), /--config: kubernetes.provision_timeout must be an integer/);
  assert.throws(() => parseCliConfig(['kubernetes.bogus=1']), /unsupported field 'bogus'/);
});

test('every set key SkyDeck does not act on is a warning naming the key and its file', () => {
  const s = sandbox();
  const file = write(
    path.join(s.project, '.sky.yaml'),
    'nvidia_gpus:\n  disable_ecc: true\njobs:\n  controller:\n    resources:\n      cpus: 4+\n  bucket: s3://b\nkubernetes:\n  provision_timeout: 10\n  networking: portforward\n',
  );
  const w = resolveIn(s).warnings;
  assert.deepEqual(
    w.map((x) => x.key),
    ['nvidia_gpus.disable_ecc', 'jobs.bucket', 'kubernetes.networking'],
  );
  assert.deepEqual(w[1].origin, { source: file, line: 7 });
  assert.match(w[0].message, new RegExp(`'nvidia_gpus.disable_ecc' \\(${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:2\\) is not honoured`));
});

test("SSH node pools: SkyDeck's file, else ~/.sky/ssh_node_pools.yaml", () => {
  const s = sandbox();
  const own = path.join(s.skydeckHome, 'ssh_node_pools.yaml');
  assert.equal(sshNodePoolsPath(s.env), own);
  const theirs = write(path.join(s.home, '.sky', 'ssh_node_pools.yaml'), 'pool: {hosts: [1.2.3.4]}\n');
  assert.equal(sshNodePoolsPath(s.env), theirs);
  write(own, 'mine: {hosts: [1.2.3.5]}\n');
  assert.equal(sshNodePoolsPath(s.env), own);
});
