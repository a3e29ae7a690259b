/**
 * Which log each `skydeck-log:` URI shows, and where its text comes from:
 *   /cluster/<name>/job/<id|latest>.log     cluster job (engine tailLogs, follows)
 *   /managed-job/<id>.log                   managed job across recoveries (`jobs logs ID`)
 *   /managed-job/<id>/controller.log        its controller (`jobs logs ID --controller`)
 *   /service/<name>/replica/<id>.log        a replica (`serve logs NAME ID`)
 *   /service/<name>/controller.log          service controller (`serve logs NAME --controller`)
 *   /service/<name>/load-balancer.log       load balancer (`serve logs NAME --load-balancer`)
 *   /run/<n>/<title>.log                    output of a CLI run started by a command (serve up, jobs launch)
 */
import * as vscode from 'vscode';
import { runCli } from '../engine/cli';
import { clusterEngine } from '../engine/index';
import { LOG_SCHEME, type LogSource } from './logDocuments';

const enc = encodeURIComponent;

export const logUris = {
  clusterJob: (cluster: string, jobId?: number) => vscode.Uri.from({ scheme: LOG_SCHEME, path: `/cluster/${enc(cluster)}/job/${jobId ?? 'latest'}.log` }),
  managedJob: (id: number) => vscode.Uri.from({ scheme: LOG_SCHEME, path: `/managed-job/${id}.log` }),
  managedJobController: (id: number) => vscode.Uri.from({ scheme: LOG_SCHEME, path: `/managed-job/${id}/controller.log` }),
  replica: (service: string, id: number) => vscode.Uri.from({ scheme: LOG_SCHEME, path: `/service/${enc(service)}/replica/${id}.log` }),
  serviceController: (service: string) => vscode.Uri.from({ scheme: LOG_SCHEME, path: `/service/${enc(service)}/controller.log` }),
  loadBalancer: (service: string) => vscode.Uri.from({ scheme: LOG_SCHEME, path: `/service/${enc(service)}/load-balancer.log` }),
  run: (n: number, title: string) => vscode.Uri.from({ scheme: LOG_SCHEME, path: `/run/${n}/${enc(title.replace(/[/\\]/g, '_'))}.log` }),
};

/** Live sources for `/run/...` documents, registered by the command that started the run. */
const runSources = new Map<string, { title: string; source: LogSource }>();
let runCounter = 0;

export function registerRun(title: string, source: LogSource): vscode.Uri {
  const uri = logUris.run(++runCounter, title);
  runSources.set(uri.toString(), { title, source });
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
  const p = uri.path.replace(/\.log$/, '').split('/').filter(Boolean).map(decodeURIComponent);
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
  if (p[0] === 'managed-job' && p[2] === 'controller') return { title: `managed job ${p[1]} controller`, source: cliSource(['jobs', 'logs', p[1], '--controller']) };
  if (p[0] === 'service' && p[2] === 'replica') return { title: `${p[1]} replica ${p[3]}`, source: cliSource(['serve', 'logs', p[1], p[3]]) };
  if (p[0] === 'service' && p[2] === 'controller') return { title: `${p[1]} controller`, source: cliSource(['serve', 'logs', p[1], '--controller']) };
  if (p[0] === 'service' && p[2] === 'load-balancer') return { title: `${p[1]} load balancer`, source: cliSource(['serve', 'logs', p[1], '--load-balancer']) };
  return undefined;
}
