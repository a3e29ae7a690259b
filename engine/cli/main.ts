/**
 * The `skydeck` command. Each verb group lives in ./commands/<group>.ts and registers
 * itself on the commander program; this file only wires them and maps errors to exit codes.
 */
import { Command, CommanderError } from 'commander';
import { errorMessage, SkyDeckError } from '../errors';
import { USAGE_EXIT_CODE, UsageError } from './usageError';
import { OUTPUT_GONE } from './outputGone';

type Register = (program: Command) => void;

/**
 * Each verb group and the top-level verbs it registers. A group's module (and everything it
 * imports: the optimizer, the serve controller, the YAML loader, ...) is required only when
 * one of its verbs runs, so `skydeck status` does not evaluate the code of `serve up`. The
 * literal require()s keep every group in the one CLI bundle, evaluated on first use.
 * `verbs` must list what the group registers: a verb missing here still works (every group
 * is registered when the first word is not a known verb), only without the fast path.
 */
const GROUPS: Array<{ verbs: string[]; register: () => Register }> = [
  { verbs: ['validate'], register: () => (require('./commands/validate') as typeof import('./commands/validate')).registerValidate },
  { verbs: ['show-gpus', 'gpus', 'catalog'], register: () => (require('./commands/plan') as typeof import('./commands/plan')).registerPlan },
  {
    verbs: ['launch', 'exec', 'status', 'queue', 'logs', 'cancel', 'stop', 'start', 'down', 'autostop', 'cost-report', 'check'],
    register: () => (require('./commands/cluster') as typeof import('./commands/cluster')).registerCluster,
  },
  { verbs: ['jobs'], register: () => (require('./commands/jobs') as typeof import('./commands/jobs')).registerJobs },
  { verbs: ['serve'], register: () => (require('./commands/serve') as typeof import('./commands/serve')).registerServe },
  { verbs: ['debug'], register: () => (require('./commands/debug') as typeof import('./commands/debug')).registerDebug },
  { verbs: ['config'], register: () => (require('./commands/config') as typeof import('./commands/config')).registerConfig },
  { verbs: ['storage'], register: () => (require('./commands/storage') as typeof import('./commands/storage')).registerStorage },
  { verbs: ['volumes'], register: () => (require('./commands/volumes') as typeof import('./commands/volumes')).registerVolumes },
  {
    verbs: ['k8s-ssh-proxy'],
    register: () => (require('../infra/kubernetes/cliVerb') as typeof import('../infra/kubernetes/cliVerb')).registerKubernetesSshProxy,
  },
];

/** The verb of a command line: its first word that is not an option (undefined: none). */
function verbOf(argv: string[]): string | undefined {
  return argv.find((a) => !a.startsWith('-'));
}

/**
 * The program with every verb group (help, tests), or, given the command line, with only
 * the group that owns its verb. `--version` and `--help` without a verb, and words that are
 * no verb, get every group, so help and "unknown command" read as before.
 */
export function buildProgram(argv?: string[]): Command {
  const program = new Command('skydeck')
    .description('Run AI workloads on any infrastructure: SkyPilot tasks from the terminal and VS Code.')
    .version(process.env.SKYDECK_VERSION ?? '0.1.0')
    .showHelpAfterError()
    .exitOverride();
  const verb = argv && verbOf(argv);
  const owner = verb === undefined ? undefined : GROUPS.find((g) => g.verbs.includes(verb));
  const versionOnly = argv !== undefined && verb === undefined && argv.some((a) => a === '--version' || a === '-V');
  if (versionOnly) return program;
  for (const g of owner ? [owner] : GROUPS) g.register()(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram(argv);
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

/** Runs the command line of this process (the dist/cli.js entry calls it, ./entry.ts). */
export function runFromProcess(): void {
  for (const stream of [process.stdout, process.stderr]) stream.on('error', (err: NodeJS.ErrnoException) => onOutputError(stream, err));
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}

if (require.main === module) runFromProcess();
