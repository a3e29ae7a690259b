/** `skydeck check` through the built CLI and the kubernetes provider bundle, against the fake API server. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { FakeKubernetes } from '../../helpers/fakes/kubernetes';

const run = promisify(execFile);
const CLI = path.resolve(__dirname, '../../../dist/cli.js');

test('skydeck check --json reports the kubeconfig context as usable (needs `npm run build`)', async (t) => {
  assert.ok(fs.existsSync(CLI), 'dist/cli.js is missing: run `npm run -s build` first');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skydeck-k8s-cli-'));
  const fake = await FakeKubernetes.start({ nodes: [{ name: 'g', gpus: 4, labels: { 'skypilot.co/accelerator': 't4' } }] });
  t.after(async () => {
    await fake.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const env = { ...process.env, KUBECONFIG: fake.writeKubeconfig(path.join(dir, 'kc'), [{ name: 'my/ctx' }]), SKYDECK_HOME: path.join(dir, 'home'), HOME: dir };
  const { stdout } = await run(process.execPath, [CLI, 'check', '--json'], { env, timeout: 180_000 });
  const rows = JSON.parse(stdout) as { infra: string; enabled: boolean; reason: string }[];
  const k8s = rows.find((r) => r.infra === 'kubernetes');
  assert.equal(k8s?.enabled, true, k8s?.reason);
  assert.match(k8s!.reason, /k8s\/my\/ctx: API answers/);
  // Missing kubeconfig: a clear message, not a stack trace.
  const missing = await run(process.execPath, [CLI, 'check', '--json'], { env: { ...env, KUBECONFIG: path.join(dir, 'nope') }, timeout: 180_000 });
  const row = (JSON.parse(missing.stdout) as { infra: string; enabled: boolean; reason: string }[]).find((r) => r.infra === 'kubernetes');
  assert.equal(row?.enabled, false);
  assert.match(row!.reason, /^No kubeconfig found/);
});
