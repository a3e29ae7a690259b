/**
 * Remote-SSH attach (extension/remote/attach.ts): which SSH alias each rank opens, the
 * `vscode-remote://ssh-remote+<alias>/<path>` folder handed to `vscode.openFolder`, the SSH
 * terminal offered without Remote-SSH, and the Include line written to the user's ssh config
 * (a temp file here, through SKYDECK_SSH_CONFIG).
 */
import '../../helpers/vscode';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, before, after, test } from 'node:test';
import { commandHandlers, installedExtensions, windowHandlers } from '../../helpers/vscode/stub';
import type { ClusterRecord } from '../../../engine/cluster/types';
import type { NodeInfo } from '../../../engine/infra/provider';

const home = fs.mkdtempSync(path.join(os.tmpdir(), 'skydeck-attach-'));
const sshConfig = path.join(home, 'user-ssh', 'config');
process.env.SKYDECK_HOME = path.join(home, 'skydeck');
process.env.SKYDECK_SSH_CONFIG = sshConfig;

// Loaded after the environment is set: the engine reads SKYDECK_HOME when it is first used.
let attach: typeof import('../../../extension/remote/attach');
before(async () => {
  attach = await import('../../../extension/remote/attach');
});
after(() => fs.rmSync(home, { recursive: true, force: true }));
afterEach(() => {
  commandHandlers.clear();
  windowHandlers.clear();
  installedExtensions.clear();
});

function node(rank: number, user: string): NodeInfo {
  return { id: `n${rank}`, rank, state: 'running', internalIp: `10.0.0.${rank + 1}`, ssh: { host: `10.0.0.${rank + 1}`, port: 22, user } };
}

function cluster(name: string, nodes: NodeInfo[], data: Record<string, unknown> = {}, status: ClusterRecord['status'] = 'UP'): ClusterRecord {
  return {
    name,
    status,
    handle: { clusterName: name, nameOnCloud: `${name}-1a2b`, provider: 'ssh', region: 'pool', data },
    resources: { cloud: 'ssh', region: 'pool', instanceType: '-', useSpot: false, diskSizeGb: 0, ports: [], pricePerHour: 0 },
    numNodes: nodes.length,
    nodes,
    launchedAt: 0,
    accumulatedUpSeconds: 0,
  };
}

/** Records every `vscode.openFolder` call. */
function recordOpenFolder(): { uri: { scheme: string; authority: string; path: string; toString(): string }; options: unknown }[] {
  const calls: { uri: { scheme: string; authority: string; path: string; toString(): string }; options: unknown }[] = [];
  commandHandlers.set('vscode.openFolder', ((uri: never, options: never) => {
    calls.push({ uri, options });
  }) as (...args: never[]) => unknown);
  return calls;
}

test('the head (rank 0) opens ssh-remote+<cluster> on the synced workdir, in a new window', async () => {
  installedExtensions.add('ms-vscode-remote.remote-ssh');
  const opened = recordOpenFolder();
  await attach.attachRemoteSsh(cluster('train', [node(0, 'root'), node(1, 'root')]), 0);
  assert.equal(opened.length, 1);
  const { uri, options } = opened[0];
  assert.equal(uri.scheme, 'vscode-remote');
  assert.equal(uri.authority, 'ssh-remote+train');
  assert.equal(uri.path, '/root/sky_workdir');
  assert.equal(uri.toString(), 'vscode-remote://ssh-remote+train/root/sky_workdir');
  assert.deepEqual(options, { forceNewWindow: true, noRecentEntry: false });
});

test('a worker opens its own alias <cluster>-worker<rank>, with that node user home', async () => {
  installedExtensions.add('jeanp413.open-remote-ssh'); // an open-remote-ssh fork counts as Remote-SSH
  const opened = recordOpenFolder();
  const c = cluster('train', [node(0, 'root'), node(1, 'ubuntu'), node(2, 'gpuuser')]);
  await attach.attachRemoteSsh(c, 2);
  await attach.attachRemoteSsh(c, 1);
  assert.deepEqual(
    opened.map((o) => o.uri.toString()),
    ['vscode-remote://ssh-remote+train-worker2/home/gpuuser/sky_workdir', 'vscode-remote://ssh-remote+train-worker1/home/ubuntu/sky_workdir'],
  );
});

test('an absolute workdir recorded by the provider is opened as is', async () => {
  installedExtensions.add('ms-vscode-remote.remote-ssh');
  const opened = recordOpenFolder();
  await attach.attachRemoteSsh(cluster('pod', [node(0, 'root')], { workdir: '/workspace/sky_workdir' }), 0);
  assert.equal(opened[0].uri.toString(), 'vscode-remote://ssh-remote+pod/workspace/sky_workdir');
});

test('attach puts the Include of the generated host entries at the top of the user ssh config', async () => {
  installedExtensions.add('ms-vscode-remote.remote-ssh');
  fs.mkdirSync(path.dirname(sshConfig), { recursive: true });
  fs.writeFileSync(sshConfig, 'Host mybox\n  HostName 192.0.2.7\n');
  recordOpenFolder();
  await attach.attachRemoteSsh(cluster('train', [node(0, 'root')]), 0);
  const text = fs.readFileSync(sshConfig, 'utf8');
  const include = text.indexOf(`Include ${path.join(process.env.SKYDECK_HOME!, 'generated', 'ssh')}/*`);
  assert.ok(include >= 0, `no Include of the generated ssh dir in:\n${text}`);
  assert.ok(include < text.indexOf('Host mybox'), `the Include must come before the user's hosts:\n${text}`);
  assert.match(text, /Host mybox\n {2}HostName 192\.0\.2\.7\n/);
});

test('without Remote-SSH, choosing the SSH terminal runs `ssh <alias>` for that rank and opens no folder', async () => {
  const opened = recordOpenFolder();
  const offered: string[][] = [];
  windowHandlers.set('showInformationMessage', ((message: string, ...items: string[]) => {
    offered.push([message, ...items]);
    return Promise.resolve('Open SSH Terminal');
  }) as (...args: never[]) => unknown);
  const terminals: { name: string; shellPath: string; shellArgs: string[] }[] = [];
  let shown = 0;
  windowHandlers.set('createTerminal', ((options: { name: string; shellPath: string; shellArgs: string[] }) => {
    terminals.push(options);
    return { show: () => shown++ };
  }) as (...args: never[]) => unknown);
  await attach.attachRemoteSsh(cluster('train', [node(0, 'root'), node(1, 'root'), node(2, 'root'), node(3, 'root')]), 3);
  assert.equal(offered.length, 1);
  assert.match(offered[0][0], /train-worker3/);
  assert.deepEqual(offered[0].slice(1), ['Install Remote-SSH', 'Open SSH Terminal']);
  assert.equal(terminals.length, 1);
  assert.equal(terminals[0].shellPath, 'ssh');
  assert.deepEqual(terminals[0].shellArgs, ['train-worker3']);
  assert.equal(terminals[0].name, 'SkyDeck: train-worker3');
  assert.equal(shown, 1);
  assert.equal(opened.length, 0);
});

test('dismissing the offer opens nothing', async () => {
  const opened = recordOpenFolder();
  windowHandlers.set('showInformationMessage', (() => Promise.resolve(undefined)) as (...args: never[]) => unknown);
  await attach.attachRemoteSsh(cluster('train', [node(0, 'root')]), 0);
  assert.equal(opened.length, 0);
});

test('a cluster that is not UP is refused with CLUSTER_NOT_UP before anything opens', async () => {
  installedExtensions.add('ms-vscode-remote.remote-ssh');
  const opened = recordOpenFolder();
  await assert.rejects(attach.attachRemoteSsh(cluster('idle', [node(0, 'root')], {}, 'STOPPED'), 0), (e: Error & { code?: string }) => {
    assert.equal(e.code, 'CLUSTER_NOT_UP');
    assert.match(e.message, /Cluster idle is STOPPED; start it first\./);
    return true;
  });
  assert.equal(opened.length, 0);
});
