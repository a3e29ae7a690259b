/**
 * Entry of a detached controller process (`skydeck jobs controller <id>...`). Imports
 * the cluster engine lazily so the process only loads what its jobs need.
 */
import * as v8 from 'node:v8';
import { identify } from '../util/detached';
import { Controller } from './controller';
import { configFromEnv } from './runner';
import { launchesPerController } from './launchSlots';
import { probeClusters } from './probe';
import { runOnClusterNodes } from './groupNodes';
import { openJobsStore } from './state';
import { loadSubmittedTask } from './submitted';
import { controllerCapacity } from './supervisor';

/** How long an idle controller waits for new work before exiting. */
const IDLE_EXIT_MS = 5_000;
/** Every this many ticks a controller looks for orphaned jobs (a dead sibling) and takes them. */
const SUPERVISE_EVERY_TICKS = 10;
/** How often the controller looks at its heap's growth (collectGarbageEvery). */
const GC_CHECK_MS = 1_000;

export async function runControllerProcess(jobIds: number[]): Promise<void> {
  const { engine: clusters } = await import('../cluster/engine');
  const identity = identify(process.pid);
  process.stdout.write(`${new Date().toISOString()} controller pid ${process.pid} started for job(s) ${jobIds.join(', ')}\n`);
  const collector = collectGarbageEvery(GC_CHECK_MS);
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
    runOnNodes: runOnClusterNodes,
  });
  await controller.run();
  if (memoryLog) clearInterval(memoryLog);
  if (collector) clearInterval(collector);
  process.stdout.write(`${new Date().toISOString()} controller pid ${process.pid}: no more jobs, exiting\n`);
}

/**
 * A controller allocates little, but much of it (an agent call in flight, a launch's store
 * reads) lives long enough to be promoted, and V8 lets the old generation grow to about
 * twice what is live before it collects: bench/jobs at 200 jobs, heap 9 -> 17 MB and RSS
 * +5 MB between full collections, so a controller's RSS peaked at the 60 MB target. So the
 * controller collects itself whenever its heap grew by GC_GROWTH_BYTES since the last
 * collection (checked every `ms`): ~25 ms of CPU for its ~10 MB heap, about once a minute
 * when its jobs just run, more often while it launches.
 */
const GC_GROWTH_BYTES = 2 << 20;
const collected = { count: 0, cpuMs: 0 };

function collectGarbageEvery(ms: number): NodeJS.Timeout | undefined {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) return undefined;
  let baseline = v8.getHeapStatistics().used_heap_size;
  const timer = setInterval(() => {
    if (v8.getHeapStatistics().used_heap_size - baseline < GC_GROWTH_BYTES) return;
    const before = process.cpuUsage();
    gc();
    const used = process.cpuUsage(before);
    collected.count++;
    collected.cpuMs += (used.user + used.system) / 1000;
    baseline = v8.getHeapStatistics().used_heap_size;
  }, ms);
  timer.unref();
  return timer;
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
    process.stdout.write(
      `${new Date().toISOString()} memory rss ${mb(m.rss)} heapUsed ${mb(m.heapUsed)} heapTotal ${mb(m.heapTotal)} external ${mb(m.external)} arrayBuffers ${mb(m.arrayBuffers)} MB; full GCs ${collected.count}, ${collected.count ? (collected.cpuMs / collected.count).toFixed(1) : 0} ms CPU each\n`,
    );
  }, ms);
  timer.unref();
  return timer;
}
