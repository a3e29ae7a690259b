import type { Command } from 'commander';
import { preemptCluster } from '../../cluster';

/** `skydeck debug ...`: tools for tests and rehearsal. */
export function registerDebug(program: Command): void {
  const debug = program.command('debug').description('Debugging and rehearsal tools.');
  debug
    .command('preempt')
    .description('Preempt a local cluster as a cloud would: its nodes vanish without warning.')
    .argument('<cluster>', 'cluster name')
    .action(async (cluster: string) => {
      await preemptCluster(cluster);
      process.stdout.write(`Cluster '${cluster}' preempted: its nodes are gone.\n`);
    });
}
