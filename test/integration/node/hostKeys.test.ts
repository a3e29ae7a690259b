/**
 * Host keys against a real sshd on an SSH-pool host: the first connection records the key in
 * SkyDeck's known_hosts; after the host's key is regenerated (sshd restarted with a new key)
 * the engine refuses to connect, saying which host, both fingerprints and what to do, and
 * plain OpenSSH through the generated ssh config refuses as well.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { sshSkipReason, startSshHosts, type SshHost, type SshTestHosts } from '../../helpers/sshd';
import { writeNodePoolsYaml } from '../../helpers/nodePools';
import { createProvider } from '../../../engine/infra/ssh';
import type { LaunchRequest } from '../../../engine/infra/provider';
import { ProvisionError } from '../../../engine/infra/provider';
import { closeAllSshConnections, SshTransport } from '../../../engine/node/ssh';
import { isTransportError } from '../../../engine/node/transport';
import { fingerprint, knownHostName, lookupHost, skydeckKnownHostsFile } from '../../../engine/node/knownHosts';
import { writeClusterSshConfig, userSshConfigPath } from '../../../engine/cluster/sshConfig';
import { AgentClient, HEAD_LAUNCHER, sshLauncher } from '../../../engine/node/agentClient';
import { requirePrerequisite } from '../../helpers/prerequisites';

const skip = requirePrerequisite(sshSkipReason());

function hostKeyFingerprint(file: string): string {
  const pub = fs.readFileSync(`${file}.pub`, 'utf8').trim().split(/\s+/);
  return fingerprint(Buffer.from(pub[1], 'base64'));
}

/** Regenerates the host's key and restarts its sshd (sessions and ssh masters die with it). */
async function swapHostKey(hosts: SshTestHosts, lo: SshHost): Promise<void> {
  const keyFile = path.join(hosts.dir, 'hostkey_loopback');
  closeAllSshConnections();
  await lo.stopSshd();
  fs.rmSync(keyFile);
  fs.rmSync(`${keyFile}.pub`);
  assert.equal(spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', keyFile]).status, 0);
  await lo.startSshd();
}

function request(cluster: string): LaunchRequest {
  return {
    clusterName: cluster,
    nameOnCloud: cluster,
    region: 'pool',
    zones: [],
    instanceType: 'x',
    useSpot: false,
    numNodes: 1,
    diskSizeGb: 0,
    ports: [],
    labels: {},
    sshPublicKey: '',
  };
}

/** `ssh <alias> true` with only the user's ssh config (which Includes SkyDeck's), never prompting. */
function plainSsh(alias: string): { status: number | null; stderr: string } {
  const r = spawnSync('ssh', ['-F', userSshConfigPath(), '-o', 'BatchMode=yes', alias, 'true'], { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stderr: r.stderr };
}

describe('SSH host keys: trust on first use, a changed key refused', { skip, concurrency: false }, () => {
  let hosts: SshTestHosts;
  let lo: SshHost;
  let home: string;
  const saved = { home: process.env.SKYDECK_HOME, cfg: process.env.SKYDECK_SSH_CONFIG };

  before(async () => {
    // A space in SKYDECK_HOME: the known_hosts path must survive ssh config quoting.
    home = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'skydeck-hostkeys-')), 'sky home');
    process.env.SKYDECK_HOME = home;
    process.env.SKYDECK_SSH_CONFIG = path.join(home, 'user-ssh', 'config');
    hosts = await startSshHosts({ loopback: true });
    lo = hosts.hosts[0];
    writeNodePoolsYaml(path.join(home, 'ssh_node_pools.yaml'), { pool: [lo] });
  });

  after(async () => {
    closeAllSshConnections();
    await hosts?.stop();
    fs.rmSync(path.dirname(home), { recursive: true, force: true });
    for (const [k, v] of [
      ['SKYDECK_HOME', saved.home],
      ['SKYDECK_SSH_CONFIG', saved.cfg],
    ] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  test('the first connection to a pool host records its key (0600); the generated ssh config then checks it strictly', async () => {
    const provider = createProvider();
    const handle = await provider.launch(request('first'));
    const file = skydeckKnownHostsFile();
    const name = knownHostName(lo.host, lo.port);
    const entries = lookupHost(file, name);
    assert.equal(entries.length, 1, fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : 'no known_hosts');
    assert.equal(fingerprint(Buffer.from(entries[0].key, 'base64')), hostKeyFingerprint(path.join(hosts.dir, 'hostkey_loopback')));
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);

    const nodes = await provider.query(handle);
    assert.equal(writeClusterSshConfig('first', nodes), true);
    const entry = fs.readFileSync(path.join(home, 'generated', 'ssh', 'first'), 'utf8');
    assert.match(entry, /StrictHostKeyChecking yes/);
    const ok = plainSsh('first');
    assert.equal(ok.status, 0, `plain ssh with the recorded key: ${ok.stderr}`);
    await provider.terminate(handle);
  });

  test('after the host key is regenerated, the engine and OpenSSH both refuse, saying what to do', async () => {
    const file = skydeckKnownHostsFile();
    const name = knownHostName(lo.host, lo.port);
    const keyFile = path.join(hosts.dir, 'hostkey_loopback');
    const oldPrint = hostKeyFingerprint(keyFile);
    const before = fs.readFileSync(file, 'utf8');

    await swapHostKey(hosts, lo);
    const newPrint = hostKeyFingerprint(keyFile);
    assert.notEqual(newPrint, oldPrint);

    // The transport the pool provider uses (default policy).
    const t = new SshTransport({ host: lo.host, port: lo.port, user: lo.user, keyPath: lo.keyPath });
    const err = await t.exec(['true']).then(
      () => assert.fail('connected to a host whose key changed'),
      (e: unknown) => e,
    );
    await t.close();
    assert.ok(isTransportError(err) && err.kind === 'host-key', String(err));
    assert.ok(err.message.includes(name) && err.message.includes(`root@${lo.host}:${lo.port}`), err.message);
    assert.ok(err.message.includes(oldPrint), `old fingerprint in: ${err.message}`);
    assert.ok(err.message.includes(newPrint), `new fingerprint in: ${err.message}`);
    assert.ok(err.message.includes(`${file} line 1`), err.message);
    assert.ok(err.hint?.includes(`ssh-keygen -R '${name}' -f '${file}'`), err.hint);
    assert.equal(fs.readFileSync(file, 'utf8'), before, 'the new key was not recorded');

    // A launch on the pool finds no usable host and says why.
    const launch = await createProvider()
      .launch(request('second'))
      .then(
        () => assert.fail('launched on a host whose key changed'),
        (e: unknown) => e,
      );
    assert.ok(launch instanceof ProvisionError, String(launch));
    assert.match(launch.message, /Host key verification failed/);
    assert.ok(launch.message.includes(newPrint), launch.message);

    // Plain OpenSSH through the generated config checks the same file.
    const refused = plainSsh('first');
    assert.notEqual(refused.status, 0, 'OpenSSH connected despite the changed key');
    assert.match(refused.stderr, /REMOTE HOST IDENTIFICATION HAS CHANGED|Host key verification failed/);

    // Following the hint restores access (the key change was ours).
    assert.equal(spawnSync('ssh-keygen', ['-R', name, '-f', file], { encoding: 'utf8' }).status, 0);
    const again = new SshTransport({ host: lo.host, port: lo.port, user: lo.user, keyPath: lo.keyPath });
    assert.equal((await again.exec(['true'])).exitCode, 0);
    await again.close();
    assert.equal(fingerprint(Buffer.from(lookupHost(file, name)[0].key, 'base64')), newPrint, 'the new key is recorded');
  });

  test("the head checks its workers' host keys too: recorded on first use, a changed one fails the rank", async () => {
    // Head and worker are the same sshd here: the head reaches "the worker" over ssh all the same.
    const t = new SshTransport({ host: lo.host, port: lo.port, user: lo.user, keyPath: lo.keyPath });
    const agent = new AgentClient(t);
    const nodes = [
      { ip: lo.host, launcher: [...HEAD_LAUNCHER] },
      { ip: lo.host, launcher: sshLauncher({ host: lo.host, port: lo.port, user: lo.user, keyPath: lo.keyPath }) },
    ];
    const run = async (): Promise<{ status: string | undefined; log: string }> => {
      let log = '';
      const id = await agent.submit({ name: 'two', run: 'echo "rank=$SKYPILOT_NODE_RANK"', nodes });
      const status = await agent.tail(id, { follow: true, onData: (d) => (log += d) });
      return { status, log };
    };
    const first = await run();
    assert.equal(first.status, 'SUCCEEDED', first.log);
    const headKnown = path.join(lo.homeDir, '.skydeck_node', 'known_hosts');
    // (hashed or not, as the head's ssh_config says)
    assert.equal(lookupHost(headKnown, knownHostName(lo.host, lo.port)).length, 1, fs.readFileSync(headKnown, 'utf8'));

    await swapHostKey(hosts, lo);
    // SkyDeck's own file is told about the change (as the user would after checking it); the head's is not.
    spawnSync('ssh-keygen', ['-R', knownHostName(lo.host, lo.port), '-f', skydeckKnownHostsFile()]);
    const second = await run();
    await t.close();
    assert.equal(second.status, 'FAILED', second.log);
    assert.match(second.log, /REMOTE HOST IDENTIFICATION HAS CHANGED|Host key verification failed/);
    assert.doesNotMatch(second.log, /\) rank=1$/m, 'the worker rank never ran');
    assert.match(first.log, /\) rank=1$/m);
  });
});
