/**
 * The user's ssh config as a file: a symlink stays a link, bytes outside SkyDeck's block are
 * kept exactly (a leading blank line, non-UTF-8 text), and a SKYDECK_HOME with a space still
 * gives an Include (and known_hosts / identity paths) that OpenSSH itself reads (`ssh -G`).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { removeClusterSshConfig, writeClusterSshConfig } from '../../../engine/cluster/sshConfig';
import { knownHostName, recordHostKeys } from '../../../engine/node/knownHosts';
import type { NodeInfo } from '../../../engine/infra/provider';
import { generateEd25519 } from '../../../engine/cluster/keys';
import { requirePrerequisite } from '../../helpers/prerequisites';

const hasSsh = spawnSync('ssh', ['-V']).status === 0;

function setup(t: { after: (fn: () => void) => void }, homeName = 'home'): { root: string; home: string; userFile: string } {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'skydeck-sshfiles-'));
  const saved = { home: process.env.SKYDECK_HOME, cfg: process.env.SKYDECK_SSH_CONFIG };
  t.after(() => {
    fs.rmSync(root, { recursive: true, force: true });
    process.env.SKYDECK_HOME = saved.home;
    process.env.SKYDECK_SSH_CONFIG = saved.cfg;
    if (saved.home === undefined) delete process.env.SKYDECK_HOME;
    if (saved.cfg === undefined) delete process.env.SKYDECK_SSH_CONFIG;
  });
  const home = path.join(root, homeName);
  const userFile = path.join(root, 'dot-ssh', 'config');
  fs.mkdirSync(path.dirname(userFile), { recursive: true });
  process.env.SKYDECK_HOME = home;
  process.env.SKYDECK_SSH_CONFIG = userFile;
  return { root, home, userFile };
}

const node: NodeInfo = { id: 'a', rank: 0, state: 'running', internalIp: '192.0.2.10', ssh: { host: '192.0.2.10', port: 2222, user: 'u' } };

test('a symlinked ssh config stays a symlink: the target gets the block, and loses it byte for byte', (t) => {
  const { root, userFile } = setup(t);
  const dotfiles = path.join(root, 'dotfiles');
  fs.mkdirSync(dotfiles);
  const target = path.join(dotfiles, 'ssh_config');
  const original = 'Host box\n  HostName 192.0.2.1\n';
  fs.writeFileSync(target, original, { mode: 0o600 });
  fs.symlinkSync('../dotfiles/ssh_config', userFile); // relative, as dotfile managers make them
  writeClusterSshConfig('c1', [node]);
  assert.ok(fs.lstatSync(userFile).isSymbolicLink(), 'still a link');
  assert.equal(fs.readlinkSync(userFile), '../dotfiles/ssh_config');
  assert.match(fs.readFileSync(target, 'utf8'), /^# >>> Added by SkyDeck[^\n]*\nInclude .*\n# <<< Added by SkyDeck <<<\n\nHost box\n/);
  assert.deepEqual(fs.readdirSync(dotfiles), ['ssh_config'], 'no temp file left beside the target');
  removeClusterSshConfig('c1');
  assert.ok(fs.lstatSync(userFile).isSymbolicLink());
  assert.equal(fs.readFileSync(target, 'utf8'), original);
});

test('bytes outside the block are kept exactly: leading blank lines, no final newline, non-UTF-8 text', (t) => {
  const { userFile } = setup(t);
  for (const original of [
    Buffer.from('\nHost box\n  HostName 192.0.2.1\n'),
    Buffer.from('\n\n# two blank lines first'),
    Buffer.concat([Buffer.from('# caf'), Buffer.from([0xe9]), Buffer.from(' (latin-1)\nHost x\n')]),
  ]) {
    fs.writeFileSync(userFile, original);
    writeClusterSshConfig('c1', [node]);
    const withBlock = fs.readFileSync(userFile);
    assert.ok(withBlock.subarray(withBlock.length - original.length).equals(original), 'user bytes follow the block unchanged');
    writeClusterSshConfig('c1', [node]);
    assert.ok(fs.readFileSync(userFile).equals(withBlock), 'idempotent');
    removeClusterSshConfig('c1');
    assert.ok(fs.readFileSync(userFile).equals(original), JSON.stringify(fs.readFileSync(userFile, 'latin1')));
  }
});

test(
  'SKYDECK_HOME with a space: the Include, known_hosts and identity paths are quoted and OpenSSH reads them',
  { skip: requirePrerequisite(!hasSsh && 'an ssh client (openssh-client)') },
  (t) => {
    const { home, userFile } = setup(t, 'my home %dir');
    fs.writeFileSync(userFile, 'Host *\n  ServerAliveInterval 30\n');
    const keyFile = path.join(home, 'keys', 'sky-key');
    writeClusterSshConfig('spaced', [{ ...node, ssh: { ...node.ssh!, identityFile: keyFile } }]);
    const text = fs.readFileSync(userFile, 'utf8');
    assert.ok(text.includes(`Include "${path.join(home, 'generated', 'ssh')}/*"`), text);
    const g = spawnSync('ssh', ['-G', '-F', userFile, 'spaced'], { encoding: 'utf8' });
    assert.equal(g.status, 0, g.stderr);
    const conf = new Map(g.stdout.split('\n').map((l) => [l.slice(0, l.indexOf(' ')), l.slice(l.indexOf(' ') + 1)]));
    assert.equal(conf.get('hostname'), '192.0.2.10', 'the cluster host came in through the Include');
    assert.equal(conf.get('port'), '2222');
    assert.equal(conf.get('userknownhostsfile'), path.join(home, 'known_hosts'), 'SkyDeck known_hosts, as one file, % kept literal');
    // `ssh -G` shows IdentityFile before its %-token expansion (which turns %% back into %).
    assert.equal(conf.get('identityfile'), keyFile.replace(/%/g, '%%'));
    assert.equal(conf.get('stricthostkeychecking'), 'accept-new', 'no key recorded yet: trust on first use');
    assert.equal(conf.get('globalknownhostsfile'), '/dev/null');
  },
);

test('a node whose key SkyDeck recorded gets StrictHostKeyChecking yes', (t) => {
  const { home } = setup(t);
  const pub = generateEd25519('h').publicKey.split(' ');
  recordHostKeys(path.join(home, 'known_hosts'), knownHostName('192.0.2.10', 2222), [{ type: pub[0], key: pub[1] }]);
  writeClusterSshConfig('c1', [node]);
  const entry = fs.readFileSync(path.join(home, 'generated', 'ssh', 'c1'), 'utf8');
  assert.match(entry, /^ {2}StrictHostKeyChecking yes$/m);
  assert.ok(entry.includes(`  UserKnownHostsFile ${path.join(home, 'known_hosts')}\n`));
});

test('a Kubernetes pod behind its proxy command is not pinned (a relaunch reuses the pod name with a new key)', (t) => {
  const { home } = setup(t);
  writeClusterSshConfig('k', [{ ...node, ssh: { host: 'k-head', port: 22, user: 'sky', proxyCommand: 'skydeck k8s-proxy ctx ns k-head' } }]);
  const entry = fs.readFileSync(path.join(home, 'generated', 'ssh', 'k'), 'utf8');
  assert.match(entry, /^ {2}StrictHostKeyChecking no\n {2}UserKnownHostsFile \/dev\/null$/m);
  assert.match(entry, /^ {2}ProxyCommand skydeck k8s-proxy ctx ns k-head$/m);
});
