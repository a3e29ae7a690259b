/**
 * Serving's verbs as functions (the CLI and the extension call these): up, update,
 * status, logs, down. Every verb first restarts a controller that is missing (crashed,
 * machine rebooted), so a service recovers by being looked at.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { InputError, SkyDeckError } from '../errors';
import { validateClusterName } from '../cluster/naming';
import type { ClusterEngine } from '../cluster/types';
import { isAlive } from '../util/detached';
import { spawnSupervisor, stopSupervisor, wakeSupervisor } from './supervisor';
import { loadServiceTask } from './task';
import { controllerLogPath, findService, getService, listServices, loadBalancerLogPath, patchService, removeService, serviceDir, servicesTable } from './state';
import type { ServiceRecord, UpdateMode } from './types';

class ServiceExistsError extends SkyDeckError {
  constructor(name: string) {
    super('SERVICE_EXISTS', `Service '${name}' already exists.`, { hint: `Use \`skydeck serve update ${name} TASK\` to change it, or another -n name.` });
  }
}

class ControllerStartError extends SkyDeckError {
  constructor(name: string, logTail: string) {
    super('SERVE_CONTROLLER_FAILED', `The controller of service '${name}' did not start.${logTail ? `\n${logTail}` : ''}`, {
      hint: `See ${controllerLogPath(name)}.`,
    });
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function tail(file: string, lines = 15): string {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/** The copy of the task the controller runs: it may hold secrets (envs, secrets), so 0600 in a 0700 folder. */
function snapshotTask(name: string, version: number, taskFile: string): string {
  const dir = serviceDir(name);
  fs.chmodSync(dir, 0o700);
  const dest = path.join(dir, `task-v${version}.yaml`);
  const text = fs.readFileSync(taskFile);
  fs.rmSync(dest, { force: true }); // a file left by an earlier service of this name keeps its mode otherwise
  fs.writeFileSync(dest, text, { mode: 0o600, flag: 'wx' });
  return dest;
}

/**
 * Makes sure a controller runs for `s` (any serve verb does this): nothing to do when it
 * runs; its supervisor, if alive, is restarting it (woken, to skip the backoff);
 * otherwise a new supervisor is started. True when a controller is on its way.
 */
async function ensureController(s: ServiceRecord): Promise<boolean> {
  if (isAlive(s.controller) || s.status === 'FAILED_CLEANUP') return false;
  return servicesTable().update((t) => {
    const cur = t.services[s.name];
    if (!cur || isAlive(cur.controller)) return false;
    if (cur.supervisor && isAlive(cur.supervisor)) {
      wakeSupervisor(cur.supervisor);
      return true;
    }
    // Recorded under the store's lock, so a verb racing with this one sees it alive.
    cur.supervisor = spawnSupervisor(s.name);
    return true;
  });
}

async function waitFor<T>(check: () => Promise<T | undefined>, timeoutMs: number, onTimeout: () => Error): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw onTimeout();
    await sleep(100);
  }
}

export interface UpResult {
  name: string;
  endpoint: string;
}

/** `serve up`: registers the service, starts its controller, returns once the endpoint is listening. */
export async function serveUp(taskFile: string, options: { name?: string } = {}): Promise<UpResult> {
  loadServiceTask(taskFile); // validates before anything is created
  // As SkyPilot: the task's name is not used; unnamed services get sky-service-<4 hex>.
  const name = options.name ?? `sky-service-${crypto.randomBytes(2).toString('hex')}`;
  validateClusterName(name);
  const created = await servicesTable().update((t) => {
    if (t.services[name]) return false;
    t.services[name] = { name, status: 'CONTROLLER_INIT', createdAt: Date.now(), versions: [], replicas: [], nextReplicaId: 1 };
    return true;
  });
  if (!created) throw new ServiceExistsError(name);
  const file = snapshotTask(name, 1, taskFile);
  await patchService(name, (s) => void s.versions.push({ version: 1, taskFile: file, mode: 'rolling', createdAt: Date.now() }));
  await ensureController((await findService(name))!);
  const endpoint = await waitFor(
    async () => {
      const s = await findService(name);
      if (s?.endpoint) return s.endpoint;
      // The controller recorded why it could not start, or nothing is left to start it.
      if (s && (s.startError || (!isAlive(s.supervisor) && !isAlive(s.controller)))) {
        stopSupervisor(s.supervisor);
        const log = tail(controllerLogPath(name));
        await removeService(name);
        throw new ControllerStartError(name, log);
      }
      return undefined;
    },
    60_000,
    () => new ControllerStartError(name, tail(controllerLogPath(name))),
  );
  return { name, endpoint };
}

/** `serve update`: records a new version; the controller rolls it out. */
export async function serveUpdate(name: string, taskFile: string, mode: UpdateMode = 'rolling'): Promise<number> {
  if (mode !== 'rolling' && mode !== 'blue_green') throw new InputError(`--mode must be rolling or blue_green (got ${mode}).`);
  loadServiceTask(taskFile);
  const s = await getService(name);
  if (s.downRequested) throw new InputError(`Service '${name}' is shutting down.`);
  const version = Math.max(0, ...s.versions.map((v) => v.version)) + 1;
  const file = snapshotTask(name, version, taskFile);
  const updated = await patchService(name, (rec) => void rec.versions.push({ version, taskFile: file, mode, createdAt: Date.now() }));
  if (updated) await ensureController(updated);
  return version;
}

/** Services (all, or the named ones), after restarting missing controllers. */
export async function serveStatus(names?: string[]): Promise<ServiceRecord[]> {
  let all = await listServices();
  if (names?.length) {
    const missing = names.filter((n) => !all.some((s) => s.name === n));
    if (missing.length)
      throw new InputError(`Service${missing.length > 1 ? 's' : ''} not found: ${missing.join(', ')}.`, {
        hint: 'Run `skydeck serve status` to see existing services.',
      });
    all = all.filter((s) => names.includes(s.name));
  }
  let restarted = false;
  for (const s of all) restarted = (await ensureController(s)) || restarted;
  return restarted ? (await listServices()).filter((s) => all.some((a) => a.name === s.name)) : all;
}

/**
 * `serve down`: asks each controller to tear its service down and waits until the
 * records are gone. When a controller cannot run, the replicas are downed from here.
 */
export async function serveDown(
  names: string[] | 'all',
  engine: ClusterEngine,
  options: { timeoutMs?: number; onProgress?: (m: string) => void } = {},
): Promise<string[]> {
  const all = await listServices();
  const targets = names === 'all' ? all : names.map((n) => all.find((s) => s.name === n) ?? n);
  const missing = targets.filter((t): t is string => typeof t === 'string');
  if (missing.length)
    throw new InputError(`Service${missing.length > 1 ? 's' : ''} not found: ${missing.join(', ')}.`, {
      hint: 'Run `skydeck serve status` to see existing services.',
    });
  const services = targets as ServiceRecord[];
  for (const s of services) {
    const rec = await patchService(s.name, (r) => {
      r.downRequested = true;
      if (r.status === 'FAILED_CLEANUP') r.status = 'SHUTTING_DOWN';
    });
    if (rec) await ensureController(rec);
    options.onProgress?.(`Tearing down service '${s.name}'.`);
  }
  const deadline = Date.now() + (options.timeoutMs ?? 300_000);
  const pending = new Set(services.map((s) => s.name));
  while (pending.size) {
    for (const n of [...pending]) {
      const s = await findService(n);
      if (!s) {
        pending.delete(n);
        options.onProgress?.(`Service '${n}' is down.`);
        continue;
      }
      if (s.status === 'FAILED_CLEANUP' && !isAlive(s.controller)) {
        throw new SkyDeckError('SERVE_CLEANUP_FAILED', `Service '${n}' could not be fully torn down: ${s.failureReason ?? 'see the controller log'}.`, {
          hint: `Run \`skydeck serve down ${n}\` again, or check \`skydeck status\`.`,
        });
      }
      // The controller could not come back (e.g. its task file is gone): clean up from here.
      if (!isAlive(s.controller) && !(await ensureController(s))) await downWithoutController(s, engine);
    }
    if (!pending.size) break;
    if (Date.now() > deadline)
      throw new SkyDeckError('SERVE_DOWN_TIMEOUT', `Timed out tearing down: ${[...pending].join(', ')}.`, {
        hint: 'Run `skydeck serve status` to see what is left.',
      });
    await sleep(200);
  }
  return services.map((s) => s.name);
}

async function downWithoutController(s: ServiceRecord, engine: ClusterEngine): Promise<void> {
  const owned = (await engine.status({})).filter((c) => c.owner === `service:${s.name}`).map((c) => c.name);
  for (const n of new Set([...s.replicas.map((r) => r.cluster), ...owned])) {
    await engine.down(n).catch((e: { code?: string }) => {
      if (e.code !== 'NOT_FOUND') throw e;
    });
  }
  await removeService(s.name);
  stopSupervisor(s.supervisor);
}

export type LogTarget = { kind: 'controller' } | { kind: 'load-balancer' } | { kind: 'replica'; id: number };

/** Streams a log file; with `follow`, keeps reading until the signal aborts or the service is gone. */
async function followFile(file: string, name: string, follow: boolean, onData: (chunk: string) => void, signal?: AbortSignal): Promise<void> {
  let offset = 0;
  for (;;) {
    try {
      const fd = fs.openSync(file, 'r');
      try {
        const size = fs.fstatSync(fd).size;
        if (size > offset) {
          const buf = Buffer.alloc(size - offset);
          fs.readSync(fd, buf, 0, buf.length, offset);
          offset = size;
          onData(buf.toString());
        }
      } finally {
        fs.closeSync(fd);
      }
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    if (!follow || signal?.aborted || !(await findService(name))) return;
    await sleep(300);
  }
}

export async function serveLogs(
  name: string,
  target: LogTarget,
  engine: ClusterEngine,
  options: { follow: boolean; onData: (chunk: string) => void; signal?: AbortSignal },
): Promise<void> {
  const s = await getService(name);
  await ensureController(s);
  if (target.kind === 'controller') return followFile(controllerLogPath(name), name, options.follow, options.onData, options.signal);
  if (target.kind === 'load-balancer') return followFile(loadBalancerLogPath(name), name, options.follow, options.onData, options.signal);
  const r = s.replicas.find((x) => x.id === target.id);
  if (!r) throw new InputError(`Service '${name}' has no replica ${target.id}.`, { hint: `Run \`skydeck serve status ${name}\` to see its replicas.` });
  if (r.status === 'PENDING' || r.status === 'PROVISIONING') {
    options.onData(`Replica ${r.id} is ${r.status}; its launch log so far:\n`);
    return followFile(path.join(serviceDir(name), `replica_${r.id}_launch.log`), name, false, options.onData, options.signal);
  }
  await engine.tailLogs(r.cluster, r.jobId, { follow: options.follow, onData: options.onData, signal: options.signal });
}
