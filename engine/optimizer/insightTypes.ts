/**
 * What the language service asks the catalog/optimizer while a user edits a task file, as
 * data: prices per cloud for a resources spec, offer rows, which infra is set up, free GPUs,
 * and resource diagnostics. Implemented by the catalog side (engine/optimizer/insights.ts,
 * `createInsights()`), consumed by the language server (server/), which turns the data into
 * lens titles and hover text. Positions are 0-based LSP-style; the language service supplies
 * the ranges.
 */
import type { ResourcesSpec } from '../task/types';
import type { OfferRow } from './offers';

export type { OfferRow } from './offers';

export interface InsightRange {
  start: { line: number; character: number };
  end: { line: number; character: number };
}

/** One place in the document where resources are requested: `resources:` or one any_of/ordered item. */
export interface ResourcesSite {
  /** Range of the `resources` key (or of the list item). */
  range: InsightRange;
  /** Effective resources of this site (base merged with the candidate). */
  resources: ResourcesSpec;
  numNodes: number;
  /** A service's replicas (`service.replicas`, or `replica_policy` min/max): each replica runs numNodes nodes. */
  replicas?: { min: number; max: number };
  /** Index in any_of/ordered, when the site is one candidate. */
  candidateIndex?: number;
  /** Ranges of interesting values, for precise diagnostics. */
  valueRanges: Partial<
    Record<'accelerators' | 'instance_type' | 'infra' | 'max_hourly_cost' | 'cpus' | 'memory' | 'use_spot' | 'disk_tier' | 'image_id' | 'ports', InsightRange>
  >;
}

/** A price per node-hour and where it is offered. */
export interface PriceAt {
  price: number;
  cloud: string;
  region: string;
  /** The accelerator of this offer (which one of a set `{A100, H100}` it is). */
  accelerator?: { name: string; count: number };
}

/** The cheapest offers of a resources spec, per catalog cloud that has any. */
export interface SpecCost {
  byCloud: Record<string, { onDemand?: PriceAt; spot?: PriceAt }>;
  /** Distinct cloud/region pairs with an on-demand offer. */
  regions: number;
}

/** Infra and whether it is set up here, from cheap local evidence (engine/optimizer/enabledInfra.ts). */
export interface InfraState {
  /** 'local', 'aws', 'gcp', 'azure', 'k8s/<context>', 'ssh/<pool>', or 'kubernetes' / 'ssh' when none was found. */
  infra: string;
  enabled: boolean;
  /** What was found, or why not and what to do. */
  reason: string;
}

/** GPUs free right now on a Kubernetes context or SSH node pool. */
export interface GpuFree {
  infra: string;
  accelerator: string;
  free: number;
  total: number;
}

/** Offers of one accelerator (all counts when none was asked for). */
export interface AcceleratorOffers {
  /** The catalog's spelling of the name. */
  name: string;
  count?: number;
  /** The counts any cloud offers (when no count was asked for). */
  counts: number[];
  regions: number;
  /** Cheapest first; one row per (cloud, instance type) with a count, per (cloud, count) without. */
  rows: OfferRow[];
}

export interface InstanceTypeOffers {
  name: string;
  cloud: string;
  vcpus: number;
  memoryGb: number;
  accelerator?: { name: string; count: number };
  regions: number;
  rows: OfferRow[];
}

export interface InsightDiagnostic {
  range: InsightRange;
  severity: 'error' | 'warning' | 'information' | 'hint';
  message: string;
  code: string;
  /** Quick fixes: replace the text at `range` with `newText`. */
  fixes?: { title: string; range: InsightRange; newText: string }[];
}

export interface PricedCompletion {
  label: string;
  detail?: string;
  documentation?: string; // markdown
  sortText?: string;
}

export interface Insights {
  /** Cheapest on-demand and spot offer per catalog cloud the spec allows (memoized per spec). */
  specCost(spec: ResourcesSpec): SpecCost;
  /** Every offer row of a spec, cheapest first (spot first when the spec asks for spot): the offers view. */
  offerRows(spec: ResourcesSpec, limit?: number): OfferRow[];
  /** Which infra is set up (re-read at most once a minute). */
  infraStates(): InfraState[];
  /** GPUs known free on Kubernetes / SSH pools (fetched in the background; empty until known). */
  freeGpus(): GpuFree[];
  diagnostics(sites: ResourcesSite[]): InsightDiagnostic[];
  /** Undefined when no catalog knows the accelerator. */
  acceleratorOffers(name: string, count?: number): AcceleratorOffers | undefined;
  instanceTypeOffers(name: string): InstanceTypeOffers[];
  /** Where each cloud's catalog comes from, e.g. 'gcp (bundled), aws (hosted)'. */
  catalogOrigins(): string;
  completeAccelerators(): PricedCompletion[];
  completeInstanceTypes(cloud?: string): PricedCompletion[];
  completeRegions(cloud: string): PricedCompletion[];
}
