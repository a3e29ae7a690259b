/**
 * Keeps every non-terminal managed job owned by exactly one live controller process.
 * Run by every `skydeck jobs` verb (and by live controllers): jobs whose controller died
 * (kill, crash, reboot) are handed to a live controller with room, or to a new one.
 * Assignment happens under the store lock and only replaces a controller that is
 * provably gone (pid + start time), so two controllers never own one job.
 */
import type { Collection } from '../state/store';
import { isAlive, type ProcessIdentity } from '../util/detached';
import { spawnControllerProcess } from './spawn';
import { controllerKey, sameProcess } from './state';
import { needsController, type ManagedJobsState } from './types';

/** Jobs one controller process runs at most (see bench/jobs for why). */
export function controllerCapacity(env: NodeJS.ProcessEnv = process.env): number {
  const n = Number(env.SKYDECK_JOBS_PER_CONTROLLER);
  return Number.isInteger(n) && n > 0 ? n : DEFAULT_JOBS_PER_CONTROLLER;
}
const DEFAULT_JOBS_PER_CONTROLLER = 250;

/** Starts a controller process for `jobIds`; returns its identity. */
export type SpawnController = (jobIds: number[]) => ProcessIdentity;

export interface SuperviseOptions {
  store: Collection<ManagedJobsState>;
  spawn?: SpawnController;
  capacity?: number;
  /** The calling controller, which may take orphans itself. */
  self?: ProcessIdentity;
  alive?: (id: ProcessIdentity | undefined) => boolean;
}

export interface SuperviseResult {
  /** Jobs that had no live controller. */
  orphans: number[];
  spawned: ProcessIdentity[];
}

function orphansOf(state: ManagedJobsState, alive: (id: ProcessIdentity | undefined) => boolean): number[] {
  const memo = new Map<string, boolean>();
  const live = (id: ProcessIdentity | undefined) => {
    if (!id) return false;
    const k = controllerKey(id);
    if (!memo.has(k)) memo.set(k, alive(id));
    return memo.get(k)!;
  };
  return Object.values(state.jobs)
    .filter((j) => needsController(j) && !live(j.controller))
    .map((j) => j.id);
}

/**
 * Inside a store transaction: gives every orphaned non-terminal job a live controller with
 * room, spawning new controllers for the rest. Returns what it did.
 */
export function placeOrphans(s: ManagedJobsState, options: Omit<SuperviseOptions, 'store'> = {}): SuperviseResult {
  const alive = options.alive ?? isAlive;
  const spawn = options.spawn ?? spawnControllerProcess;
  const capacity = options.capacity ?? controllerCapacity();
  const orphans = orphansOf(s, alive);
  if (orphans.length === 0) return { orphans, spawned: [] };
  for (const [k, c] of Object.entries(s.controllers)) if (!alive(c.identity)) delete s.controllers[k];
  const load = new Map<string, number>();
  for (const j of Object.values(s.jobs)) {
    if (needsController(j) && j.controller) load.set(controllerKey(j.controller), (load.get(controllerKey(j.controller)) ?? 0) + 1);
  }
  const hosts = Object.values(s.controllers)
    .filter((c) => c.accepting)
    .sort((a, b) => Number(sameProcess(b.identity, options.self)) - Number(sameProcess(a.identity, options.self)));
  const unplaced: number[] = [];
  for (const id of orphans) {
    const host = hosts.find((c) => (load.get(controllerKey(c.identity)) ?? 0) < c.capacity);
    if (!host) {
      unplaced.push(id);
      continue;
    }
    s.jobs[id].controller = host.identity;
    load.set(controllerKey(host.identity), (load.get(controllerKey(host.identity)) ?? 0) + 1);
  }
  const spawned: ProcessIdentity[] = [];
  for (let k = 0; k < unplaced.length; k += capacity) {
    const ids = unplaced.slice(k, k + capacity);
    const identity = spawn(ids);
    spawned.push(identity);
    s.controllers[controllerKey(identity)] = { identity, accepting: true, capacity, startedAt: Date.now() };
    for (const id of ids) s.jobs[id].controller = identity;
  }
  return { orphans, spawned };
}

/** Gives every orphaned non-terminal job a live controller. Cheap when there is none (no lock). */
export async function ensureControllers(options: SuperviseOptions): Promise<SuperviseResult> {
  const alive = options.alive ?? isAlive;
  if (orphansOf(await options.store.read(), alive).length === 0) return { orphans: [], spawned: [] };
  const { store, ...rest } = options;
  return store.update((s) => placeOrphans(s, rest));
}
