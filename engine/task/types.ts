/**
 * The task model: what a SkyPilot task YAML means once parsed and validated.
 * Shared by the optimizer, the cluster engine, managed jobs and serving.
 * Field names follow SkyPilot's YAML (snake_case in YAML, camelCase here).
 */

/** One accelerator request: a canonical name and a (possibly fractional) count. */
export interface AcceleratorRequest {
  name: string;
  count: number;
  /** Memory forms (`80GB+`, `nvidia:24GB:2`): expand to every GPU with that memory (catalog). */
  memory?: { gb: number; orMore: boolean; manufacturer?: string };
}

/** `infra: cloud[/region[/zone]]`, `k8s/<context>`, `ssh/<pool>`; `*` wildcards allowed. */
export interface InfraSpec {
  cloud?: string; // lowercase cloud name: local, ssh, kubernetes, aws, gcp, azure, ...
  region?: string; // for kubernetes: the context; for ssh: the pool
  zone?: string;
}

/** cpus / memory as SkyPilot writes them: `4`, `4+`, `32GB`, `32+`, `4x` (memory per cpu). */
export interface QuantitySpec {
  value: number;
  orMore: boolean;
}

export type JobRecoveryStrategy = 'EAGER_NEXT_REGION' | 'FAILOVER';

export interface JobRecovery {
  strategy?: JobRecoveryStrategy;
  maxRestartsOnErrors?: number;
  recoverOnExitCodes?: number[];
}

export interface AutostopSpec {
  idleMinutes: number;
  down: boolean;
  waitFor?: 'jobs_and_ssh' | 'jobs' | 'none';
  /** false when written `autostop: false` (disables, and cancels an existing autostop). */
  enabled?: boolean;
}

/** One concrete candidate of resources (after any_of / ordered expansion). */
export interface ResourcesSpec {
  infra?: InfraSpec;
  /** A set of acceptable accelerators (dict / null-valued / list forms), or one. */
  accelerators?: AcceleratorRequest[];
  /** true when `accelerators` was a list (ordered preference) rather than a set. */
  acceleratorsOrdered?: boolean;
  cpus?: QuantitySpec;
  memory?: QuantitySpec & { perCpu?: boolean };
  instanceType?: string;
  useSpot?: boolean;
  diskSizeGb?: number;
  diskTier?: string;
  networkTier?: string;
  ports?: string[]; // normalized: '8080' or '10000-10010'
  imageId?: string | Record<string, string>;
  maxHourlyCost?: number;
  labels?: Record<string, string>;
  jobRecovery?: JobRecovery;
  autostop?: AutostopSpec;
  acceleratorArgs?: Record<string, unknown>;
  /** Deprecated `cloud:`/`region:`/`zone:` are folded into `infra`; other fields kept raw. */
  localDisk?: string;
  priority?: number;
}

/** `resources:` as written: one spec, or alternatives. */
export interface ResourcesChoice {
  /** Shared fields merged into every candidate. */
  base: ResourcesSpec;
  /** Alternatives: `any_of` (any, cheapest wins) or `ordered` (first feasible wins). */
  candidates: ResourcesSpec[];
  mode: 'single' | 'any_of' | 'ordered';
}

export interface StorageSpec {
  name?: string;
  source?: string | string[];
  store?: string;
  mode?: 'MOUNT' | 'COPY' | 'MOUNT_CACHED';
  persistent?: boolean;
  [extra: string]: unknown;
}

export interface ReadinessProbe {
  path: string;
  postData?: unknown;
  headers?: Record<string, string>;
  initialDelaySeconds: number;
  timeoutSeconds: number;
}

export interface ReplicaPolicy {
  minReplicas: number;
  maxReplicas?: number;
  numOverprovision?: number;
  targetQpsPerReplica?: number | Record<string, number>;
  upscaleDelaySeconds: number;
  downscaleDelaySeconds: number;
  baseOndemandFallbackReplicas?: number;
  dynamicOndemandFallback?: boolean;
}

export interface ServiceSpec {
  readinessProbe: ReadinessProbe;
  replicaPolicy: ReplicaPolicy;
  /** Port the replicas listen on (from service.ports or resources.ports). */
  port?: number;
  loadBalancingPolicy: 'round_robin' | 'least_load' | string;
  tls?: { keyfile: string; certfile: string };
}

export interface Task {
  name?: string;
  workdir?: string;
  numNodes: number;
  setup?: string;
  run?: string;
  envs: Record<string, string | null>;
  secrets: Record<string, string | null>;
  fileMounts: Record<string, string | StorageSpec>;
  resources: ResourcesChoice;
  service?: ServiceSpec;
  /** The raw (substituted) mapping, for fields not modelled above. */
  raw: Record<string, unknown>;
  /** `service.pool` / top-level `pool:` (cluster pools for managed jobs), raw. */
  pool?: Record<string, unknown>;
  /** `volumes:` {mount_path: name | {...}}, raw (substituted). */
  volumes?: Record<string, unknown>;
  /** `config:` per-task config overrides, raw. */
  config?: Record<string, unknown>;
  /** The file and YAML document the task was read from, so launch-time checks can name file:line. */
  origin?: { file: string; document: number };
}

/** A file: one task, or a pipeline of several (multi-document YAML). */
export interface TaskFile {
  /** Pipeline name (first document with only `name`), if any. */
  name?: string;
  tasks: Task[];
  /** Header `execution:` of a job group (`parallel`), when the file is one. */
  execution?: string;
  /** A job group's `primary_tasks` (task names); absent: every task is primary. */
  primaryTasks?: string[];
  /** A job group's `termination_delay`: one duration (`30s`, `5m`, seconds if bare) or {default | task name: duration}. */
  terminationDelay?: string | number | Record<string, string | number>;
}
