/** An SSH pool's `password` (SkyPilot: sudo for `sky ssh up`) is accepted but never kept, so it cannot reach cluster records. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readNodePools } from '../../../engine/infra/ssh/pools';

test('pool and host passwords are parsed past and appear nowhere in what the provider stores', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skydeck-poolpw-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const f = path.join(dir, 'ssh_node_pools.yaml');
  fs.writeFileSync(f, 'p:\n  user: ubuntu\n  password: pool-Secret-1\n  hosts:\n    - 10.0.0.1\n    - {ip: 10.0.0.2, password: host-Secret-2}\n');
  const pools = readNodePools(f);
  assert.deepEqual(
    pools[0].hosts.map((h) => h.id),
    ['ubuntu@10.0.0.1:22', 'ubuntu@10.0.0.2:22'],
  );
  // PoolHost objects are what the ssh provider puts in the cluster handle (state/clusters.json).
  const stored = JSON.stringify(pools);
  assert.ok(!stored.includes('Secret'), stored);
  assert.ok(pools[0].hosts.every((h) => !('password' in h)));
});
