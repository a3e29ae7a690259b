/**
 * `kubernetes.pricing` (and `kubernetes.context_configs.<context>.pricing`): what the optimizer
 * charges for Kubernetes pods, by SkyPilot's rule (sky/catalog/common.py): CPU pods cpus x cpu
 * + GB x memory, GPU pods count x the accelerator's rate only; per-context rates replace cpu
 * and memory and add accelerators; SSH node pools are priced as SkyPilot's `ssh-<pool>` contexts.
 */
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { resolveConfig, setActiveConfig } from '../../../engine/config';
import { kubernetesPricing } from '../../../engine/config/kubernetesPricing';
import { optimize } from '../../../engine/optimizer/index';
import { gpu, task } from '../optimizer/helpers';

afterEach(() => setActiveConfig(undefined));

const ENABLED = { enabledInfra: ['local', 'k8s/cheap', 'k8s/dear', 'ssh/lab'] };

test('CPU pods cost cpus x cpu + GB x memory; a context block replaces the rates; the optimizer picks the cheaper context', () => {
  setActiveConfig({ kubernetes: { pricing: { cpu: 0.05, memory: 0.01 }, context_configs: { cheap: { pricing: { cpu: 0.01 } } } } });
  const plan = optimize(task({ cpus: { value: 4, orMore: false }, memory: { value: 16, orMore: false }, infra: { cloud: 'kubernetes' } }), ENABLED);
  const price = Object.fromEntries(plan.candidates.map((c) => [c.infra, c.pricePerHour]));
  assert.equal(price['k8s/dear'].toFixed(4), (4 * 0.05 + 16 * 0.01).toFixed(4));
  assert.equal(price['k8s/cheap'].toFixed(4), (4 * 0.01 + 16 * 0.01).toFixed(4), "the context's cpu rate, the general memory rate");
  assert.equal(plan.chosen.infra, 'k8s/cheap');
  // Two nodes cost twice one.
  const two = optimize(
    task({ cpus: { value: 4, orMore: false }, memory: { value: 16, orMore: false }, infra: { cloud: 'kubernetes', region: 'dear' } }, 2),
    ENABLED,
  );
  assert.equal(two.chosen.costPerHour.toFixed(4), (2 * (4 * 0.05 + 16 * 0.01)).toFixed(4));
});

test('GPU pods cost count x the accelerator rate only (names case-insensitive, unlisted ones free); contexts add accelerators', () => {
  setActiveConfig({
    kubernetes: {
      pricing: { cpu: 1, memory: 1, accelerators: { h100: 2.5, L4: 0.4 } },
      context_configs: { cheap: { pricing: { accelerators: { h100: 1.5, A10G: 0.3 } } } },
    },
  });
  const plan = optimize(task({ ...gpu('H100', 2), infra: { cloud: 'kubernetes' } }), ENABLED);
  const price = Object.fromEntries(plan.candidates.map((c) => [c.infra, c.pricePerHour]));
  assert.equal(price['k8s/dear'], 5);
  assert.equal(price['k8s/cheap'], 3);
  assert.equal(plan.chosen.infra, 'k8s/cheap');
  assert.deepEqual(kubernetesPricing('cheap').accelerators, { h100: 1.5, L4: 0.4, A10G: 0.3 });
  const a100 = optimize(task({ ...gpu('A100', 1), infra: { cloud: 'kubernetes', region: 'dear' } }), ENABLED);
  assert.equal(a100.chosen.pricePerHour, 0, 'an accelerator the pricing does not list is free, as in SkyPilot');
});

test("SSH node pools are priced as SkyPilot's ssh-<pool> contexts; unset pricing leaves pods free", () => {
  assert.equal(
    optimize(task({ cpus: { value: 2, orMore: false }, memory: { value: 4, orMore: false }, infra: { cloud: 'kubernetes', region: 'dear' } }), ENABLED).chosen
      .pricePerHour,
    0,
  );
  setActiveConfig({ kubernetes: { pricing: { cpu: 0.1 }, context_configs: { 'ssh-lab': { pricing: { cpu: 0.2 } } } } });
  const ssh = optimize(task({ cpus: { value: 2, orMore: false }, memory: { value: 4, orMore: false }, infra: { cloud: 'ssh', region: 'lab' } }), ENABLED);
  assert.equal(ssh.chosen.pricePerHour.toFixed(4), (2 * 0.2).toFixed(4));
});

test('a negative rate is an error naming the key and its file:line, before anything is planned', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skydeck-k8s-pricing-'));
  const file = path.join(dir, 'config.yaml');
  fs.writeFileSync(file, 'kubernetes:\n  context_configs:\n    dear:\n      pricing:\n        accelerators:\n          H100: -1\n');
  const resolved = resolveConfig({ env: { HOME: dir, SKYPILOT_GLOBAL_CONFIG: file } });
  setActiveConfig(resolved.config, resolved.origins);
  assert.throws(
    () => optimize(task({ ...gpu('H100', 1), infra: { cloud: 'kubernetes', region: 'dear' } }), ENABLED),
    (e: Error) => e.message.startsWith(`kubernetes.context_configs.dear.pricing.accelerators.H100 (${file}:6): '-1' is not a price`),
  );
});
