/**
 * `serve.controller.autostop` (and `jobs.controller.autostop`): the controller cluster's
 * autostop, with SkyPilot's forms and precedence (controller_utils.get_controller_resources,
 * AutostopConfig.from_yaml_config), and the serve hold job that keeps the cluster busy while a
 * service exists.
 */
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { resolveConfig, setActiveConfig } from '../../../engine/config';
import type { ConfigMap, ConfigValue } from '../../../engine/config/types';
import { controllerAutostop, controllerTask } from '../../../engine/controllers/resources';
import { holdWhileServices } from '../../../engine/serve/hold';
import { removeService, servicesTable } from '../../../engine/serve/state';
import type { ServiceRecord } from '../../../engine/serve/types';

afterEach(() => setActiveConfig(undefined));

test('serve.controller.autostop: false, minutes, a time, or a mapping; the controller resources win over it', () => {
  const serve = (autostop: ConfigValue, resources?: ConfigMap) =>
    controllerAutostop('serve', { serve: { controller: { autostop, ...(resources ? { resources } : {}) } } });
  assert.equal(serve(false), undefined);
  assert.deepEqual(serve(30), { idleMinutes: 30, down: false });
  assert.deepEqual(serve('2h'), { idleMinutes: 120, down: false });
  assert.deepEqual(serve(true), { idleMinutes: 0, down: false });
  assert.deepEqual(serve({ idle_minutes: 5, down: true }), { idleMinutes: 5, down: true });
  // A mapping replaces the default whole: its idle_minutes is 0 unless given (SkyPilot's AutostopConfig).
  assert.deepEqual(serve({ down: true }), { idleMinutes: 0, down: true });
  // serve.controller.resources.autostop is SkyPilot's newer spelling and wins over the older key.
  assert.deepEqual(serve(30, { autostop: { idle_minutes: 7 } }), { idleMinutes: 7, down: false });
  assert.equal(serve(30, { autostop: false }), undefined);
  // The jobs controller reads its own block only.
  assert.deepEqual(controllerAutostop('jobs', { serve: { controller: { autostop: false } } }), { idleMinutes: 10, down: false });
});

test("the controller's autostop is the launch's, never the task's resources (no second reading)", () => {
  const t = controllerTask('serve', { serve: { controller: { resources: { cpus: 2, autostop: { idle_minutes: 7 } } } } }, 'x');
  assert.equal(t.resources.base.autostop, undefined);
});

test('a bad serve.controller.autostop names the key and its file:line', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skydeck-ctl-autostop-'));
  const file = path.join(dir, 'config.yaml');
  fs.writeFileSync(file, 'serve:\n  controller:\n    autostop:\n      idle_minutes: 5\n      down: maybe\n');
  const env = { HOME: dir, SKYPILOT_GLOBAL_CONFIG: file };
  let resolved;
  try {
    resolved = resolveConfig({ env });
  } catch (e) {
    // The schema refuses it first: the error already names the file and line.
    assert.match(String(e), new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:5`));
    return;
  }
  setActiveConfig(resolved.config, resolved.origins);
  assert.throws(() => controllerAutostop('serve', resolved.config), new RegExp(`serve\\.controller\\.autostop\\.down \\(${file}:5\\): must be true or false`));
});

test('a bad time in serve.controller.autostop names the key and its file:line', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skydeck-ctl-autostop-'));
  const file = path.join(dir, 'config.yaml');
  fs.writeFileSync(file, 'serve:\n  controller:\n    autostop: soon\n');
  const config = { serve: { controller: { autostop: 'soon' } } };
  setActiveConfig(config, new Map([[JSON.stringify(['serve', 'controller', 'autostop']), [{ source: file, line: 3 }]]]));
  assert.throws(
    () => controllerAutostop('serve', config),
    (e: Error) => e.message.startsWith(`serve.controller.autostop (${file}:3): Invalid time 'soon'`),
  );
});

test('serve hold: returns at once with no service, runs while one exists and ends when the last is removed', async () => {
  process.env.SKYDECK_HOME = fs.mkdtempSync(path.join(os.tmpdir(), 'skydeck-serve-hold-'));
  await holdWhileServices();
  await servicesTable().update((t) => void (t.services.svc = { name: 'svc' } as unknown as ServiceRecord));
  let ended = false;
  const hold = holdWhileServices().then(() => void (ended = true));
  // Two full reads of the table later the hold is still waiting on the service.
  await servicesTable().read();
  await servicesTable().read();
  assert.equal(ended, false);
  await removeService('svc');
  await hold;
  assert.equal(ended, true);
});
