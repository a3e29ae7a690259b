import type { Command } from 'commander';
import { runDryRun } from './plan';

/**
 * Registers the cluster verbs: launch, exec, status, queue, logs, cancel, stop, start,
 * down, autostop, check. (Skeleton: issue 4 fills in everything but `launch --dryrun`,
 * which the optimizer owns in ./plan.ts.)
 */
export function registerCluster(program: Command): void {
  program
    .command('launch')
    .description('Launch a cluster and run a task on it (or show the plan with --dryrun).')
    .argument('<task>', 'task YAML')
    .option('-c, --cluster <name>', 'cluster name')
    .option('--dryrun', 'show the plan, launch nothing')
    .option('--json', 'machine-readable output (with --dryrun)')
    .option('--all-infra', 'plan over every cloud in the catalog, as if all had credentials')
    .option('--infra <infra>', 'infra override: cloud[/region[/zone]], k8s/<ctx>, ssh/<pool>, local')
    .option('--gpus <gpus>', 'accelerators override, e.g. A100:8')
    .option('-y, --yes', 'do not ask for confirmation')
    .action(async (task: string, opts: Record<string, string | boolean | undefined>) => {
      if (opts.dryrun) {
        process.exitCode = await runDryRun(task, { json: !!opts.json, allInfra: !!opts.allInfra, overrides: opts });
        return;
      }
      throw new Error('launch is not implemented yet');
    });
}
