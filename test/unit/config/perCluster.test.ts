import { test } from 'node:test';
import assert from 'node:assert/strict';
import { valueForCluster } from '../../../engine/config/perCluster';
import type { ConfigValue } from '../../../engine/config/types';

test('a per-cluster config value: one string for all, else the first glob that matches the cluster name', () => {
  assert.equal(valueForCluster('sg', 'any'), 'sg');
  const list: ConfigValue = [{ 'train-*': 'train-sg' }, { 'dev-?': 'dev-sg' }, { '*': 'default-sg' }];
  assert.equal(valueForCluster(list, 'train-7'), 'train-sg');
  assert.equal(valueForCluster(list, 'dev-a'), 'dev-sg');
  assert.equal(valueForCluster(list, 'dev-ab'), 'default-sg');
  assert.equal(valueForCluster([{ 'train-*': 'train-sg' }], 'other'), undefined);
  assert.equal(valueForCluster(undefined, 'x'), undefined);
});
