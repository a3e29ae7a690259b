/**
 * A private image registry on 127.0.0.1 for the container tests: Debian's `docker-registry`
 * with htpasswd (bcrypt) auth, its storage in a temp dir. Docker talks plain HTTP to
 * loopback registries, so no TLS is needed.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { until } from './until';

export interface Registry {
  /** host:port */
  address: string;
  username: string;
  password: string;
  stop(): Promise<void>;
}

/** Why the registry cannot run here, undefined when it can. */
export function registryMissing(): string | undefined {
  if (spawnSync('sh', ['-c', 'command -v docker-registry']).status !== 0) return 'docker-registry (Debian package docker-registry)';
  if (spawnSync('python3', ['-c', 'import crypt']).status !== 0) return 'python3 with the crypt module (to write the bcrypt htpasswd)';
  return undefined;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

function bcrypt(password: string): string {
  const r = spawnSync('python3', ['-W', 'ignore', '-c', 'import crypt,sys; print(crypt.crypt(sys.stdin.read(), crypt.mksalt(crypt.METHOD_BLOWFISH)))'], {
    input: password,
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`bcrypt failed: ${r.stderr}`);
  return r.stdout.trim();
}

/** The HTTP status of GET /v2/ (401 once the registry serves with auth), undefined while it does not answer. */
function v2Status(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/v2/', timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
  });
}

export async function startRegistry(username = 'skyuser', password = `pw-${Math.random().toString(36).slice(2)}-secret`): Promise<Registry> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skydeck-registry-'));
  const port = await freePort();
  fs.writeFileSync(path.join(dir, 'htpasswd'), `${username}:${bcrypt(password)}\n`);
  fs.writeFileSync(
    path.join(dir, 'config.yml'),
    [
      'version: 0.1',
      'log:',
      '  level: warn',
      'storage:',
      '  filesystem:',
      `    rootdirectory: ${path.join(dir, 'data')}`,
      'http:',
      `  addr: 127.0.0.1:${port}`,
      'auth:',
      '  htpasswd:',
      '    realm: skydeck-test',
      `    path: ${path.join(dir, 'htpasswd')}`,
      '',
    ].join('\n'),
  );
  const log = fs.openSync(path.join(dir, 'registry.log'), 'a');
  const child: ChildProcess = spawn('docker-registry', ['serve', path.join(dir, 'config.yml')], { stdio: ['ignore', log, log] });
  fs.closeSync(log);
  let exited = false;
  child.on('exit', () => (exited = true));
  await until('the registry to answer', async () => exited || (await v2Status(port)) === 401, {
    timeoutMs: 30_000,
    detail: () => fs.readFileSync(path.join(dir, 'registry.log'), 'utf8'),
  });
  if (exited) throw new Error(`docker-registry exited: ${fs.readFileSync(path.join(dir, 'registry.log'), 'utf8')}`);
  return {
    address: `127.0.0.1:${port}`,
    username,
    password,
    stop: async () => {
      if (!exited) {
        const gone = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await gone;
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
