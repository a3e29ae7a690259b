/**
 * Host keys at VM launch: keys a cloud publishes for a new VM are recorded before the first
 * connection (replacing what an earlier VM at the reused address left); without them the
 * address is forgotten so the first connection records the new VM's key; nodes that already
 * existed keep their entries; under a test address mapping the published keys are not used.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { recordNewNodeHostKeys } from '../../../engine/vmShared/hostKeys';
import { fingerprint, lookupHost, recordHostKeys, skydeckKnownHostsFile, verifyHostKey } from '../../../engine/node/knownHosts';
import { generateEd25519 } from '../../../engine/cluster/keys';
import type { NodeInfo } from '../../../engine/infra/provider';

function key(): { type: string; key: string; blob: Buffer } {
  const [type, b64] = generateEd25519('vm').publicKey.split(' ');
  return { type, key: b64, blob: Buffer.from(b64, 'base64') };
}

const node = (id: string, host: string): NodeInfo => ({ id, rank: 0, state: 'running', internalIp: '10.0.0.1', ssh: { host, port: 22, user: 'ubuntu' } });

test('published keys recorded, unpublished addresses forgotten, existing nodes untouched, test mapping ignores published keys', async (t) => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'skydeck-launchkeys-'));
  const saved = { home: process.env.SKYDECK_HOME, map: process.env.SKYDECK_TEST_ADDRESS_MAP };
  t.after(() => {
    fs.rmSync(home, { recursive: true, force: true });
    for (const [k, v] of [
      ['SKYDECK_HOME', saved.home],
      ['SKYDECK_TEST_ADDRESS_MAP', saved.map],
    ] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });
  process.env.SKYDECK_HOME = home;
  delete process.env.SKYDECK_TEST_ADDRESS_MAP;
  const file = skydeckKnownHostsFile();
  const [oldA, oldB, oldC, published] = [key(), key(), key(), key()];
  // Keys a previous VM at each address left.
  recordHostKeys(file, '203.0.113.1', [oldA]);
  recordHostKeys(file, '203.0.113.2', [oldB]);
  recordHostKeys(file, '203.0.113.3', [oldC]);

  const console = `[  5.1] cloud-init[901]: ...\n-----BEGIN SSH HOST KEY KEYS-----\n${published.type} ${published.key} root@vm-a\n-----END SSH HOST KEY KEYS-----\n`;
  const asked: string[] = [];
  const n = await recordNewNodeHostKeys(
    [node('vm-a', '203.0.113.1'), node('vm-b', '203.0.113.2'), node('vm-old', '203.0.113.3')],
    new Set(['vm-a', 'vm-b']),
    async (nd) => {
      asked.push(nd.id);
      if (nd.id === 'vm-b') throw new Error('console output not available yet');
      return console;
    },
  );
  assert.equal(n, 1);
  assert.deepEqual(asked.sort(), ['vm-a', 'vm-b'], 'only new nodes are looked up');
  assert.deepEqual(
    lookupHost(file, '203.0.113.1').map((e) => fingerprint(Buffer.from(e.key, 'base64'))),
    [fingerprint(published.blob)],
    'the published key replaced the old one',
  );
  assert.equal(verifyHostKey(file, '203.0.113.1', published.blob, { acceptNew: false, target: 'x' }), undefined, 'checked strictly from the first connection');
  assert.deepEqual(lookupHost(file, '203.0.113.2'), [], 'nothing published: forgotten, the first connection records it');
  assert.equal(lookupHost(file, '203.0.113.3').length, 1, 'a node that already existed keeps its key');

  process.env.SKYDECK_TEST_ADDRESS_MAP = '{"*": ["root@127.0.0.1:2222"]}';
  recordHostKeys(file, '203.0.113.4', [oldA]);
  assert.equal(await recordNewNodeHostKeys([node('vm-c', '203.0.113.4')], new Set(['vm-c']), async () => console), 0);
  assert.deepEqual(lookupHost(file, '203.0.113.4'), [], 'mapped to a test sshd: its own key will be recorded on first use');
});
