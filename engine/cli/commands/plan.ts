import type { Command } from 'commander';

export interface DryRunOptions {
  json?: boolean;
  allInfra?: boolean;
  /** --infra / --gpus / --cpus ... overrides from the launch command line. */
  overrides?: Record<string, string | boolean | undefined>;
}

/**
 * `skydeck launch TASK --dryrun`: prints the optimizer's plan (table or --json, per the
 * contract in design.md). Called by the `launch` verb in ./cluster.ts. (Skeleton: issue 3.)
 */
export async function runDryRun(_taskPath: string, _options: DryRunOptions): Promise<number> {
  throw new Error('launch --dryrun is not implemented yet');
}

/** Registers `show-gpus` and `catalog ...`. (Skeleton: issue 3.) */
export function registerPlan(_program: Command): void {}
