// Fields SkyDeck accepts but does not act on are never silent: the launch paths get the
// messages (and refuse where running would be wrong); the editor shows them on the field.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseTaskText } from '../../../engine/task/load';
import { reportUnsupported, unsupportedFieldWarnings } from '../../../engine/task/unsupported';
import { builtFiles, requirePrerequisite } from '../../helpers/prerequisites';

const taskOf = (text: string) => {
  const r = parseTaskText(text);
  assert.ok(r.taskFile, JSON.stringify(r.diagnostics));
  return r.taskFile;
};

test('each unsupported task field is reported, naming the field and the infra', () => {
  const file = taskOf(`
resources:
  infra: aws
  network_tier: best
  priority: 10
  local_disk: nvme:1000+
  accelerator_args: {tpu_vm: true}
event_callback: echo changed
inputs: {s3://bucket/in: 10}
outputs: {s3://bucket/out: 1}
run: echo hi
`);
  const found = unsupportedFieldWarnings(file.tasks[0], 'aws');
  const byField = Object.fromEntries(found.map((f) => [f.field, f]));
  for (const f of [
    'resources.network_tier',
    'resources.priority',
    'resources.local_disk',
    'resources.accelerator_args',
    'event_callback',
    'inputs',
    'outputs',
  ]) {
    assert.ok(byField[f], `${f} not reported: ${JSON.stringify(found)}`);
    assert.equal(byField[f].severity, 'warning');
  }
  assert.match(byField['resources.network_tier'].message, /not honoured on aws.*EFA/);
  assert.match(unsupportedFieldWarnings(file.tasks[0], 'gcp').find((f) => f.field === 'resources.network_tier')!.message, /GPUDirect-TCPX/);
});

test('fields whose absence makes the run wrong are errors, and the launch path refuses them', () => {
  const file = taskOf(`
file_mounts:
  /data: s3://my-bucket/data
  /ckpt:
    name: my-ckpt
    mode: MOUNT
volumes:
  /mnt/vol: my-volume
num_nodes: 2
resources:
  infra: aws
  image_id: docker:ubuntu:22.04
run: ls /data
`);
  const errors = unsupportedFieldWarnings(file.tasks[0], 'aws').filter((f) => f.severity === 'error');
  // Buckets are the storage layer's (engine/storage): honoured on aws, and on Kubernetes in every mode (the pods get FUSE).
  // A docker image on several VMs is honoured (one container per node, engine/cluster/containers.ts).
  assert.deepEqual(errors.map((e) => e.field).sort(), ['volumes']);
  assert.equal(
    unsupportedFieldWarnings(file.tasks[0], 'kubernetes').find((f) => f.field.startsWith('file_mounts')),
    undefined,
  );
  const lines: string[] = [];
  assert.throws(
    () => reportUnsupported(file.tasks, file, (l) => lines.push(l)),
    (e: Error) => /^volumes: /m.test(e.message) && !/resources\.image_id/.test(e.message),
  );
  // A docker image on Kubernetes is honoured; ephemeral_storage off Kubernetes is refused.
  const k8s = taskOf('resources:\n  infra: k8s\n  image_id: docker:ubuntu:22.04\n  ephemeral_storage: 10\nrun: x\n').tasks[0];
  assert.deepEqual(
    unsupportedFieldWarnings(k8s, 'kubernetes').map((f) => [f.field, f.severity]),
    [['resources.ephemeral_storage', 'warning']],
  );
  assert.equal(unsupportedFieldWarnings(k8s, 'aws').find((f) => f.field === 'resources.ephemeral_storage')?.severity, 'error');
});

test('warnings are printed, the launch goes on; a job group header (honoured by jobs launch) warns of nothing', () => {
  const file = taskOf(
    'name: grp\nexecution: parallel\nprimary_tasks: [a]\ntermination_delay: 5s\n---\nname: a\nrun: echo a\nresources:\n  network_tier: best\n---\nname: b\nrun: echo b\n',
  );
  assert.deepEqual([file.execution, file.primaryTasks, file.terminationDelay], ['parallel', ['a'], '5s']);
  const lines: string[] = [];
  reportUnsupported(file.tasks, file, (l) => lines.push(l));
  assert.equal(lines.length, 1, lines.join(''));
  assert.match(lines[0], /^Warning: resources\.network_tier: network_tier: best is not honoured on any infra/);
});

test("the editor shows the same messages as warnings on the field (the verdict stays SkyPilot's)", () => {
  const text = 'resources:\n  any_of:\n    - infra: gcp\n      network_tier: best\nfile_mounts:\n  /data: gs://bucket/data\nrun: x\n';
  const r = parseTaskText(text);
  const notHonoured = r.diagnostics.filter((d) => d.code === 'not-honoured');
  assert.ok(r.taskFile, 'still valid');
  const lines = text.split('\n');
  const at = notHonoured.map((d) => lines[d.range.start.line].slice(d.range.start.character, d.range.end.character));
  assert.deepEqual(at.sort(), ['network_tier']);
  assert.ok(notHonoured.every((d) => d.severity === 'warning'));
  assert.match(notHonoured.find((d) => d.message.startsWith('network_tier'))!.message, /on gcp.*GPUDirect-TCPX/);
  // A job group's header is honoured (jobs launch runs its tasks at once): nothing to warn of.
  const group = parseTaskText('name: grp\nexecution: parallel\n---\nname: a\nrun: echo a\n');
  assert.deepEqual(group.diagnostics, []);
});

const CLI = path.resolve(__dirname, '../../../dist/cli.js');
test('skydeck launch refuses a bad bucket mount before provisioning anything', { skip: requirePrerequisite(builtFiles(CLI)) }, () => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'skydeck-home-'));
  try {
    const task = path.join(home, 'task.yaml');
    fs.writeFileSync(task, 'resources:\n  infra: local\nfile_mounts:\n  /data: foo://my-bucket/data\nrun: ls /data\n');
    const r = spawnSync(process.execPath, [CLI, 'launch', task, '-c', 'nodata', '-y'], {
      encoding: 'utf8',
      env: { ...process.env, SKYDECK_HOME: home },
      timeout: 180_000,
    });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /file_mounts\.\/data: unknown scheme foo:\/\//);
    assert.ok(!fs.existsSync(path.join(home, 'clusters')) || fs.readdirSync(path.join(home, 'clusters')).length === 0, 'no cluster was created');
  } finally {
    fs.rmSync(home, { recursive: true, force: true });
  }
});
