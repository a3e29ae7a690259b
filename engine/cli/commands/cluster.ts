/**
 * The cluster verbs with SkyPilot's arguments: launch, exec, status, queue, logs, cancel,
 * stop, start, down, autostop, cost-report, check. `launch --dryrun` prints the optimizer's
 * plan (./plan.ts). Progress lines go to stderr; job output and tables to stdout.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Option, type Command } from 'commander';
import { costSoFar, formatAgo, formatDuration, formatResources, jobJson, statusJson, table, upSeconds } from '../../cluster/format';
import {
  LOGS_STATUS_EXIT,
  TERMINAL_JOB_STATUSES,
  type ClusterEngine,
  type ClusterJob,
  type ClusterJobStatus,
  type LaunchOptions,
  type ProgressEvent,
} from '../../cluster/types';
import { listClusters } from '../../cluster/records';
import { provisioningInProgress, provisionLogPath } from '../../cluster/provisionLog';
import { endedCost, listEnded } from '../../cluster/history';
import { autostopNotes } from '../../cluster/autostopHistory';
import { errorMessage, InputError } from '../../errors';
import type { Task, TaskFile } from '../../task/types';
import { skydeckHome } from '../../util/paths';
import { confirm } from '../confirm';
import { CONFIG_OPTION } from '../configOption';
import { collect } from '../taskOptions';
import { expandNames, isGlob } from '../globNames';
import { lastLines, skipping } from '../tailLines';
import { addTaskOptions, readTaskOptions, type ResourceOverrides } from '../taskOptions';
import { UsageError } from '../usageError';
import { reportUnsupported } from '../../task/unsupported';
import { OUTPUT_GONE } from '../outputGone';
import { headIp, JOBS_HEADING, NO_JOBS_IN_PROGRESS, NO_LIVE_SERVICES, SERVICES_HEADING, statusText } from './statusTable';

/**
 * Loaded on first use: the listing verbs (status, queue, cost-report) need only the store and
 * the formatters, not the launch path (optimizer, catalogs, YAML loader, config layers,
 * providers), whose evaluation was most of `skydeck status`'s time. Literal require()s keep
 * them in the CLI bundle.
 */
const lazy = {
  engine: () => require('../../cluster') as typeof import('../../cluster'),
  plan: () => require('./plan') as typeof import('./plan'),
  config: () => require('./config') as typeof import('./config'),
  entrypoint: () => require('../taskEntrypoint') as typeof import('../taskEntrypoint'),
};
/** The cluster engine (launch, exec, status with refresh, stop, ...), loaded at its first call. */
const clusters = new Proxy({} as ClusterEngine, {
  get: (_target, verb: keyof ClusterEngine) => {
    const engine = lazy.engine().clusters;
    return engine[verb].bind(engine);
  },
});

type Opts = Record<string, unknown>;

/** SkyPilot's `--wait-for` values (AutostopWaitFor). */
const WAIT_FOR = ['jobs_and_ssh', 'jobs', 'none'];

function waitForOption(value: string): string {
  const v = value.toLowerCase();
  if (!WAIT_FOR.includes(v)) throw new UsageError(`Invalid value for '--wait-for': '${value}' is not one of ${WAIT_FOR.map((w) => `'${w}'`).join(', ')}.`);
  return v;
}

function minutesOption(name: string) {
  return (value: string): string => {
    if (!/^-?\d+$/.test(value.trim())) throw new UsageError(`Invalid value for '${name}': '${value}' is not a valid integer.`);
    return value.trim();
  };
}

/** ENTRYPOINT words as SkyPilot joins them (`skydeck exec c1 python train.py`), or undefined. */
function entrypointOf(words: string[] | string | undefined): string | undefined {
  const joined = Array.isArray(words) ? words.join(' ') : words;
  return joined && joined.trim() ? joined : undefined;
}

/** The one task a cluster verb runs (pipelines are for `jobs launch`, as in SkyPilot). */
function singleTask(file: TaskFile, verb: string): Task {
  if (file.tasks.length !== 1) {
    throw new UsageError(`YAML specifies a DAG which is only supported by \`skydeck jobs launch\`. \`skydeck ${verb}\` supports a single task only.`);
  }
  return file.tasks[0];
}

/** `--wait-for` recorded with the task's autostop setting (what counts as activity). */
function applyWaitFor(task: Task, waitFor: unknown): void {
  if (typeof waitFor !== 'string') return;
  for (const spec of new Set([task.resources.base, ...task.resources.candidates])) {
    if (spec.autostop) spec.autostop.waitFor = waitFor as 'jobs_and_ssh' | 'jobs' | 'none';
  }
}

function progressLine(e: ProgressEvent): void {
  process.stderr.write(`⚙ [${e.stage}] ${e.message}\n`);
}

/**
 * Ctrl-C, SIGTERM and SIGHUP (a closed terminal) abort the operation cleanly: a launch still
 * provisioning tears down what it made; a job already running keeps running. `on`, not
 * `once`: the store's lock library (signal-exit) re-raises a signal when it is the last
 * listener left. A second signal exits at once (the INIT record lets `status -r`/`down` reclaim).
 */
function interruptSignal(): { signal: AbortSignal; dispose: () => void } {
  const ac = new AbortController();
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  let signalled = false;
  const onSignal = (sig: NodeJS.Signals) => {
    if (signalled) process.exit(128 + (sig === 'SIGINT' ? 2 : sig === 'SIGTERM' ? 15 : 1));
    signalled = true;
    ac.abort();
  };
  // Nobody reads the output any more: stop as on a hang-up, without counting as a signal.
  const onOutputGone = () => ac.abort();
  for (const sig of signals) process.on(sig, onSignal);
  process.on(OUTPUT_GONE, onOutputGone);
  return {
    signal: ac.signal,
    dispose: () => {
      signals.forEach((sig) => process.removeListener(sig, onSignal));
      process.removeListener(OUTPUT_GONE, onOutputGone);
    },
  };
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
    waitFor: opts.waitFor as LaunchOptions['waitFor'],
    noSetup: opts.setup === false,
    onOutput: (c) => process.stdout.write(c),
    onProgress: progressLine,
    signal,
  };
  try {
    const r = kind === 'launch' ? await clusters.launch(task, options) : await clusters.exec(clusterName!, task, options);
    const name = r.cluster.name;
    if (r.jobId !== undefined) {
      if (options.detachRun || signal.aborted) {
        process.stderr.write(
          `Job ${r.jobId} ${signal.aborted ? 'keeps running' : 'submitted'} on '${name}'. Follow it with: skydeck logs ${name} ${r.jobId}\n`,
        );
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

type Records = Awaited<ReturnType<typeof listClusters>>;

/** `PORT` or `A-B` port specs of a cluster, expanded. */
function clusterPorts(rec: Records[number]): number[] {
  const out: number[] = [];
  for (const p of rec.resources.ports ?? []) {
    const [a, b] = p.split('-').map(Number);
    for (let x = a; x <= (b ?? a); x++) out.push(x);
  }
  return out;
}

const STATUS_PROPERTY_ERROR = (n: string, plural: string, verb: string, cause: string, property: string, flag: string) =>
  `${n} cluster${plural} ${verb}. Please specify ${cause} cluster to show its ${property}.\nUsage: \`skydeck status --${flag} <cluster>\``;

/** `status --ip` / `--endpoints` / `--endpoint PORT` (SkyPilot's `_show_endpoint`). */
async function showEndpoint(names: string[], opts: Opts): Promise<void> {
  const ip = !!opts.ip;
  const single = opts.endpoint !== undefined;
  const property = ip ? 'IP address' : 'endpoint(s)';
  const flag = ip ? 'ip' : single ? 'endpoint port' : 'endpoints';
  if (opts.refresh)
    throw new UsageError('Using --ip or --endpoint(s) with --refresh is not supported for now. To fix, refresh first, then query the IP or endpoint.');
  if (ip && (opts.endpoints || single)) throw new InputError('Cannot specify both --ip and --endpoint(s) at the same time.');
  if (single && opts.endpoints) throw new InputError('Cannot specify both --endpoint and --endpoints at the same time.');
  if (names.length !== 1) {
    throw new InputError(
      STATUS_PROPERTY_ERROR(
        names.length ? String(names.length) : 'No',
        names.length > 1 ? 's' : '',
        'specified',
        names.length > 1 ? 'a single' : 'an existing',
        property,
        flag,
      ),
    );
  }
  const recs = await clusters.status({
    names: expandNames(
      names,
      (await listClusters()).map((r) => r.name),
    ),
  });
  if (recs.length !== 1) {
    const n = recs.length ? String(recs.length) : `'${names[0]}'`;
    throw new InputError(STATUS_PROPERTY_ERROR(n, recs.length > 1 ? 's' : '', recs.length ? 'found' : 'not found', 'a single', property, flag));
  }
  const rec = recs[0];
  if (rec.status !== 'UP') throw new InputError(`Cluster '${rec.name}' is not in UP status.`);
  const host = headIp(rec);
  if (ip) {
    process.stdout.write(opts.json ? `${JSON.stringify({ name: rec.name, ip: host ?? null })}\n` : `${host ?? '-'}\n`);
    return;
  }
  const endpoints = Object.fromEntries(clusterPorts(rec).map((p) => [String(p), `${host}:${p}`]));
  if (single) {
    const url = endpoints[String(opts.endpoint)];
    if (!url) throw new InputError(`Endpoint ${String(opts.endpoint)} not found for cluster '${rec.name}'.`);
    process.stdout.write(opts.json ? `${JSON.stringify({ [String(opts.endpoint)]: url })}\n` : `${url}\n`);
    return;
  }
  if (!Object.keys(endpoints).length) throw new InputError(`No endpoint found for cluster '${rec.name}'.`);
  if (opts.json) process.stdout.write(`${JSON.stringify(endpoints, null, 2)}\n`);
  else for (const [port, url] of Object.entries(endpoints)) process.stdout.write(`${port}: ${url}\n`);
}

/**
 * The in-progress managed jobs and the services after the cluster table, as `sky status` shows
 * them. Their stores are read first: with none in progress there is nothing to supervise or
 * show, and the managed-jobs and serve code is not loaded.
 */
async function printControllersSummary(showJobs: boolean, showServices: boolean): Promise<void> {
  if (showJobs) {
    const { openJobsStore } = await import('../../jobs/state');
    const { isTerminal } = await import('../../jobs/types');
    const inProgress = Object.values((await openJobsStore().read()).jobs).some((j) => !isTerminal(j.status));
    const rows = inProgress ? await (await import('../../jobs/api')).listJobs({ skipFinished: true }) : [];
    process.stdout.write(JOBS_HEADING);
    if (rows.length) {
      const { formatQueue } = await import('../../jobs/format');
      process.stdout.write(`${formatQueue(rows.slice(0, 5)).replace(/^Managed jobs\n/, '')}\n`);
    } else process.stdout.write(`${NO_JOBS_IN_PROGRESS}\n`);
    if (rows.length > 5) process.stdout.write(`${rows.length} managed jobs are in progress (5 latest ones shown). Show all: skydeck jobs queue\n`);
  }
  if (showServices) {
    const { listServices } = await import('../../serve/state');
    const services = (await listServices()).length ? await (await import('../../serve/service')).serveStatus() : [];
    const text = services.length ? (await import('./serve')).formatServices(services, false) : NO_LIVE_SERVICES;
    process.stdout.write(`${SERVICES_HEADING}${text}\n`);
  }
}

/**
 * `logs --provision`: the cluster's provision log (what its last launch printed while
 * provisioning). Followed while that launch is still provisioning, as SkyPilot streams
 * provision.log.
 */
async function showProvisionLog(cluster: string, follow: boolean, tail: number): Promise<void> {
  const file = provisionLogPath(cluster);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw new InputError(`Cluster '${cluster}' has no provisioning log (${file}).`, {
      hint: 'The log is written by `skydeck launch` when it provisions the cluster; check the name with `skydeck status`.',
    });
  }
  process.stdout.write(tail > 0 ? lastLines(text, tail) : text);
  let offset = Buffer.byteLength(text);
  const more = () => {
    const buf = fs.readFileSync(file);
    if (buf.length > offset) process.stdout.write(buf.subarray(offset));
    offset = buf.length;
  };
  if (!follow) return;
  const { signal, dispose } = interruptSignal();
  try {
    while (!signal.aborted && provisioningInProgress(fs.readFileSync(file, 'utf8'))) {
      await new Promise((resolve) => {
        const t = setTimeout(resolve, 500);
        signal.addEventListener('abort', () => (clearTimeout(t), resolve(undefined)), { once: true });
      });
      more();
    }
    more();
  } finally {
    dispose();
  }
}

/** Cluster names and globs, or every cluster with -a; a verb with neither is a usage error (SkyPilot). */
async function targetClusters(verb: string, names: string[], all: unknown): Promise<string[]> {
  const existing = (await listClusters()).map((r) => r.name);
  if (all) {
    if (names.length) process.stdout.write(`Both --all and cluster(s) specified for \`skydeck ${verb}\`. Letting --all take effect.\n`);
    return existing;
  }
  if (!names.length)
    throw new UsageError(`\`skydeck ${verb}\` requires either a cluster name or glob (see \`skydeck status\`), or the -a/--all flag for all your clusters.`);
  // As SkyPilot: names that match no cluster are dropped; the verb reports when none is left.
  return expandNames(names, existing).filter((n) => existing.includes(n));
}

/** The job `cancel CLUSTER` with no ids cancels: the latest job that has not finished. */
function latestRunningJob(jobs: ClusterJob[]): number | undefined {
  return jobs
    .filter((j) => !TERMINAL_JOB_STATUSES.includes(j.status))
    .reduce<number | undefined>((m, j) => (m === undefined || j.id > m ? j.id : m), undefined);
}

async function syncDownLogs(cluster: string, ids: number[]): Promise<void> {
  const jobs = await clusters.queue(cluster);
  const wanted = ids.length ? ids : jobs.map((j) => j.id);
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  for (const id of wanted) {
    if (!jobs.some((j) => j.id === id)) {
      process.stderr.write(`Job ${id} not found on cluster '${cluster}'.\n`);
      process.exitCode = 1;
      continue;
    }
    const dir = path.join(skydeckHome(), 'sky_logs', cluster, `${stamp}-job-${id}`);
    fs.mkdirSync(dir, { recursive: true });
    let text = '';
    await clusters.tailLogs(cluster, id, { follow: false, onData: (c) => (text += c) });
    const file = path.join(dir, 'run.log');
    fs.writeFileSync(file, text);
    process.stdout.write(`Job ${id} logs: ${file}\n`);
  }
}

export function registerCluster(program: Command): void {
  const launch = program
    .command('launch')
    .description('Launch a cluster or task (or show the plan with --dryrun). ENTRYPOINT is a task YAML or a command; with none, only the cluster is launched.')
    .argument('[entrypoint...]', 'task YAML, or an inline command (its words are joined)')
    .option('-c, --cluster <name>', 'cluster name (reused if it exists)')
    .option('--dryrun', 'show the plan, launch nothing')
    .option('--json', 'machine-readable output (with --dryrun)')
    .option('--all-infra', 'plan over every cloud in the catalog, as if all had credentials')
    .option('-d, --detach-run', 'return once the job is submitted');
  addTaskOptions(launch, { name: true, git: true })
    .option('-i, --idle-minutes-to-autostop <minutes>', 'autostop after this many idle minutes', minutesOption('--idle-minutes-to-autostop'))
    .option('--wait-for <mode>', `what resets the idleness timer: ${WAIT_FOR.join(', ')} (default jobs_and_ssh)`, waitForOption)
    .option('--down', 'tear down instead of stopping (with -i), or after the job (without)')
    .option('-r, --retry-until-up', 'keep retrying provisioning until it succeeds')
    .option('-y, --yes', 'skip confirmation prompt')
    .option('--no-setup', 'skip the setup phase')
    .option(...CONFIG_OPTION, collect)
    .action(async (words: string[], opts: Opts) => {
      const entry = entrypointOf(words);
      lazy.config().applyCommandConfig(opts, entry && lazy.entrypoint().looksLikeYaml(entry) ? entry : undefined);
      const file = lazy.entrypoint().loadEntrypoint(entry, readTaskOptions(opts), { verb: 'launch', allowNullValues: !!opts.dryrun });
      if (opts.dryrun) {
        process.exitCode = await lazy.plan().runDryRun(file, { json: !!opts.json, allInfra: !!opts.allInfra });
        return;
      }
      const task = singleTask(file, 'launch');
      if (task.service)
        process.stderr.write('Service section will be ignored when using `skydeck launch`.\nTo spin up a service, use SkyServe CLI: skydeck serve up\n');
      applyWaitFor(task, opts.waitFor);
      reportUnsupported([task], undefined, (line) => process.stderr.write(line));
      const name = opts.cluster as string | undefined;
      if (!(await confirm(name ? `Launching on cluster '${name}'. Proceed?` : 'Launching a new cluster. Proceed?', opts.yes))) return;
      await runLaunchLike('launch', name, task, opts);
    });

  const exec = program
    .command('exec')
    .description('Run a task (or an inline command) on an existing UP cluster: sync workdir, then submit.')
    .argument('<cluster>', 'cluster name')
    .argument('<entrypoint...>', 'task YAML, or an inline command (its words are joined)')
    .option('-d, --detach-run', 'return once the job is submitted')
    .option(...CONFIG_OPTION, collect);
  addTaskOptions(exec, { name: true, git: true }).action(async (cluster: string, words: string[], opts: Opts) => {
    const entry = entrypointOf(words);
    lazy.config().applyCommandConfig(opts, entry && lazy.entrypoint().looksLikeYaml(entry) ? entry : undefined);
    const file = lazy.entrypoint().loadEntrypoint(entry, readTaskOptions(opts), { verb: 'exec', ignore: EXEC_IGNORED });
    const task = singleTask(file, 'exec');
    reportUnsupported([task], undefined, (line) => process.stderr.write(line));
    await runLaunchLike('exec', cluster, task, opts);
  });

  program
    .command('status')
    .description('Show clusters (with uptime and cost so far), then in-progress managed jobs and services.')
    .argument('[clusters...]', 'cluster names or glob patterns')
    .option('-r, --refresh', 'reconcile with the infrastructure first')
    .option('--ip', 'print the IP address of the head node of one cluster')
    .option('--endpoints', "print all of one cluster's exposed ports and their endpoints")
    .option('--endpoint <port>', 'print the endpoint of one port of one cluster', minutesOption('--endpoint'))
    .addOption(new Option('--show-managed-jobs', 'also show in-progress managed jobs (default)'))
    .addOption(new Option('--no-show-managed-jobs', 'do not show managed jobs'))
    .addOption(new Option('--show-services', 'also show services (default)'))
    .addOption(new Option('--no-show-services', 'do not show services'))
    .option('-v, --verbose', 'show all information in full: untruncated resources with disk and ports, HEAD_IP')
    .option('--json', 'machine-readable output (clusters only)')
    .action(async (names: string[], opts: Opts) => {
      if (opts.ip || opts.endpoints || opts.endpoint !== undefined) {
        await showEndpoint(names, opts);
        return;
      }
      // Without --refresh, status is the store as it is: read once, the engine not loaded.
      const stored = await listClusters();
      const expanded = names.length
        ? expandNames(
            names,
            stored.map((r) => r.name),
          )
        : [];
      const recs =
        names.length && !expanded.length
          ? []
          : opts.refresh
            ? await clusters.status({ refresh: true, names: expanded })
            : stored.filter((r) => !names.length || expanded.includes(r.name));
      if (opts.json) {
        process.stdout.write(
          `${JSON.stringify(
            recs.map((r) => statusJson(r)),
            null,
            2,
          )}\n`,
        );
        return;
      }
      process.stdout.write(statusText(recs, !!opts.verbose));
      for (const note of await autostopNotes(await listClusters(), expanded)) process.stdout.write(`${note}\n`);
      // As SkyPilot: the summaries only when no cluster is named.
      if (!names.length) await printControllersSummary(opts.showManagedJobs !== false, opts.showServices !== false);
    });

  program
    .command('queue')
    .description('Show the job queue of clusters (all clusters when none is named).')
    .argument('[clusters...]', 'cluster names or glob patterns')
    .option('-s, --skip-finished', 'only pending and running jobs')
    .option('--json', 'machine-readable output: the jobs of one named cluster, or {cluster: jobs} for several')
    .action(async (names: string[], opts: Opts) => {
      const existing = (await listClusters()).map((r) => r.name);
      const targets = names.length ? expandNames(names, existing) : existing;
      const out: Record<string, ReturnType<typeof jobJson>[]> = {};
      const now = Date.now();
      for (const cluster of targets) {
        let jobs: ClusterJob[];
        try {
          jobs = await clusters.queue(cluster, { skipFinished: !!opts.skipFinished });
        } catch (e) {
          if (names.length === 1 && !isGlob(names[0])) throw e;
          process.stderr.write(`Failed to get the job queue for cluster '${cluster}'.\n  ${errorMessage(e)}\n`);
          continue;
        }
        out[cluster] = jobs.map((j) => jobJson(j, now));
        if (opts.json) continue;
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
        process.stdout.write(
          `\nJob queue of current user on cluster ${cluster}\n${table(['ID', 'NAME', 'USER', 'SUBMITTED', 'STARTED', 'DURATION', 'RESOURCES', 'STATUS', 'LOG'], rows)}\n`,
        );
      }
      if (opts.json) {
        const single = names.length === 1 && !isGlob(names[0]);
        process.stdout.write(`${JSON.stringify(single ? (out[names[0]] ?? []) : out, null, 2)}\n`);
      } else if (!targets.length) process.stdout.write('No existing clusters.\n');
    });

  program
    .command('logs')
    .description("Tail a job's logs (the latest job by default).")
    .argument('<cluster>', 'cluster name')
    .argument('[job_ids...]', 'job id (several with --sync-down)')
    .option('--provision', "stream the cluster's provisioning log")
    .option('-s, --sync-down', 'download the logs of the jobs (all jobs when none is named) to SKYDECK_HOME/sky_logs')
    .option('--status', 'print the job status; exit 0 SUCCEEDED, 100 FAILED, 101 NOT_FINISHED, 102 NOT_FOUND, 103 CANCELLED')
    .addOption(new Option('--follow', 'follow the log until the job ends (default)'))
    .addOption(new Option('--no-follow', 'print the log so far and exit'))
    .option('--tail <n>', 'print only the last N lines (0: all)', minutesOption('--tail'), '0')
    .action(async (cluster: string, jobIds: string[], opts: Opts) => {
      if (opts.provision && (opts.syncDown || opts.status || jobIds.length))
        throw new UsageError('--provision cannot be combined with job log options (--sync-down/--status/job IDs).');
      if (opts.syncDown && opts.status) throw new UsageError('Both --sync_down and --status are specified (ambiguous). To fix: specify at most one of them.');
      if (jobIds.length > 1 && !opts.syncDown)
        throw new UsageError(`Cannot stream logs of multiple jobs (IDs: ${jobIds.join(', ')}).\nPass -s/--sync-down to download the logs instead.`);
      for (const id of jobIds) if (!/^\d+$/.test(id)) throw new UsageError(`Invalid job ID ${id}. Job ID must be integers.`);
      if (opts.provision) {
        await showProvisionLog(cluster, opts.follow !== false, Number(opts.tail));
        return;
      }
      if (opts.syncDown) {
        await syncDownLogs(cluster, jobIds.map(Number));
        return;
      }
      const id = jobIds.length ? Number(jobIds[0]) : undefined;
      if (opts.status) {
        const jobs = await clusters.queue(cluster);
        const job = id === undefined ? jobs[0] : jobs.find((j) => j.id === id);
        if (!job && id === undefined) process.stdout.write(`No job found on cluster '${cluster}'.\n`);
        else process.stdout.write(`${job ? `Job ${job.id}: ${job.status}` : `Job ${id} not found`}\n`);
        process.exitCode = jobExitCode(job?.status);
        return;
      }
      const tail = Number(opts.tail);
      const follow = opts.follow !== false;
      const { signal, dispose } = interruptSignal();
      try {
        let status: ClusterJobStatus | undefined;
        if (tail > 0) {
          let sofar = '';
          status = await clusters.tailLogs(cluster, id, { follow: false, onData: (c) => (sofar += c), signal });
          process.stdout.write(lastLines(sofar, tail));
          if (follow && status !== undefined && !TERMINAL_JOB_STATUSES.includes(status)) {
            status = await clusters.tailLogs(cluster, id, { follow: true, onData: skipping(sofar.length, (c) => process.stdout.write(c)), signal });
          }
        } else {
          status = await clusters.tailLogs(cluster, id, { follow, onData: (c) => process.stdout.write(c), signal });
        }
        if (status === undefined && !signal.aborted) {
          process.stderr.write(`No job ${id ?? ''} found on cluster '${cluster}'.\n`);
          process.exitCode = 1;
        }
      } finally {
        dispose();
      }
    });

  program
    .command('cancel')
    .description('Cancel jobs on a cluster (or on every cluster a glob matches). No job ids: the latest job that has not finished.')
    .argument('<cluster>', 'cluster name or glob pattern')
    .argument('[job_ids...]', 'job ids')
    .option('-a, --all', 'cancel all jobs')
    .option('-y, --yes', 'skip confirmation prompt')
    .option('--async', 'return once cancellation is requested (cancellation is immediate here)')
    .action(async (pattern: string, ids: string[], opts: Opts) => {
      for (const id of ids) if (!/^\d+$/.test(id)) throw new UsageError(`Invalid value for '[JOBS]...': '${id}' is not a valid integer.`);
      const targets = isGlob(pattern)
        ? expandNames(
            [pattern],
            (await listClusters()).map((r) => r.name),
          )
        : [pattern];
      if (!targets.length) throw new UsageError(`No clusters match pattern: '${pattern}'`);
      if (targets.length > 1 && ids.length)
        throw new UsageError(`Cannot specify job IDs when cluster pattern matches multiple clusters. Pattern '${pattern}' matches: ${targets.join(', ')}`);
      const latest = !ids.length && !opts.all;
      if (latest) process.stderr.write('No job IDs or --all provided; cancelling the latest running job.\n');
      const what = latest ? 'the latest running job' : opts.all ? 'all your jobs' : `job${ids.length > 1 ? 's' : ''} ${ids.join(' ')}`;
      if (!(await confirm(`Cancelling ${what} on cluster(s): ${targets.join(', ')}. Proceed?`, opts.yes))) return;
      for (const cluster of targets) {
        let which: number[] | 'all';
        if (opts.all) which = 'all';
        else if (latest) {
          const job = latestRunningJob(await clusters.queue(cluster));
          if (job === undefined) {
            process.stdout.write(`No running job to cancel on cluster '${cluster}'.\n`);
            continue;
          }
          which = [job];
        } else which = ids.map(Number);
        const done = await clusters.cancel(cluster, which);
        process.stdout.write(done.length ? `Cancelled job(s) on '${cluster}': ${done.join(', ')}.\n` : `No job to cancel on '${cluster}'.\n`);
      }
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
      .argument('[clusters...]', 'cluster names or glob patterns (quote them: "dev-*")')
      .option('-a, --all', 'all clusters')
      .option('-y, --yes', 'skip confirmation prompt');
    if (verb === 'start')
      cmd
        .option('-i, --idle-minutes-to-autostop <minutes>', 'autostop after this many idle minutes', minutesOption('--idle-minutes-to-autostop'))
        .option('--down', 'autodown instead of autostop');
    if (verb === 'down')
      cmd.option('-p, --purge', "(Advanced) remove the clusters from SkyDeck's table even if their termination failed; you then check for leaked resources");
    cmd.action(async (names: string[], opts: Opts) => {
      const targets = await targetClusters(verb, names, opts.all);
      if (!targets.length) {
        process.stdout.write(
          `Cluster(s) not found (tip: see \`skydeck status\`).${verb === 'start' ? ' Do you mean to use `skydeck launch` to provision a new cluster?' : ''}\n`,
        );
        return;
      }
      if (!(await confirm(`${verb[0].toUpperCase()}${verb.slice(1)} ${targets.join(', ')}?`, opts.yes))) return;
      let failed = 0;
      for (const name of targets) {
        try {
          if (verb === 'stop') await clusters.stop(name);
          else if (verb === 'down') await clusters.down(name, { purge: !!opts.purge });
          else
            await clusters.start(name, {
              idleMinutesToAutostop: opts.idleMinutesToAutostop !== undefined ? Number(opts.idleMinutesToAutostop) : undefined,
              down: !!opts.down,
            });
          process.stdout.write(`Cluster '${name}': ${verb === 'stop' ? 'stopped' : verb === 'down' ? 'terminated' : 'started'}.\n`);
        } catch (e) {
          if (targets.length === 1) throw e;
          failed++;
          process.stderr.write(`Cluster '${name}': ${errorMessage(e)}\n`);
        }
      }
      if (failed) {
        process.stderr.write(
          `Cluster(s) failed. See details above.${verb === 'down' ? ' If you want to ignore the errors and remove the cluster(s) from the status table, use `skydeck down --purge`.' : ''}\n`,
        );
        process.exitCode = 1;
      }
    });
  }

  program
    .command('autostop')
    .description('Stop (or tear down) clusters after they have been idle.')
    .argument('[clusters...]', 'cluster names or glob patterns')
    .option('-i, --idle-minutes <minutes>', 'idle minutes before autostop (default 5)', minutesOption('--idle-minutes'))
    .option('--wait-for <mode>', `what resets the idleness timer: ${WAIT_FOR.join(', ')}`, waitForOption)
    .option('--down', 'tear down instead of stopping')
    .option('--cancel', 'cancel autostop')
    .option('-a, --all', 'all clusters')
    .option('-y, --yes', 'skip confirmation prompt')
    .action(async (names: string[], opts: Opts) => {
      if (opts.cancel && opts.idleMinutes !== undefined) {
        throw new UsageError(`Only one of --idle-minutes and --cancel should be specified. cancel: True, idle_minutes: ${String(opts.idleMinutes)}`);
      }
      const targets = await targetClusters('autostop', names, opts.all);
      if (!targets.length) process.stdout.write('Cluster(s) not found (tip: see `skydeck status`).\n');
      for (const name of targets) {
        const minutes = opts.cancel ? -1 : Number(opts.idleMinutes ?? 5);
        await clusters.autostop(name, minutes, !!opts.down, opts.waitFor as LaunchOptions['waitFor']);
        process.stdout.write(
          minutes < 0 ? `Autostop cancelled for '${name}'.\n` : `Cluster '${name}': ${opts.down ? 'autodown' : 'autostop'} after ${minutes} idle minute(s).\n`,
        );
      }
    });

  program
    .command('cost-report')
    .description("Estimated cost of each cluster, live or terminated: hourly price, time UP and cost (SkyPilot's cluster history).")
    .option('--days <n>', 'clusters launched in the last N days (0: all)', minutesOption('--days'), '30')
    .option('-a, --all', 'show every cluster (default: the 50 most recent)')
    .option('--json', 'machine-readable output')
    .action(async (opts: Opts) => {
      const now = Date.now();
      const days = Number(opts.days);
      const live = (await listClusters()).map((r) => ({
        name: r.name,
        launchedAt: r.launchedAt,
        endedAt: undefined as number | undefined,
        durationSeconds: Math.floor(upSeconds(r, now).total),
        resources: formatResources(r.resources, r.numNodes),
        status: r.status as string,
        costPerHour: r.resources.pricePerHour * r.numNodes,
        cost: costSoFar(r, now),
      }));
      const ended = (await listEnded()).map((e) => ({
        name: e.name,
        launchedAt: e.launchedAt,
        endedAt: e.endedAt as number | undefined,
        durationSeconds: e.upSeconds,
        resources: formatResources(e.resources, e.numNodes),
        status: 'TERMINATED',
        costPerHour: e.pricePerHour,
        cost: endedCost(e),
      }));
      const recs = [...live, ...ended].filter((r) => days === 0 || now - r.launchedAt <= days * 86_400_000).sort((a, b) => b.launchedAt - a.launchedAt);
      const shown = opts.all ? recs : recs.slice(0, COST_REPORT_LINES);
      const rows = shown.map((r) => ({
        name: r.name,
        launchedAt: new Date(r.launchedAt).toISOString(),
        endedAt: r.endedAt !== undefined ? new Date(r.endedAt).toISOString() : null,
        durationSeconds: r.durationSeconds,
        resources: r.resources,
        status: r.status,
        costPerHour: r.costPerHour,
        cost: Number(r.cost.toFixed(6)),
      }));
      const total = rows.reduce((n, r) => n + r.cost, 0);
      if (opts.json) {
        process.stdout.write(`${JSON.stringify({ clusters: rows, totalCost: Number(total.toFixed(6)) }, null, 2)}\n`);
        return;
      }
      const body = rows.map((r, i) => [
        r.name,
        formatAgo(shown[i].launchedAt, now),
        formatDuration(r.durationSeconds),
        r.resources,
        r.status,
        `$ ${r.costPerHour.toFixed(2)}`,
        `$ ${r.cost.toFixed(2)}`,
      ]);
      process.stdout.write(
        `${table(['NAME', 'LAUNCHED', 'DURATION', 'RESOURCES', 'STATUS', 'COST/hr', 'COST (est.)'], body)}\n\nTotal Cost: $${total.toFixed(2)}\n`,
      );
      if (!opts.all && recs.length > shown.length)
        process.stdout.write(`Showing up to ${COST_REPORT_LINES} most recent clusters. To see all clusters, pass the --all flag.\n`);
    });

  program
    .command('check')
    .description('Which infrastructure is enabled, and why not.')
    .argument('[infra...]', 'only these clouds')
    .option('--json', 'machine-readable output')
    .action(async (only: string[], opts: Opts) => {
      const rows = await lazy.engine().checkInfra({ only });
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
        return;
      }
      for (const r of rows) process.stdout.write(`  ${r.enabled ? '✔' : '✘'} ${r.infra.padEnd(20)} ${r.reason}\n`);
      const enabled = rows.filter((r) => r.enabled).map((r) => r.infra);
      process.stdout.write(`\nEnabled infra: ${enabled.join(', ')}\n`);
    });
}

/** SkyPilot's NUM_COST_REPORT_LINES. */
const COST_REPORT_LINES = 50;

/** exec ignores these overrides with SkyPilot's warning (they cannot change a running cluster). */
const EXEC_IGNORED: Array<keyof ResourceOverrides> = ['cpus', 'memory', 'diskSize', 'diskTier', 'ports'];

/**
 * `down [--purge]`: the purge flag is handed to the engine's down as an option; an engine
 * without purge support ignores the extra argument.
 */
