import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  removeIncludeBlock,
  renderHostEntries,
  withIncludeBlock,
  writeClusterSshConfig,
  removeClusterSshConfig,
  clusterSshConfigPath,
  hostEntries,
} from '../../../engine/cluster/sshConfig';
import type { NodeInfo } from '../../../engine/infra/provider';

const USER = '# my config\nHost *\n  ServerAliveInterval 30\n\nHost box\n  HostName 192.0.2.1\n';

test('the Include block goes to the very top, once, and comes off leaving the user content byte for byte', () => {
  const once = withIncludeBlock(USER, '/h/generated/ssh/*');
  assert.ok(once.startsWith('# >>> Added by SkyDeck'));
  assert.equal(once.indexOf('Include /h/generated/ssh/*'), once.indexOf('\n') + 1);
  assert.ok(once.indexOf('Include') < once.indexOf('Host *'), 'before any Host line');
  assert.equal(withIncludeBlock(once, '/h/generated/ssh/*'), once, 'idempotent');
  assert.equal(removeIncludeBlock(once), USER);
  assert.equal(removeIncludeBlock(USER), USER);
  assert.equal(removeIncludeBlock(withIncludeBlock('', '/x/*')), '');
});

test('a user-edited half block is left alone', () => {
  const half = '# >>> Added by SkyDeck for ssh config of all clusters (do not edit this block) >>>\nInclude /x/*\nHost a\n';
  assert.equal(removeIncludeBlock(half), half);
});

test('host entries: head `Host <cluster>`, workers `<cluster>-worker<i>`, SkyPilot options', () => {
  const nodes: NodeInfo[] = [
    { id: 'b', rank: 1, state: 'running', internalIp: '10.0.0.3', ssh: { host: '10.0.0.3', port: 2222, user: 'ubuntu', identityFile: '/k' } },
    { id: 'a', rank: 0, state: 'running', internalIp: '10.0.0.2', ssh: { host: '10.0.0.2', port: 22, user: 'ubuntu', identityFile: '/k' } },
  ];
  const text = renderHostEntries('mycl', hostEntries('mycl', nodes), { knownHostsFile: '/h/known_hosts' });
  const stanzas = text.split(/^Host /m).slice(1);
  assert.match(
    stanzas[0],
    /^mycl\n {2}HostName 10\.0\.0\.2\n {2}User ubuntu\n {2}IdentityFile \/k\n {2}IdentitiesOnly yes\n {2}StrictHostKeyChecking accept-new\n {2}UserKnownHostsFile \/h\/known_hosts\n {2}GlobalKnownHostsFile \/dev\/null\n {2}Port 22\n/,
  );
  assert.match(stanzas[1], /^mycl-worker1\n {2}HostName 10\.0\.0\.3\n[\s\S]*Port 2222/);
  assert.match(text, /^# Added by skydeck \(use `skydeck stop\/down mycl` to remove\)$/m);
});

test('write/remove: atomic files, user config mode kept, Include removed with the last cluster', (t) => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'skydeck-sshcfg-'));
  t.after(() => fs.rmSync(home, { recursive: true, force: true }));
  process.env.SKYDECK_HOME = home;
  const userFile = path.join(home, 'dot-ssh', 'config');
  process.env.SKYDECK_SSH_CONFIG = userFile;
  fs.mkdirSync(path.dirname(userFile));
  fs.writeFileSync(userFile, USER, { mode: 0o640 });
  fs.chmodSync(userFile, 0o640);
  const node: NodeInfo = { id: 'a', rank: 0, state: 'running', internalIp: '10.0.0.2', ssh: { host: '10.0.0.2', port: 22, user: 'u' } };
  assert.equal(writeClusterSshConfig('c1', [node]), true);
  assert.equal(writeClusterSshConfig('c2', [node]), true);
  const after = fs.readFileSync(userFile, 'utf8');
  assert.equal(after.split('Include').length, 2, 'one Include for all clusters');
  assert.equal(fs.statSync(userFile).mode & 0o777, 0o640);
  assert.ok(fs.existsSync(clusterSshConfigPath('c1')));
  assert.deepEqual(fs.readdirSync(path.dirname(userFile)), ['config'], 'no temp file left');
  removeClusterSshConfig('c1');
  assert.ok(fs.readFileSync(userFile, 'utf8').includes('Include'), 'still needed by c2');
  removeClusterSshConfig('c2');
  assert.equal(fs.readFileSync(userFile, 'utf8'), USER);
  assert.equal(writeClusterSshConfig('c3', [{ ...node, ssh: undefined }]), false, 'no ssh endpoint: nothing written');
  assert.ok(!fs.existsSync(clusterSshConfigPath('c3')));
});
