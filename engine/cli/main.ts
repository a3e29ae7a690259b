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
import { registerStorage } from './commands/storage';
import { registerVolumes } from './commands/volumes';
import { registerKubernetesSshProxy } from '../infra/kubernetes/cliVerb';
import { USAGE_EXIT_CODE, UsageError } from './usageError';
import { OUTPUT_GONE } from './outputGone';

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
  registerStorage(program);
  registerVolumes(program);
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

/**
 * EPIPE (the reader went away: `skydeck status | head`) and EIO (the terminal was closed)
 * mean nobody reads this stream any more. A command with nothing to finish ends quietly, as
 * any Unix tool does. One that handles hang-ups (a launch aborting and tearing down, a log
 * follow, the store's lock cleanup) must not die half-way through: its output is dropped and
 * it is told to stop. A closed terminal says so with its SIGHUP; a reader that went away sends
 * nothing, so EPIPE raises OUTPUT_GONE once here (`logs -f | head` ends). That event is not a
 * signal: a real SIGHUP arriving after it is still the first, not the "second signal: exit now".
 */
let hungUp = false;
function onOutputError(stream: NodeJS.WriteStream, err: NodeJS.ErrnoException): void {
  if (err.code !== 'EPIPE' && err.code !== 'EIO') throw err;
  if (process.listenerCount('SIGHUP') === 0) process.exit(0);
  if (err.code === 'EPIPE' && !hungUp) {
    hungUp = true;
    process.nextTick(() => (process as NodeJS.EventEmitter).emit(OUTPUT_GONE));
  }
  stream.write = (_chunk: unknown, encodingOrCb?: unknown, cb?: unknown): boolean => {
    const done = typeof encodingOrCb === 'function' ? encodingOrCb : cb;
    if (typeof done === 'function') process.nextTick(done as () => void);
    return true;
  };
}

if (require.main === module) {
  for (const stream of [process.stdout, process.stderr]) stream.on('error', (err: NodeJS.ErrnoException) => onOutputError(stream, err));
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
