/**
 * What the language service asks the catalog/optimizer while a user edits a task file:
 * cost lenses, offer hovers, priced completions, and resource diagnostics. Implemented by
 * the catalog side (engine/optimizer/insights.ts, `createInsights()`), consumed by the
 * language service (server/). Positions are 0-based LSP-style; the language service
 * supplies the ranges, the insights supply the content.
 */
import type { ResourcesSpec } from '../task/types';

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
  /** Index in any_of/ordered, when the site is one candidate. */
  candidateIndex?: number;
  /** Ranges of interesting values, for precise diagnostics. */
  valueRanges: Partial<
    Record<'accelerators' | 'instance_type' | 'infra' | 'max_hourly_cost' | 'cpus' | 'memory' | 'use_spot' | 'disk_tier' | 'image_id' | 'ports', InsightRange>
  >;
}

export interface CostLens {
  range: InsightRange;
  /** e.g. '$3.67/h on-demand (gcp us-central1) · $1.10/h spot · 14 regions' */
  title: string;
  /** Command the client runs on click, with its arguments (opens the offers view). */
  command?: { command: string; arguments: unknown[] };
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
  costLenses(sites: ResourcesSite[]): CostLens[];
  diagnostics(sites: ResourcesSite[]): InsightDiagnostic[];
  /** Markdown table of offers for an accelerator (optionally with count), or undefined if unknown. */
  hoverAccelerator(name: string, count?: number): string | undefined;
  hoverInstanceType(name: string): string | undefined;
  completeAccelerators(): PricedCompletion[];
  completeInstanceTypes(cloud?: string): PricedCompletion[];
  completeRegions(cloud: string): PricedCompletion[];
}
