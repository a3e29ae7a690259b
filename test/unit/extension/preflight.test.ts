import '../../helpers/vscode';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, test } from 'node:test';
import { handlers, resetHandlers } from '../../helpers/vscode';
import { CliError, runCli } from '../../../extension/engine/cli';
import { askMissingValues, LaunchRefusal, planRefusal, preflight, valueFlags, type PreflightDeps } from '../../../extension/launch/preflight';
import { planItems } from '../../../extension/launch/launch';
import type { PlanJson, PlanRowJson } from '../../../engine/contract/cliJson';
import { parseTaskText } from '../../../engine/task/load';

afterEach(() => resetHandlers());

const LOCAL: PlanRowJson = {
  infra: 'local/local',
  cloud: 'local',
  region: 'local',
  zone: null,
  instanceType: 'local',
  accelerators: null,
  spot: false,
  nodes: 1,
  pricePerHour: 0,
  costPerHour: 0,
};
const AWS: PlanRowJson = {
  infra: 'aws/us-east-1',
  cloud: 'aws',
  region: 'us-east-1',
  zone: null,
  instanceType: 'p4d.24xlarge',
  accelerators: { A100: 8 },
  spot: false,
  nodes: 1,
  pricePerHour: 32.77,
  costPerHour: 32.77,
};

/** Real parser, the given plan; counts plan calls so a test can see planning never started. */
function deps(text: string, plan: () => Promise<PlanJson>): PreflightDeps & { planCalls: number } {
  const d = {
    planCalls: 0,
    readText: async () => text,
    parse: async (t: string, fileName: string) => parseTaskText(t, { fileName }),
    plan: async () => {
      d.planCalls++;
      return plan();
    },
  };
  return d;
}

async function refusal(p: Promise<unknown>): Promise<LaunchRefusal> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof LaunchRefusal, `expected a LaunchRefusal, got ${String(e)}`);
    return e;
  }
  assert.fail('expected the preflight to refuse');
}

test('a file with errors is refused with its problem count and Show Problems, before planning', async () => {
  const text = 'resources:\n  cpus: many\n  infra: nowhere\nnum_nodes: -3\nrun: echo\n';
  const expected = parseTaskText(text, { fileName: '/w/bad.yaml' }).diagnostics.filter((d) => d.severity === 'error').length;
  assert.ok(expected >= 2, 'the sample has several errors');
  const d = deps(text, async () => ({ chosen: [LOCAL], candidates: [LOCAL] }));
  const r = await refusal(preflight('/w/bad.yaml', d));
  assert.equal(r.message, `bad.yaml has ${expected} problems; fix them before launching.`);
  assert.deepEqual(
    r.actions.map((a) => a.title),
    ['Show Problems'],
  );
  assert.equal(d.planCalls, 0);

  const calls: string[] = [];
  handlers.workspace.openTextDocument = ((uri: { fsPath: string }) => {
    calls.push(`open ${uri.fsPath}`);
    return Promise.resolve({ uri });
  }) as never;
  handlers.window.showTextDocument = (() => {
    calls.push('show');
    return Promise.resolve(undefined);
  }) as never;
  handlers.commands.executeCommand = ((id: string) => {
    calls.push(id);
    return Promise.resolve(undefined);
  }) as never;
  await r.actions[0].run();
  assert.deepEqual(calls, ['open /w/bad.yaml', 'show', 'workbench.actions.view.problems']);
});

test('no fitting infra is said in editor terms with Check Infra and Show Offers', async () => {
  const stderr =
    "Error: Catalog does not contain any instances satisfying the request: 1x ({'A100': 8}) on [Local].\n  - Local: this machine has no accelerators SkyDeck can schedule.\nTo fix: relax or change the resource requirements.\nNo cloud with a catalog is enabled (AWS, GCP and Azure need credentials): see `skydeck check`, or plan anyway with --all-infra.\n";
  const d = deps('resources:\n  accelerators: A100:8\nrun: echo\n', async () => {
    throw new CliError(['launch', '/w/a.yaml', '--dryrun', '--json'], 1, stderr);
  });
  const r = await refusal(preflight('/w/a.yaml', d));
  assert.equal(r.message, 'No enabled infra offers A100:8 (searched: Local). AWS, GCP and Azure are not set up.');
  assert.doesNotMatch(r.message, /skydeck|--dryrun|\{'/);
  assert.deepEqual(
    r.actions.map((a) => a.title),
    ['Check Infra', 'Show Offers'],
  );
  const ran: string[] = [];
  handlers.commands.executeCommand = ((id: string, arg?: { fsPath: string }) => {
    ran.push(arg ? `${id} ${arg.fsPath}` : id);
    return Promise.resolve(undefined);
  }) as never;
  for (const a of r.actions) await a.run();
  assert.deepEqual(ran, ['skydeck.checkInfra', 'skydeck.showOffers /w/a.yaml']);
});

test('an unrecognised planner failure keeps its first line only, no CLI command line', () => {
  const r = planRefusal('/w/a.yaml', new CliError(['launch', 'a.yaml', '--dryrun', '--json'], 2, 'Error: Invalid value for --infra\nmore detail\n'));
  assert.equal(r.message, 'Could not plan a.yaml: Invalid value for --infra');
});

test('a valid file is planned and its null envs and secrets are listed, with no prompt', async () => {
  const text = 'resources:\n  infra: local\nenvs:\n  MODEL: llama\n  BATCH: null\nsecrets:\n  HF_TOKEN: null\nrun: echo\n';
  const d = deps(text, async () => ({ chosen: [LOCAL], candidates: [LOCAL] }));
  const p = await preflight('/w/serve.yaml', d);
  assert.equal(d.planCalls, 1);
  assert.deepEqual(p.missing, { envs: ['BATCH'], secrets: ['HF_TOKEN'] });
  assert.deepEqual(p.plan?.chosen, [LOCAL]);
});

test('null values are asked for, secrets in a password box; the values go to the CLI by environment, not argv', async () => {
  const asked: { title?: string; password?: boolean }[] = [];
  handlers.window.showInputBox = ((o: { title?: string; password?: boolean }) => {
    asked.push(o);
    return Promise.resolve(o.password ? 'hf_s3cret' : '64');
  }) as never;
  const given = await askMissingValues({ envs: ['BATCH'], secrets: ['HF_TOKEN'] }, 'Launch serve.yaml');
  assert.deepEqual(
    asked.map((o) => [o.title, o.password]),
    [
      ['Launch serve.yaml: environment variable BATCH', false],
      ['Launch serve.yaml: secret HF_TOKEN', true],
    ],
  );
  const flags = valueFlags(given);
  assert.deepEqual(flags.args, ['--env', 'BATCH', '--secret', 'HF_TOKEN']);

  // A real child process: it sees the names in argv and the values only in its environment.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skydeck-preflight-'));
  const script = path.join(dir, 'cli.js');
  fs.writeFileSync(script, 'process.stdout.write(JSON.stringify({ argv: process.argv.slice(2), token: process.env.HF_TOKEN, batch: process.env.BATCH }));\n');
  const saved = process.env.SKYDECK_CLI;
  process.env.SKYDECK_CLI = script;
  try {
    const run = await runCli(['jobs', 'launch', 't.yaml', ...flags.args], { env: flags.env });
    const seen = JSON.parse(run.stdout) as { argv: string[]; token: string; batch: string };
    assert.deepEqual(seen.argv, ['jobs', 'launch', 't.yaml', '--env', 'BATCH', '--secret', 'HF_TOKEN']);
    assert.equal(seen.token, 'hf_s3cret');
    assert.equal(seen.batch, '64');
  } finally {
    if (saved === undefined) delete process.env.SKYDECK_CLI;
    else process.env.SKYDECK_CLI = saved;
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('dismissing a value box refuses the launch', async () => {
  handlers.window.showInputBox = (() => Promise.resolve(undefined)) as never;
  const r = await refusal(askMissingValues({ envs: [], secrets: ['HF_TOKEN'] }, 'Service llm'));
  assert.equal(r.message, 'Service llm needs a value for secret HF_TOKEN (it is null in the task file).');
});

test('the plan table marks the chosen row and lists the alternatives', () => {
  const items = planItems({ chosen: [LOCAL], candidates: [LOCAL, AWS] });
  assert.deepEqual(
    items.map((i) => i.label),
    ['Chosen', '$(check) local/local', 'Alternatives', '$(cloud) aws/us-east-1'],
  );
  assert.match(items[3].description ?? '', /p4d\.24xlarge \(A100:8\).*\$32\.77\/h/);
});

test('a plan row names its infra once (label), the rest in its description', () => {
  const [, local, , aws] = planItems({ chosen: [LOCAL], candidates: [LOCAL, AWS] });
  assert.equal(local.description, '1x · $0/h');
  assert.equal(aws.description, 'p4d.24xlarge (A100:8) · 1x · $32.77/h');
});
