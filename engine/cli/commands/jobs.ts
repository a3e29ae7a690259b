/**
 * `skydeck jobs ...`: managed jobs (launch, queue, logs, cancel) and the hidden
 * `jobs controller` verb that detached controller processes run. Every verb first
 * restarts missing controllers of unfinished jobs.
 */
import type { Command } from 'commander';
import { InputError } from '../../errors';
import { isTerminal, type ManagedJobStatus } from '../../jobs/types';
import { confirm } from '../confirm';
import { collect } from '../taskOptions';
import { applyCommandConfig, CONFIG_OPTION } from './config';
import { loadEntrypoint, looksLikeYaml } from '../taskEntrypoint';
import { addTaskOptions, readTaskOptions } from '../taskOptions';
import { UsageError } from '../usageError';
import { CONTROLLER_OPTION, remoteForVerb, stoppedController } from '../../controllers/route';
import { onControllerCluster, withInterrupt } from '../controllerVerb';
import type { ControllerConnection } from '../../controllers/remote';

type Opts = Record<string, unknown>;

/** SkyPilot's _NUM_MANAGED_JOBS_TO_SHOW. */
const QUEUE_LIMIT = 50;

function positiveInt(name: string) {
  return (value: string): string => {
    if (!/^\d+$/.test(value.trim()) || Number(value) < 1) throw new UsageError(`Invalid value for '${name}': '${value}' is not a positive integer.`);
    return value.trim();
  };
}

function readStdin(): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    process.stdin.on('data', (c: Buffer) => chunks.push(c));
    process.stdin.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    process.stdin.on('error', reject);
  });
}

function parseIds(ids: string[]): number[] {
  return ids.map((s) => {
    const n = Number(s);
    if (!Number.isInteger(n) || n <= 0) throw new InputError(`'${s}' is not a managed job id.`, { hint: "Job ids are the numbers in 'skydeck jobs queue'." });
    return n;
  });
}

/** Managed jobs named `name`; with `unfinished`, only those not in a terminal state. */
async function jobsNamed(name: string, unfinished: boolean): Promise<number[]> {
  const { listJobs } = await import('../../jobs/api');
  return (await listJobs({ skipFinished: unfinished })).filter((r) => r.name === name).map((r) => r.id);
}

async function followLog(id: number, controller: boolean, task?: string): Promise<ManagedJobStatus> {
  const { streamJobLog } = await import('../../jobs/api');
  return withInterrupt(
    (signal) => streamJobLog(id, { controller, ...(task !== undefined ? { task } : {}), follow: true, onData: (b) => process.stdout.write(b), signal }),
    () => process.stderr.write(stoppedFollowing(id)),
  );
}

const stoppedFollowing = (id: number) => `\nStopped following; managed job ${id} keeps running. Follow again: skydeck jobs logs ${id}\n`;

const progress = (m: string) => process.stderr.write(`${m}\n`);

/** `jobs launch` on the controller cluster: submit there, then follow the log there unless -d. */
async function launchOnControllerCluster(file: import('../../task/types').TaskFile, name: string | undefined, detach: boolean): Promise<void> {
  const { submitRemoteJob } = await import('../../controllers/jobsRemote');
  const { activeConfig } = await import('../../config/active');
  const { forwardVerb, runRemoteCli } = await import('../../controllers/remote');
  const { conn, id }: { conn: ControllerConnection; id: number } = await submitRemoteJob(file, name, activeConfig(), progress);
  try {
    process.stdout.write(`Managed job ID: ${id}\n`);
    process.stderr.write(`Controller: ${conn.record.name}\n`);
    if (detach) {
      process.stderr.write(`Follow its logs: skydeck jobs logs ${id}\nStatus: skydeck jobs queue\n`);
      return;
    }
    let interrupted = false;
    await withInterrupt(
      (signal) => forwardVerb(conn, ['jobs', 'logs', String(id)], { signal }),
      () => {
        interrupted = true;
        process.stderr.write(stoppedFollowing(id));
      },
    );
    if (interrupted) return;
    const r = await runRemoteCli(conn, ['jobs', 'queue', '--json', '--all']);
    const row = (JSON.parse(r.stdout) as { id: number; status: ManagedJobStatus }[]).find((x) => x.id === id);
    if (row && isTerminal(row.status)) {
      process.stderr.write(`Managed job ${id} ${row.status}.\n`);
      process.exitCode = row.status === 'SUCCEEDED' ? 0 : 1;
    }
  } finally {
    await conn.close();
  }
}

export function registerJobs(program: Command): void {
  const jobs = program.command('jobs').description('Managed jobs: jobs that survive preemption and failures.');

  const launch = jobs
    .command('launch')
    .description('Launch a managed job (a task, a pipeline or a job group), recovered on preemption and failures.')
    .argument('<entrypoint...>', 'task YAML (multi-document: a pipeline, or with execution: parallel a job group), or a command (its words are joined)');
  addTaskOptions(launch, { name: true, git: true })
    .option('-d, --detach-run', 'return once the job is submitted; do not follow its logs')
    .option('-y, --yes', 'skip confirmation prompt')
    .option(...CONFIG_OPTION, collect)
    .option(...CONTROLLER_OPTION)
    .action(async (words: string[], opts: Opts) => {
      const entry = words.join(' ');
      applyCommandConfig(opts, looksLikeYaml(entry) ? entry : undefined);
      const values = readTaskOptions(opts);
      const file = loadEntrypoint(entry, values, { verb: 'jobs launch' });
      (await import('../../task/unsupported')).reportUnsupported(file.tasks, file, (line) => process.stderr.write(line));
      await (await import('../../cluster/preflight')).checkBeforeSubmit(file.tasks);
      const what =
        file.execution === 'parallel'
          ? `a job group of ${file.tasks.length} tasks run in parallel`
          : file.tasks.length > 1
            ? `a pipeline of ${file.tasks.length} tasks`
            : 'a managed job';
      if (!(await confirm(`Launching ${what}${values.name ? ` '${values.name}'` : ''}. Proceed?`, opts.yes))) return;
      const { placementForTask } = await import('../../controllers/placement');
      const { activeConfig } = await import('../../config/active');
      const { enabledInfra } = await import('../../cluster');
      const where = placementForTask('jobs', {
        flag: typeof opts.controller === 'string' ? opts.controller : undefined,
        config: activeConfig(),
        taskFile: file,
        enabledInfra: await enabledInfra(),
      });
      if (where === 'cluster') return launchOnControllerCluster(file, values.name, !!opts.detachRun);
      const { submitJob } = await import('../../jobs/api');
      const id = await submitJob(file, { ...(values.name !== undefined ? { name: values.name } : {}) });
      process.stdout.write(`Managed job ID: ${id}\n`);
      if (opts.detachRun) {
        process.stderr.write(`Follow its logs: skydeck jobs logs ${id}\nStatus: skydeck jobs queue\n`);
        return;
      }
      const status = await followLog(id, false);
      if (isTerminal(status)) {
        process.stderr.write(`Managed job ${id} ${status}.\n`);
        process.exitCode = status === 'SUCCEEDED' ? 0 : 1;
      }
    });

  jobs
    .command('queue')
    .description('List managed jobs (newest first).')
    .option('--json', 'machine-readable output')
    .option('-s, --skip-finished', 'show only jobs that have not finished')
    .option('-l, --limit <n>', `number of jobs to show (default ${QUEUE_LIMIT}; -a/--all for all)`, positiveInt('--limit'), String(QUEUE_LIMIT))
    .option('-a, --all', 'show all jobs')
    .option('-r, --refresh', 'query the latest statuses, restarting stopped controllers (every jobs verb does)')
    .option(...CONTROLLER_OPTION)
    .action(async (opts: Opts, cmd: Command) => {
      const stopped = opts.refresh ? undefined : await stoppedController('jobs', opts);
      if (stopped) {
        process.stderr.write(
          `The jobs controller cluster '${stopped.name}' is STOPPED; its jobs are on it. Run \`skydeck jobs queue --refresh\` to start it and list them.\n`,
        );
        process.stdout.write(opts.json ? '[]\n' : 'No in-progress managed jobs.\n');
        return;
      }
      if (await onControllerCluster('jobs', opts, cmd)) return;
      const { listJobs } = await import('../../jobs/api');
      const all = await listJobs({ skipFinished: !!opts.skipFinished });
      // --json keeps every job (the extension reads it) unless -l is given.
      const limited = !opts.all && (!opts.json || cmd.getOptionValueSource('limit') === 'cli');
      const rows = limited ? all.slice(0, Number(opts.limit)) : all;
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
        return;
      }
      const { formatQueue } = await import('../../jobs/format');
      process.stdout.write(`${formatQueue(rows)}\n`);
      if (rows.length < all.length)
        process.stdout.write(`Only showing the latest ${rows.length} managed jobs (use --limit to show more managed jobs or --all to show all managed jobs)\n`);
    });

  jobs
    .command('logs')
    .description("Print a managed job's output across recoveries (default: the latest job), following it until it ends.")
    .argument('[job_id]', 'managed job id')
    .argument('[task]', "one task of a job group, by index or name (default: every task's lines, each prefixed with its name)")
    .option('-n, --name <name>', 'managed job name (its latest job)')
    .option('--controller', "the controller's log instead of the job's output")
    .option('-f, --follow', 'follow the log until the job ends (default)')
    .option('--no-follow', 'print what there is and exit')
    .action(async (jobId: string | undefined, task: string | undefined, opts: Opts, cmd: Command) => {
      if (await onControllerCluster('jobs', opts, cmd)) return;
      const { latestJobId, superviseJobs, streamJobLog } = await import('../../jobs/api');
      await superviseJobs();
      if (jobId && typeof opts.name === 'string') throw new UsageError('Cannot specify both --name and JOB_ID.');
      let id: number;
      if (typeof opts.name === 'string') {
        const named = await jobsNamed(opts.name, false);
        if (!named.length) throw new InputError(`No managed job found with name '${opts.name}'.`, { hint: 'See skydeck jobs queue.' });
        id = Math.max(...named);
      } else id = jobId ? parseIds([jobId])[0] : await latestJobId();
      const one = task !== undefined ? { task } : {};
      if (opts.follow === false) {
        await streamJobLog(id, { controller: !!opts.controller, ...one, follow: false, onData: (b) => process.stdout.write(b) });
        return;
      }
      await followLog(id, !!opts.controller, task);
    });

  jobs
    .command('cancel')
    .description('Cancel managed jobs: the run is stopped and its cluster torn down.')
    .argument('[job_ids...]', 'managed job ids')
    .option('-n, --name <name>', 'managed job name to cancel')
    .option('-a, --all', 'cancel every unfinished managed job')
    .option('-y, --yes', 'do not ask for confirmation')
    .option('--async', 'return once cancellation is requested')
    .option(...CONTROLLER_OPTION)
    .action(async (jobIds: string[], opts: Opts, cmd: Command) => {
      const name = typeof opts.name === 'string' ? opts.name : undefined;
      if (Number(jobIds.length > 0) + Number(name !== undefined) + Number(!!opts.all) !== 1) {
        const given = [jobIds.length ? `--job-ids ${jobIds.join(',')}` : '', name !== undefined ? `--name ${name}` : '', opts.all ? '--all' : '']
          .filter(Boolean)
          .join(' ');
        throw new UsageError(`Can only specify one of JOB_IDS, --name, or --all. Provided '${given}'.`);
      }
      const remote = await remoteForVerb('jobs', opts, progress);
      if (remote) {
        await remote.close();
        const what = opts.all ? 'all unfinished managed jobs' : name !== undefined ? `the managed job named '${name}'` : `managed job(s) ${jobIds.join(', ')}`;
        if (!(await confirm(`Cancel ${what}?`, opts.yes))) return;
        await onControllerCluster('jobs', opts, cmd, opts.yes ? [] : ['-y']);
        return;
      }
      let ids: number[] | 'all';
      if (opts.all) ids = 'all';
      else if (name !== undefined) {
        const named = await jobsNamed(name, true);
        if (!named.length) throw new InputError(`No running job found with name '${name}'.`);
        if (named.length > 1)
          throw new InputError(`Multiple running jobs found with name '${name}': job IDs ${named.join(', ')}.`, {
            hint: 'Cancel them by id: skydeck jobs cancel ID...',
          });
        ids = named;
      } else ids = parseIds(jobIds);
      if (!(await confirm(ids === 'all' ? 'Cancel all unfinished managed jobs?' : `Cancel managed job(s) ${ids.join(', ')}?`, opts.yes))) return;
      const { cancelJobs, waitTerminal } = await import('../../jobs/api');
      const r = await cancelJobs(ids);
      for (const id of r.notFound) process.stderr.write(`Managed job ${id} not found.\n`);
      for (const id of r.alreadyDone) process.stdout.write(`Managed job ${id} is already in a terminal state.\n`);
      if (r.cancelled.length === 0) {
        if (ids === 'all') process.stdout.write('No unfinished managed jobs to cancel.\n');
        if (r.notFound.length) process.exitCode = 1;
        return;
      }
      process.stdout.write(`Cancelling managed job(s) ${r.cancelled.join(', ')}.\n`);
      if (opts.async) return;
      const left = await waitTerminal(r.cancelled, 300_000);
      if (left.length) {
        process.stderr.write(`Still cancelling: ${left.join(', ')} (see skydeck jobs queue).\n`);
        process.exitCode = 1;
      } else process.stdout.write(`Managed job(s) ${r.cancelled.join(', ')} cancelled.\n`);
      if (r.notFound.length) process.exitCode = 1;
    });

  jobs
    .command('submit', { hidden: true })
    .description('Record a managed job given as task JSON on stdin (what a client sends to the controller cluster); prints {"id": N}.')
    .option('--name <name>', 'the job name')
    .action(async (opts: Opts) => {
      const { readTaskFileJson } = await import('../../controllers/submitted');
      const file = readTaskFileJson(await readStdin());
      const { submitJob } = await import('../../jobs/api');
      const id = await submitJob(file, typeof opts.name === 'string' ? { name: opts.name } : {});
      process.stdout.write(`${JSON.stringify({ id })}\n`);
    });

  jobs
    .command('hold', { hidden: true })
    .description("Run while any managed job is unfinished (the controller cluster's job, so its autostop waits for the jobs).")
    .action(async () => {
      const { holdWhileUnfinished } = await import('../../jobs/hold');
      await holdWhileUnfinished();
    });

  jobs
    .command('controller', { hidden: true })
    .description('Run managed-job controller (started detached by the other jobs verbs).')
    .argument('<job_ids...>', 'the jobs it was started for')
    .action(async (jobIds: string[]) => {
      const { runControllerProcess } = await import('../../jobs/controllerMain');
      await runControllerProcess(parseIds(jobIds));
      // Connection pools and timers of the engine must not keep a finished controller alive.
      process.exit(0);
    });
}
