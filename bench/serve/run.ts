/**
 * Serving bench: requests/s, p50/p99 latency and the proxy's CPU per request on loopback, in
 * one run, against
 *   1. one replica directly (the floor of latency),
 *   2. SkyDeck's load balancer in front of two replicas,
 *   3. Debian's nginx as a reverse proxy (keep-alive upstream) to the same two replicas,
 *   4. a bare TCP splice on Node's sockets (./tcpSplice.mjs) to the same two replicas: no HTTP
 *      work at all, the CPU floor of any proxy written on Node.
 * Prints each and the ratios LB/nginx (throughput, and CPU per request: what throughput is
 * when both have the same core) and LB − direct (added p50).
 * Targets (issue 15): LB >= 90% of nginx's requests/s; (issue 6) < 1 ms added at p50.
 *
 * Load comes from wrk (./setup.sh installs it and nginx when missing). nginx runs with one
 * worker, like the one Node process of our load balancer, so they get the same CPU share.
 * Every target is warmed up for `--warmup` seconds first: on a loaded machine V8 needs
 * seconds of traffic before the proxy's code is optimised, and cold rounds measure the JIT.
 * Usage: node --import tsx bench/serve/run.ts [--seconds N] [--connections N] [--rounds N]
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildSync } from 'esbuild';

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
}
const SECONDS = arg('seconds', 8);
const CONNECTIONS = arg('connections', 32);
const ROUNDS = arg('rounds', 3);
/** Latency is measured separately at low concurrency, where it is the path's cost and not queueing. */
const LATENCY_CONNECTIONS = arg('latency-connections', 1);
const WARMUP_SECONDS = arg('warmup', 4);
const TARGET_RATIO = 0.9;
const here = __dirname;

function has(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', 'command -v "$0"', cmd], { stdio: 'ignore' });
    return true;
  } catch {
    return fs.existsSync(`/usr/sbin/${cmd}`);
  }
}

/** wrk and nginx, installed by ./setup.sh when missing (idempotent; needs root and apt). */
function ensureTools(): void {
  if (['wrk', 'nginx'].every(has)) return;
  console.log('installing wrk and nginx (bench/serve/setup.sh) ...');
  execFileSync('bash', [path.join(here, 'setup.sh')], { stdio: 'inherit' });
}

const children: ChildProcess[] = [];
function startProcess(cmd: string, args: string[], waitFor?: string): Promise<ChildProcess> {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  if (!waitFor) return Promise.resolve(child);
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes(waitFor)) resolve(child);
    });
    child.on('exit', (code) => reject(new Error(`${cmd} ${args.join(' ')} exited with ${code}`)));
  });
}

async function waitHttp(url: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      const r = await fetch(url);
      await r.arrayBuffer();
      if (r.ok) return;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) throw new Error(`${url} did not come up`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function nginxConfig(dir: string, port: number, upstreams: string[]): string {
  const conf = `
worker_processes 1;
${process.getuid?.() === 0 ? 'user root;' : ''}
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fcgi; uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;
  upstream replicas { least_conn; ${upstreams.map((u) => `server ${u};`).join(' ')} keepalive 128; }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://replicas;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_buffering off;
    }
  }
}`;
  const file = path.join(dir, 'nginx.conf');
  fs.writeFileSync(file, conf);
  return file;
}

/** CPU seconds (user + system) a process has used so far, from /proc. */
function cpuSeconds(pids: number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(f[11]) + Number(f[12]);
    } catch {
      /* gone */
    }
  }
  return ticks / 100; // USER_HZ
}

/** nginx's worker processes (children of the master). */
function childPids(pid: number): number[] {
  try {
    return fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

interface Result {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  /** CPU microseconds the proxy process used per request (independent of machine load, mostly). */
  cpuUsPerReq?: number;
}

function toMs(v: string): number {
  const m = /^([\d.]+)(us|ms|s)$/.exec(v.trim());
  if (!m) return NaN;
  const n = Number(m[1]);
  return m[2] === 'us' ? n / 1000 : m[2] === 's' ? n * 1000 : n;
}

function wrk(url: string, seconds: number, connections = CONNECTIONS): Result {
  const out = execFileSync('wrk', ['-t1', `-c${connections}`, `-d${seconds}s`, '--latency', url], { encoding: 'utf8' });
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
  const p50 = toMs(/^\s+50%\s+(\S+)/m.exec(out)?.[1] ?? '');
  const p99 = toMs(/^\s+99%\s+(\S+)/m.exec(out)?.[1] ?? '');
  const errLine = /Non-2xx or 3xx responses: (\d+)/.exec(out);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const errors = Number(errLine?.[1] ?? 0) + (sock ? sock.slice(1).reduce((a, b) => a + Number(b), 0) : 0);
  return { rps, p50, p99, errors };
}

async function main(): Promise<void> {
  ensureTools();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skydeck-bench-serve-'));
  const replicaPort = 18080 + Math.floor(Math.random() * 1000);
  const replicas = ['127.0.0.2', '127.0.0.3'].map((h) => `${h}:${replicaPort}`);
  try {
    for (const r of replicas) {
      const [h, p] = r.split(':');
      await startProcess(process.execPath, [path.join(here, 'replica.mjs'), h, p], 'ready');
    }
    const lbPort = replicaPort + 1000;
    // Bundled like dist/cli.js, so the load balancer runs as it ships (no TypeScript loader).
    const lbJs = path.join(dir, 'lb.js');
    buildSync({
      entryPoints: [path.join(here, 'lbProcess.ts')],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      outfile: lbJs,
      logLevel: 'warning',
    });
    const lbProc = await startProcess(process.execPath, [lbJs, String(lbPort), replicas.map((r) => `http://${r}`).join(',')], 'ready');
    const splicePort = replicaPort + 3000;
    const spliceProc = await startProcess(
      process.execPath,
      [path.join(here, 'tcpSplice.mjs'), String(splicePort), replicas.map((r) => `http://${r}`).join(',')],
      'ready',
    );
    const nginxPort = replicaPort + 2000;
    const nginxBin = has('nginx') && fs.existsSync('/usr/sbin/nginx') ? '/usr/sbin/nginx' : 'nginx';
    const nginxProc = await startProcess(nginxBin, ['-c', nginxConfig(dir, nginxPort, replicas), '-p', dir, '-g', 'daemon off;']);
    const targets: [string, string][] = [
      ['direct (1 replica)', `http://${replicas[0]}/`],
      ['skydeck lb (2 replicas)', `http://127.0.0.1:${lbPort}/`],
      ['nginx (2 replicas)', `http://127.0.0.1:${nginxPort}/`],
      ['node tcp splice (2 replicas)', `http://127.0.0.1:${splicePort}/`],
    ];
    const replicaPid = children[0].pid!;
    /** The processes whose CPU a target's requests cost (the replica's own, for direct). */
    const pidsOf = (name: string): number[] =>
      name.startsWith('skydeck')
        ? [lbProc.pid!]
        : name.startsWith('nginx')
          ? childPids(nginxProc.pid!)
          : name.startsWith('node tcp')
            ? [spliceProc.pid!]
            : [replicaPid];
    for (const [, url] of targets) await waitHttp(url);
    console.log(
      `throughput: wrk -t1 -c${CONNECTIONS} -d${SECONDS}s; latency: wrk -t1 -c${LATENCY_CONNECTIONS} -d${Math.max(2, SECONDS / 2)}s; ` +
        `${ROUNDS} interleaved round(s) after a warm-up until steady (>= ${WARMUP_SECONDS}s) each, best per target; ${os.cpus().length} cores, load average ${os.loadavg()[0].toFixed(1)}, node ${process.version}`,
    );
    const best = new Map<string, Result>();
    const lat = new Map<string, Result>();
    // Warm-up (JIT, keep-alive pools) until steady: 2 s rounds until one costs no less than 90%
    // of the best CPU per request before it (at least WARMUP_SECONDS, at most 60 s). CPU per
    // request, not requests/s: at load 25 on 2 cores the requests/s of a round follow the
    // scheduler and stopped a warm-up while V8 had not yet optimised the proxy (115 us per
    // request measured, against ~40 warm; its compiler thread waits for a core like the rest).
    for (const [name, url] of targets) {
      const pids = pidsOf(name);
      let bestCpu = Infinity;
      for (let spent = 0; spent < 60; spent += 2) {
        const before = cpuSeconds(pids);
        const r = wrk(url, 2);
        const cpu = ((cpuSeconds(pids) - before) * 1e6) / Math.max(1, r.rps * 2);
        const improving = cpu < bestCpu * 0.9;
        bestCpu = Math.min(bestCpu, cpu);
        if (!improving && spent + 2 >= WARMUP_SECONDS) break;
      }
    }
    for (let round = 0; round < ROUNDS; round++) {
      for (const [name, url] of targets) {
        const pids = pidsOf(name);
        const before = cpuSeconds(pids);
        const r = wrk(url, SECONDS);
        r.cpuUsPerReq = ((cpuSeconds(pids) - before) * 1e6) / (r.rps * SECONDS);
        const prev = best.get(name);
        if (!prev || r.rps > prev.rps) best.set(name, r);
        const l = wrk(url, Math.max(2, SECONDS / 2), LATENCY_CONNECTIONS);
        const prevL = lat.get(name);
        if (!prevL || l.p50 < prevL.p50) lat.set(name, l);
      }
    }
    console.log('');
    const head = `${'target'.padEnd(30)}${'req/s'.padStart(10)}${'p50 ms'.padStart(10)}${'p99 ms'.padStart(10)}${'errors'.padStart(8)}${'CPU us/req'.padStart(12)}`;
    console.log(`${head}   | c=${LATENCY_CONNECTIONS}: ${'p50 ms'.padStart(8)}${'p99 ms'.padStart(9)}`);
    for (const [name] of targets) {
      const r = best.get(name)!;
      const l = lat.get(name)!;
      console.log(
        `${name.padEnd(30)}${r.rps.toFixed(0).padStart(10)}${r.p50.toFixed(3).padStart(10)}${r.p99.toFixed(3).padStart(10)}${String(r.errors + l.errors).padStart(8)}${(r.cpuUsPerReq ?? NaN).toFixed(1).padStart(12)}   |      ${l.p50.toFixed(3).padStart(8)}${l.p99.toFixed(3).padStart(9)}`,
      );
    }
    const [d, lb, ng, sp] = targets.map(([name]) => best.get(name)!);
    const [dl, lbl, ngl] = targets.map(([name]) => lat.get(name)!);
    console.log("(CPU us/req: the proxy process's own CPU time per request; for direct, the replica's)");
    console.log('');
    const ratio = lb.rps / ng.rps;
    console.log(`lb / nginx throughput: ${(ratio * 100).toFixed(1)}%  (target >= ${TARGET_RATIO * 100}%: ${ratio >= TARGET_RATIO ? 'met' : 'NOT met'})`);
    // On a shared machine wall throughput follows the scheduler; CPU per request is what each
    // would serve with one core of its own.
    const cpuRatio = ng.cpuUsPerReq! / lb.cpuUsPerReq!;
    console.log(
      `proxy CPU per request: lb ${lb.cpuUsPerReq!.toFixed(1)} us, nginx ${ng.cpuUsPerReq!.toFixed(1)} us: with equal CPU, lb = ${(cpuRatio * 100).toFixed(1)}% of nginx`,
    );
    console.log(
      `bound: a bare TCP splice on Node's sockets costs ${sp.cpuUsPerReq!.toFixed(1)} us per request, so no Node proxy exceeds ${((ng.cpuUsPerReq! / sp.cpuUsPerReq!) * 100).toFixed(1)}% of nginx with equal CPU; ` +
        `lb's HTTP work on top of that floor: ${(lb.cpuUsPerReq! - sp.cpuUsPerReq!).toFixed(1)} us`,
    );
    console.log(
      `lb added p50 (c=${LATENCY_CONNECTIONS}): ${(lbl.p50 - dl.p50).toFixed(3)} ms  (target < 1 ms); nginx added p50: ${(ngl.p50 - dl.p50).toFixed(3)} ms`,
    );
    console.log(`lb / direct throughput: ${((lb.rps / d.rps) * 100).toFixed(1)}%; nginx / direct: ${((ng.rps / d.rps) * 100).toFixed(1)}%`);
  } finally {
    for (const c of children) c.kill('SIGTERM');
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  for (const c of children) c.kill('SIGTERM');
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
