import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadTaskFile, parseTaskText, TaskValidationError } from '../../../engine/task/load';
import { InputError } from '../../../engine/errors';

test('a task: fields, defaults, resources with any_of merged over the base', () => {
  const r = parseTaskText(`name: t
num_nodes: 2
envs: {PORT: 8080, FLAG: true}
resources:
  accelerators: {A100:1, H100:1}
  use_spot: true
  labels: {team: ml}
  any_of:
    - infra: aws/us-east-1
      labels: {cost: a}
    - infra: k8s
run: echo hi
`);
  const task = r.taskFile?.tasks[0];
  assert.ok(task);
  assert.equal(task.name, 't');
  assert.equal(task.numNodes, 2);
  assert.deepEqual(task.envs, { PORT: '8080', FLAG: 'True' });
  assert.equal(task.resources.mode, 'any_of');
  assert.equal(task.resources.candidates.length, 2);
  assert.deepEqual(task.resources.candidates[0].infra, { cloud: 'aws', region: 'us-east-1' });
  assert.deepEqual(task.resources.candidates[0].labels, { team: 'ml', cost: 'a' });
  assert.deepEqual(task.resources.candidates[1].infra, { cloud: 'kubernetes' });
  assert.equal(task.resources.candidates[1].useSpot, true);
  assert.deepEqual(task.resources.candidates[1].accelerators, [
    { name: 'A100', count: 1 },
    { name: 'H100', count: 1 },
  ]);
});

test('service defaults, port from resources.ports, deprecated cloud/region folded into infra', () => {
  const task = parseTaskText('service:\n  readiness_probe: /health\n  replicas: 2\nresources:\n  cloud: GCP\n  region: us-central1\n  ports: 8080\nrun: x\n')
    .taskFile?.tasks[0];
  assert.deepEqual(task?.service, {
    readinessProbe: { path: '/health', initialDelaySeconds: 1200, timeoutSeconds: 15 },
    replicaPolicy: { minReplicas: 2, maxReplicas: 2, upscaleDelaySeconds: 300, downscaleDelaySeconds: 1200 },
    loadBalancingPolicy: 'least_load',
    port: 8080,
  });
  assert.deepEqual(task?.resources.candidates[0].infra, { cloud: 'gcp', region: 'us-central1' });
});

test('--env overrides envs before substitution', () => {
  const text = 'envs:\n  BUCKET: a\nfile_mounts:\n  /data: s3://$BUCKET/x\n  /ckpt:\n    name: ${BUCKET}-ckpt\n';
  assert.deepEqual(parseTaskText(text).taskFile?.tasks[0].fileMounts, { '/data': 's3://a/x', '/ckpt': { name: 'a-ckpt' } });
  const t = parseTaskText(text, { envOverrides: { BUCKET: 'b' } }).taskFile?.tasks[0];
  assert.deepEqual(t?.fileMounts, { '/data': 's3://b/x', '/ckpt': { name: 'b-ckpt' } });
  assert.equal(t?.envs.BUCKET, 'b');
});

test('loadTaskFile throws TaskValidationError listing file:line:col: message', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skydeck-task-'));
  try {
    const f = path.join(dir, 'bad.yaml');
    fs.writeFileSync(f, 'resources:\n  spot_recovery: FAILOVER\n');
    assert.throws(
      () => loadTaskFile(f),
      (e: unknown) => {
        assert.ok(e instanceof TaskValidationError && e instanceof InputError);
        assert.match(e.message, new RegExp(`${f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:2:3: 'spot_recovery' was removed`));
        assert.equal(e.diagnostics[0].code, 'spot-recovery-removed');
        return true;
      },
    );
    assert.throws(() => loadTaskFile(path.join(dir, 'missing.yaml')), /Task file not found/);
    fs.writeFileSync(f, 'run: echo ok\n');
    assert.equal(loadTaskFile(f).tasks[0].run, 'echo ok');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('YAML 1.1 scalars read like PyYAML (yes/on booleans, lone dot string)', () => {
  const t = parseTaskText('workdir: .\nresources:\n  use_spot: yes\n').taskFile?.tasks[0];
  assert.equal(t?.workdir, '.');
  assert.equal(t?.resources.candidates[0].useSpot, true);
});

test('anchors, aliases and merge keys resolve; alias bombs are bounded', () => {
  const t = parseTaskText('x-base: &b {cpus: 4}\n').diagnostics;
  assert.equal(t[0].code, 'unknown-key');
  const merged = parseTaskText('resources: &r\n  cpus: 4\n  <<: {memory: 16}\nrun: x\n').taskFile?.tasks[0];
  assert.deepEqual(merged?.resources.candidates[0].memory, { value: 16, orMore: false });
  let bomb = 'a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n';
  for (let i = 1; i < 9; i++)
    bomb += `a${i}: &a${i} [${Array(10)
      .fill(`*a${i - 1}`)
      .join(', ')}]\n`;
  const started = Date.now();
  const r = parseTaskText(bomb);
  assert.ok(Date.now() - started < 5000);
  assert.ok(r.diagnostics.some((d) => /too many alias/.test(d.message)));
});
