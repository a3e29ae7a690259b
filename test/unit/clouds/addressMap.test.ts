/** The test mapping from instance addresses to SSH endpoints, ports parsing and rank order. */
import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseEndpoint, resolveSshEndpoint } from '../../../engine/vmShared/addressMap';
import { toNodeInfos } from '../../../engine/vmShared/nodes';
import { parsePorts } from '../../../engine/vmShared/ports';

describe('SKYDECK_TEST_ADDRESS_MAP', () => {
  afterEach(() => delete process.env.SKYDECK_TEST_ADDRESS_MAP);

  it('without a mapping, the first address on port 22', () => {
    assert.deepEqual(resolveSshEndpoint(['54.1.2.3', '10.0.0.5'], 0), { host: '54.1.2.3', port: 22 });
  });
  it('exact keys win over the rank pool; the pool is handed out by rank', () => {
    process.env.SKYDECK_TEST_ADDRESS_MAP = JSON.stringify({ '10.0.0.6': 'me@127.0.0.1:2222', '*': ['root@10.99.1.2', 'root@10.99.2.2:2200'] });
    assert.deepEqual(resolveSshEndpoint(['54.1.2.4', '10.0.0.6'], 1), { user: 'me', host: '127.0.0.1', port: 2222 });
    assert.deepEqual(resolveSshEndpoint(['54.1.2.3'], 0), { user: 'root', host: '10.99.1.2', port: 22 });
    assert.deepEqual(resolveSshEndpoint(['54.1.2.5'], 1), { user: 'root', host: '10.99.2.2', port: 2200 });
    assert.throws(() => resolveSshEndpoint(['54.1.2.9'], 2), /no entry for node 54\.1\.2\.9/);
  });
  it('reads @file, and rejects what is not a JSON object', () => {
    const f = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'skydeck-map-')), 'map.json');
    fs.writeFileSync(f, JSON.stringify({ '1.2.3.4': '127.0.0.1:22' }));
    process.env.SKYDECK_TEST_ADDRESS_MAP = `@${f}`;
    assert.equal(resolveSshEndpoint(['1.2.3.4'], 0).host, '127.0.0.1');
    process.env.SKYDECK_TEST_ADDRESS_MAP = '[1,2]';
    assert.throws(() => resolveSshEndpoint(['1.2.3.4'], 0), /not a JSON object/);
    fs.rmSync(path.dirname(f), { recursive: true, force: true });
  });
  it('mapped nodes carry the mapped host as their address (so the head reaches workers there)', () => {
    process.env.SKYDECK_TEST_ADDRESS_MAP = JSON.stringify({ '*': ['root@10.99.1.2', 'root@10.99.2.2'] });
    const nodes = toNodeInfos(
      [
        { id: 'i-2', isHead: false, state: 'running', internalIp: '172.31.0.9', externalIp: '3.3.3.3' },
        { id: 'i-1', isHead: true, state: 'running', internalIp: '172.31.0.10', externalIp: '3.3.3.4' },
        { id: 'i-3', isHead: false, state: 'stopped', internalIp: '172.31.0.2' },
      ],
      'ubuntu',
    );
    assert.deepEqual(
      nodes.map((n) => [n.id, n.rank, n.internalIp, n.ssh?.user]),
      [
        ['i-1', 0, '10.99.1.2', 'root'],
        ['i-3', 1, '172.31.0.2', undefined],
        ['i-2', 2, '172.31.0.9', undefined],
      ],
    );
  });
  it('parses endpoints and ports', () => {
    assert.deepEqual(parseEndpoint('[::1]:2022'), { user: undefined, host: '::1', port: 2022 });
    assert.deepEqual(parsePorts(['8080', '10000-10010']), [
      { from: 8080, to: 8080 },
      { from: 10000, to: 10010 },
    ]);
    assert.throws(() => parsePorts(['70000']), /Invalid port/);
    assert.throws(() => parsePorts(['9-3']), /Invalid port/);
  });
});

describe('rank order without a mapping', () => {
  it('head first, then workers by IP (numerically)', () => {
    const nodes = toNodeInfos(
      [
        { id: 'b', isHead: false, state: 'running', internalIp: '10.0.0.10' },
        { id: 'c', isHead: false, state: 'running', internalIp: '10.0.0.9' },
        { id: 'a', isHead: true, state: 'running', internalIp: '10.0.0.20' },
      ],
      'gcpuser',
      '/k',
    );
    assert.deepEqual(
      nodes.map((n) => n.id),
      ['a', 'c', 'b'],
    );
    assert.deepEqual(nodes[0].ssh, { host: '10.0.0.20', port: 22, user: 'gcpuser', identityFile: '/k' });
  });
});
