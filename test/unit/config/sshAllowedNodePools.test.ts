/**
 * `ssh.allowed_node_pools`: only the pools it names are enabled infra (SkyPilot's
 * SSH.existing_allowed_contexts), so the optimizer never plans on the others and a task pinned
 * to one is refused; `skydeck check` says why.
 */
import { afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { setActiveConfig } from '../../../engine/config';
import { ResourcesUnavailableError } from '../../../engine/errors';
import { detectInfra, enabledInfra } from '../../../engine/infra/detection';
import { optimize } from '../../../engine/optimizer/index';
import { task } from '../optimizer/helpers';

const saved = process.env.SKYDECK_SSH_NODE_POOLS;
let env: NodeJS.ProcessEnv;

before(() => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skydeck-ssh-allowed-'));
  const file = path.join(dir, 'ssh_node_pools.yaml');
  fs.writeFileSync(file, 'lab:\n  user: me\n  hosts: [10.1.0.1, 10.1.0.2]\nrack:\n  user: me\n  hosts: [10.2.0.1]\n');
  process.env.SKYDECK_SSH_NODE_POOLS = file;
  process.env.SKYDECK_HOME = path.join(dir, 'home');
  // No cloud credentials or kubeconfig: only local and the pools are infra.
  env = { HOME: dir, KUBECONFIG: path.join(dir, 'none') };
});
afterEach(() => setActiveConfig(undefined));
process.on('exit', () => {
  if (saved === undefined) delete process.env.SKYDECK_SSH_NODE_POOLS;
  else process.env.SKYDECK_SSH_NODE_POOLS = saved;
});

test('unset: every pool of the file is enabled', () => {
  assert.deepEqual(enabledInfra(env).sort(), ['local', 'ssh/lab', 'ssh/rack']);
});

test('a list enables only those pools; the others say why, and a listed pool the file lacks is reported', () => {
  setActiveConfig({ ssh: { allowed_node_pools: ['rack', 'gone'] } });
  assert.deepEqual(enabledInfra(env).sort(), ['local', 'ssh/rack']);
  const rows = detectInfra(env);
  assert.match(rows.find((r) => r.infra === 'ssh/lab')!.reason, /Not included in ssh\.allowed_node_pools/);
  const gone = rows.find((r) => r.infra === 'ssh/gone')!;
  assert.equal(gone.enabled, false);
  assert.match(gone.reason, /not in .*ssh_node_pools\.yaml/);
  // The optimizer plans on the allowed pool only; pinning the other is refused.
  const plan = optimize(task({ infra: { cloud: 'ssh' } }), { enabledInfra: enabledInfra(env) });
  assert.deepEqual(
    plan.candidates.map((c) => c.infra),
    ['ssh/rack'],
  );
  assert.throws(() => optimize(task({ infra: { cloud: 'ssh', region: 'lab' } }), { enabledInfra: enabledInfra(env) }), ResourcesUnavailableError);
});

test('an empty list allows no pool (SkyPilot keeps only the listed ones)', () => {
  setActiveConfig({ ssh: { allowed_node_pools: [] } });
  assert.deepEqual(enabledInfra(env), ['local']);
});
