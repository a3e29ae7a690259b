/**
 * Serving's state model: SkyPilot's service and replica states (sky/serve/serve_state.py)
 * and the records the controller keeps in the store.
 */
import type { ProcessIdentity } from '../util/detached';

export const REPLICA_STATUSES = [
  'PENDING',
  'PROVISIONING',
  'STARTING',
  'READY',
  'NOT_READY',
  'SHUTTING_DOWN',
  'FAILED',
  'FAILED_INITIAL_DELAY',
  'FAILED_PROBING',
  'FAILED_PROVISION',
  'FAILED_CLEANUP',
  'PREEMPTED',
  'UNKNOWN',
] as const;
export type ReplicaStatus = (typeof REPLICA_STATUSES)[number];

const FAILED_REPLICA_STATUSES: readonly ReplicaStatus[] = ['FAILED', 'FAILED_CLEANUP', 'FAILED_INITIAL_DELAY', 'FAILED_PROBING', 'FAILED_PROVISION', 'UNKNOWN'];
const TERMINAL_REPLICA_STATUSES: readonly ReplicaStatus[] = ['SHUTTING_DOWN', 'PREEMPTED', ...FAILED_REPLICA_STATUSES];
/** SkyPilot scales down replicas in this order (least useful first). */
export const SCALE_DOWN_ORDER: readonly ReplicaStatus[] = ['PENDING', 'PROVISIONING', 'STARTING', 'NOT_READY', 'READY'];

export function isFailedReplica(s: ReplicaStatus): boolean {
  return FAILED_REPLICA_STATUSES.includes(s);
}
export function isTerminalReplica(s: ReplicaStatus): boolean {
  return TERMINAL_REPLICA_STATUSES.includes(s);
}

export const SERVICE_STATUSES = [
  'CONTROLLER_INIT',
  'REPLICA_INIT',
  'CONTROLLER_FAILED',
  'READY',
  'SHUTTING_DOWN',
  'FAILED',
  'FAILED_CLEANUP',
  'NO_REPLICA',
] as const;
export type ServiceStatus = (typeof SERVICE_STATUSES)[number];

export type UpdateMode = 'rolling' | 'blue_green';

export interface ReplicaRecord {
  id: number;
  version: number;
  /** Cluster name: `<service>-<id>`. */
  cluster: string;
  status: ReplicaStatus;
  useSpot: boolean;
  /** `http://<head internal ip>:<port>` once the cluster is up. */
  url?: string;
  launchedAt?: number;
  /** The replica's job on its cluster (the task's `run`). */
  jobId?: number;
  /** First successful probe. */
  readyAt?: number;
  /** Start of the current run of failed probes. */
  firstFailedProbeAt?: number;
  /** INFRA / RESOURCES columns, as the cluster engine reports them. */
  infra?: string;
  resources?: string;
  /** Why the replica failed (shown by `serve status` and logged). */
  failureReason?: string;
  /** Set when this replica is leaving because of a scale-down (removed from the table when done). */
  scaleDown?: boolean;
}

export interface ServiceVersion {
  version: number;
  /** The task YAML as submitted (a copy under SKYDECK_HOME/serve/<name>/). */
  taskFile: string;
  mode: UpdateMode;
  createdAt: number;
}

export interface ServiceRecord {
  name: string;
  status: ServiceStatus;
  createdAt: number;
  /** Written by the CLI (`serve up`, `serve update`); the newest is the target version. */
  versions: ServiceVersion[];
  /** Set by `serve down`; the controller tears everything down and removes the record. */
  downRequested?: boolean;
  controller?: ProcessIdentity;
  /** The process that restarts the controller when it dies (engine/serve/supervisor.ts). */
  supervisor?: ProcessIdentity;
  /** Why the load balancer is not listening on its port (another process holds it); the controller keeps retrying. */
  lbError?: string;
  /** Why the controller could not start the first time (`serve up` reports it and removes the service). */
  startError?: string;
  /** Load balancer port (chosen by the controller, kept across controller restarts). */
  lbPort?: number;
  endpoint?: string;
  tls?: boolean;
  /** Written by the controller. */
  replicas: ReplicaRecord[];
  nextReplicaId: number;
  /** The newest version that has had a READY replica (traffic switch for blue_green). */
  activeVersion?: number;
  autoscalerTarget?: number;
  /** Policy names for `serve status -v`. */
  loadBalancingPolicy?: string;
  autoscalingPolicy?: string;
  /** Why the service is FAILED / the controller gave up. */
  failureReason?: string;
}

export interface ServicesState {
  services: Record<string, ServiceRecord>;
}
