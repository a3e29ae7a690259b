/** `config show` and `--config` through the built CLI (node dist/cli.js), in a temp HOME and project. */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { REFERENCE_CATALOGS } from '../optimizer/helpers';

const ROOT = path.resolve(__dirname, '../../..');
const CLI = path.join(ROOT, 'dist', 'cli.js');

let root: string;
before(() => {
  if (!fs.existsSync(CLI)) {
    const b = spawnSync('npm', ['run', '-s', 'build'], { cwd: ROOT, stdio: 'inherit' });
    assert.equal(b.status, 0, 'build failed');
  }
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'skydeck-config-cli-'));
  process.on('exit', () => fs.rmSync(root, { recursive: true, force: true }));
});

/** A fresh HOME, SKYDECK_HOME and project directory. */
function world(name: string) {
  const home = path.join(root, name, 'home');
  const project = path.join(root, name, 'project');
  fs.mkdirSync(path.join(home, '.sky'), { recursive: true });
  fs.mkdirSync(project, { recursive: true });
  const gcpKey = path.join(home, 'gcp.json');
  fs.writeFileSync(gcpKey, JSON.stringify({ type: 'service_account', project_id: 'test-project' }));
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: home,
    SKYDECK_HOME: path.join(home, '.skydeck'),
    SKYDECK_CATALOG_DIR: REFERENCE_CATALOGS,
    SKYDECK_TEST: '1',
    GOOGLE_APPLICATION_CREDENTIALS: gcpKey,
  };
  const write = (rel: string, text: string) => {
    const p = path.isAbsolute(rel) ? rel : path.join(project, rel);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, text);
    return p;
  };
  const run = (args: string[]) => {
    const r = spawnSync(process.execPath, [CLI, ...args], { env, cwd: project, encoding: 'utf8', timeout: 180_000 });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  return { home, project, env, write, run };
}

test("config show: the merged result with each value's file:line or flag; --json has the same", () => {
  const w = world('show');
  const user = w.write(
    path.join(w.home, '.sky', 'config.yaml'),
    'aws:\n  labels:\n    owner: me\n  prioritize_reservations: true\nkubernetes:\n  provision_timeout: 100\n',
  );
  const project = w.write('.sky.yaml', 'kubernetes:\n  provision_timeout: 300\n');
  const r = w.run(['config', 'show', '--config', 'kubernetes.allowed_contexts=[a, b]']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`owner: me # ${user}:3`));
  assert.match(r.stdout, new RegExp(`provision_timeout: 300 # ${project}:2`));
  assert.match(r.stdout, /allowed_contexts: \[ a, b \] # --config kubernetes.allowed_contexts=\[a, b\]/);
  assert.match(r.stderr, new RegExp(`Config key 'aws.prioritize_reservations' \\(${user}:4\\) is not honoured by SkyDeck`));
  assert.doesNotMatch(r.stderr, /'aws.labels'/, 'aws.labels is honoured');
  const j = w.run(['config', 'show', '--json']);
  assert.equal(j.code, 0, j.stderr);
  const out = JSON.parse(j.stdout) as { config: Record<string, Record<string, unknown>>; sources: Record<string, string[]>; layers: { kind: string }[] };
  assert.equal(out.config.kubernetes.provision_timeout, 300);
  assert.deepEqual(out.sources['kubernetes.provision_timeout'], [`${project}:2`]);
  assert.deepEqual(
    out.layers.map((l) => l.kind),
    ['user', 'project'],
  );
});

test('config show without any file says so', () => {
  const r = world('none').run(['config', 'show']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /No configuration/);
});

test('an invalid .sky.yaml stops launch before anything is created, naming file and line', () => {
  const w = world('bad');
  const file = w.write('.sky.yaml', 'kubernetes:\n  provision_timeout: soon\n');
  const task = w.write('task.yaml', 'run: echo hi\n');
  const r = w.run(['launch', task, '-c', 'never', '-y', '--infra', 'local']);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stderr, new RegExp(`${file}:2:22: error: kubernetes.provision_timeout must be an integer`));
  const s = w.run(['status']);
  assert.match(s.stdout, /No existing clusters/);
});

test("a task's config: with a key SkyPilot does not allow there is refused with its line", () => {
  const w = world('taskcfg');
  const task = w.write('task.yaml', 'run: echo hi\nconfig:\n  allowed_clouds: [aws]\n');
  const r = w.run(['launch', task, '--dryrun']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, new RegExp(`${task}:3:3: error: 'allowed_clouds' cannot be set in a task's config`));
});

test('--config: a bad override names the flag; allowed_clouds from it changes the plan; unhonoured keys warn at launch', () => {
  const w = world('flag');
  const task = w.write('task.yaml', 'resources:\n  cpus: 2+\nrun: echo hi\n');
  const bad = w.run(['launch', task, '--dryrun', '--config', 'kubernetes.provision_timeout=soon']);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /--config: kubernetes.provision_timeout must be an integer/);
  const ok = w.run(['launch', task, '--dryrun', '--infra', 'gcp']);
  assert.equal(ok.code, 0, ok.stderr);
  const refused = w.run(['launch', task, '--dryrun', '--infra', 'gcp', '--config', 'allowed_clouds=[aws]']);
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /GCP \(gcp\) which is not enabled/);
  const warned = w.run(['launch', task, '--dryrun', '--infra', 'gcp', '--config', 'nvidia_gpus.disable_ecc=true']);
  assert.equal(warned.code, 0, warned.stderr);
  assert.match(warned.stderr, /Warning: Config key 'nvidia_gpus.disable_ecc' \(--config nvidia_gpus.disable_ecc=true\) is not honoured by SkyDeck/);
});

test('--config FILE is one file only; several key=value flags add up', () => {
  const w = world('files');
  const f = w.write('over.yaml', 'kubernetes:\n  provision_timeout: 7\n');
  const two = w.run(['config', 'show', '--config', f, '--config', 'a=1']);
  assert.equal(two.code, 1);
  assert.match(two.stderr, /several --config flags with a config file/);
  const pairs = w.run(['config', 'show', '--json', '--config', 'kubernetes.provision_timeout=7', '--config', 'kubernetes.namespace=team']);
  assert.equal(pairs.code, 0, pairs.stderr);
  assert.deepEqual(JSON.parse(pairs.stdout).config, { kubernetes: { provision_timeout: 7, namespace: 'team' } });
});

test('jobs launch and serve up check the config first: a bad one submits nothing', () => {
  const w = world('jobsserve');
  const task = w.write('task.yaml', 'run: echo hi\n');
  const jobs = w.run(['jobs', 'launch', task, '-y', '--config', 'kubernetes.provision_timeout=soon']);
  assert.equal(jobs.code, 1, jobs.stdout + jobs.stderr);
  assert.match(jobs.stderr, /--config: kubernetes.provision_timeout must be an integer/);
  const q = w.run(['jobs', 'queue']);
  assert.doesNotMatch(q.stdout, /echo|RUNNING|PENDING|SUCCEEDED/);
  const svc = w.write(
    'svc.yaml',
    'service:\n  readiness_probe: /\nresources:\n  ports: 8080\nrun: python -m http.server 8080\nconfig:\n  kubernetes:\n    provision_timeout: soon\n',
  );
  const up = w.run(['serve', 'up', svc, '-y']);
  assert.equal(up.code, 1, up.stdout + up.stderr);
  assert.match(up.stderr, new RegExp(`${svc}:8:24: error: config.kubernetes.provision_timeout must be an integer`));
  assert.match(w.run(['serve', 'status']).stdout, /No live services/);
});
