/**
 * Which log each `skydeck-log:` URI shows, and where its text comes from. The last path
 * segment is only the tab title (`dev · job 3.log`); the segments before it say what it is:
 *   /cluster/<name>/job/<id|latest>/…        cluster job (engine tailLogs, follows)
 *   /managed-job/<id>/…                      managed job across recoveries (`jobs logs ID`)
 *   /managed-job/<id>/controller/…           its controller (`jobs logs ID --controller`)
 *   /service/<name>/replica/<id>/…           a replica (`serve logs NAME ID`)
 *   /service/<name>/controller/…             service controller (`serve logs NAME --controller`)
 *   /service/<name>/load-balancer/…          load balancer (`serve logs NAME --load-balancer`)
 *   /run/<n>/…                               output of a CLI run started by a command (serve up, jobs launch)
 */
import * as vscode from 'vscode';
import { runCli } from '../engine/cli';
import { clusterEngine } from '../engine/index';
import { LOG_SCHEME, type LogSource } from './logDocuments';

/** Uri.from encodes the path itself; segments only need to be free of '/'. */
const seg = (s: string | number): string => String(s).replace(/[/\\]/g, '_');
const logUri = (parts: (string | number)[], tabTitle: string): vscode.Uri =>
  vscode.Uri.from({ scheme: LOG_SCHEME, path: `/${parts.map(seg).join('/')}/${seg(tabTitle)}.log` });

export const logUris = {
  clusterJob: (cluster: string, jobId?: number) => logUri(['cluster', cluster, 'job', jobId ?? 'latest'], `${cluster} · job ${jobId ?? 'latest'}`),
  managedJob: (id: number) => logUri(['managed-job', id], `managed job ${id}`),
  managedJobController: (id: number) => logUri(['managed-job', id, 'controller'], `managed job ${id} · controller`),
  replica: (service: string, id: number) => logUri(['service', service, 'replica', id], `${service} · replica ${id}`),
  serviceController: (service: string) => logUri(['service', service, 'controller'], `${service} · controller`),
  loadBalancer: (service: string) => logUri(['service', service, 'load-balancer'], `${service} · load balancer`),
  run: (n: number, what: string) => logUri(['run', n], what),
};

/** Live sources for `/run/...` documents, registered by the command that started the run. */
const runSources = new Map<string, { title: string; source: LogSource; once?: boolean }>();
let runCounter = 0;

/** `once`: the source runs a verb (serve update, catalog refresh), so its document never starts it again. */
export function registerRun(title: string, source: LogSource, options: { once?: boolean } = {}): vscode.Uri {
  const uri = logUris.run(++runCounter, title);
  runSources.set(uri.toString(), { title, source, once: options.once });
  return uri;
}

function cliSource(args: string[]): LogSource {
  return async (onData, signal) => {
    const r = await runCli(args, { signal, onStdout: onData, onStderr: onData, okCodes: [100, 101, 102, 103] }).catch((err: unknown) => {
      if (signal.aborted) return undefined;
      throw err;
    });
    return r ? (r.exitCode === 0 ? 'ended' : `exit ${r.exitCode}`) : undefined;
  };
}

export function resolveLogUri(uri: vscode.Uri): { title: string; source: LogSource } | undefined {
  const run = runSources.get(uri.toString());
  if (run) return run;
  const p = uri.path.split('/').filter(Boolean).slice(0, -1);
  if (p[0] === 'cluster' && p[2] === 'job' && p.length === 4) {
    const cluster = p[1];
    const jobId = p[3] === 'latest' ? undefined : Number(p[3]);
    return {
      title: `${cluster} job ${p[3]}`,
      source: async (onData, signal) => {
        const engine = await clusterEngine();
        const status = await engine.tailLogs(cluster, jobId, { follow: true, onData, signal });
        return status;
      },
    };
  }
  if (p[0] === 'managed-job' && p.length === 2) return { title: `managed job ${p[1]}`, source: cliSource(['jobs', 'logs', p[1]]) };
  if (p[0] === 'managed-job' && p[2] === 'controller' && p.length === 3)
    return { title: `managed job ${p[1]} controller`, source: cliSource(['jobs', 'logs', p[1], '--controller']) };
  if (p[0] === 'service' && p[2] === 'replica') return { title: `${p[1]} replica ${p[3]}`, source: cliSource(['serve', 'logs', p[1], p[3]]) };
  if (p[0] === 'service' && p[2] === 'controller') return { title: `${p[1]} controller`, source: cliSource(['serve', 'logs', p[1], '--controller']) };
  if (p[0] === 'service' && p[2] === 'load-balancer') return { title: `${p[1]} load balancer`, source: cliSource(['serve', 'logs', p[1], '--load-balancer']) };
  return undefined;
}
