/**
 * `skydeck serve ...`: SkyServe's verbs with SkyPilot's arguments (up, update, status,
 * logs, down) and the hidden `serve controller NAME` that runs a service's controller.
 */
import { Command, type Command as CommandT } from 'commander';
import { clusters } from '../../cluster';
import { formatAgo, formatDuration, table } from '../../cluster/format';
import { InputError } from '../../errors';
import { runController } from '../../serve/controller';
import { serveDown, serveLogs, serveStatus, serveUp, serveUpdate, type LogTarget } from '../../serve/service';
import { displayStatus } from '../../serve/state';
import type { ServiceRecord, UpdateMode } from '../../serve/types';
import { confirmOrAbort } from '../confirm';
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

function printStatus(services: ServiceRecord[], verbose: boolean): void {
  if (!services.length) {
    process.stdout.write('No live services.\n');
    return;
  }
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
  process.stdout.write(`Services\n${table(svcHeaders, svcRows)}\n`);
  const replicaRows = services.flatMap((s) =>
    s.replicas.map((r) => [s.name, String(r.id), String(r.version), r.url ?? '-', r.launchedAt ? formatAgo(r.launchedAt) : '-', r.infra ?? '-', r.resources ?? '-', r.status]),
  );
  if (replicaRows.length) {
    process.stdout.write(`\nService Replicas\n${table(['SERVICE_NAME', 'ID', 'VERSION', 'ENDPOINT', 'LAUNCHED', 'INFRA', 'RESOURCES', 'STATUS'], replicaRows)}\n`);
  }
}

export function registerServe(program: CommandT): void {
  const serve = program.command('serve').description('Serve a task behind a load balancer, with replicas that scale and recover (SkyServe).');

  serve
    .command('up')
    .description('Start a service from a task YAML with a `service:` section.')
    .argument('<task>', 'task YAML')
    .option('-n, --service-name <name>', 'service name (default: sky-service-XXXX)')
    .option('-y, --yes', 'do not ask for confirmation')
    .action(async (task: string, opts: Opts) => {
      reportUnsupported(loadTaskFile(task).tasks, undefined, (line) => process.stderr.write(line));
      await confirmOrAbort(`Launching a new service${opts.serviceName ? ` '${String(opts.serviceName)}'` : ''}. Proceed?`, opts.yes);
      const r = await serveUp(task, { name: opts.serviceName as string | undefined });
      process.stdout.write(
        `Service '${r.name}' is starting.\nEndpoint: ${r.endpoint}\n` +
          `To see its status: skydeck serve status ${r.name}\nTo stream its logs: skydeck serve logs ${r.name} --controller\nTo tear it down: skydeck serve down ${r.name}\n`,
      );
    });

  serve
    .command('update')
    .description('Roll out a new version of a service.')
    .argument('<service>', 'service name')
    .argument('<task>', 'task YAML of the new version')
    .option('--mode <mode>', 'rolling (default) or blue_green', 'rolling')
    .option('-y, --yes', 'do not ask for confirmation')
    .action(async (name: string, task: string, opts: Opts) => {
      await confirmOrAbort(`Updating service '${name}' (${String(opts.mode)}). Proceed?`, opts.yes);
      const version = await serveUpdate(name, task, opts.mode as UpdateMode);
      process.stdout.write(`Service '${name}': version ${version} is rolling out (${String(opts.mode)}).\nTo see its status: skydeck serve status ${name}\n`);
    });

  serve
    .command('status')
    .description('Show services and their replicas.')
    .argument('[names...]', 'service names (default: all)')
    .option('--endpoint', 'print only the endpoint of the service')
    .option('--json', 'machine-readable output')
    .option('-v, --verbose', 'more columns')
    .action(async (names: string[], opts: Opts) => {
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
    .action(async (name: string, replica: string | undefined, opts: Opts) => {
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
      await serveLogs(name, target, clusters, { follow: opts.follow !== false, onData: (c) => process.stdout.write(c), signal: abort.signal });
    });

  serve
    .command('down')
    .description('Tear down services: their load balancer, controller and every replica.')
    .argument('[names...]', 'service names')
    .option('-a, --all', 'all services')
    .option('-y, --yes', 'do not ask for confirmation')
    .action(async (names: string[], opts: Opts) => {
      if (!opts.all && !names.length) throw new InputError('Name the services to tear down, or pass -a.');
      if (opts.all && names.length) throw new InputError('Give service names or -a, not both.');
      await confirmOrAbort(`Tearing down ${opts.all ? 'all services' : names.join(', ')}. Proceed?`, opts.yes);
      const done = await serveDown(opts.all ? 'all' : names, clusters, { onProgress: (m) => process.stderr.write(`${m}\n`) });
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
