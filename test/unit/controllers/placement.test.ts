import { test } from 'node:test';
import assert from 'node:assert/strict';
import { placementForTask, placementForVerb } from '../../../engine/controllers/placement';
import { parseTaskText } from '../../../engine/task/load';

const taskOn = (infra?: string) => parseTaskText(`run: echo\n${infra ? `resources:\n  infra: ${infra}\n` : ''}`).taskFile!;
const env = {};

const none = new Set<string>();
const aws = new Set(['aws']);

test('SkyPilot default: a controller cluster on the enabled infra; local work and local-only machines keep a local controller', () => {
  assert.equal(
    placementForTask('jobs', { config: {}, env, taskFile: taskOn('ssh/pool'), enabledInfra: ['local', 'ssh/pool'], credentialClouds: none }),
    'cluster',
  );
  assert.equal(placementForTask('jobs', { config: {}, env, taskFile: taskOn(), enabledInfra: ['local', 'ssh/a', 'ssh/b'], credentialClouds: none }), 'cluster');
  // A cloud whose credential files are copied to the controller: a controller cluster, as SkyPilot.
  assert.equal(placementForTask('jobs', { config: {}, env, taskFile: taskOn(), enabledInfra: ['local', 'aws'], credentialClouds: aws }), 'cluster');
  assert.equal(
    placementForTask('jobs', { config: {}, env, taskFile: taskOn('aws'), enabledInfra: ['local', 'aws', 'ssh/p'], credentialClouds: aws }),
    'cluster',
  );
  assert.equal(
    placementForTask('serve', { config: {}, env, taskFile: taskOn('k8s'), enabledInfra: ['k8s/ctx'], credentialClouds: new Set(['kubernetes']) }),
    'cluster',
  );
  // Credentials only in the environment are not copied: those jobs keep a local controller unless told otherwise.
  assert.equal(placementForTask('jobs', { config: {}, env, taskFile: taskOn(), enabledInfra: ['local', 'aws'], credentialClouds: none }), 'local');
  assert.equal(placementForTask('jobs', { config: {}, env, taskFile: taskOn(), enabledInfra: ['local', 'aws', 'gcp'], credentialClouds: aws }), 'local');
  assert.equal(
    placementForTask('jobs', { config: {}, env, taskFile: taskOn('aws'), enabledInfra: ['local', 'aws', 'ssh/p'], credentialClouds: none }),
    'local',
  );
  assert.equal(
    placementForTask('jobs', { config: {}, env, flag: 'cluster', taskFile: taskOn('aws'), enabledInfra: ['local', 'aws'], credentialClouds: none }),
    'cluster',
  );
  assert.equal(
    placementForTask('jobs', { config: {}, env, flag: 'local', taskFile: taskOn('aws'), enabledInfra: ['local', 'aws'], credentialClouds: aws }),
    'local',
  );
  assert.equal(placementForTask('jobs', { config: {}, env, taskFile: taskOn('local'), enabledInfra: ['local', 'aws'], credentialClouds: aws }), 'local');
  assert.equal(placementForTask('serve', { config: {}, env, taskFile: taskOn(), enabledInfra: ['local'], credentialClouds: aws }), 'local');
});

test('--controller, then SKYDECK_CONTROLLER, then the config keys decide before the defaults', () => {
  const base = { taskFile: taskOn('ssh/p'), enabledInfra: ['local', 'ssh/p'], credentialClouds: none };
  assert.equal(placementForTask('jobs', { ...base, config: {}, env, flag: 'local' }), 'local');
  assert.equal(placementForTask('jobs', { ...base, config: {}, env: { SKYDECK_CONTROLLER: 'local' } }), 'local');
  assert.equal(placementForTask('jobs', { ...base, config: {}, env: { SKYDECK_CONTROLLER: 'local' }, flag: 'cluster' }), 'cluster');
  assert.equal(placementForTask('jobs', { ...base, config: { jobs: { controller: { consolidation_mode: true } } }, env }), 'local');
  assert.equal(placementForTask('serve', { ...base, config: { jobs: { controller: { consolidation_mode: true } } }, env }), 'cluster');
  assert.equal(
    placementForTask('jobs', {
      taskFile: taskOn('local'),
      enabledInfra: ['local', 'ssh/p'],
      credentialClouds: none,
      config: { jobs: { controller: { resources: { infra: 'ssh/p' } } } },
      env,
    }),
    'cluster',
  );
  assert.throws(() => placementForTask('jobs', { ...base, config: {}, env, flag: 'remote' }), /--controller must be 'local' or 'cluster' \(got 'remote'\)/);
});

test('verbs on existing jobs go where the controller cluster is, unless told otherwise', () => {
  assert.equal(placementForVerb('jobs', { config: {}, env, clusterExists: true }), 'cluster');
  assert.equal(placementForVerb('jobs', { config: {}, env, clusterExists: false }), 'local');
  assert.equal(placementForVerb('jobs', { config: {}, env, clusterExists: true, flag: 'local' }), 'local');
});
