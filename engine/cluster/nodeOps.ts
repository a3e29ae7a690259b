/**
 * What the launch pipeline does on nodes: sync the workdir and file mounts to every node
 * in parallel, run setup on every node in parallel (logs kept on this machine), and
 * submit the run as one job whose ranks the head's agent starts.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { NodeInfo } from '../infra/provider';
import type { Task } from '../task/types';
import { CancelledError } from '../errors';
import { homeSubdir } from '../util/paths';
import type { ClusterAccess } from './access';
import type { RankLaunch } from './agent';
import { runEnvs, runTimestamp, setupEnvs, userEnvs } from './envVars';
import { SetupFailedError } from './errors';
import { formatResources } from './format';
import { currentUser } from './naming';
import { runScript, setupScript } from './scripts';
import { syncFilter } from './syncFilter';
import type { ClusterRecord } from './types';

export const REMOTE_WORKDIR = '~/sky_workdir';

function checkAbort(signal?: AbortSignal): void {
  if (signal?.aborted) throw new CancelledError('Launch');
}

export async function syncWorkdir(access: ClusterAccess, workdir: string, signal?: AbortSignal): Promise<void> {
  checkAbort(signal);
  if (!fs.existsSync(workdir) || !fs.statSync(workdir).isDirectory()) throw new Error(`workdir ${workdir} is not a directory.`);
  const filter = syncFilter(workdir);
  await Promise.all(access.transports.map((t) => t.putDir(workdir, REMOTE_WORKDIR, filter)));
}

/** Local-path file mounts (dir or file) to every node; cloud URIs are left to the storage layer. */
export async function syncFileMounts(access: ClusterAccess, task: Task, onMessage: (m: string) => void, signal?: AbortSignal): Promise<void> {
  for (const [target, source] of Object.entries(task.fileMounts)) {
    checkAbort(signal);
    if (typeof source !== 'string' || /^[a-z0-9]+:\/\//i.test(source)) {
      onMessage(`Skipping file mount ${target}: cloud storage mounts are not supported on this infra yet.`);
      continue;
    }
    const local = source.startsWith('~/') ? path.join(os.homedir(), source.slice(2)) : path.resolve(task.workdir ?? process.cwd(), source);
    const st = fs.statSync(local, { throwIfNoEntry: false });
    if (!st) throw new Error(`file_mounts: source ${source} (${local}) does not exist.`);
    if (st.isDirectory()) {
      const filter = syncFilter(local);
      await Promise.all(access.transports.map((t) => t.putDir(local, target, filter)));
    } else {
      const content = fs.readFileSync(local);
      await Promise.all(access.transports.map((t) => t.putFile(target, content, st.mode & 0o777)));
    }
  }
}

function lastLines(text: string, n: number): string {
  return text.trimEnd().split('\n').slice(-n).join('\n');
}

/** Runs setup on every node at once; the first failure (by rank) throws SetupFailedError. */
export async function runSetup(
  access: ClusterAccess,
  rec: ClusterRecord,
  task: Task,
  envOverrides: Record<string, string>,
  options: { runTs: string; taskId: string; onOutput?: (chunk: string) => void; signal?: AbortSignal },
): Promise<void> {
  checkAbort(options.signal);
  const logDir = homeSubdir('logs', rec.name, options.runTs);
  const ips = access.nodes.map((n) => n.internalIp);
  const base = { ...userEnvs(task, envOverrides), SKYPILOT_USER: currentUser() };
  const results = await Promise.all(
    access.transports.map(async (t, rank) => {
      const logPath = path.join(logDir, `setup-${rank}.log`);
      const log = fs.createWriteStream(logPath);
      const onChunk = (b: Buffer) => {
        log.write(b);
        options.onOutput?.(b.toString());
      };
      try {
        const r = await t.exec(['bash', '-c', setupScript(setupEnvs(rec, rank, ips, base, options.taskId), task.setup!)], {
          onStdout: onChunk,
          onStderr: onChunk,
          signal: options.signal,
        });
        return { rank, exitCode: r.exitCode, logPath, output: r.stdout + r.stderr };
      } finally {
        await new Promise<void>((resolve) => log.end(() => resolve()));
      }
    }),
  );
  const failed = results.find((r) => r.exitCode !== 0);
  if (failed) {
    const text = fs.readFileSync(failed.logPath, 'utf8');
    throw new SetupFailedError(rec.name, failed.rank, failed.exitCode, lastLines(text, 10), failed.logPath);
  }
}

/** Submits the task's run as a job on the first `task.numNodes` nodes; returns the job id. */
export async function submitRun(
  access: ClusterAccess,
  rec: ClusterRecord,
  task: Task,
  envOverrides: Record<string, string>,
  options: { runTs?: string; internalEnvs?: Record<string, string> } = {},
): Promise<number> {
  const nodes: NodeInfo[] = access.nodes.slice(0, task.numNodes);
  const ips = nodes.map((n) => n.internalIp);
  const base = { ...userEnvs(task, envOverrides), SKYPILOT_USER: currentUser(), ...(options.internalEnvs ?? {}) };
  const fixedTaskId = options.internalEnvs?.SKYPILOT_TASK_ID;
  const prefix = `${options.runTs ?? runTimestamp()}_${rec.name}`;
  const ranks: RankLaunch[] = nodes.map((node, rank) => {
    const script = runScript(runEnvs(rec, rank, ips, base), prefix, task.run ?? '', fixedTaskId);
    const argv = access.provider.rankLauncher ? access.provider.rankLauncher(rec.handle, node, script) : ['bash', '-c', script];
    return { rank, label: rank === 0 ? 'head' : `worker${rank}`, argv };
  });
  const resources = formatResources({ ...rec.resources }, task.numNodes);
  return access.agent.submit({ name: task.name, user: currentUser(), resources, ranks });
}
