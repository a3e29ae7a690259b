/**
 * In-process managed jobs for unit tests: a fresh SKYDECK_HOME, the fake cluster engine,
 * and controllers that run in this process (a "spawn" creates a Controller with a made-up
 * process identity that counts as alive until it stops).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Controller, type ControllerOptions } from '../../../engine/jobs/controller';
import { openJobsStore, controllerKey } from '../../../engine/jobs/state';
import { loadSubmittedTask } from '../../../engine/jobs/submitted';
import type { ControllerConfig } from '../../../engine/jobs/runner';
import type { JobsContext } from '../../../engine/jobs/api';
import type { ManagedJobRecord } from '../../../engine/jobs/types';
import type { ProcessIdentity } from '../../../engine/util/detached';
import { FakeClusterEngine, type RunScript } from '../../helpers/fakes/clusterEngine';
import { until } from '../../helpers/until';
import type { Task } from '../../../engine/task/types';

export const TEST_CONFIG: ControllerConfig = {
  pollMs: 20,
  inspectMs: 300,
  launchBackoffMs: 20,
  maxLaunchRounds: 2,
  downAttempts: 3,
  unknownGraceMs: 200,
  // Unbounded: tests of the budget set their own.
  inspectionsPerSecond: 100_000,
  // Every run streams: tests of the stream limit set their own.
  logStreams: 100_000,
};

export interface Harness {
  home: string;
  fake: FakeClusterEngine;
  ctx: JobsContext;
  controllers: { identity: ProcessIdentity; controller: Controller; done: Promise<void> }[];
  /** Stops a controller as if its process died: it is no longer alive (its runners are abandoned). */
  kill(index: number): void;
  /** Starts a controller now (as `jobs controller` would), with a fresh identity. */
  startController(): ProcessIdentity;
  job(id: number): Promise<ManagedJobRecord>;
  waitFor(pred: (job: ManagedJobRecord) => boolean, id: number, timeoutMs?: number): Promise<ManagedJobRecord>;
  close(): Promise<void>;
}

let ticks = 1000;

export function createHarness(
  script: (task: Task, env: Record<string, string>, launchIndex: number) => RunScript,
  config: Partial<ControllerConfig> = {},
  capacity = 25,
  /** Further controller options (a probe, launch slots). */
  extra: Partial<ControllerOptions> = {},
): Harness {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'skydeck-jobs-'));
  process.env.SKYDECK_HOME = home;
  const fake = new FakeClusterEngine({ script });
  const store = openJobsStore();
  const live = new Set<string>();
  const alive = (id: ProcessIdentity | undefined) => !!id && live.has(controllerKey(id));
  const controllers: Harness['controllers'] = [];
  const spawn = (): ProcessIdentity => {
    const identity = { pid: 999_999, startTicks: ticks++ };
    live.add(controllerKey(identity));
    const controller = new Controller({
      identity,
      clusters: fake,
      store,
      config: { ...TEST_CONFIG, ...config },
      loadTask: loadSubmittedTask,
      capacity,
      idleExitMs: 100,
      superviseEveryTicks: 0,
      spawn,
      alive,
      ...extra,
    });
    const done = controller.run().finally(() => live.delete(controllerKey(identity)));
    controllers.push({ identity, controller, done });
    return identity;
  };
  const ctx: JobsContext = { store, supervise: { spawn, alive, capacity } };
  const job = async (id: number) => (await store.read()).jobs[id];
  return {
    home,
    fake,
    ctx,
    controllers,
    kill(index) {
      const c = controllers[index];
      live.delete(controllerKey(c.identity));
      c.controller.die();
    },
    startController: spawn,
    job,
    waitFor(pred, id, timeoutMs = 10_000) {
      let last: ManagedJobRecord | undefined;
      // Woken by each store write (every status change is one).
      return until(
        `job ${id}`,
        async () => {
          last = await job(id);
          return last && pred(last) ? last : undefined;
        },
        { timeoutMs, watch: [path.join(home, 'state')], detail: () => JSON.stringify(last, null, 1) },
      );
    },
    async close() {
      // As if the processes died: abandoned runners write nothing more into the removed home.
      for (const c of controllers) c.controller.die();
      await Promise.allSettled(controllers.map((c) => c.done));
      await fake.close();
      fs.rmSync(home, { recursive: true, force: true });
    },
  };
}
