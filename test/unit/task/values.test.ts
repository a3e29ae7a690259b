import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  parseAccelerators,
  parseInfra,
  parsePorts,
  parseQuantity,
  parseAutostop,
  parseJobRecovery,
  parseDiskSize,
  TaskValueError,
} from '../../../engine/task/load';
import { closeMatches, ratio } from '../../../engine/task/difflib';

test('accelerators: every accepted form', () => {
  assert.deepEqual(parseAccelerators('A100'), { requests: [{ name: 'A100', count: 1 }], ordered: false });
  assert.deepEqual(parseAccelerators('A100:8'), { requests: [{ name: 'A100', count: 8 }], ordered: false });
  assert.deepEqual(parseAccelerators('T4:0.5')?.requests, [{ name: 'T4', count: 0.5 }]);
  assert.deepEqual(parseAccelerators({ A100: 8 })?.requests, [{ name: 'A100', count: 8 }]);
  assert.deepEqual(parseAccelerators({ 'A100:1': null, 'V100:2': null }), {
    requests: [
      { name: 'A100', count: 1 },
      { name: 'V100', count: 2 },
    ],
    ordered: false,
  });
  assert.deepEqual(parseAccelerators(['A100:8', 'H100:8']), {
    requests: [
      { name: 'A100', count: 8 },
      { name: 'H100', count: 8 },
    ],
    ordered: true,
  });
  assert.deepEqual(parseAccelerators('tpu-V5E-8')?.requests, [{ name: 'tpu-v5e-8', count: 1 }]);
  assert.deepEqual(parseAccelerators('80GB+')?.requests, [{ name: '80GB+', count: 1, memory: { gb: 80, orMore: true } }]);
  assert.deepEqual(parseAccelerators('nvidia:24GB:2')?.requests, [
    { name: 'nvidia:24GB', count: 2, memory: { gb: 24, orMore: false, manufacturer: 'nvidia' } },
  ]);
  assert.equal(parseAccelerators(null), undefined);
  assert.throws(() => parseAccelerators('A100:0'), TaskValueError);
  assert.throws(() => parseAccelerators('A100:x'), /not a number/);
});

test('infra: clouds, wildcards, kubernetes contexts with slashes, ssh pools', () => {
  assert.deepEqual(parseInfra('aws'), { cloud: 'aws' });
  assert.deepEqual(parseInfra('GCP/us-central1/us-central1-a'), { cloud: 'gcp', region: 'us-central1', zone: 'us-central1-a' });
  assert.deepEqual(parseInfra('*/us-east-1'), { region: 'us-east-1' });
  assert.deepEqual(parseInfra('k8s'), { cloud: 'kubernetes' });
  assert.deepEqual(parseInfra('k8s/arn:aws:eks:us-east-1:1:cluster/x'), { cloud: 'kubernetes', region: 'arn:aws:eks:us-east-1:1:cluster/x' });
  assert.deepEqual(parseInfra('ssh/my-pool'), { cloud: 'ssh', region: 'my-pool' });
  assert.deepEqual(parseInfra('/local/'), { cloud: 'local' });
  assert.throws(() => parseInfra('aws//x'), /empty part/);
  assert.throws(() => parseInfra('aws/a/b/c'), /too many parts/);
  assert.throws(() => parseInfra('mycloud'), /unknown cloud/);
});

test('cpus / memory / disk sizes', () => {
  assert.deepEqual(parseQuantity(4, 'cpus'), { value: 4, orMore: false });
  assert.deepEqual(parseQuantity('4+', 'cpus'), { value: 4, orMore: true });
  assert.deepEqual(parseQuantity('32GB', 'memory'), { value: 32, orMore: false });
  assert.deepEqual(parseQuantity('1TB+', 'memory'), { value: 1024, orMore: true });
  assert.deepEqual(parseQuantity('512mb', 'memory'), { value: 0.5, orMore: false });
  assert.deepEqual(parseQuantity('4x', 'memory'), { value: 4, orMore: false, perCpu: true });
  assert.throws(() => parseQuantity('0', 'cpus'), /greater than 0/);
  assert.throws(() => parseQuantity('4x', 'cpus'), /Invalid cpus/);
  assert.equal(parseDiskSize('1TB'), 1024);
  assert.equal(parseDiskSize(256), 256);
});

test('ports: normalized, merged, sorted', () => {
  assert.deepEqual(parsePorts(8080), ['8080']);
  assert.deepEqual(parsePorts('8000,9000'), ['8000', '9000']);
  assert.deepEqual(parsePorts(['8001-8010', 8000, '9000']), ['8000-8010', '9000']);
  assert.throws(() => parsePorts('0'), /1 to 65535/);
});

test('autostop and job_recovery forms', () => {
  assert.deepEqual(parseAutostop(true), { idleMinutes: 0, down: false, enabled: true });
  assert.deepEqual(parseAutostop(false), { idleMinutes: -1, down: false, enabled: false });
  assert.equal(parseAutostop('2h')?.idleMinutes, 120);
  assert.equal(parseAutostop('1w')?.idleMinutes, 10080);
  assert.deepEqual(parseAutostop({ idle_minutes: 10, down: true, wait_for: 'JOBS' }), { idleMinutes: 10, down: true, enabled: true, waitFor: 'jobs' });
  assert.deepEqual(parseJobRecovery('failover'), { strategy: 'FAILOVER' });
  assert.deepEqual(parseJobRecovery({ strategy: null, max_restarts_on_errors: 3, recover_on_exit_codes: 33 }), {
    maxRestartsOnErrors: 3,
    recoverOnExitCodes: [33],
  });
  assert.throws(() => parseJobRecovery('sometimes'), /Unknown job_recovery strategy/);
});

test('difflib ratio and close matches behave like Python', () => {
  assert.equal(ratio('setups', 'setup'), 10 / 11);
  assert.equal(ratio('abcd', 'bcde'), 0.75);
  assert.deepEqual(closeMatches('appel', ['ape', 'apple', 'peach', 'puppy']), ['apple', 'ape']);
  assert.deepEqual(closeMatches('wheel', ['while', 'wheels', 'wheel']), ['wheel', 'wheels', 'while']);
  assert.deepEqual(closeMatches('xyz', ['run', 'setup']), []);
});
