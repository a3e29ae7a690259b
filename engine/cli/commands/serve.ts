/**
 * `skydeck serve ...`: SkyServe's verbs with SkyPilot's arguments (up, update, status,
 * logs, down) and the hidden `serve controller NAME` that runs a service's controller.
 */
import { randomBytes } from 'node:crypto';
import { Command, type Command as CommandT } from 'commander';
import { clusters, enabledInfra } from '../../cluster';
import { activeConfig } from '../../config/active';
import { placementForTask } from '../../controllers/placement';
import { CONTROLLER_OPTION, remoteForVerb } from '../../controllers/route';
import { onControllerCluster } from '../controllerVerb';
import { formatAgo, formatDuration, table } from '../../cluster/format';
import { InputError } from '../../errors';
import { runController } from '../../serve/controller';
import { serveDown, serveLogs, serveStatus, serveUp, serveUpdate, type LogTarget } from '../../serve/service';
import { displayStatus } from '../../serve/state';
import type { ServiceRecord, UpdateMode } from '../../serve/types';
import { confirmOrAbort } from '../confirm';
import { collect } from '../taskOptions';
import { applyCommandConfig, CONFIG_OPTION } from './config';
import { expandNames, isGlob } from '../globNames';
import { lastLines } from '../tailLines';
import { loadEntrypoint, looksLikeYaml, writeTaskYaml } from '../taskEntrypoint';
import { addTaskOptions, hasResourceOverrides, readTaskOptions } from '../taskOptions';
import { UsageError } from '../usageError';
import { loadTaskFile } from '../../task/load';
import { reportUnsupported } from '../../task/unsupported';

type Opts = Record<string, unknown>;

function currentVersion(s: ServiceRecord): number {
  return Math.max(0, ...s.versions.map((v) => v.version));
}

/** `serve status --json`: one object per service. */
export function serviceJson(s: ServiceRecord) {
  return {
    name: s.name,
    status: displayStatus(s),
    endpoint: s.endpoint ?? null,
    /** Why the endpoint is not answering although the controller runs (its port is held by another process). */
    endpointError: s.lbError ?? null,
    version: currentVersion(s),
    uptimeSeconds: Math.round((Date.now() - s.createdAt) / 1000),
    loadBalancingPolicy: s.loadBalancingPolicy ?? null,
    autoscalingPolicy: s.autoscalingPolicy ?? null,
    targetReplicas: s.autoscalerTarget ?? null,
    replicas: s.replicas.map((r) => ({
      id: r.id,
      status: r.status,
      cluster: r.cluster,
      version: r.version,
      endpoint: r.url ?? null,
      launchedAt: r.launchedAt ? new Date(r.launchedAt).toISOString() : null,
      infra: r.infra ?? null,
      resources: r.resources ?? null,
      spot: r.useSpot,
      failureReason: r.failureReason ?? null,
    })),
  };
}

/** The Services and Service Replicas tables of `serve status` (also appended to `skydeck status`). */
export function formatServices(services: ServiceRecord[], verbose: boolean): string {
  const svcHeaders = ['NAME', 'VERSION', 'UPTIME', 'STATUS', 'REPLICAS', 'ENDPOINT', ...(verbose ? ['AUTOSCALING_POLICY', 'LOAD_BALANCING_POLICY'] : [])];
  const svcRows = services.map((s) => [
    s.name,
    String(currentVersion(s)),
    formatDuration((Date.now() - s.createdAt) / 1000),
    displayStatus(s),
    `${s.replicas.filter((r) => r.status === 'READY').length}/${s.replicas.length}`,
    s.endpoint ?? '-',
    ...(verbose ? [s.autoscalingPolicy ?? '-', s.loadBalancingPolicy ?? '-'] : []),
  ]);
  let out = table(svcHeaders, svcRows);
  for (const s of services) if (s.lbError) out += `\n${s.name}: ${s.lbError}`;
  const replicaRows = services.flatMap((s) =>
    s.replicas.map((r) => [
      s.name,
      String(r.id),
      String(r.version),
      r.url ?? '-',
      r.launchedAt ? formatAgo(r.launchedAt) : '-',
      r.infra ?? '-',
      r.resources ?? '-',
      r.status,
    ]),
  );
  if (replicaRows.length) {
    out += `\n\nService Replicas\n${table(['SERVICE_NAME', 'ID', 'VERSION', 'ENDPOINT', 'LAUNCHED', 'INFRA', 'RESOURCES', 'STATUS'], replicaRows)}`;
  }
  return out;
}

function printStatus(services: ServiceRecord[], verbose: boolean): void {
  process.stdout.write(services.length ? `Services\n${formatServices(services, verbose)}\n` : 'No live services.\n');
}

/**
 * The service task with the command line's task options applied. `-n` names the service
 * here (SkyPilot's serve verbs take TASK_OPTIONS without -n/--name). A file is returned,
 * as the service keeps its task as YAML: the original when nothing is overridden, else a
 * private copy with the overrides that is removed once the service has its snapshot.
 */
function serviceTaskFile(entry: string, opts: Opts, verb: string): { file: string; dispose: () => void } {
  if (!looksLikeYaml(entry)) throw new UsageError('SERVICE_YAML must be a valid YAML file.');
  const values = readTaskOptions(opts);
  const tf = loadEntrypoint(entry, values, { verb });
  if (tf.tasks.length !== 1)
    throw new UsageError(`YAML specifies a DAG which is only supported by \`skydeck jobs launch\`. \`skydeck ${verb}\` supports a single task only.`);
  const untouched =
    !hasResourceOverrides(values) &&
    !Object.keys(values.envs).length &&
    !Object.keys(values.secrets).length &&
    values.workdir === undefined &&
    values.numNodes === undefined;
  return untouched ? { file: entry, dispose: () => undefined } : writeTaskYaml(tf.tasks[0]);
}

function tailOption(value: string): string {
  if (!/^-?\d+$/.test(value.trim())) throw new UsageError(`Invalid value for '--tail': '${value}' is not a valid integer.`);
  if (Number(value) < 0) throw new UsageError('--tail must be a non-negative integer.');
  return value.trim();
}

function modeOption(value: string): string {
  const v = value.toLowerCase();
  if (v !== 'rolling' && v !== 'blue_green') throw new UsageError(`Invalid value for '--mode': '${value}' is not one of 'rolling', 'blue_green'.`);
  return v;
}

const progress = (m: string) => process.stderr.write(`${m}\n`);

export function registerServe(program: CommandT): void {
  const serve = program.command('serve').description('Serve a task behind a load balancer, with replicas that scale and recover (SkyServe).');

  const up = serve
    .command('up')
    .description('Start a service from a task YAML with a `service:` section.')
    .argument('<service_yaml>', 'task YAML')
    .option('-n, --service-name <name>', 'service name (default: sky-service-XXXX)');
  addTaskOptions(up, { git: true })
    .option('-y, --yes', 'skip confirmation prompt')
    .option(...CONFIG_OPTION, collect)
    .option(...CONTROLLER_OPTION)
    .action(async (entry: string, opts: Opts) => {
      applyCommandConfig(opts, entry);
      const task = serviceTaskFile(entry, opts, 'serve up');
      let r: Awaited<ReturnType<typeof serveUp>>;
      // The temporary copy with the command line's options goes whatever happens next.
      try {
        const taskFile = loadTaskFile(task.file);
        reportUnsupported(taskFile.tasks, undefined, (line) => process.stderr.write(line));
        await (await import('../../cluster/preflight')).checkBeforeSubmit(taskFile.tasks);
        await confirmOrAbort(`Launching a new service${opts.serviceName ? ` '${String(opts.serviceName)}'` : ''}. Proceed?`, opts.yes);
        const where = placementForTask('serve', {
          flag: typeof opts.controller === 'string' ? opts.controller : undefined,
          config: activeConfig(),
          taskFile,
          enabledInfra: await enabledInfra(),
        });
        if (where === 'cluster') {
          const { serveUpRemote } = await import('../../controllers/serveRemote');
          // Named here, as serve up names it, so the name is known before the node answers.
          const name = (opts.serviceName as string | undefined) ?? `sky-service-${randomBytes(2).toString('hex')}`;
          await serveUpRemote(task.file, name, activeConfig(), progress);
          return;
        }
        r = await serveUp(task.file, { name: opts.serviceName as string | undefined });
      } finally {
        task.dispose();
      }
      process.stdout.write(
        `Service '${r.name}' is starting.\nEndpoint: ${r.endpoint}\n` +
          `To see its status: skydeck serve status ${r.name}\nTo stream its logs: skydeck serve logs ${r.name} --controller\nTo tear it down: skydeck serve down ${r.name}\n`,
      );
    });

  const update = serve
    .command('update')
    .description('Roll out a new version of a service.')
    .argument('<service_name>', 'service name')
    .argument('<service_yaml>', 'task YAML of the new version');
  addTaskOptions(update)
    .option('--mode <mode>', 'update mode: rolling (default) or blue_green', modeOption, 'rolling')
    .option('-y, --yes', 'skip confirmation prompt')
    .option(...CONTROLLER_OPTION)
    .action(async (name: string, entry: string, opts: Opts) => {
      const task = serviceTaskFile(entry, opts, 'serve update');
      await confirmOrAbort(`Updating service '${name}' (${String(opts.mode)}). Proceed?`, opts.yes);
      const remote = await remoteForVerb('serve', opts, progress).catch((e: unknown) => {
        task.dispose();
        throw e;
      });
      if (remote) {
        try {
          const { serveUpdateRemote } = await import('../../controllers/serveRemote');
          await serveUpdateRemote(remote, name, task.file, String(opts.mode));
        } finally {
          task.dispose();
          await remote.close();
        }
        return;
      }
      let version: number;
      try {
        version = await serveUpdate(name, task.file, opts.mode as UpdateMode);
      } finally {
        task.dispose();
      }
      process.stdout.write(`Service '${name}': version ${version} is rolling out (${String(opts.mode)}).\nTo see its status: skydeck serve status ${name}\n`);
    });

  serve
    .command('status')
    .description('Show services and their replicas.')
    .argument('[names...]', 'service names (default: all)')
    .option('--endpoint', 'print only the endpoint of the service')
    .option('--json', 'machine-readable output')
    .option('-v, --verbose', 'more columns')
    .option(...CONTROLLER_OPTION)
    .action(async (names: string[], opts: Opts, cmd: CommandT) => {
      if (await onControllerCluster('serve', opts, cmd)) return;
      const services = await serveStatus(names);
      if (opts.endpoint) {
        if (names.length !== 1) throw new InputError('--endpoint needs exactly one service name.');
        process.stdout.write(`${services[0]?.endpoint ?? '-'}\n`);
      } else if (opts.json) process.stdout.write(`${JSON.stringify(services.map(serviceJson), null, 2)}\n`);
      else printStatus(services, !!opts.verbose);
    });

  serve
    .command('logs')
    .description("Stream a replica's logs, or the controller's or the load balancer's.")
    .argument('<service>', 'service name')
    .argument('[replica]', 'replica id')
    .option('--controller', "the controller's log")
    .option('--load-balancer', "the load balancer's log")
    .option('-f, --follow', 'keep streaming (default)')
    .option('--no-follow', 'print what is there and exit')
    .option('--tail <n>', 'print only the last N lines (implies --no-follow)', tailOption)
    .action(async (name: string, replica: string | undefined, opts: Opts, cmd: CommandT) => {
      if (await onControllerCluster('serve', opts, cmd)) return;
      const chosen = [replica !== undefined, !!opts.controller, !!opts.loadBalancer].filter(Boolean).length;
      if (chosen !== 1) throw new InputError('Give exactly one of: a replica id, --controller, --load-balancer.');
      let target: LogTarget;
      if (opts.controller) target = { kind: 'controller' };
      else if (opts.loadBalancer) target = { kind: 'load-balancer' };
      else {
        if (!/^\d+$/.test(replica!)) throw new InputError(`Replica id must be a number (got ${replica}).`);
        target = { kind: 'replica', id: Number(replica) };
      }
      const abort = new AbortController();
      process.once('SIGINT', () => abort.abort());
      if (opts.tail !== undefined) {
        // As SkyPilot: --tail reads what is there; it does not follow.
        if (opts.follow !== false) process.stderr.write('--tail and --follow cannot be used together. Changed the mode to --no-follow.\n');
        let text = '';
        await serveLogs(name, target, clusters, { follow: false, onData: (c) => (text += c), signal: abort.signal });
        process.stdout.write(lastLines(text, Number(opts.tail)));
        return;
      }
      await serveLogs(name, target, clusters, { follow: opts.follow !== false, onData: (c) => process.stdout.write(c), signal: abort.signal });
    });

  serve
    .command('hold', { hidden: true })
    .description("Run while any service exists (the controller cluster's job, so its autostop waits for the services).")
    .action(async () => {
      const { holdWhileServices } = await import('../../serve/hold');
      await holdWhileServices();
    });

  serve
    .command('down')
    .description('Tear down services: their load balancer, controller and every replica.')
    .argument('[names...]', 'service names or glob patterns')
    .option('-a, --all', 'all services')
    .option('-p, --purge', 'tear down services in failed status')
    .option('-y, --yes', 'skip confirmation prompt')
    .option(...CONTROLLER_OPTION)
    .action(async (patterns: string[], opts: Opts, cmd: CommandT) => {
      if (Number(!!patterns.length) + Number(!!opts.all) !== 1) {
        const given = `${patterns.length ? `SERVICE_NAMES=${patterns.join(',')}` : ''}${opts.all ? ' --all' : ''}`;
        throw new UsageError(`Can only specify one of SERVICE_NAMES or --all. Provided '${given}'.`);
      }
      const remote = await remoteForVerb('serve', opts, progress);
      if (remote) {
        await remote.close();
        await confirmOrAbort(`Tearing down ${opts.all ? 'all services' : patterns.map((n) => `'${n}'`).join(', ')}. Proceed?`, opts.yes);
        await onControllerCluster('serve', opts, cmd, opts.yes ? [] : ['-y']);
        return;
      }
      const names = patterns.some(isGlob)
        ? expandNames(
            patterns,
            (await serveStatus()).map((s) => s.name),
            (p) => process.stdout.write(`Service ${p} not found.\n`),
          )
        : patterns;
      if (!opts.all && !names.length) {
        process.stdout.write('No services to tear down.\n');
        return;
      }
      await confirmOrAbort(`Tearing down ${opts.all ? 'all services' : names.map((n) => `'${n}'`).join(', ')}. Proceed?`, opts.yes);
      // --purge is handed to the engine's serveDown; an engine without purge support ignores it.
      const downOptions: NonNullable<Parameters<typeof serveDown>[2]> & { purge?: boolean } = {
        onProgress: (m) => process.stderr.write(`${m}\n`),
        purge: !!opts.purge,
      };
      const done = await serveDown(opts.all ? 'all' : names, clusters, downOptions);
      if (!done.length) process.stdout.write('No services to tear down.\n');
    });

  serve.addCommand(
    new Command('controller')
      .description('Run the controller of a service (started by `serve up`).')
      .argument('<name>')
      .action(async (name: string) => {
        await runController(name, { engine: clusters });
      }),
    { hidden: true },
  );
}
