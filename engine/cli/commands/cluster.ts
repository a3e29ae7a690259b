/**
 * The cluster verbs with SkyPilot's arguments: launch, exec, status, queue, logs, cancel,
 * stop, start, down, autostop, check. `launch --dryrun` stays with the optimizer (./plan.ts).
 * Progress lines go to stderr; job output and tables to stdout.
 */
import * as fs from 'node:fs';
import type { Command } from 'commander';
import { collect, parseEnvFlags } from '../envFlags';
import { runDryRun } from './plan';
import {
  checkInfra,
  clusters,
  formatAutostop,
  formatInfra,
  formatResources,
  jobJson,
  loadTaskFile,
  LOGS_STATUS_EXIT,
  statusJson,
  costSoFar,
  upSeconds,
  type ClusterJobStatus,
  type LaunchOptions,
  type ProgressEvent,
} from '../../cluster';
import { listClusters } from '../../cluster/records';
import { formatAgo, formatDuration, table } from '../../cluster/format';
import { InputError } from '../../errors';
import type { Task } from '../../task/types';
import { confirm } from '../confirm';
import { reportUnsupported } from '../../task/unsupported';

type Opts = Record<string, unknown>;

function looksLikeYaml(entry: string): boolean {
  return /\.ya?ml$/i.test(entry) || fs.existsSync(entry);
}

/** A task from a YAML file, or SkyPilot's inline command form, with command-line overrides applied. */
export function taskFromEntrypoint(entry: string, opts: Opts): Task {
  const envs = parseEnvFlags(opts.env as string[] | undefined);
  let task: Task;
  if (looksLikeYaml(entry)) {
    const file = loadTaskFile(entry, { envOverrides: envs });
    if (file.tasks.length !== 1) throw new InputError(`${entry} has ${file.tasks.length} tasks; launch runs one.`, { hint: 'Use `skydeck jobs launch` for pipelines.' });
    task = file.tasks[0];
  } else {
    task = { numNodes: 1, run: entry, envs: {}, secrets: {}, fileMounts: {}, resources: { base: {}, candidates: [], mode: 'single' }, raw: { run: entry } };
  }
  Object.assign(task.envs, envs);
  const base = task.resources.base;
  if (typeof opts.infra === 'string') {
    const [cloud, region, zone] = opts.infra.split('/');
    base.infra = { cloud: cloud.toLowerCase() === 'k8s' ? 'kubernetes' : cloud.toLowerCase(), region, zone };
  }
  if (typeof opts.gpus === 'string') {
    const [name, count] = opts.gpus.split(':');
    base.accelerators = [{ name, count: count ? Number(count) : 1 }];
  }
  if (typeof opts.cpus === 'string') base.cpus = { value: parseFloat(opts.cpus), orMore: opts.cpus.endsWith('+') };
  if (opts.useSpot) base.useSpot = true;
  if (typeof opts.numNodes === 'string') task.numNodes = Number(opts.numNodes);
  if (typeof opts.workdir === 'string') task.workdir = opts.workdir;
  if (typeof opts.name === 'string') task.name = opts.name;
  for (const r of task.resources.candidates) Object.assign(r, { ...r, infra: base.infra ?? r.infra });
  return task;
}

function progressLine(e: ProgressEvent): void {
  process.stderr.write(`⚙ [${e.stage}] ${e.message}\n`);
}

/**
 * Ctrl-C aborts the operation (the job keeps running on the cluster). `on`, not `once`: the
 * store's lock library (signal-exit) re-raises SIGINT when it is the last listener left.
 */
function interruptSignal(): { signal: AbortSignal; dispose: () => void } {
  const ac = new AbortController();
  const onSigint = () => ac.abort();
  process.on('SIGINT', onSigint);
  return { signal: ac.signal, dispose: () => process.removeListener('SIGINT', onSigint) };
}

function jobExitCode(status: ClusterJobStatus | undefined): number {
  if (status === undefined) return LOGS_STATUS_EXIT.NOT_FOUND;
  if (status === 'SUCCEEDED') return LOGS_STATUS_EXIT.SUCCEEDED;
  if (status === 'CANCELLED') return LOGS_STATUS_EXIT.CANCELLED;
  if (status === 'FAILED' || status === 'FAILED_SETUP' || status === 'FAILED_DRIVER') return LOGS_STATUS_EXIT.FAILED;
  return LOGS_STATUS_EXIT.NOT_FINISHED;
}

async function runLaunchLike(kind: 'launch' | 'exec', clusterName: string | undefined, task: Task, opts: Opts): Promise<void> {
  const { signal, dispose } = interruptSignal();
  const options: LaunchOptions = {
    clusterName,
    detachRun: !!opts.detachRun,
    retryUntilUp: !!opts.retryUntilUp,
    idleMinutesToAutostop: opts.idleMinutesToAutostop !== undefined ? Number(opts.idleMinutesToAutostop) : undefined,
    down: !!opts.down,
    noSetup: opts.setup === false,
    envs: parseEnvFlags(opts.env as string[] | undefined),
    onOutput: (c) => process.stdout.write(c),
    onProgress: progressLine,
    signal,
  };
  try {
    const r = kind === 'launch' ? await clusters.launch(task, options) : await clusters.exec(clusterName!, task, options);
    const name = r.cluster.name;
    if (r.jobId !== undefined) {
      if (options.detachRun || signal.aborted) {
        process.stderr.write(`Job ${r.jobId} ${signal.aborted ? 'keeps running' : 'submitted'} on '${name}'. Follow it with: skydeck logs ${name} ${r.jobId}\n`);
      } else {
        process.stderr.write(`✓ Job ${r.jobId} finished: ${r.jobStatus}.\n`);
        if (r.jobStatus && r.jobStatus !== 'SUCCEEDED') process.exitCode = 1;
      }
    }
    process.stderr.write(`Cluster '${name}': skydeck queue ${name} | skydeck logs ${name} | skydeck down ${name}\n`);
  } finally {
    dispose();
  }
}

function printStatus(recs: Awaited<ReturnType<typeof listClusters>>): void {
  if (recs.length === 0) {
    process.stdout.write('No existing clusters.\n');
    return;
  }
  const now = Date.now();
  const rows = recs.map((r) => [
    r.name,
    formatInfra(r.resources),
    formatResources(r.resources, r.numNodes),
    r.status,
    formatAutostop(r.autostop),
    formatAgo(r.launchedAt, now),
    r.status === 'UP' ? formatDuration(upSeconds(r, now).current) : '-',
    `$${costSoFar(r, now).toFixed(2)}`,
  ]);
  process.stdout.write(`${table(['NAME', 'INFRA', 'RESOURCES', 'STATUS', 'AUTOSTOP', 'LAUNCHED', 'UPTIME', 'COST (est.)'], rows)}\n`);
  for (const r of recs) if (r.lastError) process.stdout.write(`  ${r.name}: ${r.lastError}\n`);
}

async function namesOrAll(names: string[], all: unknown): Promise<string[]> {
  if (all) return (await listClusters()).map((r) => r.name);
  if (!names.length) throw new InputError('No cluster named.', { hint: 'Name one or more clusters, or pass -a for all.' });
  return names;
}

export function registerCluster(program: Command): void {
  program
    .command('launch')
    .description('Launch a cluster and run a task on it (or show the plan with --dryrun).')
    .argument('<task>', 'task YAML, or an inline command in quotes')
    .option('-c, --cluster <name>', 'cluster name (reused if it exists)')
    .option('--dryrun', 'show the plan, launch nothing')
    .option('--json', 'machine-readable output (with --dryrun)')
    .option('--all-infra', 'plan over every cloud in the catalog, as if all had credentials')
    .option('-d, --detach-run', 'return once the job is submitted')
    .option('-y, --yes', 'do not ask for confirmation')
    .option('--env <KEY=VAL>', 'environment variable (repeatable)', collect)
    .option('--infra <infra>', 'infra override: cloud[/region[/zone]], k8s/<ctx>, ssh/<pool>, local')
    .option('--gpus <gpus>', 'accelerators override, e.g. A100:8')
    .option('--cpus <cpus>', 'vCPUs override, e.g. 4 or 4+')
    .option('--num-nodes <n>', 'number of nodes')
    .option('--use-spot', 'use spot instances')
    .option('--workdir <dir>', 'workdir override')
    .option('-n, --name <name>', 'task name override')
    .option('-i, --idle-minutes-to-autostop <minutes>', 'autostop after this many idle minutes')
    .option('--down', 'tear down instead of stopping (with -i), or after the job (without)')
    .option('-r, --retry-until-up', 'keep retrying provisioning until it succeeds')
    .option('--no-setup', 'skip the setup phase')
    .action(async (entry: string, opts: Opts) => {
      if (opts.dryrun) {
        process.exitCode = await runDryRun(entry, { json: !!opts.json, allInfra: !!opts.allInfra, overrides: opts as Record<string, string | boolean | undefined> });
        return;
      }
      const task = taskFromEntrypoint(entry, opts);
      reportUnsupported([task], undefined, (line) => process.stderr.write(line));
      const name = opts.cluster as string | undefined;
      if (!(await confirm(name ? `Launching on cluster '${name}'. Proceed?` : 'Launching a new cluster. Proceed?', opts.yes))) return;
      await runLaunchLike('launch', name, task, opts);
    });

  program
    .command('exec')
    .description('Run a task (or an inline command) on an existing UP cluster: sync workdir, then submit.')
    .argument('<cluster>', 'cluster name')
    .argument('<task>', 'task YAML, or an inline command in quotes')
    .option('-d, --detach-run', 'return once the job is submitted')
    .option('--env <KEY=VAL>', 'environment variable (repeatable)', collect)
    .option('--workdir <dir>', 'workdir override')
    .option('--num-nodes <n>', 'number of nodes')
    .option('-n, --name <name>', 'task name override')
    .action(async (cluster: string, entry: string, opts: Opts) => {
      const task = taskFromEntrypoint(entry, opts);
      reportUnsupported([task], undefined, (line) => process.stderr.write(line));
      await runLaunchLike('exec', cluster, task, opts);
    });

  program
    .command('status')
    .description('Show clusters (with uptime and cost so far).')
    .argument('[clusters...]', 'cluster names')
    .option('-r, --refresh', 'reconcile with the infrastructure first')
    .option('--json', 'machine-readable output')
    .action(async (names: string[], opts: Opts) => {
      const recs = await clusters.status({ refresh: !!opts.refresh, names });
      if (opts.json) process.stdout.write(`${JSON.stringify(recs.map((r) => statusJson(r)), null, 2)}\n`);
      else printStatus(recs);
    });

  program
    .command('queue')
    .description("Show a cluster's job queue.")
    .argument('<cluster>', 'cluster name')
    .option('-s, --skip-finished', 'only pending and running jobs')
    .option('--json', 'machine-readable output')
    .action(async (cluster: string, opts: Opts) => {
      const jobs = await clusters.queue(cluster, { skipFinished: !!opts.skipFinished });
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(jobs.map((j) => jobJson(j)), null, 2)}\n`);
        return;
      }
      const now = Date.now();
      process.stdout.write(`Job queue of cluster ${cluster}\n`);
      const rows = jobs.map((j) => [
        String(j.id),
        j.name ?? '-',
        j.user,
        formatAgo(j.submittedAt, now),
        j.startedAt ? formatAgo(j.startedAt, now) : '-',
        j.startedAt ? formatDuration(((j.endedAt ?? now) - j.startedAt) / 1000) : '-',
        j.resources,
        j.status,
        j.logDir,
      ]);
      process.stdout.write(`${table(['ID', 'NAME', 'USER', 'SUBMITTED', 'STARTED', 'DURATION', 'RESOURCES', 'STATUS', 'LOG'], rows)}\n`);
    });

  program
    .command('logs')
    .description("Stream a job's logs (the latest job by default).")
    .argument('<cluster>', 'cluster name')
    .argument('[job_id]', 'job id')
    .option('--no-follow', 'print what is there and exit')
    .option('--status', 'print the job status; exit 0 SUCCEEDED, 100 FAILED, 101 NOT_FINISHED, 102 NOT_FOUND, 103 CANCELLED')
    .action(async (cluster: string, jobId: string | undefined, opts: Opts) => {
      const id = jobId !== undefined ? Number(jobId) : undefined;
      if (opts.status) {
        const jobs = await clusters.queue(cluster);
        const job = id === undefined ? jobs[0] : jobs.find((j) => j.id === id);
        process.stdout.write(`${job ? `Job ${job.id}: ${job.status}` : `Job ${id ?? ''} not found`}\n`);
        process.exitCode = jobExitCode(job?.status);
        return;
      }
      const { signal, dispose } = interruptSignal();
      try {
        const status = await clusters.tailLogs(cluster, id, { follow: opts.follow !== false, onData: (c) => process.stdout.write(c), signal });
        if (status === undefined) {
          process.stderr.write(`No job ${id ?? ''} found on cluster '${cluster}'.\n`);
          process.exitCode = 1;
        }
      } finally {
        dispose();
      }
    });

  program
    .command('cancel')
    .description('Cancel jobs on a cluster.')
    .argument('<cluster>', 'cluster name')
    .argument('[job_ids...]', 'job ids')
    .option('-a, --all', 'cancel all jobs')
    .option('-y, --yes', 'do not ask for confirmation')
    .action(async (cluster: string, ids: string[], opts: Opts) => {
      if (!opts.all && ids.length === 0) throw new InputError('No job named.', { hint: 'Give job ids or -a for all jobs.' });
      const done = await clusters.cancel(cluster, opts.all ? 'all' : ids.map(Number));
      process.stdout.write(done.length ? `Cancelled job(s): ${done.join(', ')}.\n` : 'No job to cancel.\n');
    });

  const lifecycle: Array<['stop' | 'start' | 'down', string]> = [
    ['stop', 'Stop clusters (their disks and files stay; SSH pools: jobs are stopped, hosts stay).'],
    ['start', 'Restart stopped clusters.'],
    ['down', 'Tear down clusters (everything is deleted; SSH hosts are freed).'],
  ];
  for (const [verb, description] of lifecycle) {
    const cmd = program
      .command(verb)
      .description(description)
      .argument('[clusters...]', 'cluster names')
      .option('-a, --all', 'all clusters')
      .option('-y, --yes', 'do not ask for confirmation');
    if (verb === 'start') cmd.option('-i, --idle-minutes-to-autostop <minutes>', 'autostop after this many idle minutes').option('--down', 'autodown instead of autostop');
    cmd.action(async (names: string[], opts: Opts) => {
      const targets = await namesOrAll(names, opts.all);
      if (!(await confirm(`${verb[0].toUpperCase()}${verb.slice(1)} ${targets.join(', ')}?`, opts.yes))) return;
      let failed = 0;
      for (const name of targets) {
        try {
          if (verb === 'stop') await clusters.stop(name);
          else if (verb === 'down') await clusters.down(name);
          else
            await clusters.start(name, {
              idleMinutesToAutostop: opts.idleMinutesToAutostop !== undefined ? Number(opts.idleMinutesToAutostop) : undefined,
              down: !!opts.down,
            });
          process.stdout.write(`Cluster '${name}': ${verb === 'stop' ? 'stopped' : verb === 'down' ? 'terminated' : 'started'}.\n`);
        } catch (e) {
          if (targets.length === 1) throw e;
          failed++;
          process.stderr.write(`Cluster '${name}': ${e instanceof Error ? e.message : String(e)}\n`);
        }
      }
      if (failed) process.exitCode = 1;
    });
  }

  program
    .command('autostop')
    .description('Stop (or tear down) clusters after they have been idle.')
    .argument('[clusters...]', 'cluster names')
    .option('-i, --idle-minutes <minutes>', 'idle minutes before autostop', '5')
    .option('--down', 'tear down instead of stopping')
    .option('--cancel', 'cancel autostop')
    .option('-a, --all', 'all clusters')
    .option('-y, --yes', 'do not ask for confirmation')
    .action(async (names: string[], opts: Opts) => {
      for (const name of await namesOrAll(names, opts.all)) {
        const minutes = opts.cancel ? -1 : Number(opts.idleMinutes);
        await clusters.autostop(name, minutes, !!opts.down);
        process.stdout.write(minutes < 0 ? `Autostop cancelled for '${name}'.\n` : `Cluster '${name}': ${opts.down ? 'autodown' : 'autostop'} after ${minutes} idle minute(s).\n`);
      }
    });

  program
    .command('check')
    .description('Which infrastructure is enabled, and why not.')
    .argument('[infra...]', 'only these clouds')
    .option('--json', 'machine-readable output')
    .action(async (only: string[], opts: Opts) => {
      const rows = await checkInfra({ only });
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
        return;
      }
      for (const r of rows) process.stdout.write(`  ${r.enabled ? '✔' : '✘'} ${r.infra.padEnd(20)} ${r.reason}\n`);
      const enabled = rows.filter((r) => r.enabled).map((r) => r.infra);
      process.stdout.write(`\nEnabled infra: ${enabled.join(', ')}\n`);
    });
}
