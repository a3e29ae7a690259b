/**
 * `provision.ssh_timeout`: how long one SSH probe of a new node may take. A loopback server
 * sends its SSH banner 1.5 s after a connection opens: probes of 1 s never see it (the wait
 * times out), probes of 3 s do. Both timers run in this process, so which fires first does not
 * depend on the machine's load.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as net from 'node:net';
import { setActiveConfig } from '../../../engine/config';
import { sshProbeTimeoutMs, waitForSshBanner } from '../../../engine/vmShared/sshWait';

let server: net.Server;
let port: number;
const timers = new Set<NodeJS.Timeout>();

before(async () => {
  server = net.createServer((sock) => {
    sock.on('error', () => undefined);
    const t = setTimeout(() => sock.writable && sock.end('SSH-2.0-Slow\r\n'), 1500);
    timers.add(t);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as net.AddressInfo).port;
});
after(() => {
  setActiveConfig(undefined);
  for (const t of timers) clearTimeout(t);
  server.close();
});

test('provision.ssh_timeout sets the probe timeout (default 5 s)', () => {
  setActiveConfig(undefined);
  assert.equal(sshProbeTimeoutMs(), 5000);
  setActiveConfig({ provision: { ssh_timeout: 12 } });
  assert.equal(sshProbeTimeoutMs(), 12_000);
});

test('probes shorter than the banner delay never succeed; longer ones do', async () => {
  const endpoint = { host: '127.0.0.1', port };
  setActiveConfig({ provision: { ssh_timeout: 1 } });
  await assert.rejects(waitForSshBanner(endpoint, { timeoutMs: 2500 }), /SSH on 127\.0\.0\.1/);
  setActiveConfig({ provision: { ssh_timeout: 3 } });
  await waitForSshBanner(endpoint, { timeoutMs: 60_000 });
});
