/**
 * Chaos run against a real service controller (load balancer, probes, autoscaler in one
 * process, as `skydeck serve controller` runs it) in its own process, with a 1,024-file
 * limit, in front of a raw TCP replica on loopback:
 *   1. N malformed replies of each kind (test/unit/serve/malformedKinds.ts) through the
 *      load balancer: each should be a 502; controller exits must be 0;
 *   2. a flood of idle connections from 127.0.0.1, then requests from 127.0.0.2: failed
 *      requests must be 0, and the controller must still read its state (it sees a
 *      `serve down` and removes the service).
 * The controller's cluster engine is a stub whose only cluster is the raw replica (no
 * provisioning: the subject is the controller process). Exits 1 when a must-be-0 is not.
 *
 * Usage: node --import tsx bench/chaos/lb.ts [--replies N] [--flood N] [--requests N]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { ServiceController } from '../../engine/serve/controller';
import { findService, patchService, servicesTable } from '../../engine/serve/state';
import type { ClusterEngine, ClusterRecord } from '../../engine/cluster/types';
import { NotFoundError } from '../../engine/errors';
import { MALFORMED } from '../../test/unit/serve/malformedKinds';

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
}
const REPLIES = arg('replies', 20);
const FLOOD = arg('flood', 1000);
const REQUESTS = arg('requests', 100);
const FD_LIMIT = 1024;
const GOOD = 'HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\ngood';

// ---- the controller process ------------------------------------------------------------

/** A cluster engine whose every "launch" is the raw replica already listening on 127.0.0.1. */
function stubEngine(): ClusterEngine {
  const clusters = new Map<string, ClusterRecord>();
  return {
    async launch(_task, options = {}) {
      const name = options.clusterName!;
      const record: ClusterRecord = {
        name,
        status: 'UP',
        handle: { clusterName: name, nameOnCloud: name, provider: 'local', region: 'local', data: {} },
        resources: { cloud: 'local', region: 'local', instanceType: 'local', useSpot: false, diskSizeGb: 0, ports: [], pricePerHour: 0 },
        numNodes: 1,
        nodes: [{ id: 'n0', rank: 0, state: 'running', internalIp: '127.0.0.1' }],
        launchedAt: Date.now(),
        accumulatedUpSeconds: 0,
        owner: options.owner,
      };
      clusters.set(name, record);
      return { cluster: record, jobId: 1 };
    },
    exec: () => Promise.reject(new Error('not used')),
    status: async (o = {}) => [...clusters.values()].filter((c) => !o.names || o.names.includes(c.name)),
    queue: async () => [{ id: 1, user: 'u', status: 'RUNNING', submittedAt: 0, resources: '', logDir: '' }],
    tailLogs: async () => undefined,
    cancel: async () => [],
    stop: async () => undefined,
    start: () => Promise.reject(new Error('not used')),
    autostop: async () => undefined,
    down: async (name) => {
      if (!clusters.delete(name)) throw new NotFoundError(`Cluster '${name}'`);
    },
  };
}

async function controllerMain(home: string, replicaPort: number): Promise<void> {
  process.env.SKYDECK_HOME = home;
  const task = path.join(home, 'task.yaml');
  fs.mkdirSync(home, { recursive: true });
  fs.writeFileSync(
    task,
    `name: chaos\nservice:\n  readiness_probe:\n    path: /health\n    endpoint_probe_interval_seconds: 0.5\n  replicas: 1\nresources:\n  infra: local\n  ports: ${replicaPort}\nrun: serve\n`,
  );
  await servicesTable().update((s) => {
    s.services.chaos = {
      name: 'chaos',
      status: 'CONTROLLER_INIT',
      createdAt: Date.now(),
      versions: [{ version: 1, taskFile: task, mode: 'rolling', createdAt: Date.now() }],
      replicas: [],
      nextReplicaId: 1,
    };
  });
  await new ServiceController('chaos', {
    engine: stubEngine(),
    tickMs: 200,
    lbHost: '127.0.0.1',
    lbPorts: [20000 + Math.floor(Math.random() * 9000), 29999],
  }).run();
}

// ---- the bench ---------------------------------------------------------------------------

/** The raw replica: /health and other paths get GOOD; /bad/<i> the i-th malformed reply. */
function rawReplica(): Promise<net.Server> {
  const kinds = Object.values(MALFORMED);
  const server = net.createServer((s) => {
    s.on('error', () => s.destroy());
    let buf = '';
    s.on('data', (d) => {
      buf += d.toString('latin1');
      for (let end = buf.indexOf('\r\n\r\n'); end >= 0; end = buf.indexOf('\r\n\r\n')) {
        const m = /^\/bad\/(\d+)$/.exec(buf.slice(0, end).split(' ')[1] ?? '/');
        buf = buf.slice(end + 4);
        s.write(m ? kinds[Number(m[1])] : GOOD, 'latin1');
      }
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

function get(url: string, localAddress?: string): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get(url, { agent: false, localAddress, timeout: 15_000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', () => resolve(-1));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve(-1));
  });
}

async function waitFor<T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skydeck-chaos-lb-'));
  const home = path.join(dir, 'home');
  process.env.SKYDECK_HOME = home;
  const replica = await rawReplica();
  const replicaPort = (replica.address() as net.AddressInfo).port;
  let exits = 0;
  let controller: ChildProcess | undefined;
  const flood: net.Socket[] = [];
  try {
    // The controller's soft and hard limit: 1,024 open files (Node sets soft to hard at start).
    const node = [process.execPath, '--import', 'tsx', __filename, '--controller', home, String(replicaPort)];
    controller = spawn('/bin/sh', ['-c', `ulimit -n ${FD_LIMIT} && exec "$@"`, 'sh', ...node], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    controller.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    controller.on('exit', () => exits++);
    const endpoint = await waitFor('the endpoint', async () => (await findService('chaos'))?.endpoint);
    await waitFor('a ready replica', async () => ((await get(`${endpoint}/good`)) === 200 ? true : undefined));
    console.log(`controller pid ${controller.pid} (open-file limit ${FD_LIMIT}), endpoint ${endpoint}, raw replica 127.0.0.1:${replicaPort}`);

    // 1. Malformed replies.
    const kinds = Object.keys(MALFORMED);
    let sent = 0;
    let answered502 = 0;
    let goodAfter = 0;
    const perKind: string[] = [];
    for (const [i, kind] of kinds.entries()) {
      let ok = 0;
      for (let n = 0; n < REPLIES && exits === 0; n++) {
        sent++;
        if ((await get(`${endpoint}/bad/${i}`)) === 502) {
          answered502++;
          ok++;
        }
        if ((await get(`${endpoint}/good`)) === 200) goodAfter++;
      }
      perKind.push(`  ${kind.padEnd(38)} ${ok}/${REPLIES} answered 502`);
    }
    console.log(`\nmalformed upstream replies sent: ${sent} (${kinds.length} kinds x ${REPLIES})`);
    console.log(perKind.join('\n'));
    console.log(`answered 502: ${answered502}/${sent}; good requests right after each: ${goodAfter}/${sent} succeeded`);
    console.log(`controller exits: ${exits}  (must be 0)`);
    if (exits) console.log(`controller stderr:\n${stderr}`);

    // 2. Flood from one client, requests from another.
    let kept = 0;
    if (exits === 0) {
      const { port } = new URL(endpoint);
      await Promise.race([
        Promise.all(
          Array.from({ length: FLOOD }, () => {
            const s = net.connect({ host: '127.0.0.1', port: Number(port) });
            flood.push(s);
            s.on('error', () => undefined);
            return new Promise<void>((resolve) => {
              s.once('connect', () => resolve());
              s.once('close', () => resolve());
            });
          }),
        ),
        new Promise((r) => setTimeout(r, 30_000).unref()),
      ]);
      // Let the load balancer's refusals arrive before counting what it kept.
      await new Promise((r) => setTimeout(r, 500));
      kept = flood.filter((s) => !s.destroyed && s.readyState === 'open').length;
    }
    let failed = 0;
    for (let n = 0; n < REQUESTS; n += 5) {
      const batch = await Promise.all(Array.from({ length: Math.min(5, REQUESTS - n) }, () => get(`${endpoint}/good`, '127.0.0.2')));
      failed += batch.filter((s) => s !== 200).length;
    }
    const exitsDuringFlood = exits;
    // The controller reads its state: it sees the down request and removes the service (then exits).
    await patchService('chaos', (s) => void (s.downRequested = true));
    const readsState = await waitFor('the controller to remove the service', async () => ((await findService('chaos')) ? undefined : true), 30_000).catch(
      () => false,
    );
    console.log(`\nflood: ${FLOOD} idle connections from 127.0.0.1 (${kept} kept open by the load balancer, the rest refused)`);
    console.log(`requests from 127.0.0.2 during the flood: ${REQUESTS}, failed: ${failed}  (must be 0)`);
    console.log(`controller read its state during the flood (saw serve down): ${readsState ? 'yes' : 'NO'}`);
    console.log(`controller exits: ${exitsDuringFlood}  (must be 0)`);
    if (exitsDuringFlood || failed || !readsState) process.exitCode = 1;
  } finally {
    for (const s of flood) s.destroy();
    if (controller && controller.exitCode === null) controller.kill('SIGKILL');
    replica.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--controller') {
  controllerMain(process.argv[3], Number(process.argv[4])).then(
    () => process.exit(0),
    (e) => {
      console.error(e);
      process.exit(1);
    },
  );
} else {
  main().catch((e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
