/**
 * Services in the store (SKYDECK_HOME/state/services.json) and their files under
 * SKYDECK_HOME/serve/<name>/ (task versions, controller and load-balancer logs).
 *
 * Ownership of fields: the CLI writes `versions` and `downRequested`; the controller
 * writes everything else while it is alive. Both go through Collection.update.
 */
import * as path from 'node:path';
import { Collection } from '../state/store';
import { NotFoundError } from '../errors';
import { homeSubdir } from '../util/paths';
import { isAlive } from '../util/detached';
import type { ServiceRecord, ServicesState, ServiceStatus } from './types';
import { isFailedReplica } from './types';

/** Opened per call so SKYDECK_HOME is read when used (tests set it per test). */
export function servicesTable(): Collection<ServicesState> {
  return new Collection<ServicesState>({ name: 'services', initial: () => ({ services: {} }) });
}

export function serviceDir(name: string): string {
  return homeSubdir('serve', name);
}
export function controllerLogPath(name: string): string {
  return path.join(serviceDir(name), 'controller.log');
}
export function loadBalancerLogPath(name: string): string {
  return path.join(serviceDir(name), 'load_balancer.log');
}
export function replicaLaunchLogPath(name: string, id: number): string {
  return path.join(serviceDir(name), `replica_${id}_launch.log`);
}

export async function listServices(): Promise<ServiceRecord[]> {
  const t = await servicesTable().read();
  return Object.values(t.services).sort((a, b) => a.createdAt - b.createdAt);
}

export async function findService(name: string): Promise<ServiceRecord | undefined> {
  return (await servicesTable().read()).services[name];
}

export async function getService(name: string): Promise<ServiceRecord> {
  const s = await findService(name);
  if (!s) throw new NotFoundError(`Service '${name}'`, { hint: 'Run `skydeck serve status` to see existing services.' });
  return s;
}

export async function patchService(name: string, change: (s: ServiceRecord) => void): Promise<ServiceRecord | undefined> {
  return servicesTable().update((t) => {
    const s = t.services[name];
    if (!s) return undefined;
    change(s);
    return s;
  });
}

export async function removeService(name: string): Promise<void> {
  await servicesTable().update((t) => {
    delete t.services[name];
  });
}

/** SkyPilot's derivation from replica states (serve_state.py). */
export function deriveServiceStatus(s: Pick<ServiceRecord, 'replicas' | 'downRequested'>): ServiceStatus {
  if (s.downRequested) return 'SHUTTING_DOWN';
  if (s.replicas.some((r) => r.status === 'READY')) return 'READY';
  if (s.replicas.some((r) => isFailedReplica(r.status))) return 'FAILED';
  if (s.replicas.length === 0) return 'NO_REPLICA';
  return 'REPLICA_INIT';
}

/** The status to show: the stored one, unless the controller died (CONTROLLER_FAILED). */
export function displayStatus(s: ServiceRecord): ServiceStatus {
  if (s.status === 'CONTROLLER_INIT' || s.status === 'FAILED_CLEANUP') return s.status;
  if (!isAlive(s.controller)) return 'CONTROLLER_FAILED';
  return s.status;
}
