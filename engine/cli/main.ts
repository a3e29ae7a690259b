/**
 * The `skydeck` command. Each verb group lives in ./commands/<group>.ts and registers
 * itself on the commander program; this file only wires them and maps errors to exit codes.
 */
import { Command, CommanderError } from 'commander';
import { errorMessage, SkyDeckError } from '../errors';
import { registerValidate } from './commands/validate';
import { registerPlan } from './commands/plan';
import { registerCluster } from './commands/cluster';
import { registerJobs } from './commands/jobs';
import { registerServe } from './commands/serve';
import { registerDebug } from './commands/debug';
import { registerConfig } from './commands/config';
import { registerKubernetesSshProxy } from '../infra/kubernetes/cliVerb';
import { USAGE_EXIT_CODE, UsageError } from './usageError';

export function buildProgram(): Command {
  const program = new Command('skydeck')
    .description('Run AI workloads on any infrastructure: SkyPilot tasks from the terminal and VS Code.')
    .version(process.env.SKYDECK_VERSION ?? '0.1.0')
    .showHelpAfterError()
    .exitOverride();
  registerValidate(program);
  registerPlan(program);
  registerCluster(program);
  registerJobs(program);
  registerServe(program);
  registerDebug(program);
  registerConfig(program);
  registerKubernetesSshProxy(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    // Command-line mistakes exit 2, as click's usage errors do in SkyPilot; help and --version exit 0.
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : USAGE_EXIT_CODE;
    process.stderr.write(`Error: ${errorMessage(err)}\n`);
    if (process.env.SKYDECK_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
    if (err instanceof UsageError) return USAGE_EXIT_CODE;
    return err instanceof SkyDeckError ? 1 : 2;
  }
}

if (require.main === module) {
  // `skydeck status | head`: a closed pipe ends the command quietly, as in any Unix tool.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') process.exit(0);
      throw err;
    });
  }
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
