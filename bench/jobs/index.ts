/**
 * bench/jobs: managed-job controllers on `local`, real clusters, real detached controllers.
 *
 *  1. Recovery time: a job is preempted (nodes vanish, engine preemptCluster); we time
 *     preemption -> detected (RECOVERING) -> running again (RUNNING, and the new run's first
 *     output line), against the baseline of launching the same task on a fresh cluster.
 *  2. Submission: N jobs one by one (10 at a time, as N `jobs launch` would) against one
 *     submitJobs call, into a store with no controllers (the store's cost alone).
 *  3. Controller cost with N concurrent jobs (default 50 and 200): submit N jobs (one
 *     submitJobs call; `--submit single`: one by one, 10 at a time, which then competes
 *     with the launches of the jobs already submitted), wait until every job is RUNNING (a long sleep), then for a window
 *     sample each controller process's RSS (and its private part, RssAnon: the node binary's
 *     pages are shared between processes) and CPU (utime+stime from /proc), and preempt a
 *     few jobs to see whether detection keeps up ("falling behind" = detection slower than
 *     with one job, part 1). Baseline for memory: an idle `node` with the controller's flags.
 *     Run once per controller capacity (jobs per controller process; 1 = SkyPilot's one
 *     process per job) and per controller flag set (`--node-flags 'a b;c'`, default: the
 *     controller's own defaults, engine/jobs/spawn.ts).
 *
 * Usage: npm run -s build && node --import tsx bench/jobs/index.ts [--jobs 50,200] [--submit-rounds 3] [--parts recovery,submit,scale] [--capacity 25,1] [--window 20] [--recoveries 5] [--poll MS] [--no-recovery] [--submit batch|single] [--node-flags '--max-semi-space-size=1;--lite-mode']
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
}
const JOB_COUNTS = arg('jobs', '50,200').split(',').map(Number);
const CAPACITIES = arg('capacity', '25').split(',').map(Number);
const WINDOW_S = Number(arg('window', '20'));
const RECOVERIES = Number(arg('recoveries', '5'));
/** The controllers' probe interval: the controller's default (runner.ts configFromEnv) unless --poll says otherwise. */
const POLL_MS = process.argv.includes('--poll') ? Number(arg('poll', '')) : undefined;
const SUBMIT = arg('submit', 'batch');
const SUBMIT_ROUNDS = Number(arg('submit-rounds', '3'));
/** Which parts to run (numbered as in the header above). */
const PARTS = new Set(arg('parts', 'recovery,submit,scale').split(','));
/** Controller flag sets to compare (undefined = the controller's defaults). */
const FLAG_SETS: (string | undefined)[] = process.argv.includes('--node-flags') ? arg('node-flags', '').split(';') : [undefined];
/** Detection latency with one job (part 1), the "not falling behind" reference. */
let singleJobDetectMs: number | undefined;
const ROOT = path.join(__dirname, '..', '..');
const CLI = path.join(ROOT, 'dist', 'cli.js');
const TICKS_PER_S = 100;

type Api = typeof import('../../engine/jobs/api');
type Engine = typeof import('../../engine/cluster');

/** The SKYDECK_HOME in use, cleaned up on Ctrl-C (controllers and clusters would outlive the bench). */
let activeHome: string | undefined;

function freshHome(extra: Record<string, string> = {}): string {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'skydeck-bench-jobs-'));
  activeHome = home;
  Object.assign(process.env, {
    SKYDECK_HOME: home,
    SKYDECK_SSH_CONFIG: path.join(home, 'ssh-config'),
    ...(POLL_MS ? { SKYDECK_JOBS_POLL_MS: String(POLL_MS) } : {}),
    ...extra,
  });
  if (!POLL_MS) delete process.env.SKYDECK_JOBS_POLL_MS;
  return home;
}

async function modules(): Promise<{
  api: Api;
  engine: Engine;
  state: typeof import('../../engine/jobs/state');
  load: typeof import('../../engine/task/load');
  follow: typeof import('../../engine/jobs/follow');
}> {
  return {
    api: await import('../../engine/jobs/api'),
    engine: await import('../../engine/cluster'),
    state: await import('../../engine/jobs/state'),
    load: await import('../../engine/task/load'),
    follow: await import('../../engine/jobs/follow'),
  };
}

async function until<T>(what: string, f: () => Promise<T | undefined>, timeoutMs: number, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

function procStat(pid: number): { cpuTicks: number; rssKb: number; anonKb: number } | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
    return { cpuTicks: Number(f[11]) + Number(f[12]), rssKb: kb('VmRSS'), anonKb: kb('RssAnon') };
  } catch {
    return undefined;
  }
}

/** A process's children (Linux /proc): a controller's per-job log followers on `local`, its agent calls. */
function childrenOf(pid: number): number[] {
  try {
    return fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/**
 * Whether a controller's child is a live log stream's follower: the agent's `tail ID OFFSET 1`
 * (a read at an inspection is `tail ID OFFSET 0`, short-lived).
 */
function isFollower(pid: number): boolean {
  try {
    const argv = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    const t = argv.indexOf('tail');
    return t >= 0 && argv[t + 3] === '1';
  } catch {
    return false;
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)] : NaN;
};
const max = (xs: number[]) => Math.max(...xs);
/** The q-quantile (nearest rank); with few samples p99 is the maximum. */
const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)];
};
const f1 = (x: number) => x.toFixed(1);

const TASK = (name: string) => `name: ${name}\nresources:\n  infra: local\n  use_spot: true\nrun: |\n  echo "start $(date +%s%3N)"\n  exec sleep 100000\n`;

interface RecoverySample {
  detectMs: number;
  runningMs: number;
  firstOutputMs: number;
}

/** Preempts `ids` (one at a time, 1 s apart) and times each recovery. */
async function preemptAndTime(m: Awaited<ReturnType<typeof modules>>, ids: number[]): Promise<RecoverySample[]> {
  const out: RecoverySample[] = [];
  const store = m.state.openJobsStore();
  for (const id of ids) {
    const before = (await store.read()).jobs[id];
    const recoveries = before.tasks[0].recoveries;
    const log = path.join(process.env.SKYDECK_HOME!, 'managed_jobs', String(id), 'run.log');
    // Timed from the start of the preemption: the nodes start dying at once, and the run's
    // log stream usually ends (detection) before the call has removed their directories.
    const preemptedAt = Date.now();
    try {
      await m.engine.preemptCluster(before.tasks[0].cluster);
    } catch (e) {
      // The local provider kills the nodes first, then removes their dirs; a dying process may
      // still write into one (ENOTEMPTY). The nodes are gone either way.
      if ((e as NodeJS.ErrnoException).code !== 'ENOTEMPTY') throw e;
    }
    const after = await until(
      `job ${id} running again`,
      async () => {
        const j = (await store.read()).jobs[id];
        return j.status === 'RUNNING' && j.tasks[0].recoveries === recoveries + 1 ? j : undefined;
      },
      120_000,
      20,
    );
    const recovering = after.history.filter((h) => h.status === 'RECOVERING').at(-1)!.at;
    const running = after.history.filter((h) => h.status === 'RUNNING').at(-1)!.at;
    // The new run's first line, as someone following the job sees it: a followed job gets a
    // live stream at once (the controller streams only SKYDECK_JOBS_LOG_STREAMS runs, engine/jobs/logStreams.ts).
    const stopFollowing = m.follow.markFollowing(id);
    const started = await until(
      `job ${id} first output`,
      async () => {
        const text = fs.readFileSync(log, 'utf8');
        const seg = text.slice(text.lastIndexOf('[skydeck] ===='));
        const mm = /start (\d+)/.exec(seg);
        return mm ? Number(mm[1]) : undefined;
      },
      60_000,
      20,
    ).finally(stopFollowing);
    out.push({ detectMs: recovering - preemptedAt, runningMs: running - preemptedAt, firstOutputMs: started - preemptedAt });
    await new Promise((r) => setTimeout(r, 1000));
  }
  return out;
}

async function recoveryBench(): Promise<void> {
  const home = freshHome();
  const m = await modules();
  const file = path.join(home, 'rec.yaml');
  fs.writeFileSync(file, TASK('rec'));
  try {
    // Baseline: the same task launched on a fresh cluster (what a recovery must at least do).
    const base: number[] = [];
    for (let i = 0; i < 3; i++) {
      const t0 = Date.now();
      const task = m.load.loadTaskFile(file).tasks[0];
      await m.engine.clusters.launch(task, { clusterName: `base-${i}`, detachRun: true });
      base.push(Date.now() - t0);
      await m.engine.clusters.down(`base-${i}`);
    }
    const id = await m.api.submitJob(m.load.loadTaskFile(file), {});
    await until('job running', async () => ((await m.state.openJobsStore().read()).jobs[id].status === 'RUNNING' ? true : undefined), 60_000);
    const samples = await preemptAndTime(m, Array(RECOVERIES).fill(id));
    console.log(`\n== Recovery on local (${RECOVERIES} preemptions of one job, poll ${POLL_MS ?? 'default'} ms) ==`);
    console.log(`baseline: launch on a fresh cluster (engine, detached run): median ${median(base)} ms`);
    singleJobDetectMs = median(samples.map((s) => s.detectMs));
    console.log(
      `preemption -> detected (RECOVERING):      median ${median(samples.map((s) => s.detectMs))} ms, max ${max(samples.map((s) => s.detectMs))} ms (target < 5000)`,
    );
    console.log(
      `preemption -> running again (RUNNING):    median ${median(samples.map((s) => s.runningMs))} ms, max ${max(samples.map((s) => s.runningMs))} ms`,
    );
    console.log(
      `detected -> running again:                median ${median(samples.map((s) => s.runningMs - s.detectMs))} ms (ratio to baseline launch: ${f1(median(samples.map((s) => s.runningMs - s.detectMs)) / median(base))}x)`,
    );
    console.log(`preemption -> new run's first output:     median ${median(samples.map((s) => s.firstOutputMs))} ms`);
    await m.api.cancelJobs([id]);
    await m.api.waitTerminal([id], 120_000);
  } finally {
    await cleanup(home);
  }
}

async function cleanup(home: string): Promise<void> {
  const m = await modules();
  const state = await m.state.openJobsStore().read();
  const { isAlive } = await import('../../engine/util/detached');
  // Controllers with no job left exit by themselves within seconds (and only then write a
  // --cpu-prof profile); the ones still alive after that are killed.
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline && Object.values(state.controllers).some((c) => isAlive(c.identity))) await new Promise((r) => setTimeout(r, 250));
  for (const c of Object.values(state.controllers)) if (isAlive(c.identity)) process.kill(c.identity.pid, 'SIGKILL');
  for (const j of Object.values(state.jobs)) if (isAlive(j.controller)) process.kill(j.controller!.pid, 'SIGKILL');
  const names = (await m.engine.clusters.status()).map((c) => c.name);
  await Promise.all(names.map((n) => m.engine.clusters.down(n).catch((e) => console.error(`down ${n}: ${e}`))));
  // Nodes of launches cut short (an interrupted run) are in no cluster record: kill by node dir.
  const localDir = path.join(home, 'local');
  const subdirs = (dir: string) =>
    fs.existsSync(dir)
      ? fs
          .readdirSync(dir, { withFileTypes: true })
          .filter((e) => e.isDirectory())
          .map((e) => path.join(dir, e.name))
      : [];
  const nodeDirs = subdirs(localDir).flatMap(subdirs);
  const { killNodeProcesses } = await import('../../engine/infra/local/processes');
  await killNodeProcesses(nodeDirs, { graceful: false });
  fs.rmSync(home, { recursive: true, force: true });
}

/** RSS of an idle `node` with the same flags: the floor any Node controller starts from. */
async function idleNodeRssMb(flags: string[]): Promise<number> {
  const { spawn } = await import('node:child_process');
  const child = spawn(process.execPath, [...flags, '-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  try {
    await new Promise((r) => setTimeout(r, 1500));
    return (procStat(child.pid!)?.rssKb ?? NaN) / 1024;
  } finally {
    child.kill('SIGKILL');
  }
}

/**
 * The submission path alone (no controller starts: the jobs are handed to the submitting
 * process): N one-by-one submissions (10 at a time, as N `jobs launch` would) against one
 * submitJobs call, each into a fresh store and each in a fresh process (./index.ts
 * --submit-child MODE N), so neither path inherits the other's JIT, module cache or page
 * cache. The modes alternate order each round so load changes on the machine hit both alike.
 */
async function submitOnce(mode: 'single' | 'batch', jobs: number): Promise<number> {
  const m = await modules();
  const { identify } = await import('../../engine/util/detached');
  const me = identify(process.pid);
  const supervise = { spawn: () => me, alive: () => true };
  const home = freshHome();
  try {
    const file = path.join(home, 'sub.yaml');
    fs.writeFileSync(file, TASK('sub'));
    const ctx = { store: m.state.openJobsStore(), supervise };
    const t0 = Date.now();
    if (mode === 'batch')
      await m.api.submitJobs(
        Array.from({ length: jobs }, () => ({ taskFile: m.load.loadTaskFile(file), options: {} })),
        ctx,
      );
    else
      for (let i = 0; i < jobs; i += 10)
        await Promise.all(Array.from({ length: Math.min(10, jobs - i) }, () => m.api.submitJob(m.load.loadTaskFile(file), {}, ctx)));
    return Date.now() - t0;
  } finally {
    fs.rmSync(home, { recursive: true, force: true });
  }
}

function submitInChild(mode: 'single' | 'batch', jobs: number): number {
  const r = spawnSync(process.execPath, [...process.execArgv, __filename, '--submit-child', mode, String(jobs)], { encoding: 'utf8', env: process.env });
  if (r.status !== 0) throw new Error(`submit child (${mode}, ${jobs} jobs) failed (exit ${r.status}): ${r.stderr}`);
  const ms = Number(r.stdout.trim().split('\n').pop());
  if (!Number.isFinite(ms)) throw new Error(`submit child (${mode}, ${jobs} jobs) printed no time: ${r.stdout}`);
  return ms;
}

function submitOnlyBench(jobs: number): void {
  const single: number[] = [];
  const batch: number[] = [];
  for (let i = 0; i < SUBMIT_ROUNDS; i++) {
    const order: ('single' | 'batch')[] = i % 2 ? ['batch', 'single'] : ['single', 'batch'];
    for (const mode of order) (mode === 'single' ? single : batch).push(submitInChild(mode, jobs));
  }
  const s = median(single);
  const b = median(batch);
  console.log(
    `\n== Submitting ${jobs} jobs, store only (no controller starts; each in a fresh process, median of ${SUBMIT_ROUNDS} interleaved rounds; load avg ${f1(os.loadavg()[0])}) ==`,
  );
  console.log(`one by one, 10 at a time: ${s} ms (${f1(s / jobs)} ms per job)   [${single.join(', ')}]`);
  console.log(`one submitJobs call:      ${b} ms (${f1(b / jobs)} ms per job)   [${batch.join(', ')}]   batch is ${f1(s / Math.max(1, b))}x faster`);
}

async function scaleBench(jobs: number, capacity: number, nodeFlags: string | undefined): Promise<void> {
  const home = freshHome({ SKYDECK_JOBS_PER_CONTROLLER: String(capacity) });
  if (nodeFlags === undefined) delete process.env.SKYDECK_JOBS_CONTROLLER_NODE_FLAGS;
  else process.env.SKYDECK_JOBS_CONTROLLER_NODE_FLAGS = nodeFlags;
  const m = await modules();
  const { controllerNodeFlags } = await import('../../engine/jobs/spawn');
  const flags = controllerNodeFlags();
  const file = path.join(home, 'scale.yaml');
  fs.writeFileSync(file, TASK('scale'));
  const store = m.state.openJobsStore();
  try {
    const t0 = Date.now();
    const ids: number[] = [];
    if (SUBMIT === 'batch') {
      ids.push(...(await m.api.submitJobs(Array.from({ length: jobs }, () => ({ taskFile: m.load.loadTaskFile(file), options: {} })))));
    } else {
      for (let i = 0; i < jobs; i += 10) {
        ids.push(...(await Promise.all(Array.from({ length: Math.min(10, jobs - i) }, () => m.api.submitJob(m.load.loadTaskFile(file), {})))));
      }
    }
    const submitted = Date.now() - t0;
    // All RUNNING, or (on a machine so loaded that clusters keep getting lost and recovered) 95 % after 10 min.
    const waitStart = Date.now();
    const running = await until(
      `${jobs} jobs running`,
      async () => {
        const s = await store.read();
        const n = ids.filter((id) => s.jobs[id].status === 'RUNNING').length;
        return n === jobs || (Date.now() - waitStart > 10 * 60_000 && n >= jobs * 0.95) ? n : undefined;
      },
      30 * 60_000,
      1000,
    );
    const allRunning = Date.now() - t0;
    const pids = () => [
      ...new Set(
        Object.values(store.readSync().jobs)
          .filter((j) => j.controller)
          .map((j) => j.controller!.pid),
      ),
    ];
    const start = new Map(pids().map((p) => [p, procStat(p)!]));
    const rssByPid = new Map<number, number[]>();
    const anon: number[] = [];
    const totals: number[] = [];
    // The controllers' child processes (on `local` a log follower per job: part of what the
    // jobs cost, though not in the controllers' own RSS).
    const kids = { count: [] as number[], followers: [] as number[], rss: [] as number[], anon: [] as number[] };
    const kidStart = new Map([...start.keys()].flatMap(childrenOf).map((c) => [c, procStat(c)?.cpuTicks ?? 0]));
    const windowStart = Date.now();
    while (Date.now() - windowStart < WINDOW_S * 1000) {
      let total = 0;
      for (const p of start.keys()) {
        const s = procStat(p);
        if (!s) continue;
        rssByPid.set(p, [...(rssByPid.get(p) ?? []), s.rssKb / 1024]);
        anon.push(s.anonKb / 1024);
        total += s.rssKb / 1024;
      }
      totals.push(total);
      const children = [...start.keys()]
        .flatMap(childrenOf)
        .map(procStat)
        .filter((s) => s !== undefined);
      kids.count.push(children.length);
      kids.followers.push([...start.keys()].flatMap(childrenOf).filter(isFollower).length);
      kids.rss.push(children.reduce((a, s) => a + s.rssKb / 1024, 0));
      kids.anon.push(children.reduce((a, s) => a + s.anonKb / 1024, 0));
      await new Promise((r) => setTimeout(r, 1000));
    }
    const elapsed = (Date.now() - windowStart) / 1000;
    const cpu = [...start].map(([p, s]) => ((procStat(p)?.cpuTicks ?? s.cpuTicks) - s.cpuTicks) / TICKS_PER_S / elapsed);
    const kidCpu = [...kidStart].reduce((a, [c, t0]) => a + ((procStat(c)?.cpuTicks ?? t0) - t0), 0) / TICKS_PER_S / elapsed;
    const live = new Set(
      Object.values((await store.read()).jobs)
        .filter((j) => j.status === 'RUNNING')
        .map((j) => j.id),
    );
    const victims = ids
      .filter((id) => live.has(id))
      .filter((_, i) => i % Math.max(1, Math.floor(jobs / RECOVERIES)) === 0)
      .slice(0, RECOVERIES);
    // Memory during recoveries too (launching is the busiest thing a controller does).
    const during: number[] = [];
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        for (const p of start.keys()) {
          const s = procStat(p);
          if (s) during.push(s.rssKb / 1024);
        }
        await new Promise((r) => setTimeout(r, 250));
      }
    })();
    const samples = await preemptAndTime(m, victims);
    sampling = false;
    await sampler;
    const load = os.loadavg()[0];
    const rss = [...rssByPid.values()].flat();
    const perProcMax = [...rssByPid.values()].map((xs) => max(xs));
    const floor = await idleNodeRssMb(flags);
    const cpuTotal = cpu.reduce((a, b) => a + b, 0) * 100;
    const detect = samples.map((s) => s.detectMs);
    console.log(
      `\n== ${jobs} concurrent jobs, ${capacity} job(s) per controller: ${start.size} controller processes, flags [${flags.join(' ')}] (poll ${POLL_MS ?? 'default'} ms, load avg ${f1(load)} on ${os.cpus().length} cores) ==`,
    );
    console.log(
      `submit ${jobs} jobs (${SUBMIT === 'batch' ? 'one submitJobs call' : 'one submission each, 10 at a time'}): ${submitted} ms (${f1(submitted / jobs)} ms per job); ${running} RUNNING after ${f1(allRunning / 1000)} s`,
    );
    console.log(
      `RSS per controller (steady, ${WINDOW_S} s): max ${f1(max(perProcMax))} MB, median ${f1(median(rss))} MB; during ${samples.length} recoveries: max ${f1(max(during))} MB; target < 60 MB`,
    );
    console.log(
      `  baseline idle node with the same flags: ${f1(floor)} MB (controller max / idle node: ${f1(max(perProcMax) / floor)}x); private (RssAnon) per controller: median ${f1(median(anon))} MB, max ${f1(max(anon))} MB`,
    );
    console.log(`RSS of all controllers: ${f1(median(totals))} MB total = ${f1(median(totals) / jobs)} MB per job`);
    // Issue 15: 1,000 jobs on one machine, all controllers together <= 500 MB. The floor is
    // the processes it takes: ceil(1000 / capacity) idle nodes, before any job's memory.
    const procs1000 = Math.ceil(1000 / capacity);
    console.log(
      `1,000 jobs at ${capacity} per controller: ${procs1000} processes; their idle-node floor alone ${f1(procs1000 * floor)} MB, ` +
        `at this run's RSS per controller ${f1(procs1000 * median(rss))} MB (target <= 500 MB; RSS counts the node binary's shared pages once per process)`,
    );
    console.log(
      `open log streams (followers, \`agent tail ... 1\`) in all controllers, steady: median ${median(kids.followers)}, max ${max(kids.followers)} ` +
        `(limit ${process.env.SKYDECK_JOBS_LOG_STREAMS ?? 'default'} per controller; the other children are agent calls in flight)`,
    );
    console.log(
      `controllers' child processes (steady, median): ${median(kids.count)}, RSS ${f1(median(kids.rss))} MB in all (private ${f1(median(kids.anon))} MB = ${f1(median(kids.anon) / jobs)} MB per job); ` +
        `CPU of the long-lived ones ${f1(kidCpu * 100)}% of one core; controllers + children: ${f1(median(totals) + median(kids.rss))} MB RSS`,
    );
    console.log(
      `CPU of all controllers over ${f1(elapsed)} s: ${f1(cpuTotal)}% of one core (${f1(cpuTotal / jobs)}% per job), max ${f1(max(cpu) * 100)}% per process`,
    );
    console.log(
      `preemption -> detected at this load: median ${median(detect)} ms, p99 ${quantile(detect, 0.99)} ms, max ${max(detect)} ms (target p99 < 2000${singleJobDetectMs !== undefined ? `; with one job ${singleJobDetectMs} ms: ratio ${f1(median(detect) / singleJobDetectMs)}x` : ''}); -> RUNNING again median ${median(samples.map((s) => s.runningMs))} ms`,
    );
    await m.api.cancelJobs('all');
    await m.api.waitTerminal(ids, 10 * 60_000, undefined, 1000);
  } finally {
    await cleanup(home);
  }
}

async function main(): Promise<void> {
  let stopping = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    // `on`, not `once`: a second signal (one arrived during the teardown when this was tried) must not end the cleanup.
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      console.error(`\n${signal}: stopping this run's controllers and tearing down its clusters...`);
      const home = activeHome;
      void (home && fs.existsSync(home) ? cleanup(home) : Promise.resolve())
        .catch((e: unknown) => console.error(`cleanup failed (${home}): ${String(e)}`))
        .finally(() => process.exit(130));
    });
  }
  if (!fs.existsSync(CLI) || !fs.existsSync(path.join(ROOT, 'dist', 'jobs-controller.js'))) throw new Error('Build first: npm run -s build');
  if (PARTS.has('recovery') && !process.argv.includes('--no-recovery')) await recoveryBench();
  if (PARTS.has('submit')) for (const n of JOB_COUNTS) submitOnlyBench(n);
  if (PARTS.has('scale')) for (const n of JOB_COUNTS) for (const c of CAPACITIES) for (const f of FLAG_SETS) await scaleBench(n, c, f);
}

const submitChild = process.argv.indexOf('--submit-child');
(submitChild > 0
  ? submitOnce(process.argv[submitChild + 1] as 'single' | 'batch', Number(process.argv[submitChild + 2])).then((ms) => console.log(ms))
  : main()
).then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
