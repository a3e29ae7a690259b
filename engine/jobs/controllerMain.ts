/**
 * Entry of a detached controller process (`skydeck jobs controller <id>...`). Imports
 * the cluster engine lazily so the process only loads what its jobs need.
 */
import { identify } from '../util/detached';
import { Controller } from './controller';
import { configFromEnv } from './runner';
import { launchesPerController } from './launchSlots';
import { probeClusters } from './probe';
import { openJobsStore } from './state';
import { loadSubmittedTask } from './submitted';
import { controllerCapacity } from './supervisor';

/** How long an idle controller waits for new work before exiting. */
const IDLE_EXIT_MS = 5_000;
/** Every this many ticks a controller looks for orphaned jobs (a dead sibling) and takes them. */
const SUPERVISE_EVERY_TICKS = 10;

export async function runControllerProcess(jobIds: number[]): Promise<void> {
  const { engine: clusters } = await import('../cluster/engine');
  const identity = identify(process.pid);
  process.stdout.write(`${new Date().toISOString()} controller pid ${process.pid} started for job(s) ${jobIds.join(', ')}\n`);
  const memoryLog = logMemoryEvery(Number(process.env.SKYDECK_JOBS_MEMLOG_MS) || 0);
  const controller = new Controller({
    identity,
    clusters,
    // Cached reads: the controller and its runners only read what they then check-and-set under the lock.
    store: openJobsStore(undefined, { cacheReads: true }),
    config: configFromEnv(),
    loadTask: loadSubmittedTask,
    capacity: controllerCapacity(),
    idleExitMs: IDLE_EXIT_MS,
    superviseEveryTicks: SUPERVISE_EVERY_TICKS,
    probe: probeClusters,
    launchesAtOnce: launchesPerController(),
  });
  await controller.run();
  if (memoryLog) clearInterval(memoryLog);
  process.stdout.write(`${new Date().toISOString()} controller pid ${process.pid}: no more jobs, exiting\n`);
}

/**
 * SKYDECK_JOBS_MEMLOG_MS: a line per interval in the controller's process log with its
 * memory (RSS, V8 heap used/committed, off-heap buffers) for bench/jobs and diagnosis.
 */
function logMemoryEvery(ms: number): NodeJS.Timeout | undefined {
  if (ms <= 0) return undefined;
  const mb = (n: number) => (n / 1048576).toFixed(1);
  const timer = setInterval(() => {
    const m = process.memoryUsage();
    process.stdout.write(`${new Date().toISOString()} memory rss ${mb(m.rss)} heapUsed ${mb(m.heapUsed)} heapTotal ${mb(m.heapTotal)} external ${mb(m.external)} arrayBuffers ${mb(m.arrayBuffers)} MB\n`);
  }, ms);
  timer.unref();
  return timer;
}
