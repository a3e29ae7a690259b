/** SkyPilot's volumes (`sky volumes apply|ls|delete`) as SkyDeck records them. */

/** SkyPilot's volume types; `runpod-network-volume` is parsed so the error can name it. */
export const VOLUME_TYPES = ['k8s-pvc', 'runpod-network-volume'] as const;
export type VolumeType = (typeof VOLUME_TYPES)[number];

/** Kubernetes access modes a PVC may ask for. */
export const ACCESS_MODES = ['ReadWriteOnce', 'ReadWriteOncePod', 'ReadWriteMany', 'ReadOnlyMany'] as const;

/** A volume YAML (`name, type, infra, size, config, use_existing`), checked. */
export interface VolumeSpec {
  name: string;
  type: VolumeType;
  /** cloud (`kubernetes`, `ssh`, `local`) and region (the context or the pool), as written. */
  infra: { cloud: string; region?: string };
  /** Size in GiB (SkyPilot's `size`, `10Gi` or `10`); absent only with use_existing. */
  sizeGi?: number;
  useExisting: boolean;
  config: { namespace?: string; storageClassName?: string; accessMode?: string };
  /** Labels put on the PVC (Kubernetes); recorded elsewhere. */
  labels: Record<string, string>;
}

/** `skydeck volumes ls --json`: one row per volume. */
export interface VolumeRecord {
  name: string;
  type: VolumeType;
  /** `kubernetes/<context>`, `ssh/<pool>` or `local`. */
  infra: string;
  cloud: string;
  /** The context or pool (resolved at apply time); absent on local. */
  region?: string;
  sizeGi?: number;
  /** The PVC's name on Kubernetes; the directory name on local and SSH hosts. */
  nameOnInfra: string;
  /** Kubernetes only. */
  namespace?: string;
  storageClassName?: string;
  accessMode?: string;
  labels?: Record<string, string>;
  /** True when `use_existing` adopted a PVC SkyDeck did not create (delete then only forgets it). */
  useExisting: boolean;
  /** Clusters whose tasks mounted it (pruned of clusters that no longer exist when listed). */
  usedBy: string[];
  /** ISO time of `volumes apply`. */
  createdAt: string;
  /** SkyPilot's volume statuses: IN_USE while a cluster that mounted it exists. */
  status: 'READY' | 'IN_USE';
}
