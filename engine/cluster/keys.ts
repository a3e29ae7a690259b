/**
 * The SkyDeck client key (SKYDECK_HOME/keys/sky-key, 0600) authorized on every node, and
 * its public half. Generated once with node:crypto and written in OpenSSH's own format
 * (openssh-key-v1, unencrypted), so neither ssh-keygen nor ssh2 is needed here (this
 * module is in the extension's bundle, which must stay free of native modules).
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { homeSubdir } from '../util/paths';

export interface KeyPair {
  privateKeyPath: string;
  publicKey: string;
}

function sshString(b: Buffer | string): Buffer {
  const buf = typeof b === 'string' ? Buffer.from(b) : b;
  const len = Buffer.alloc(4);
  len.writeUInt32BE(buf.length);
  return Buffer.concat([len, buf]);
}

function uint32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}

/** An ed25519 key pair as OpenSSH writes it: private PEM and `ssh-ed25519 AAAA... comment`. */
export function generateEd25519(comment = 'skydeck'): { privateKey: string; publicKey: string } {
  const { publicKey, privateKey } = crypto.generateKeyPairSync('ed25519');
  const jwk = privateKey.export({ format: 'jwk' });
  const seed = Buffer.from(jwk.d!, 'base64url');
  const pub = Buffer.from((publicKey.export({ format: 'jwk' }).x ?? jwk.x)!, 'base64url');
  const pubBlob = Buffer.concat([sshString('ssh-ed25519'), sshString(pub)]);
  const check = crypto.randomBytes(4).readUInt32BE();
  let priv = Buffer.concat([uint32(check), uint32(check), sshString('ssh-ed25519'), sshString(pub), sshString(Buffer.concat([seed, pub])), sshString(comment)]);
  const pad: number[] = [];
  for (let i = 1; (priv.length + pad.length) % 8 !== 0; i++) pad.push(i);
  priv = Buffer.concat([priv, Buffer.from(pad)]);
  const body = Buffer.concat([
    Buffer.from('openssh-key-v1\0'),
    sshString('none'),
    sshString('none'),
    sshString(''),
    uint32(1),
    sshString(pubBlob),
    sshString(priv),
  ]);
  const b64 = body
    .toString('base64')
    .replace(/(.{70})/g, '$1\n')
    .replace(/\n$/, '');
  return {
    privateKey: `-----BEGIN OPENSSH PRIVATE KEY-----\n${b64}\n-----END OPENSSH PRIVATE KEY-----\n`,
    publicKey: `ssh-ed25519 ${pubBlob.toString('base64')} ${comment}`,
  };
}

export function clientKey(): KeyPair {
  const dir = homeSubdir('keys');
  fs.chmodSync(dir, 0o700);
  const priv = path.join(dir, 'sky-key');
  const pub = `${priv}.pub`;
  if (!fs.existsSync(priv) || !fs.existsSync(pub)) {
    const pair = generateEd25519();
    // Written under temp names and renamed, so a concurrent reader never sees half a key.
    const tmp = `${priv}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, pair.privateKey, { mode: 0o600 });
    fs.writeFileSync(`${tmp}.pub`, `${pair.publicKey}\n`, { mode: 0o644 });
    if (!fs.existsSync(priv)) {
      fs.renameSync(tmp, priv);
      fs.renameSync(`${tmp}.pub`, pub);
    } else {
      fs.rmSync(tmp, { force: true });
      fs.rmSync(`${tmp}.pub`, { force: true });
    }
  }
  fs.chmodSync(priv, 0o600);
  return { privateKeyPath: priv, publicKey: fs.readFileSync(pub, 'utf8').trim() };
}
