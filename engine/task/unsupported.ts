/**
 * Task fields SkyDeck accepts (they are valid SkyPilot) but does not act on. Nothing is dropped
 * silently: each becomes a warning, or an error where running without it would be wrong (the
 * job would miss its data or its container). The launch paths print these
 * (`reportUnsupported`); the editor shows the same text on the field (`unsupportedFieldProblems`).
 */
import { InputError } from '../errors';
import type { ResourcesSpec, Task, TaskFile } from './types';

export interface UnsupportedField {
  /** Dotted path of the field as written, e.g. `resources.network_tier`. */
  field: string;
  message: string;
  severity: 'warning' | 'error';
}

/** SkyPilot's high-bandwidth networking for `network_tier: best`, per cloud (sky/clouds/*.py). */
const BEST_NETWORK: Record<string, string> = {
  gcp: 'GPUDirect-TCPX (its image, NCCL plugin and a compact placement policy)',
  aws: 'EFA network interfaces on instances that have them',
  nebius: 'InfiniBand',
  kubernetes: "the cluster's high-performance network (GKE TCPX, Nebius or CoreWeave InfiniBand)",
};

const KUBERNETES_LIKE = ['kubernetes', 'ssh'];
/** Where a volume (type k8s-pvc) can be mounted: a PVC on Kubernetes, a host directory on SSH pools and local. */
const VOLUME_INFRA = ['kubernetes', 'ssh', 'local'];

function where(infra: string | undefined): string {
  return infra ? `on ${infra}` : 'on any infra';
}

/**
 * The keys the warnings below are about: each needs one of them written somewhere in the task
 * (`workers` is service.pool's other name), so the editor skips building the task for a document
 * that has none (unsupportedDiagnostics.ts). A new warning adds its key here.
 */
export const UNSUPPORTED_FIELD_KEYS: ReadonlySet<string> = new Set([
  'network_tier',
  'priority',
  'local_disk',
  'ephemeral_storage',
  'accelerator_args',
  'spot_placer',
  'pool',
  'workers',
  'event_callback',
  'inputs',
  'outputs',
  'volumes',
]);

/**
 * What of `task` SkyDeck will not honour when it runs on `plannedInfra` (a cloud name such as
 * `aws`, `kubernetes`, `ssh`, `local`; undefined when not known yet).
 */
export function unsupportedFieldWarnings(task: Task, plannedInfra?: string): UnsupportedField[] {
  const out: UnsupportedField[] = [];
  const add = (field: string, message: string, severity: 'warning' | 'error' = 'warning') => {
    if (!out.some((o) => o.field === field)) out.push({ field, message, severity });
  };
  const specs = [task.resources.base, ...task.resources.candidates];
  const infra = plannedInfra?.toLowerCase();
  const any = <T>(pick: (s: ResourcesSpec) => T | undefined): T | undefined => specs.map(pick).find((v) => v !== undefined);
  const rawResources = task.raw.resources;

  const tier = any((s) => s.networkTier);
  if (tier === 'best') {
    const skypilot =
      infra && BEST_NETWORK[infra]
        ? `SkyPilot would set up ${BEST_NETWORK[infra]}`
        : 'SkyPilot sets up GPUDirect-TCPX on GCP, EFA on AWS, InfiniBand on Nebius and Kubernetes';
    add('resources.network_tier', `network_tier: best is not honoured ${where(infra)}: SkyDeck launches with the default network (${skypilot}).`);
  }
  if (any((s) => s.priority) !== undefined)
    add('resources.priority', `priority is not honoured ${where(infra)}: SkyDeck does not order jobs or pods by priority.`);
  if (any((s) => s.localDisk) !== undefined)
    add('resources.local_disk', `local_disk is not honoured ${where(infra)}: SkyDeck does not request or mount local NVMe/SSD disks.`);
  if (hasDeep(rawResources, 'ephemeral_storage')) {
    if (infra && !KUBERNETES_LIKE.includes(infra))
      add('resources.ephemeral_storage', `ephemeral_storage only applies on Kubernetes, not ${where(infra)}.`, 'error');
    else add('resources.ephemeral_storage', `ephemeral_storage is not honoured ${where(infra)}: SkyDeck does not set the pods' ephemeral-storage request yet.`);
  }
  if (any((s) => s.acceleratorArgs) !== undefined)
    add('resources.accelerator_args', `accelerator_args (TPU options) are not honoured ${where(infra)}: SkyDeck does not provision TPUs.`);
  const service = task.raw.service as Record<string, unknown> | undefined;
  const policy = service && typeof service === 'object' ? (service.replica_policy as Record<string, unknown> | undefined) : undefined;
  if (policy && typeof policy === 'object' && policy.spot_placer !== undefined && policy.spot_placer !== null) {
    add('service.replica_policy.spot_placer', 'spot_placer is not honoured: SkyDeck places spot replicas by price, not with the dynamic_fallback placer.');
  }
  if (task.pool !== undefined || (service && typeof service === 'object' && (service.pool !== undefined || service.workers !== undefined))) {
    add('pool', 'pool (cluster pools for managed jobs) is not implemented: SkyDeck launches each managed job on its own cluster.');
  }
  if (typeof task.raw.event_callback === 'string') add('event_callback', 'event_callback is not run: SkyDeck does not call a command on task state changes.');
  for (const k of ['inputs', 'outputs']) {
    if (task.raw[k] !== undefined && task.raw[k] !== null) add(k, `${k} is not used: SkyDeck's optimizer does not price data egress.`);
  }
  if (task.volumes && Object.keys(task.volumes).length) {
    // Named volumes are mounted (engine/volumes); what cannot work is refused here, before any plan.
    const ephemeral = Object.entries(task.volumes).filter(([, v]) => typeof v === 'object' && v !== null && typeof (v as { name?: unknown }).name !== 'string');
    if (ephemeral.length)
      add(
        'volumes',
        `ephemeral volumes (${ephemeral.map(([p]) => p).join(', ')}) are not implemented: create a volume with \`skydeck volumes apply\` and name it.`,
        'error',
      );
    else if (infra && !VOLUME_INFRA.includes(infra))
      add(
        'volumes',
        `volumes (${Object.keys(task.volumes).join(', ')}) cannot be mounted ${where(infra)}: SkyDeck's volumes live on Kubernetes, SSH node pools and local.`,
        'error',
      );
  }
  if (hasDeep(rawResources, 'volumes')) add('resources.volumes', `resources.volumes (GCP disks) are not implemented ${where(infra)}.`, 'error');
  return out;
}

function hasDeep(o: unknown, key: string): boolean {
  if (!o || typeof o !== 'object') return false;
  if (Array.isArray(o)) return o.some((x) => hasDeep(x, key));
  const rec = o as Record<string, unknown>;
  return (rec[key] !== undefined && rec[key] !== null) || Object.values(rec).some((v) => hasDeep(v, key));
}

/**
 * File-level fields (a job group's header). `execution: parallel`, `primary_tasks` and
 * `termination_delay` are honoured by `jobs launch` (engine/jobs/groupRunner.ts). The
 * group's `<task>-<rank>.<group>` hostnames go into each node's /etc/hosts where the node
 * lets SkyDeck (engine/jobs/groupNetwork.ts), never on `local`, whose nodes share this
 * machine's: tasks pinned there are named here; elsewhere the run itself says so.
 */
export function unsupportedFileWarnings(file: TaskFile): UnsupportedField[] {
  const local = file.execution === 'parallel' ? file.tasks.filter((t) => plannedInfraOf(t) === 'local') : [];
  if (local.length === 0) return [];
  return [
    {
      field: 'execution',
      severity: 'warning',
      message: `the job group's hostnames (<task>-<rank>.${file.name ?? '<group>'}) are not written on local (task ${local.map((t) => t.name ?? '?').join(', ')}): its nodes share this machine's /etc/hosts. The tasks reach each other at $SKYPILOT_JOBGROUP_HOST_<TASK> or the addresses in ~/.skydeck_node/jobgroup.hosts.`,
    },
  ];
}

/** The cloud every candidate of the task names, if they agree (the plan may still pick it). */
export function plannedInfraOf(task: Task): string | undefined {
  const clouds = new Set(task.resources.candidates.map((c) => c.infra?.cloud ?? task.resources.base.infra?.cloud));
  if (clouds.size === 0) return task.resources.base.infra?.cloud;
  return clouds.size === 1 ? [...clouds][0] : undefined;
}

/** Launch paths: print each warning, refuse when one is an error (named by field and infra). */
export function reportUnsupported(tasks: Task[], file: TaskFile | undefined, write: (line: string) => void): void {
  const found = [...(file ? unsupportedFileWarnings(file) : []), ...tasks.flatMap((t) => unsupportedFieldWarnings(t, plannedInfraOf(t)))];
  for (const f of found) if (f.severity === 'warning') write(`Warning: ${f.field}: ${f.message}\n`);
  const errors = found.filter((f) => f.severity === 'error');
  if (errors.length) {
    throw new InputError(errors.map((f) => `${f.field}: ${f.message}`).join('\n'), {
      code: 'UNSUPPORTED_FIELD',
      hint: 'Remove the field, or run where SkyDeck implements it.',
    });
  }
}
