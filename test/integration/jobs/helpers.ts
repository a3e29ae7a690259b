/**
 * Managed jobs against the real engine: a fresh SKYDECK_HOME, the built CLI (dist/cli.js,
 * which starts real detached controllers), the store read in-process, and a cleanup that
 * kills this test's controllers by pid and tears down every cluster it left.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { openJobsStore } from '../../../engine/jobs/state';
import type { ManagedJobRecord, ManagedJobsState } from '../../../engine/jobs/types';
import * as lockfile from 'proper-lockfile';
import { isAlive } from '../../../engine/util/detached';
import type { Collection } from '../../../engine/state/store';
import { until } from '../../helpers/until';

export const CLI = path.resolve(__dirname, '../../../dist/cli.js');

export interface JobsEnv {
  home: string;
  env: NodeJS.ProcessEnv;
  store: Collection<ManagedJobsState>;
  cli(args: string[], extraEnv?: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }>;
  job(id: number): Promise<ManagedJobRecord>;
  waitJob(id: number, what: string, pred: (j: ManagedJobRecord) => boolean, timeoutMs?: number): Promise<ManagedJobRecord>;
  clusterNames(): Promise<string[]>;
  /**
   * Takes the cluster store's lock (as the engine does for every cluster change), so a
   * relaunch cannot get past its first cluster write until the returned release is called:
   * a job caught in RECOVERING stays there, without timing luck.
   */
  holdClusterStore(): Promise<() => Promise<void>>;
  /**
   * The job's output (engine/jobs/paths.ts's layout under this env's home): tests of one file
   * may run at once, each with its own home, so a path must not come from process.env.
   */
  runLog(id: number, task?: number): string;
  write(name: string, text: string): string;
  cleanup(): Promise<void>;
}

export function jobsEnv(extra: NodeJS.ProcessEnv = {}): JobsEnv {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'skydeck-jobs-it-'));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    SKYDECK_HOME: home,
    SKYDECK_SSH_CONFIG: path.join(home, 'user-ssh', 'config'),
    SKYDECK_JOBS_POLL_MS: '300',
    SKYDECK_JOBS_INSPECT_MS: '3000',
    SKYDECK_JOBS_BACKOFF_MS: '500',
    SKYDECK_AGENT_TICK_MS: '100',
    // These tests are about the controllers on this machine (test/integration/controllers covers a controller cluster).
    SKYDECK_CONTROLLER: 'local',
    ...extra,
  };
  process.env.SKYDECK_HOME = home;
  const store = openJobsStore(path.join(home, 'state'));
  const cli: JobsEnv['cli'] = (args, extraEnv = {}) =>
    new Promise((resolve) => {
      execFile(process.execPath, [CLI, ...args], { env: { ...env, ...extraEnv }, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
        const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
        resolve({ code, stdout, stderr });
      });
    });
  const job = async (id: number) => (await store.read()).jobs[id];
  const clustersFile = path.join(home, 'state', 'clusters.json');
  const clusterNames = async () => {
    try {
      const raw = JSON.parse(fs.readFileSync(clustersFile, 'utf8')) as { data: unknown };
      const data = raw.data as Record<string, unknown> | { clusters?: Record<string, unknown> };
      const map = (data as { clusters?: Record<string, unknown> }).clusters ?? (data as Record<string, unknown>);
      return Object.keys(map);
    } catch {
      return [];
    }
  };
  return {
    home,
    env,
    store,
    cli,
    job,
    waitJob(id, what, pred, timeoutMs = 180_000) {
      let last: ManagedJobRecord | undefined;
      // Woken by every store write; the periodic re-check is for predicates that also read
      // job logs or process liveness (a SIGKILLed controller).
      return until(
        `job ${id} to be ${what}`,
        async () => {
          last = await job(id);
          return last && pred(last) ? last : undefined;
        },
        {
          timeoutMs,
          everyMs: 250,
          watch: [path.join(home, 'state')],
          detail: () => {
            let controllerLog = '';
            try {
              controllerLog = fs.readFileSync(path.join(home, 'managed_jobs', String(id), 'controller.log'), 'utf8');
            } catch {
              /* no controller log yet */
            }
            return `job: ${JSON.stringify(last, null, 1)}\ncontroller log:\n${controllerLog}`;
          },
        },
      );
    },
    clusterNames,
    async holdClusterStore() {
      if (!fs.existsSync(clustersFile)) fs.writeFileSync(clustersFile, JSON.stringify({ version: 1, data: {} }));
      // The store's own options (engine/state/store.ts): refreshed while held, so never stale.
      const release = await lockfile.lock(clustersFile, { stale: 60_000, update: 5_000, realpath: false });
      let released = false;
      return async () => {
        if (released) return;
        released = true;
        await release();
      };
    },
    runLog(id, task) {
      return path.join(home, 'managed_jobs', String(id), task === undefined ? 'run.log' : `run-${task}.log`);
    },
    write(name, text) {
      const file = path.join(home, name);
      fs.writeFileSync(file, text);
      return file;
    },
    async cleanup() {
      const state = await store.read().catch(() => undefined);
      const pids = new Set<number>();
      for (const c of Object.values(state?.controllers ?? {})) if (isAlive(c.identity)) pids.add(c.identity.pid);
      for (const j of Object.values(state?.jobs ?? {})) if (isAlive(j.controller)) pids.add(j.controller!.pid);
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }
      const { stdout } = await cli(['status', '--json']);
      let names: string[];
      try {
        names = (JSON.parse(stdout) as { name: string }[]).map((c) => c.name);
      } catch {
        names = await clusterNames();
      }
      if (names.length) await cli(['down', ...names, '-y']);
      fs.rmSync(home, { recursive: true, force: true });
    },
  };
}

/** The job log split at the recovery markers. */
export function segments(log: string): string[][] {
  const out: string[][] = [[]];
  for (const line of log.split('\n')) {
    if (line.startsWith('[skydeck] ====')) out.push([]);
    else if (line !== '') out[out.length - 1].push(line);
  }
  return out;
}

/**
 * SIGKILLs the controller of a running job, runs `jobs queue` (which restarts missing
 * controllers) and checks that a new controller owns the job on the same single cluster.
 */
export async function killControllerAndRequeue(e: JobsEnv, id: number, running: ManagedJobRecord, cluster: string): Promise<void> {
  const victim = running.controller!;
  process.kill(victim.pid, 'SIGKILL');
  await e.waitJob(id, 'controller dead', () => !isAlive(victim));
  const q = await e.cli(['jobs', 'queue']);
  assert.equal(q.code, 0, q.stderr);
  const restarted = await e.job(id);
  assert.ok(isAlive(restarted.controller) && restarted.controller!.pid !== victim.pid, 'a new controller owns the job');
  assert.deepEqual(await e.clusterNames(), [cluster], 'still the one cluster');
}
