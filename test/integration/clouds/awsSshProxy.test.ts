/**
 * `aws.use_internal_ips` and `aws.ssh_proxy_command` end to end. The node (netns host h2) has no
 * route from this machine: its link is moved off the test bridge into the jump host's (h1)
 * namespace, so the only way in is `ssh -W %h:%p` through h1, the ProxyCommand of the config.
 * The test proves the direct path fails, then that exec, file upload, the launch's SSH wait, a
 * cluster job and its log, and plain OpenSSH through the generated `Host <cluster>` entry (what
 * Remote-SSH uses) all go through the proxy; that a `{region: command}` mapping keeps the launch
 * out of regions it does not list; and that a proxy command that cannot run fails at once with
 * the key and the file:line it was set on.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { motoInstalled, startMoto, type MotoServer } from '../../helpers/moto';
import { netnsSkipReason, startSshHosts, type SshHost, type SshTestHosts } from '../../helpers/sshd';
import { startTogether } from '../../helpers/startTogether';
import { requirePrerequisite } from '../../helpers/prerequisites';
import { fastAgent, freshHome, makeTask, useMotoAws, useTestHostKey } from '../cluster/helpers';
import { clusters, clusterSshConfigPath } from '../../../engine/cluster';
import { closeAllSshConnections, SshTransport } from '../../../engine/node/ssh';
import { isTransportError } from '../../../engine/node/transport';
import { resolveConfig, setActiveConfig } from '../../../engine/config';

const skip = requirePrerequisite(netnsSkipReason() ?? (motoInstalled() ? undefined : 'moto (installed into .tools/moto by scripts/setup/30-moto.sh)'));
const SAVED_ENV = { ...process.env };

function ip(...args: string[]): string {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr.trim()}`);
  return r.stdout;
}

/** This process's netns of host `name` (h1, h2): the helper names them skdt<pid>-<seq>-<name>. */
function netnsOf(name: string): string {
  const found = ip('netns', 'list')
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[0])
    .filter((n) => n && n.startsWith(`skdt${process.pid}-`) && n.endsWith(`-${name}`));
  assert.equal(found.length, 1, `netns of ${name}: ${found.join(', ')}`);
  return found[0];
}

/**
 * Moves `target`'s link off the bridge into `jump`'s namespace: the jump host reaches the
 * target on a /32 route, this machine no longer reaches it at all (no forwarding in between).
 */
function hideBehind(jump: SshHost, target: SshHost): void {
  const jumpNs = netnsOf(jump.name);
  const targetNs = netnsOf(target.name);
  const peer = /eth0@if(\d+)/.exec(ip('-n', targetNs, '-o', 'link', 'show', 'eth0'))?.[1];
  assert.ok(peer, 'peer ifindex of the target host link');
  const veth = new RegExp(`^${peer}: ([^@:]+)[@:]`, 'm').exec(ip('-o', 'link', 'show'))?.[1];
  assert.ok(veth, `root-side link ${peer}`);
  const side = `${target.host.split('.').slice(0, 3).join('.')}.254`;
  ip('link', 'set', veth, 'nomaster');
  ip('link', 'set', veth, 'netns', jumpNs);
  ip('-n', jumpNs, 'addr', 'add', `${side}/32`, 'dev', veth);
  ip('-n', jumpNs, 'link', 'set', veth, 'up');
  ip('-n', jumpNs, 'route', 'add', `${target.host}/32`, 'dev', veth, 'src', side);
}

describe('aws.use_internal_ips + aws.ssh_proxy_command: a node reachable only through a jump host', { skip, concurrency: false, timeout: 480_000 }, () => {
  let moto: MotoServer;
  let hosts: SshTestHosts;
  let env: ReturnType<typeof freshHome>;
  let ec2: EC2Client;
  let jump: SshHost;
  let node: SshHost;
  let proxy: string;
  let configFile: string;

  /** Writes the user config (SKYDECK_HOME/config.yaml) and puts it in force with its origins, as a command does. */
  const useConfig = (text: string): void => {
    fs.writeFileSync(configFile, text);
    const r = resolveConfig();
    setActiveConfig(r.config, r.origins);
  };

  before(async () => {
    env = freshHome();
    fastAgent(400);
    [moto, hosts] = await startTogether<[MotoServer, SshTestHosts]>([startMoto(), startSshHosts({ loopback: false, netnsHosts: 2 })], (s) => s.stop());
    [jump, node] = hosts.hosts;
    hideBehind(jump, node);
    useTestHostKey(env.home, hosts);
    configFile = path.join(env.home, 'config.yaml');
    proxy = `ssh -W %h:%p -i ${hosts.keyPath} -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes -o LogLevel=ERROR root@${jump.host}`;
    ec2 = new EC2Client({ region: 'us-west-2', endpoint: moto.url, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
    // The instance's private IP stands for the hidden host.
    useMotoAws(env.home, moto.proxyUrl, [node]);
  });

  after(async () => {
    await clusters.down('proxied').catch(() => undefined);
    setActiveConfig(undefined);
    closeAllSshConnections();
    await Promise.allSettled([moto?.stop(), hosts?.stop()]);
    env?.cleanup();
    process.env = SAVED_ENV;
  });

  test('the node cannot be reached directly; through the ProxyCommand exec, putFile and putDir work', async () => {
    const direct = new SshTransport({
      host: node.host,
      port: node.port,
      user: node.user,
      keyPath: hosts.keyPath,
      hostKey: 'accept-any',
      connectTimeoutMs: 2000,
    });
    await assert.rejects(direct.exec(['true']), (e: unknown) => isTransportError(e));
    await direct.close();

    const t = new SshTransport({ host: node.host, port: node.port, user: node.user, keyPath: hosts.keyPath, hostKey: 'accept-any', proxyCommand: proxy });
    try {
      const r = await t.exec(['hostname']);
      assert.equal(r.stdout.trim(), node.hostname);
      await t.putFile('~/proxied/one.txt', 'through the jump host\n');
      const local = fs.mkdtempSync(path.join(os.tmpdir(), 'skydeck-proxy-dir-'));
      fs.writeFileSync(path.join(local, 'a.txt'), 'A');
      fs.mkdirSync(path.join(local, 'sub'));
      fs.writeFileSync(path.join(local, 'sub', 'b.txt'), 'B');
      await t.putDir(local, '~/proxied/tree');
      fs.rmSync(local, { recursive: true, force: true });
      const cat = await t.exec(['sh', '-c', 'cat ~/proxied/one.txt ~/proxied/tree/a.txt ~/proxied/tree/sub/b.txt']);
      assert.equal(cat.stdout, 'through the jump host\nAB');
      assert.ok(fs.existsSync(path.join(node.homeDir, 'proxied', 'tree', 'sub', 'b.txt')), 'the file landed on the hidden host');
      const shell = t.interactiveShell();
      assert.ok(shell.argv.includes(`ProxyCommand=${proxy}`), shell.argv.join(' '));
    } finally {
      await t.close();
    }
  });

  test('a {region: command} mapping: launch skips the unlisted region, runs through the proxy; logs and Remote-SSH go the same way', async () => {
    useConfig(['aws:', '  use_internal_ips: true', '  ssh_proxy_command:', `    us-west-2: ${proxy}`, ''].join('\n'));
    let out = '';
    const messages: string[] = [];
    const r = await clusters.launch(makeTask({ infra: { cloud: 'aws' }, run: 'echo "on $(hostname)"' }), {
      clusterName: 'proxied',
      onProgress: (e) => messages.push(e.message),
      onOutput: (c) => (out += c),
    });
    assert.equal(r.jobStatus, 'SUCCEEDED', out);
    assert.equal(r.cluster.resources.region, 'us-west-2', 'us-east-1 is cheaper but the mapping does not list it');
    // The optimizer never chose us-east-1 (SkyPilot drops unlisted regions from the candidates).
    assert.doesNotMatch(messages.join('\n'), /Launching on aws\/us-east-1/);
    assert.match(out, new RegExp(`on ${node.hostname}`));
    assert.equal(
      moto.calls.filter((c) => c.action === 'RunInstances' && c.region === 'us-east-1').length,
      0,
      'nothing is launched in a region the mapping leaves out',
    );

    // use_internal_ips: the instance got no public IP.
    const described = await ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'tag:skydeck-cluster', Values: [r.cluster.handle.nameOnCloud] }] }));
    const inst = (described.Reservations ?? []).flatMap((x) => x.Instances ?? []).filter((i) => i.State?.Name === 'running');
    assert.equal(inst.length, 1);
    assert.equal(inst[0].PublicIpAddress, undefined, 'use_internal_ips launches without a public IP');

    // A later command (exec) and the job log go through the proxy stored with the cluster.
    const e = await clusters.exec('proxied', makeTask({ run: 'echo exec-on-$(hostname)' }), { onOutput: () => undefined });
    assert.equal(e.jobStatus, 'SUCCEEDED');
    let log = '';
    await clusters.tailLogs('proxied', e.jobId, { follow: false, onData: (c) => (log += c) });
    assert.match(log, new RegExp(`exec-on-${node.hostname}`));

    // Remote-SSH: plain OpenSSH with the generated entry reaches the hidden node.
    const entry = fs.readFileSync(clusterSshConfigPath('proxied'), 'utf8');
    assert.match(entry, new RegExp(`HostName ${node.host.replace(/\./g, '\\.')}\\n`));
    assert.ok(entry.includes(`ProxyCommand ${proxy}\n`), entry);
    const ssh = spawnSync('ssh', ['-F', clusterSshConfigPath('proxied'), '-o', 'BatchMode=yes', 'proxied', 'hostname'], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(ssh.status, 0, ssh.stderr);
    assert.equal(ssh.stdout.trim(), node.hostname);
    await clusters.down('proxied');
  });

  test('a proxy command that cannot run fails the launch at once, naming the key and its file:line', async (t) => {
    useConfig(['aws:', '  use_internal_ips: true', '  ssh_proxy_command: skydeck-no-such-proxy %h %p', ''].join('\n'));
    await assert.rejects(clusters.launch(makeTask({ infra: { cloud: 'aws' }, run: 'true' }), { clusterName: 'badproxy' }), (err: Error) => {
      t.diagnostic(err.message);
      assert.match(err.message, new RegExp(`aws\\.ssh_proxy_command \\(${configFile.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:3\\)`));
      assert.match(err.message, /its program was not found/);
      return true;
    });
    await clusters.down('badproxy').catch(() => undefined);
  });
});
