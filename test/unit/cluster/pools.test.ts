import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readNodePools } from '../../../engine/infra/ssh/pools';

function file(t: { after: (fn: () => void) => void }, text: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skydeck-pools-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const f = path.join(dir, 'ssh_node_pools.yaml');
  fs.writeFileSync(f, text);
  return f;
}

test("SkyPilot's format: pool defaults, string hosts, dict hosts with overrides", (t) => {
  const f = file(
    t,
    `my-box:
  user: ubuntu
  identity_file: /keys/id
  hosts:
    - 10.0.0.1
    - admin@10.0.0.2:2222
    - ip: 10.0.0.3
      user: root
      identity_file: /keys/other
      port: 2200
other:
  hosts:
    - {ip: 192.168.1.5, user: me}
`,
  );
  const pools = readNodePools(f);
  assert.deepEqual(
    pools.map((p) => [p.name, p.hosts.map((h) => [h.id, h.identityFile])]),
    [
      [
        'my-box',
        [
          ['ubuntu@10.0.0.1:22', '/keys/id'],
          ['admin@10.0.0.2:2222', '/keys/id'],
          ['root@10.0.0.3:2200', '/keys/other'],
        ],
      ],
      ['other', [['me@192.168.1.5:22', undefined]]],
    ],
  );
});

test('missing file: no pools; errors name the file and the pool', (t) => {
  assert.deepEqual(readNodePools('/nonexistent/ssh_node_pools.yaml'), []);
  assert.throws(() => readNodePools(file(t, 'p:\n  hosts: []\n')), /pool 'p' has no hosts/);
  assert.throws(() => readNodePools(file(t, 'p:\n  hosts: [10.0.0.1]\n')), /pool 'p', host 10\.0\.0\.1: no user/);
  assert.throws(() => readNodePools(file(t, 'p:\n  user: a\n  hosts: [1.1.1.1]\np:\n  user: b\n  hosts: [2.2.2.2]\n')), /ssh_node_pools\.yaml/);
});
