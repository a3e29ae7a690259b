/**
 * moto (the EC2 emulator) for tests: start on a free port, reset between tests, stop.
 * Installed by scripts/setup/30-moto.sh into .tools/moto and run with Debian's python
 * (test-infrastructure.md section 4). An optional fault proxy sits in front of it and
 * answers chosen calls with a real EC2 error document, so injected capacity errors flow
 * through the SDK's parser and the provider's real error mapping.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');
const SITE = path.join(ROOT, '.tools', 'moto', 'root', 'usr', 'lib', 'python3', 'dist-packages');

export function motoInstalled(): boolean {
  return fs.existsSync(path.join(SITE, 'moto', 'server.py'));
}

export interface FaultRule {
  /** EC2 Action, e.g. 'RunInstances'. */
  action: string;
  region?: string;
  /** Matches Placement.AvailabilityZone of the request. */
  zone?: string;
  code: string;
  message?: string;
  /** HTTP status (EC2 sends 500 for capacity errors, 400 for client errors). */
  status?: number;
  /** How many requests to fail (default: all). */
  times?: number;
}

export interface MotoServer {
  /** moto itself. */
  url: string;
  /** The fault proxy in front of moto: point SKYDECK_AWS_ENDPOINT here. */
  proxyUrl: string;
  /** Requests seen by the proxy: action, region, zone. */
  calls: { action: string; region?: string; zone?: string }[];
  inject(rule: FaultRule): void;
  clearFaults(): void;
  /** Wipes all emulated state (and faults, and the call log). */
  reset(): Promise<void>;
  stop(): Promise<void>;
}

function waitForListening(child: ChildProcess, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => fail(new Error(`moto did not start within ${timeoutMs} ms:\n${buf}`)), timeoutMs);
    const onData = (d: Buffer) => {
      buf += d.toString();
      const m = /Running on (http:\/\/127\.0\.0\.1:\d+)/.exec(buf);
      if (m) {
        cleanup();
        resolve(m[1]);
      }
    };
    const onExit = (code: number | null) => fail(new Error(`moto exited (${code}) before listening:\n${buf}`));
    const cleanup = () => {
      clearTimeout(timer);
      child.stderr?.off('data', onData);
      child.stdout?.off('data', onData);
      child.off('exit', onExit);
    };
    function fail(err: Error) {
      cleanup();
      reject(err);
    }
    child.stderr?.on('data', onData);
    child.stdout?.on('data', onData);
    child.once('exit', onExit);
  });
}

function errorXml(code: string, message: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${code}</Code><Message>${message}</Message></Error></Errors><RequestID>00000000-0000-4000-8000-000000000000</RequestID></Response>`;
}

function regionOf(auth: string | undefined): string | undefined {
  return /Credential=[^/]+\/\d{8}\/([^/]+)\/ec2\//.exec(auth ?? '')?.[1];
}

export async function startMoto(): Promise<MotoServer> {
  if (!motoInstalled()) throw new Error('moto is not installed: run `bash scripts/setup/30-moto.sh`.');
  const child = spawn('/usr/bin/python3', ['-m', 'moto.server', '-H', '127.0.0.1', '-p', '0'], {
    env: { ...process.env, PYTHONPATH: SITE },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let url: string;
  try {
    url = await waitForListening(child, 30_000);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  // Keep draining moto's request log so its pipe never fills.
  child.stdout?.resume();
  child.stderr?.resume();
  const target = new URL(url);
  let faults: FaultRule[] = [];
  const calls: MotoServer['calls'] = [];

  const proxy = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const params = new URLSearchParams(body.toString());
      const action = params.get('Action') ?? '';
      const region = regionOf(req.headers.authorization);
      const zone = params.get('Placement.AvailabilityZone') ?? undefined;
      if (action) calls.push({ action, region, zone });
      const rule = faults.find((f) => f.action === action && (!f.region || f.region === region) && (!f.zone || f.zone === zone) && (f.times ?? 1) > 0);
      if (rule) {
        if (rule.times !== undefined) rule.times--;
        const message = rule.message ?? `We currently do not have sufficient capacity in the Availability Zone you requested (${zone ?? region}).`;
        res.writeHead(rule.status ?? 500, { 'content-type': 'text/xml;charset=UTF-8' });
        res.end(errorXml(rule.code, message));
        return;
      }
      const upstream = http.request(
        { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, host: target.host } },
        (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        },
      );
      upstream.on('error', (err) => {
        res.writeHead(502);
        res.end(String(err));
      });
      upstream.end(body);
    });
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;

  return {
    url,
    proxyUrl,
    calls,
    inject(rule) {
      faults.push({ ...rule, times: rule.times ?? Number.POSITIVE_INFINITY });
    },
    clearFaults() {
      faults = [];
    },
    async reset() {
      faults = [];
      calls.length = 0;
      const r = await fetch(`${url}/moto-api/reset`, { method: 'POST' });
      if (!r.ok) throw new Error(`moto reset failed: ${r.status}`);
    },
    async stop() {
      proxy.closeAllConnections();
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
      if (child.exitCode === null) {
        const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        child.kill('SIGTERM');
        await exited;
      }
    },
  };
}
