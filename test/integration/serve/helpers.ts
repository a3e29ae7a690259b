/**
 * Helpers for the serving integration tests: a real HTTP replica (node, binding its
 * node's loopback address), task YAML, the built CLI with a private SKYDECK_HOME, state
 * polling and a steady load generator.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { until as waitUntil } from '../../helpers/until';

const run = promisify(execFile);
export const ROOT = path.resolve(__dirname, '../../..');
const CLI = path.join(ROOT, 'dist', 'cli.js');

/** The replica: GET /health is 503 while DIR/hold-<id> exists; every response names the replica and version. */
const REPLICA_JS = `
const http = require('http');
const fs = require('fs');
const [port, dir] = [Number(process.argv[2]), process.argv[3]];
const id = process.env.SKYPILOT_SERVE_REPLICA_ID;
const ip = (process.env.SKYPILOT_NODE_IPS || '127.0.0.1').split('\\n')[0];
fs.writeFileSync(dir + '/pid-' + id, String(process.pid));
http.createServer((req, res) => {
  if (req.url === '/health' && fs.existsSync(dir + '/hold-' + id)) { res.writeHead(503); res.end('held'); return; }
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ replica: Number(id), version: process.env.V }));
}).listen(port, ip);
`;

export interface Env {
  dir: string;
  home: string;
  port: number;
  env: NodeJS.ProcessEnv;
  cli(...args: string[]): Promise<string>;
  yaml(name: string, opts: { version?: string; service: string }): string;
}

export function makeEnv(extra: NodeJS.ProcessEnv = {}): Env {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skydeck-serve-it-'));
  const home = path.join(dir, 'home');
  fs.writeFileSync(path.join(dir, 'replica.js'), REPLICA_JS);
  const port = 20000 + Math.floor(Math.random() * 9000);
  const env = { ...process.env, SKYDECK_HOME: home, SKYDECK_SERVE_TICK_MS: '200', SKYDECK_SERVE_LB_HOST: '127.0.0.1', ...extra };
  return {
    dir,
    home,
    port,
    env,
    cli: async (...args: string[]) => (await run(process.execPath, [CLI, ...args], { env, cwd: dir, timeout: 120_000 })).stdout,
    yaml: (name, opts) => {
      const file = path.join(dir, `${name}-v${opts.version ?? '1'}.yaml`);
      fs.writeFileSync(
        file,
        `name: ${name}
envs:
  V: "${opts.version ?? '1'}"
service:
${opts.service
  .trim()
  .split('\n')
  .map((l) => `  ${l}`)
  .join('\n')}
resources:
  infra: local
  ports: ${port}
run: |
  exec ${process.execPath} ${path.join(dir, 'replica.js')} ${port} ${dir}
`,
      );
      return file;
    },
  };
}

export interface ReplicaJson {
  id: number;
  status: string;
  cluster: string;
  version: number;
}
export interface ServiceJson {
  name: string;
  status: string;
  endpoint: string | null;
  replicas: ReplicaJson[];
}

/** Reads the services table straight from the store file (cheap enough to poll). */
export function readServices(
  home: string,
): Record<string, { status: string; endpoint?: string; replicas: ReplicaJson[]; controller?: { pid: number }; supervisor?: { pid: number } }> {
  try {
    return JSON.parse(fs.readFileSync(path.join(home, 'state', 'services.json'), 'utf8')).data.services;
  } catch {
    return {};
  }
}

/** Re-checks `check` until it returns a value (conditions read the services table and replicas' answers); fails after `timeoutMs`. */
export function until<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 60_000,
  detail?: () => string,
): Promise<T> {
  return waitUntil(what, check, { timeoutMs, everyMs: 150, detail }) as Promise<T>;
}

export interface Reply {
  status: number;
  body: string;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });

export function get(url: string): Promise<Reply> {
  return new Promise((resolve) => {
    const req = http.get(url, { agent, timeout: 10_000 }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', (e) => resolve({ status: -1, body: e.message }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e) => resolve({ status: -1, body: e.message }));
  });
}

/** Steady load: `concurrency` loops, each sending a request every `gapMs`, until stop(). */
export function steadyLoad(url: string, concurrency: number, gapMs: number) {
  const results: Reply[] = [];
  let running = true;
  const loops = Array.from({ length: concurrency }, async () => {
    while (running) {
      results.push(await get(url));
      if (gapMs) await new Promise((r) => setTimeout(r, gapMs));
    }
  });
  return {
    results,
    async stop(): Promise<Reply[]> {
      running = false;
      await Promise.all(loops);
      return results;
    },
  };
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
