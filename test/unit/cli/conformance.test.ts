/**
 * The command line against SkyPilot's option table (./optionTable.ts): every verb's --help
 * lists each option SkyPilot has on it, and each task option does what SkyPilot's does on
 * every verb that takes a task. Options are parsed by the real program (buildProgram) and
 * the task built by the real loader; the verb's action is swapped for a probe, so nothing
 * is launched. The built CLI (dist/cli.js) checks exit codes and what reaches the terminal.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Command } from 'commander';
import { buildProgram } from '../../../engine/cli/main';
import { loadEntrypoint } from '../../../engine/cli/taskEntrypoint';
import { readTaskOptions } from '../../../engine/cli/taskOptions';
import { parseDotenv } from '../../../engine/cli/dotenv';
import { expandNames } from '../../../engine/cli/globNames';
import type { Task } from '../../../engine/task/types';
import { DEFAULTS, TASK_VERBS, VERB_OPTIONS, type Flag } from './optionTable';
import { builtFiles, requirePrerequisite } from '../../helpers/prerequisites';

const ROOT = path.resolve(__dirname, '../../..');
const CLI = path.join(ROOT, 'dist', 'cli.js');
const REFERENCE_CATALOGS = path.resolve(ROOT, '../shared/reference-catalogs');

let dir: string;
before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skydeck-cli-conf-'));
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
});

function subcommand(verb: string): Command {
  let cmd: Command = buildProgram();
  for (const part of verb.split(' ')) {
    const next = cmd.commands.find((c) => c.name() === part);
    assert.ok(next, `no verb '${verb}'`);
    cmd = next;
  }
  return cmd;
}

function write(name: string, text: string): string {
  const p = path.join(dir, name);
  fs.writeFileSync(p, text);
  return p;
}

/** A task with two `any_of` alternatives, a service, and values every override replaces. */
function taskYaml(): string {
  return write(
    `task-${Math.random().toString(36).slice(2)}.yaml`,
    [
      'name: yaml-name',
      'num_nodes: 1',
      'resources:',
      '  cpus: 2',
      '  memory: 4',
      '  ports: 8080',
      '  any_of:',
      '    - infra: aws/us-east-1/us-east-1a',
      '      accelerators: A100:1',
      '      use_spot: true',
      '    - infra: gcp',
      '      accelerators: L4:1',
      // Both spot: a service may not mix spot and on-demand (sky serve up refuses it).
      '      use_spot: true',
      'service:',
      '  readiness_probe: /',
      '  replicas: 1',
      'run: echo hi',
    ].join('\n'),
  );
}

/** Parses `args` for `verb` with the real program; returns the task the verb would run. */
async function taskFor(verb: string, args: string[], warn?: (m: string) => void): Promise<Task> {
  const program = buildProgram();
  let cmd: Command = program;
  for (const part of verb.split(' ')) cmd = cmd.commands.find((c) => c.name() === part)!;
  let opts: Record<string, unknown> = {};
  cmd.action((...a: unknown[]) => {
    opts = a[a.length - 2] as Record<string, unknown>;
  });
  const positional = verb === 'exec' ? ['c1', taskYaml()] : verb === 'serve update' ? ['svc', taskYaml()] : [taskYaml()];
  await program.parseAsync([...verb.split(' '), ...positional, ...args], { from: 'user' });
  const file = loadEntrypoint(positional[positional.length - 1], readTaskOptions(opts), {
    verb,
    ignore: verb === 'exec' ? ['cpus', 'memory', 'diskSize', 'diskTier', 'ports'] : [],
    warn: warn ?? (() => undefined),
  });
  return file.tasks[0];
}

const specs = (t: Task) => [t.resources.base, ...t.resources.candidates];
const candidates = (t: Task) => t.resources.candidates;

function flagText(f: Flag): string {
  return f[0] ? `${f[0]}, ${f[1]}` : f[1];
}

test('--help of every verb lists each option SkyPilot has on it, with its short form', () => {
  const table: Record<string, Flag[]> = {};
  for (const [verb, flags] of [...Object.entries(TASK_VERBS), ...Object.entries(VERB_OPTIONS)]) table[verb] = [...(table[verb] ?? []), ...flags];
  for (const [verb, flags] of Object.entries(table)) {
    const help = subcommand(verb).helpInformation();
    for (const f of flags) assert.match(help, new RegExp(`(^|\\s)${flagText(f).replace(/[-.]/g, '\\$&')}[ ,<]`, 'm'), `${verb} --help lacks ${flagText(f)}`);
  }
});

test('documented defaults: logs --tail 0, cost-report --days 30, jobs queue --limit 50, serve update --mode rolling', () => {
  for (const [verb, key, value] of DEFAULTS) {
    const opt = subcommand(verb).options.find((o) => o.attributeName() === key);
    assert.ok(opt, `${verb}: no option ${key}`);
    assert.equal(opt.defaultValue, value, `${verb} ${key}`);
  }
});

const RESOURCE_BEHAVIOURS: Array<[string, string[], (t: Task) => void]> = [
  ['--infra', ['--infra', 'azure/eastus'], (t) => candidates(t).forEach((s) => assert.deepEqual(s.infra, { cloud: 'azure', region: 'eastus' }))],
  ['--gpus', ['--gpus', 'H100:2'], (t) => candidates(t).forEach((s) => assert.deepEqual(s.accelerators, [{ name: 'H100', count: 2 }]))],
  ['--gpus none', ['--gpus', 'none'], (t) => specs(t).forEach((s) => assert.equal(s.accelerators, undefined))],
  ['--cpus', ['--cpus', '8+'], (t) => specs(t).forEach((s) => assert.deepEqual(s.cpus, { value: 8, orMore: true }))],
  ['--memory', ['--memory', '32'], (t) => specs(t).forEach((s) => assert.equal(s.memory?.value, 32))],
  ['--disk-size', ['--disk-size', '300'], (t) => specs(t).forEach((s) => assert.equal(s.diskSizeGb, 300))],
  ['--disk-tier', ['--disk-tier', 'HIGH'], (t) => specs(t).forEach((s) => assert.equal(s.diskTier, 'high'))],
  ['--network-tier', ['--network-tier', 'best'], (t) => specs(t).forEach((s) => assert.equal(s.networkTier, 'best'))],
  ['--image-id', ['--image-id', 'docker:ubuntu:22.04'], (t) => specs(t).forEach((s) => assert.equal(s.imageId, 'docker:ubuntu:22.04'))],
  ['--ports', ['--ports', '9000', '--ports', '9100-9101'], (t) => specs(t).forEach((s) => assert.deepEqual(s.ports, ['9000', '9100-9101']))],
  ['-t', ['-t', 'm6i.2xlarge'], (t) => specs(t).forEach((s) => assert.equal(s.instanceType, 'm6i.2xlarge'))],
  ['--use-spot', ['--use-spot'], (t) => specs(t).forEach((s) => assert.equal(s.useSpot, true))],
  ['--no-use-spot', ['--no-use-spot'], (t) => specs(t).forEach((s) => assert.equal(s.useSpot, false))],
];

for (const verb of Object.keys(TASK_VERBS)) {
  test(`${verb}: each resource option overrides every any_of alternative, as SkyPilot's Resources.copy over each candidate`, async () => {
    for (const [name, args, check] of RESOURCE_BEHAVIOURS) {
      // exec cannot change a running cluster's cpus/memory/disk/ports (SkyPilot ignores them there).
      if (verb === 'exec' && ['--cpus', '--memory', '--disk-size', '--disk-tier', '--ports'].includes(name)) continue;
      const t = await taskFor(verb, args);
      assert.equal(t.resources.mode, 'any_of', name);
      assert.equal(candidates(t).length, 2, name);
      check(t);
    }
  });
}

test('exec warns that it ignores --cpus/--memory/--disk-size/--disk-tier/--ports, and keeps the YAML values', async () => {
  const warnings: string[] = [];
  const t = await taskFor('exec', ['--cpus', '64', '--ports', '1'], (m) => warnings.push(m));
  assert.deepEqual(warnings, ['Override param cpus=64 is ignored.', "Override param ports=('1') is ignored."]);
  assert.deepEqual(t.resources.base.cpus, { value: 2, orMore: false });
});

test('--infra with fewer parts drops the YAML region and zone (SkyPilot sets them to *)', async () => {
  const t = await taskFor('launch', ['--infra', 'aws']);
  for (const s of candidates(t)) assert.deepEqual(s.infra, { cloud: 'aws' });
});

for (const verb of Object.keys(TASK_VERBS)) {
  test(`${verb}: --num-nodes, --workdir, --env, --env-file, --secret${TASK_VERBS[verb].some((f) => f[0] === '-n') ? ', -n' : ''}`, async () => {
    const workdir = fs.mkdtempSync(path.join(dir, 'wd-'));
    const envFile = write('vars.env', 'FROM_FILE=1\nBOTH=file\n');
    process.env.SKYDECK_CONF_LOCAL = 'from-here';
    const nameArgs = TASK_VERBS[verb].some((f) => f[0] === '-n') ? ['-n', 'cli-name'] : [];
    const t = await taskFor(verb, [
      '--num-nodes',
      '3',
      '--workdir',
      workdir,
      '--env',
      'BOTH=flag',
      '--env',
      'SKYDECK_CONF_LOCAL',
      '--env-file',
      envFile,
      '--secret',
      'TOKEN=s3',
      '--secret',
      'SKYDECK_CONF_LOCAL',
      ...nameArgs,
    ]);
    assert.equal(t.numNodes, 3);
    assert.equal(t.workdir, workdir);
    assert.deepEqual(t.envs, { FROM_FILE: '1', BOTH: 'flag', SKYDECK_CONF_LOCAL: 'from-here' });
    assert.deepEqual(t.secrets, { TOKEN: 's3', SKYDECK_CONF_LOCAL: 'from-here' });
    assert.equal(t.name, nameArgs.length ? 'cli-name' : 'yaml-name');
  });
}

test('bad option values are usage errors naming the option', async () => {
  await assert.rejects(
    taskFor('launch', ['--disk-tier', 'fast']),
    /Invalid value for '--disk-tier': 'fast' is not one of 'low', 'medium', 'high', 'ultra', 'best'/,
  );
  await assert.rejects(taskFor('launch', ['--network-tier', 'x']), /Invalid value for '--network-tier'/);
  await assert.rejects(taskFor('launch', ['--disk-size', 'big']), /Invalid value for '--disk-size': 'big' is not a valid integer/);
  await assert.rejects(taskFor('launch', ['--num-nodes', '0']), /num_nodes should be a positive int. Got: 0/);
  await assert.rejects(taskFor('launch', ['--workdir', path.join(dir, 'missing')]), /Invalid value for '--workdir': Directory '.*missing' does not exist/);
  await assert.rejects(taskFor('launch', ['--env', 'SKYDECK_CONF_UNSET_X']), /SKYDECK_CONF_UNSET_X is not set in local environment/);
  await assert.rejects(taskFor('launch', ['--secret', 'SKYDECK_CONF_UNSET_X']), /SKYDECK_CONF_UNSET_X is not set in local environment/);
  await assert.rejects(taskFor('launch', ['--ports', 'none', '--ports', '80']), /Cannot specify both "none" and other ports/);
  await assert.rejects(taskFor('launch', ['--infra', 'nocloud/x']), /Invalid value for '--infra'.*unknown cloud/);
});

test('--git-url / --git-ref: the workdir becomes {url, ref} on every verb that takes them', async () => {
  for (const verb of ['launch', 'exec', 'jobs launch', 'serve up']) {
    const t = await taskFor(verb, ['--git-url', 'https://example.invalid/r.git', '--git-ref', 'v1']);
    assert.deepEqual(t.raw.workdir, { url: 'https://example.invalid/r.git', ref: 'v1' });
    assert.equal(t.workdir, 'https://example.invalid/r.git');
    // --git-ref alone needs a git workdir to change.
    await assert.rejects(taskFor(verb, ['--git-ref', 'main']), /--git-ref needs a git workdir/);
  }
  const wd = fs.mkdtempSync(path.join(dir, 'wd-'));
  await assert.rejects(taskFor('launch', ['--git-url', 'https://example.invalid/r.git', '--workdir', wd]), /Cannot specify both --git-url and --workdir/);
});

test('envs/secrets left null take their value from --env/--secret, else SkyPilot refuses the task', () => {
  const file = write('nulls.yaml', 'envs:\n  A: null\nsecrets:\n  TOKEN: null\nrun: echo\n');
  const opts = (env: string[], secret: string[]) => readTaskOptions({ env, secret });
  assert.throws(() => loadEntrypoint(file, opts([], ['TOKEN=x']), { verb: 'launch' }), {
    message: `Environment variable 'A' is None. Please set a value for it in task YAML or with --env flag. To set it to be empty, use an empty string (A: "" in task YAML or --env A="" in CLI).`,
  });
  assert.throws(() => loadEntrypoint(file, opts(['A=1'], []), { verb: 'launch' }), {
    message: `Secret variable 'TOKEN' is None. Please set a value for it in task YAML or with --secret flag. To set it to be empty, use an empty string (TOKEN: "" in task YAML or --secret TOKEN="" in CLI).`,
  });
  process.env.SKYDECK_CONF_TOKEN = 'from-env';
  const t = loadEntrypoint(file, opts(['A='], ['TOKEN=x']), { verb: 'launch' }).tasks[0];
  assert.deepEqual([t.envs, t.secrets], [{ A: '' }, { TOKEN: 'x' }]);
  const list = write('list.yaml', 'secrets:\n  - secrets:HF\nrun: echo\n');
  assert.throws(() => loadEntrypoint(list, opts([], []), { verb: 'launch' }), /Secret variable 'HF' is None/);
  assert.deepEqual(loadEntrypoint(list, readTaskOptions({ secret: ['HF=v'] }), { verb: 'launch' }).tasks[0].secrets, { HF: 'v' });
});

test("pipelines: overrides are ignored with SkyPilot's warning, --env/--secret reach every task", () => {
  const file = write('pipe.yaml', 'name: p\n---\nname: a\nenvs:\n  X: null\nrun: echo a\n---\nname: b\nrun: echo b\n');
  const warnings: string[] = [];
  const tf = loadEntrypoint(file, readTaskOptions({ env: ['X=1'], gpus: 'A100' }), { verb: 'jobs launch', warn: (m) => warnings.push(m) });
  assert.equal(tf.tasks.length, 2);
  assert.ok(tf.tasks.every((t) => t.envs.X === '1' && !t.resources.base.accelerators));
  assert.match(warnings[0], /override params .*accelerators.* are ignored, since the yaml file contains multiple tasks/);
});

test('no ENTRYPOINT: a task with nothing to run, the overrides applied (launch -c dev --gpus A100)', () => {
  const t = loadEntrypoint(undefined, readTaskOptions({ gpus: 'A100:8', infra: 'gcp' }), { verb: 'launch' }).tasks[0];
  assert.equal(t.run, undefined);
  assert.deepEqual(t.resources.candidates[0].accelerators, [{ name: 'A100', count: 8 }]);
  assert.deepEqual(t.resources.candidates[0].infra, { cloud: 'gcp' });
});

test('--env-file reads dotenv: comments, export, quotes, escapes, multi-line values', () => {
  assert.deepEqual(parseDotenv('# c\nA=1\nexport B=two words # note\nC="x\\ny"\nD=\'lit $X\'\nE="multi\nline"\nBARE\nF=\n', 'f'), {
    A: '1',
    B: 'two words',
    C: 'x\ny',
    D: 'lit $X',
    E: 'multi\nline',
    F: '',
  });
});

test('glob cluster names expand against what exists; literal names are kept', () => {
  const missing: string[] = [];
  assert.deepEqual(
    expandNames(['dev-*', 'prod', 'x?', 'none-*'], ['dev-1', 'dev-2', 'qa', 'x1', 'xy2'], (p) => missing.push(p)),
    ['dev-1', 'dev-2', 'prod', 'x1'],
  );
  assert.deepEqual(missing, ['none-*']);
});

function run(args: string[], env: Record<string, string> = {}) {
  const home = path.join(dir, 'home');
  const r = spawnSync(process.execPath, [CLI, ...args], {
    encoding: 'utf8',
    timeout: 180_000,
    env: { PATH: process.env.PATH, HOME: dir, SKYDECK_HOME: home, SKYDECK_CATALOG_DIR: REFERENCE_CATALOGS, SKYDECK_TEST: '1', ...env },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const built = requirePrerequisite(builtFiles(CLI));

test('exit codes: an unknown option or a bad value exits 2 with a clear message; a null secret is refused before launching', { skip: built }, () => {
  const unknown = run(['launch', 'echo', '--no-such-option']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /unknown option '--no-such-option'/);
  const bad = run(['launch', 'echo', '--disk-tier', 'x', '--dryrun']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /Invalid value for '--disk-tier'/);
  const nul = run(['launch', write('n.yaml', 'secrets:\n  K: null\nrun: echo\n'), '-y', '--infra', 'local']);
  assert.equal(nul.code, 2);
  assert.match(nul.stderr, /Secret variable 'K' is None/);
  assert.doesNotMatch(nul.stderr, /PROVISION/);
});

test('launch --dryrun --json: the overrides reach every alternative, and no secret value is printed', { skip: built }, () => {
  const r = run([
    'launch',
    taskYaml(),
    '--dryrun',
    '--json',
    '--all-infra',
    '--gpus',
    'H100:1',
    '--use-spot',
    '--cpus',
    'none',
    '--memory',
    'none',
    '--secret',
    'TOKEN=very-secret-value',
  ]);
  assert.equal(r.code, 0, r.stderr);
  const plan = JSON.parse(r.stdout) as { candidates: { cloud: string; accelerators: Record<string, number>; spot: boolean }[] };
  // The gcp alternative asked for L4 in the YAML; the plan has only H100 spot offers.
  assert.ok(plan.candidates.some((c) => c.cloud === 'gcp'));
  assert.ok(plan.candidates.every((c) => c.accelerators.H100 === 1 && c.spot));
  assert.doesNotMatch(r.stdout + r.stderr, /very-secret-value/);
  const table = run([
    'launch',
    taskYaml(),
    '--dryrun',
    '--all-infra',
    '--gpus',
    'H100:1',
    '--cpus',
    'none',
    '--memory',
    'none',
    '--secret',
    'TOKEN=very-secret-value',
  ]);
  assert.equal(table.code, 0, table.stderr);
  assert.doesNotMatch(table.stdout + table.stderr, /very-secret-value/);
});
