/**
 * Starting a detached controller process. Same Node, own session, output to a log file
 * (as engine/util/detached.ts spawnDetachedCli); it runs the lean dist/jobs-controller.js
 * bundle when present (about 10 MB less per process than the whole CLI), else the CLI's
 * hidden `jobs controller` verb.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { identify, spawnDetachedCli, type ProcessIdentity } from '../util/detached';
import { packageRoot } from '../util/paths';
import { controllerProcessLogPath } from './paths';

/**
 * V8 flags for controllers, long-lived and mostly idle: a small young generation (1 MB
 * semi-spaces instead of up to 16) keeps the heap near what it really holds; no optimizing
 * tiers (Sparkplug, Maglev, TurboFan) and V8's optimize-for-size heuristics drop the JIT's
 * code and metadata; the old generation grows only 10% past what survived the last full GC
 * (more frequent, cheap collections of a ~10 MB heap); --expose-gc lets the controller collect
 * itself when its heap grew by 2 MB (controllerMain.ts). Not --lite-mode/--jitless: they turn
 * WebAssembly off, which the SSH provider's ssh2 needs. bench/jobs, 25 running jobs per
 * controller: RSS 66 -> 52 MB median with 50 jobs in the store, CPU a few % of a core each.
 */
const CONTROLLER_NODE_FLAGS = [
  '--max-semi-space-size=1',
  '--no-opt',
  '--no-maglev',
  '--no-sparkplug',
  '--optimize-for-size',
  '--heap-growing-percent=10',
  '--expose-gc',
];

/**
 * glibc malloc settings for controllers: at most two arenas (not one per thread), and a
 * fixed mmap threshold, so a large buffer (a read of the jobs table, a pipe's 64 KB chunks)
 * is mapped and returned to the system when freed instead of fragmenting the heap (the
 * threshold otherwise rises with each such free). bench/jobs at 200 jobs: RSS per
 * controller -4 MB (mean and max). Variables already set in the environment win.
 */
const CONTROLLER_MALLOC_ENV: Record<string, string> = { MALLOC_ARENA_MAX: '2', MALLOC_MMAP_THRESHOLD_: '65536', MALLOC_TRIM_THRESHOLD_: '131072' };

function controllerEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return { ...CONTROLLER_MALLOC_ENV, ...env };
}

/** The controller's Node flags: SKYDECK_JOBS_CONTROLLER_NODE_FLAGS (space-separated) overrides the defaults (bench/jobs compares). */
export function controllerNodeFlags(env: NodeJS.ProcessEnv = process.env): string[] {
  const explicit = env.SKYDECK_JOBS_CONTROLLER_NODE_FLAGS;
  return explicit === undefined ? CONTROLLER_NODE_FLAGS : explicit.split(/\s+/).filter(Boolean);
}

function controllerScript(): string | undefined {
  const explicit = process.env.SKYDECK_JOBS_CONTROLLER_SCRIPT;
  if (explicit) return explicit;
  try {
    const bundled = path.join(packageRoot(), 'dist', 'jobs-controller.js');
    return fs.existsSync(bundled) ? bundled : undefined;
  } catch {
    return undefined;
  }
}

export function spawnControllerProcess(jobIds: number[]): ProcessIdentity {
  const logFile = controllerProcessLogPath(jobIds[0] ?? 0);
  const script = controllerScript();
  if (!script) return spawnDetachedCli(['jobs', 'controller', ...jobIds.map(String)], logFile, controllerEnv());
  fs.mkdirSync(path.dirname(logFile), { recursive: true });
  const out = fs.openSync(logFile, 'a');
  try {
    const child = spawn(process.execPath, [...controllerNodeFlags(), script, ...jobIds.map(String)], {
      detached: true,
      stdio: ['ignore', out, out],
      env: controllerEnv(),
    });
    child.unref();
    if (child.pid === undefined) throw new Error(`Could not start a managed-job controller (${script}).`);
    return identify(child.pid);
  } finally {
    fs.closeSync(out);
  }
}
