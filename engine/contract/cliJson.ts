/**
 * What crosses a process boundary as JSON: the `--json` output of the CLI verbs that the
 * extension, scripts and tests read. Each shape is defined once, beside the code that builds it
 * (so the builder is type-checked against it), and gathered here; the extension imports them
 * from this module with `import type` only, so no engine code enters its bundle.
 */
import type { serviceJson } from '../cli/commands/serve';

/** `skydeck status --json`: one row per cluster. */
export type { ClusterStatusJson } from '../cluster/format';
/** `skydeck queue CLUSTER --json`: one row per job on the cluster. */
export type { JobJson as ClusterJobJson } from '../cluster/format';
/** `skydeck jobs queue --json`: one row per managed job; pipelines and job groups (`execution: "parallel"`) carry their task rows (a group's with `primary`). */
export type { QueueRow as ManagedJobJson } from '../jobs/api';
/** `skydeck check --json`: one row per infra. */
export type { InfraCheckRow as CheckRowJson } from '../infra/check';
/** `skydeck show-gpus NAME --json` offer rows. */
export type { GpuOfferRow as GpuOfferJson, AcceleratorCounts as AcceleratorCountsJson } from '../catalog/listAccelerators';

/** `skydeck storage ls --json`: one row per storage object. */
export type { StorageRecord as StorageJson } from '../storage/types';

/** `skydeck volumes ls --json`: one row per volume. */
export type { VolumeJson } from '../cli/commands/volumes';

/** `skydeck serve status --json`: one object per service. */
export type ServiceJson = ReturnType<typeof serviceJson>;
export type ReplicaJson = ServiceJson['replicas'][number];

/** `skydeck launch TASK --dryrun --json`: one row per candidate, in this field order. */
export interface PlanRowJson {
  infra: string;
  cloud: string;
  region: string;
  zone: string | null;
  instanceType: string;
  accelerators: Record<string, number> | null;
  spot: boolean;
  nodes: number;
  pricePerHour: number;
  costPerHour: number;
}

/** `skydeck launch TASK --dryrun --json`: the chosen row per task of a pipeline, and every candidate. */
export interface PlanJson {
  chosen: PlanRowJson[];
  candidates: PlanRowJson[];
}

/** `skydeck show-gpus [NAME] --json`. */
export interface ShowGpusJson {
  accelerators: import('../catalog/listAccelerators').AcceleratorCounts[];
  /** Priced offers (only when a NAME is given). */
  offers: import('../catalog/listAccelerators').GpuOfferRow[];
  /** Free and total GPUs per accelerator on Kubernetes contexts and SSH pools. */
  available: { infra: string; accelerator: string; free: number; total: number }[];
}
