/**
 * `<cloud>.use_internal_ips` and `<cloud>.ssh_proxy_command`: what each cloud and region gets
 * (with the file:line it came from), OpenSSH's token expansion, the warnings that no longer
 * fire, the ssh config entry, and a proxy that fails before the handshake.
 */
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { resolveConfig, setActiveConfig, unhonouredWarnings } from '../../../engine/config';
import { networkingFor, proxyRegions, RegionWithoutProxyError } from '../../../engine/config/networking';
import { expandProxyCommand } from '../../../engine/node/proxyCommand';
import { SshTransport } from '../../../engine/node/ssh';
import { isTransportError } from '../../../engine/node/transport';
import { toNodeInfos } from '../../../engine/vmShared/nodes';
import { hostEntries, renderHostEntries } from '../../../engine/cluster/sshConfig';

const SAVED = { ...process.env };
afterEach(() => {
  setActiveConfig(undefined);
  process.env = { ...SAVED };
});

function configFile(text: string): { file: string; env: NodeJS.ProcessEnv } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skydeck-net-'));
  const file = path.join(dir, 'config.yaml');
  fs.writeFileSync(file, text);
  return { file, env: { ...process.env, SKYPILOT_GLOBAL_CONFIG: file, SKYPILOT_PROJECT_CONFIG: '', HOME: dir, SKYDECK_HOME: path.join(dir, 'home') } };
}

test('a string command applies to every region, named with its file:line; use_internal_ips is per cloud', () => {
  const { file, env } = configFile('aws:\n  use_internal_ips: true\n  ssh_proxy_command: ssh -W %h:%p jump\ngcp:\n  use_internal_ips: false\n');
  const r = resolveConfig({ env });
  const aws = networkingFor('aws', 'eu-west-1', r.config, r.origins);
  assert.deepEqual(aws, { useInternalIps: true, proxyCommand: 'ssh -W %h:%p jump', proxyCommandSource: `aws.ssh_proxy_command (${file}:3)` });
  assert.deepEqual(networkingFor('gcp', 'us-central1', r.config, r.origins), { useInternalIps: false });
  assert.deepEqual(networkingFor('azure', 'eastus', r.config, r.origins), { useInternalIps: false });
  assert.equal(proxyRegions('aws', r.config), undefined);
});

test('a {region: command} mapping: each listed region its command (null: none), an unlisted region is not used', () => {
  const { file, env } = configFile('azure:\n  ssh_proxy_command:\n    eastus: ssh -W %h:%p east-jump\n    westus: null\n');
  const r = resolveConfig({ env });
  assert.deepEqual(networkingFor('azure', 'eastus', r.config, r.origins), {
    useInternalIps: false,
    proxyCommand: 'ssh -W %h:%p east-jump',
    proxyCommandSource: `azure.ssh_proxy_command.eastus (${file}:3)`,
  });
  assert.deepEqual(networkingFor('azure', 'westus', r.config, r.origins), { useInternalIps: false });
  assert.throws(
    () => networkingFor('azure', 'northeurope', r.config, r.origins),
    (e: unknown) => e instanceof RegionWithoutProxyError && /eastus, westus only, not for northeurope/.test(e.message),
  );
  assert.deepEqual(proxyRegions('azure', r.config), ['eastus', 'westus']);
});

test('a multi-line command is refused with its key and line', () => {
  const { file, env } = configFile('gcp:\n  ssh_proxy_command: |\n    ssh -W %h:%p\n    jump\n');
  const r = resolveConfig({ env });
  assert.throws(
    () => networkingFor('gcp', 'us-central1', r.config, r.origins),
    new RegExp(`gcp\\.ssh_proxy_command \\(${file}:2\\): the SSH proxy command must be one line`),
  );
});

test("OpenSSH's tokens: %h %p %r %n %%; an unknown token names the key", () => {
  const target = { host: '10.0.0.5', port: 2222, user: 'ubuntu' };
  assert.equal(expandProxyCommand({ command: 'ssh -W %h:%p -l %r jump # %n 100%%' }, target), 'ssh -W 10.0.0.5:2222 -l ubuntu jump # 10.0.0.5 100%');
  assert.throws(
    () => expandProxyCommand({ command: 'nc %h %x', source: 'aws.ssh_proxy_command (/c.yaml:2)' }, target),
    /aws\.ssh_proxy_command \(\/c\.yaml:2\) has an unknown token '%x'/,
  );
});

test('the networking keys are honoured: no "not honoured" warning for them', () => {
  const { env } = configFile(
    'aws:\n  use_internal_ips: true\n  ssh_proxy_command: x\n  use_ssm: true\ngcp:\n  use_internal_ips: true\n  force_enable_external_ips: true\n  ssh_proxy_command: {us-east1: x}\nazure:\n  use_internal_ips: true\n  ssh_proxy_command: x\n',
  );
  const r = resolveConfig({ env });
  assert.deepEqual(
    unhonouredWarnings(r.config, r.origins).map((w) => w.key),
    ['aws.use_ssm'],
  );
});

test('nodes: internal IPs only, and the proxy goes with every endpoint and into the ssh config entry', () => {
  delete process.env.SKYDECK_TEST_ADDRESS_MAP;
  process.env.SKYDECK_HOME = fs.mkdtempSync(path.join(os.tmpdir(), 'skydeck-net-home-'));
  const instances = [
    { id: 'i-1', isHead: true, state: 'running' as const, internalIp: '10.0.0.5', externalIp: '54.1.2.3' },
    { id: 'i-2', isHead: false, state: 'running' as const, internalIp: '10.0.0.6', externalIp: '54.1.2.4' },
  ];
  const net = { useInternalIps: true, proxyCommand: 'ssh -W %h:%p jump', proxyCommandSource: 'aws.ssh_proxy_command (/c.yaml:3)' };
  const nodes = toNodeInfos(instances, 'ubuntu', '/k', net);
  assert.deepEqual(
    nodes.map((n) => [n.ssh?.host, n.ssh?.proxyCommand]),
    [
      ['10.0.0.5', 'ssh -W %h:%p jump'],
      ['10.0.0.6', 'ssh -W %h:%p jump'],
    ],
  );
  assert.deepEqual(
    toNodeInfos(instances, 'ubuntu', '/k').map((n) => n.ssh?.host),
    ['54.1.2.3', '54.1.2.4'],
    'without the key: public IPs',
  );
  const text = renderHostEntries('c', hostEntries('c', nodes), { knownHostsFile: '/kh' });
  assert.match(text, /Host c\n {2}HostName 10\.0\.0\.5\n/);
  assert.match(text, /Host c-worker1\n {2}HostName 10\.0\.0\.6\n/);
  assert.match(text, /ProxyCommand ssh -W %h:%p jump\n/);
  assert.match(text, /StrictHostKeyChecking accept-new\n {2}UserKnownHostsFile \/kh\n/, "a user's proxy keeps host keys checked");
});

test('a proxy that exits before the handshake: a TransportError naming the key, the code and what it said', async () => {
  const t = new SshTransport({
    host: '10.0.0.5',
    port: 22,
    user: 'ubuntu',
    privateKey: generateKeyPairSync('rsa', {
      modulusLength: 2048,
      publicKeyEncoding: { type: 'pkcs1', format: 'pem' },
      privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
    }).privateKey,
    hostKey: 'accept-any',
    proxyCommand: 'sh -c "echo jump host refused %h:%p >&2; exit 255"',
    proxyCommandSource: 'aws.ssh_proxy_command (/c.yaml:3)',
  });
  await assert.rejects(t.exec(['true']), (e: unknown) => {
    assert.ok(isTransportError(e));
    assert.match(
      (e as Error).message,
      /SSH proxy command of aws\.ssh_proxy_command \(\/c\.yaml:3\) could not connect to ubuntu@10\.0\.0\.5:22: it exited with code 255/,
    );
    assert.match((e as Error).message, /jump host refused 10\.0\.0\.5:22/);
    return true;
  });
  await t.close();
});
