/**
 * `skydeck jobs ...`: managed jobs (launch, queue, logs, cancel) and the hidden
 * `jobs controller` verb that detached controller processes run. Every verb first
 * restarts missing controllers of unfinished jobs.
 */
import * as fs from 'node:fs';
import type { Command } from 'commander';
import { collect, parseEnvFlags } from '../envFlags';
import { InputError } from '../../errors';
import type { Task, TaskFile } from '../../task/types';
import { isTerminal, type ManagedJobStatus } from '../../jobs/types';
import { confirm } from '../confirm';

type Opts = Record<string, unknown>;

function parseIds(ids: string[]): number[] {
  return ids.map((s) => {
    const n = Number(s);
    if (!Number.isInteger(n) || n <= 0) throw new InputError(`'${s}' is not a managed job id.`, { hint: "Job ids are the numbers in 'skydeck jobs queue'." });
    return n;
  });
}

/** A YAML file (a task or a pipeline), or SkyPilot's inline command form. */
async function taskFileFromEntrypoint(entry: string, opts: Opts): Promise<TaskFile> {
  const envs = parseEnvFlags(opts.env as string[] | undefined);
  let file: TaskFile;
  if (/\.ya?ml$/i.test(entry) || fs.existsSync(entry)) {
    const { loadTaskFile } = await import('../../task/load');
    file = loadTaskFile(entry, { envOverrides: envs, requireEnvs: true });
  } else {
    const task: Task = { numNodes: 1, run: entry, envs: {}, secrets: {}, fileMounts: {}, resources: { base: {}, candidates: [], mode: 'single' }, raw: { run: entry } };
    file = { tasks: [task] };
  }
  if (typeof opts.infra === 'string') {
    const [cloud, region, zone] = opts.infra.split('/');
    const infra = { cloud: cloud.toLowerCase() === 'k8s' ? 'kubernetes' : cloud.toLowerCase(), ...(region ? { region } : {}), ...(zone ? { zone } : {}) };
    for (const t of file.tasks) {
      t.resources.base.infra = infra;
      for (const c of t.resources.candidates) c.infra = infra;
    }
  }
  if (opts.useSpot) for (const t of file.tasks) t.resources.base.useSpot = true;
  return file;
}

async function followLog(id: number, controller: boolean): Promise<ManagedJobStatus> {
  const { streamJobLog } = await import('../../jobs/api');
  const ac = new AbortController();
  const onSigint = () => {
    process.stderr.write(`\nStopped following; managed job ${id} keeps running. Follow again: skydeck jobs logs ${id}\n`);
    ac.abort();
  };
  process.once('SIGINT', onSigint);
  try {
    return await streamJobLog(id, { controller, follow: true, onData: (b) => process.stdout.write(b), signal: ac.signal });
  } finally {
    process.off('SIGINT', onSigint);
  }
}

export function registerJobs(program: Command): void {
  const jobs = program.command('jobs').description('Managed jobs: jobs that survive preemption and failures.');

  jobs
    .command('launch')
    .description('Launch a managed job (a task or a pipeline), recovered on preemption and failures.')
    .argument('<entrypoint>', 'task YAML (multi-document: a pipeline), or a command')
    .option('-n, --name <name>', 'job name')
    .option('-d, --detach-run', 'return once the job is submitted; do not follow its logs')
    .option('-y, --yes', 'do not ask for confirmation')
    .option('--env <KEY=VAL>', 'environment variable (repeatable)', collect)
    .option('--infra <infra>', 'infra override: cloud[/region[/zone]], k8s/<ctx>, ssh/<pool>, local')
    .option('--use-spot', 'use spot instances')
    .action(async (entry: string, opts: Opts) => {
      const file = await taskFileFromEntrypoint(entry, opts);
      (await import('../../task/unsupported')).reportUnsupported(file.tasks, file, (line) => process.stderr.write(line));
      const what = file.tasks.length > 1 ? `a pipeline of ${file.tasks.length} tasks` : 'a managed job';
      if (!(await confirm(`Launching ${what}${opts.name ? ` '${opts.name}'` : ''}. Proceed?`, opts.yes))) return;
      const { submitJob } = await import('../../jobs/api');
      const id = await submitJob(file, { ...(typeof opts.name === 'string' ? { name: opts.name } : {}) });
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
    .action(async (opts: Opts) => {
      const { listJobs } = await import('../../jobs/api');
      const rows = await listJobs({ skipFinished: !!opts.skipFinished });
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
        return;
      }
      const { formatQueue } = await import('../../jobs/format');
      process.stdout.write(`${formatQueue(rows)}\n`);
    });

  jobs
    .command('logs')
    .description("Print a managed job's output across recoveries (default: the latest job), following it until it ends.")
    .argument('[job_id]', 'managed job id')
    .option('--controller', "the controller's log instead of the job's output")
    .option('-f, --follow', 'follow the log until the job ends (default)')
    .option('--no-follow', 'print what there is and exit')
    .action(async (jobId: string | undefined, opts: Opts) => {
      const { latestJobId, superviseJobs, streamJobLog } = await import('../../jobs/api');
      await superviseJobs();
      const id = jobId ? parseIds([jobId])[0] : await latestJobId();
      if (opts.follow === false) {
        await streamJobLog(id, { controller: !!opts.controller, follow: false, onData: (b) => process.stdout.write(b) });
        return;
      }
      await followLog(id, !!opts.controller);
    });

  jobs
    .command('cancel')
    .description('Cancel managed jobs: the run is stopped and its cluster torn down.')
    .argument('[job_ids...]', 'managed job ids')
    .option('-a, --all', 'cancel every unfinished managed job')
    .option('-y, --yes', 'do not ask for confirmation')
    .option('--async', 'return once cancellation is requested')
    .action(async (jobIds: string[], opts: Opts) => {
      if (!opts.all && jobIds.length === 0) throw new InputError('Name the managed jobs to cancel, or pass -a/--all.', { hint: 'skydeck jobs cancel 3 4, or skydeck jobs cancel -a' });
      const ids = opts.all ? 'all' : parseIds(jobIds);
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
