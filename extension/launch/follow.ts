/**
 * Managed jobs and services run under controllers, so their launch returns before anything
 * runs. These flows submit through the CLI, open the job's or the service's live log (one
 * document each, reused), and keep a progress notification until the job is RUNNING or the
 * service READY, reading the CLI's `--json` rows: the user sees states, not CLI hints.
 */
import type { ManagedJobJson, ServiceJson } from '../../engine/contract/cliJson';

/** SkyPilot's managed-job statuses after which nothing more happens. */
const JOB_TERMINAL = ['SUCCEEDED', 'CANCELLED', 'FAILED', 'FAILED_SETUP', 'FAILED_PRECHECKS', 'FAILED_NO_RESOURCE', 'FAILED_CONTROLLER'];
/** SkyPilot's service statuses that will not reach READY by themselves. */
const SERVICE_FAILED = ['CONTROLLER_FAILED', 'FAILED', 'FAILED_CLEANUP'];

export interface Outcome {
  kind: 'ready' | 'failed' | 'stopped-watching';
  /** What to tell the user. */
  message: string;
  /** The managed job's id or the service's name, once the CLI has named it. */
  id?: string;
}

export interface FollowDeps {
  /** Runs a CLI verb; rejects with the CLI's error on failure. */
  run(args: string[], env?: Record<string, string>): Promise<{ stdout: string }>;
  json<T>(args: string[]): Promise<T>;
  openLog(kind: 'managed-job' | 'service', id: string): Promise<void>;
  report(message: string): void;
  /** Resolves after the poll interval, or at once when the user stops watching. */
  wait(): Promise<void>;
  cancelled(): boolean;
}

function jobMessage(row: ManagedJobJson): string {
  const where = row.cluster ? ` on ${row.cluster}` : '';
  const recov = row.recoveries ? `, ${row.recoveries} recover${row.recoveries === 1 ? 'y' : 'ies'}` : '';
  return `${row.status}${where}${recov}`;
}

/** Submits a managed job and follows it to RUNNING (or its end). */
export async function followManagedJob(args: string[], env: Record<string, string> | undefined, deps: FollowDeps): Promise<Outcome> {
  deps.report('Submitting…');
  const { stdout } = await deps.run(args, env);
  const id = /Managed job ID: (\d+)/.exec(stdout)?.[1];
  if (!id) return { kind: 'failed', message: `The CLI did not print a managed job ID: ${stdout.trim() || '(no output)'}` };
  await deps.openLog('managed-job', id);
  for (;;) {
    const rows = await deps.json<ManagedJobJson[]>(['jobs', 'queue', '-a']);
    const row = rows.find((r) => String(r.id) === id);
    if (row) {
      deps.report(`Managed job ${id}: ${jobMessage(row)}`);
      if (row.status === 'RUNNING') return { kind: 'ready', id, message: `Managed job ${id} is RUNNING${row.cluster ? ` on ${row.cluster}` : ''}.` };
      if (row.status === 'SUCCEEDED') return { kind: 'ready', id, message: `Managed job ${id} SUCCEEDED.` };
      if (JOB_TERMINAL.includes(row.status))
        return { kind: 'failed', id, message: `Managed job ${id} ${row.status}${row.failureReason ? `: ${row.failureReason}` : '.'}` };
    }
    if (deps.cancelled()) return { kind: 'stopped-watching', id, message: `Managed job ${id} keeps going; its log stays open.` };
    await deps.wait();
  }
}

function serviceMessage(s: ServiceJson): string {
  const ready = s.replicas.filter((r) => r.status === 'READY').length;
  return `${s.status}, ${ready}/${s.replicas.length} replica${s.replicas.length === 1 ? '' : 's'} ready`;
}

/** Starts a service and follows it to READY (or a failure). */
export async function followServiceUp(args: string[], env: Record<string, string> | undefined, deps: FollowDeps): Promise<Outcome> {
  deps.report('Starting the controller…');
  const { stdout } = await deps.run(args, env);
  const name = /Service '([^']+)' is starting/.exec(stdout)?.[1];
  if (!name) return { kind: 'failed', message: `The CLI did not name the service: ${stdout.trim() || '(no output)'}` };
  await deps.openLog('service', name);
  for (;;) {
    const [svc] = await deps.json<ServiceJson[]>(['serve', 'status', name]);
    if (svc) {
      deps.report(`${name}: ${serviceMessage(svc)}`);
      if (svc.status === 'READY') return { kind: 'ready', id: name, message: `Service ${name} is READY at ${svc.endpoint ?? 'its endpoint'}.` };
      if (SERVICE_FAILED.includes(svc.status)) {
        const why = svc.replicas.map((r) => r.failureReason).find((r) => r) ?? svc.endpointError;
        return { kind: 'failed', id: name, message: `Service ${name} is ${svc.status}${why ? `: ${why}` : '.'}` };
      }
    }
    if (deps.cancelled()) return { kind: 'stopped-watching', id: name, message: `Service ${name} keeps starting; its controller log stays open.` };
    await deps.wait();
  }
}
