/** SkyDeck's known_hosts: trust on first use, changed and revoked keys, hashed names, cloud-published keys. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fingerprint, forgetHost, knownHostName, lookupHost, parsePublicKeys, recordHostKeys, verifyHostKey } from '../../../engine/node/knownHosts';
import { generateEd25519 } from '../../../engine/cluster/keys';

function keyBlob(): { blob: Buffer; line: string } {
  const pub = generateEd25519('host').publicKey;
  const b64 = pub.split(' ')[1];
  return { blob: Buffer.from(b64, 'base64'), line: `ssh-ed25519 ${b64}` };
}

function tempFile(t: { after: (fn: () => void) => void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skydeck-kh-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return path.join(dir, 'home', 'known_hosts');
}

const opts = { acceptNew: true, target: 'root@10.0.0.5:2222' };

test('OpenSSH names: bare host on port 22, [host]:port otherwise', () => {
  assert.equal(knownHostName('10.0.0.5', 22), '10.0.0.5');
  assert.equal(knownHostName('10.0.0.5', 2222), '[10.0.0.5]:2222');
});

test('first use records the key (file 0600), the same key then passes, another key is refused with both fingerprints and the fix', (t) => {
  const file = tempFile(t);
  const name = knownHostName('10.0.0.5', 2222);
  const first = keyBlob();
  assert.equal(verifyHostKey(file, name, first.blob, opts), undefined);
  assert.equal(fs.readFileSync(file, 'utf8'), `[10.0.0.5]:2222 ${first.line}\n`);
  assert.equal(fs.statSync(file).mode & 0o777, 0o600);
  assert.equal(verifyHostKey(file, name, first.blob, opts), undefined);
  assert.equal(fs.readFileSync(file, 'utf8').split('\n').length, 2, 'not recorded twice');

  const second = keyBlob();
  const refusal = verifyHostKey(file, name, second.blob, opts);
  assert.ok(refusal);
  assert.equal(refusal.reason, 'changed');
  assert.ok(refusal.message.includes('[10.0.0.5]:2222') && refusal.message.includes('root@10.0.0.5:2222'), refusal.message);
  assert.ok(refusal.message.includes(fingerprint(first.blob)), 'old fingerprint');
  assert.ok(refusal.message.includes(fingerprint(second.blob)), 'new fingerprint');
  assert.ok(refusal.message.includes(`${file} line 1`), refusal.message);
  assert.ok(refusal.hint.includes(`ssh-keygen -R '[10.0.0.5]:2222' -f '${file}'`), refusal.hint);
  assert.equal(fs.readFileSync(file, 'utf8'), `[10.0.0.5]:2222 ${first.line}\n`, 'a refused key is not recorded');
  assert.match(fingerprint(first.blob), /^SHA256:[A-Za-z0-9+/]{43}$/);
});

test('without acceptNew an unknown host is refused and nothing is written', (t) => {
  const file = tempFile(t);
  const refusal = verifyHostKey(file, '10.0.0.9', keyBlob().blob, { acceptNew: false, target: 'u@10.0.0.9:22' });
  assert.equal(refusal?.reason, 'unknown');
  assert.match(refusal!.hint, /ssh-keyscan -p 22 10\.0\.0\.9 >> /);
  assert.ok(!fs.existsSync(file));
});

test('hashed names (ssh-keygen -H) match; @revoked refuses; other hosts and comments are kept when one host is forgotten', (t) => {
  const file = tempFile(t);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const a = keyBlob();
  const b = keyBlob();
  const salt = crypto.randomBytes(20);
  const hash = crypto.createHmac('sha1', salt).update('[h.example]:2200').digest('base64');
  const text = `# mine\n|1|${salt.toString('base64')}|${hash} ${a.line}\n@revoked 10.1.1.1 ${b.line}\nother.example ${b.line}`;
  fs.writeFileSync(file, text);
  assert.equal(verifyHostKey(file, '[h.example]:2200', a.blob, opts), undefined, 'hashed entry matches');
  assert.equal(verifyHostKey(file, '[h.example]:2200', b.blob, opts)?.reason, 'changed');
  assert.equal(verifyHostKey(file, '10.1.1.1', b.blob, opts)?.reason, 'revoked');
  forgetHost(file, '[h.example]:2200');
  assert.equal(fs.readFileSync(file, 'utf8'), `# mine\n@revoked 10.1.1.1 ${b.line}\nother.example ${b.line}`);
  // An append after a file without a final newline starts a new line.
  assert.equal(verifyHostKey(file, 'new.example', a.blob, opts), undefined);
  assert.deepEqual(
    lookupHost(file, 'new.example').map((e) => e.line),
    [4],
  );
  assert.deepEqual(
    lookupHost(file, 'other.example').map((e) => e.line),
    [3],
  );
});

test('keys a cloud publishes replace what an earlier VM at that address left', (t) => {
  const file = tempFile(t);
  const old = keyBlob();
  assert.equal(verifyHostKey(file, '203.0.113.7', old.blob, opts), undefined);
  const fresh = keyBlob();
  const console = `cloud-init: boot\r\n-----BEGIN SSH HOST KEY KEYS-----\r\n${fresh.line} root@ip-10-0-0-1\r\necdsa-sha2-nistp256 AAAAnotakey root@x\r\n-----END SSH HOST KEY KEYS-----\r\n`;
  const keys = parsePublicKeys(console);
  assert.deepEqual(keys, [{ type: 'ssh-ed25519', key: fresh.line.split(' ')[1] }], 'only well-formed keys');
  recordHostKeys(file, '203.0.113.7', keys);
  assert.equal(verifyHostKey(file, '203.0.113.7', fresh.blob, { acceptNew: false, target: 'x' }), undefined);
  assert.equal(verifyHostKey(file, '203.0.113.7', old.blob, opts)?.reason, 'changed');
  assert.equal(fs.statSync(file).mode & 0o777, 0o600);
});
