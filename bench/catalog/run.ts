/**
 * Catalog benchmark, in one run, side by side:
 *   - load time and memory of the reference catalogs (88k rows of GCP + Azure): SkyDeck's
 *     loader (cold, fresh process each time) vs pandas read_csv of the same files (Debian's
 *     python3-pandas, the library SkyPilot uses; installed with apt-get when missing), also
 *     in a fresh process each time; memory ratio = RSS growth across the load on both sides
 *     (includes WebAssembly memory);
 *   - catalog query and optimize() latency percentiles;
 *   - cost-lens time on a typical corpus file and over the whole corpus.
 * Prints numbers and ratios; writes bench/results/catalog.json. No assertions.
 *
 *   node --import tsx bench/catalog/run.ts [--runs N]
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { build } from 'esbuild';

const ROOT = path.resolve(__dirname, '../..');
const REF = process.env.SKYDECK_REFERENCE_CATALOGS ?? path.resolve(ROOT, '../shared/reference-catalogs');
const CORPUS = path.resolve(ROOT, '../shared/corpus/skypilot-examples/tasks');
const TYPICAL = path.join(CORPUS, 'llm/qwen/qwen25-7b.yaml');
const PY = '/usr/bin/python3';
const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 7;
// `--parts lens` (or load,queries,lens): which parts to run; all by default.
const partsArg = process.argv.indexOf('--parts');
const PARTS = new Set(partsArg > 0 ? process.argv[partsArg + 1].split(',') : ['load', 'queries', 'lens']);

function sh(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): { code: number | null; out: string; err: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env, maxBuffer: 64 * 1024 * 1024 });
  return { code: r.status, out: r.stdout ?? '', err: r.stderr ?? '' };
}

function ensurePandas(): boolean {
  if (sh(PY, ['-c', 'import pandas']).code === 0) return true;
  process.stderr.write('python3-pandas missing: installing it with apt-get (Debian package) ...\n');
  const install = () =>
    sh('apt-get', ['-o', 'DPkg::Lock::Timeout=600', 'install', '-y', '-q', 'python3-pandas'], { ...process.env, DEBIAN_FRONTEND: 'noninteractive' });
  let r = install();
  if (r.code !== 0) {
    sh('apt-get', ['-o', 'DPkg::Lock::Timeout=600', 'update', '-q']);
    r = install();
  }
  if (r.code !== 0) process.stderr.write(`apt-get install python3-pandas failed:\n${r.err.slice(-2000)}\n`);
  return sh(PY, ['-c', 'import pandas']).code === 0;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

const mb = (b: number) => `${(b / 2 ** 20).toFixed(1)} MB`;
const ms = (x: number) => `${x.toFixed(x < 1 ? 3 : 1)} ms`;

async function main(): Promise<void> {
  const files = ['gcp/vms.csv', 'azure/vms.csv'].map((f) => path.join(REF, f));
  for (const f of files) if (!fs.existsSync(f)) throw new Error(`reference catalog missing: ${f}`);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'skydeck-bench-catalog-'));
  process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));
  const workerJs = path.join(tmp, 'worker.js');
  // Bundled like the shipped CLI/server (no tsx transform in the timed code).
  await build({
    entryPoints: [path.join(__dirname, 'worker.ts')],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    outfile: workerJs,
    logLevel: 'warning',
    define: { SKYDECK_BUNDLED: 'true' },
  });
  const benchHome = path.dirname(workerJs);
  const node = (args: string[], indexCache = false, wasm = true) => {
    const env = {
      ...process.env,
      SKYDECK_TEST: '1',
      SKYDECK_HOME: benchHome,
      SKYDECK_CATALOG_INDEX_CACHE: indexCache ? '1' : '0',
      SKYDECK_CATALOG_WASM: wasm ? '1' : '0',
    };
    const r = sh(process.execPath, ['--expose-gc', workerJs, ...args], env);
    if (r.code !== 0) throw new Error(`worker ${args[0]} failed: ${r.err}`);
    return JSON.parse(r.out.trim().split('\n').pop()!);
  };
  if (!PARTS.has('load') && !PARTS.has('queries')) {
    process.stdout.write(`${lensLines(lensRuns(node)).join('\n')}\n`);
    return;
  }
  const havePandas = ensurePandas();

  process.stdout.write(
    `Catalog benchmark: ${files.map((f) => path.relative(path.dirname(REF), f)).join(' + ')}, ${RUNS} cold runs each (fresh process), medians\n`,
  );
  process.stdout.write(
    `machine: ${os.cpus().length} cores, load average ${os
      .loadavg()
      .map((x) => x.toFixed(1))
      .join(' ')}\n\n`,
  );
  type Load = { loadMs: number; cpuMs: number; heapBytes: number; rssBytes: number; rows: number };
  const ours: Load[] = [];
  const jsOnly: Load[] = [];
  const cached: Load[] = [];
  const pandas: { loadMs: number; cpuMs: number; deepBytes: number; rssBytes: number; rows: number; pandas: string }[] = [];
  node(['load', REF], true); // writes the binary index cache once (what the first start does)
  for (let i = 0; i < RUNS; i++) {
    // Interleaved, so all of them see the same machine load.
    ours.push(node(['load', REF]));
    jsOnly.push(node(['load', REF], false, false));
    cached.push(node(['load', REF], true));
    if (havePandas) {
      const r = sh(PY, [path.join(__dirname, 'pandas_load.py'), ...files]);
      if (r.code === 0) pandas.push(JSON.parse(r.out.trim()));
      else process.stderr.write(r.err);
    }
  }
  const med = (xs: Load[]) => ({
    loadMs: median(xs.map((r) => r.loadMs)),
    cpuMs: median(xs.map((r) => r.cpuMs)),
    heapBytes: median(xs.map((r) => r.heapBytes)),
    rssBytes: median(xs.map((r) => r.rssBytes)),
  });
  const o = med(ours);
  const j = med(jsOnly);
  const c = med(cached);
  const lines: string[] = [];
  lines.push('LOAD (read + parse + index of 88k rows; wall time / CPU time, medians)');
  const row = (label: string, x: { loadMs: number; cpuMs: number }, extra: string) =>
    `  ${label.padEnd(28)} ${ms(x.loadMs).padStart(10)} / ${ms(x.cpuMs).padStart(9)} cpu   ${extra}`;
  lines.push(row('skydeck, CSV parse', o, `heap+buffers ${mb(o.heapBytes)}   rss +${mb(o.rssBytes)}   (WebAssembly column parser, first start)`));
  lines.push(row('skydeck, CSV parse, JS only', j, `heap+buffers ${mb(j.heapBytes)}   rss +${mb(j.rssBytes)}   (SKYDECK_CATALOG_WASM=0: the fallback)`));
  lines.push(row('skydeck, binary index cache', c, `heap+buffers ${mb(c.heapBytes)}   rss +${mb(c.rssBytes)}   (every start after the first)`));
  const result: Record<string, unknown> = {
    runs: RUNS,
    csv: { ...o, samples: ours },
    csvJsOnly: { ...j, samples: jsOnly },
    indexCache: { ...c, samples: cached },
  };
  if (pandas.length) {
    const p = {
      loadMs: median(pandas.map((r) => r.loadMs)),
      cpuMs: median(pandas.map((r) => r.cpuMs)),
      deepBytes: median(pandas.map((r) => r.deepBytes)),
      rssBytes: median(pandas.map((r) => r.rssBytes)),
    };
    lines.push(row(`pandas ${pandas[0].pandas} read_csv`, p, `deep memory  ${mb(p.deepBytes)}   rss +${mb(p.rssBytes)}`));
    const r = (x: number, y: number) => `${(x / y).toFixed(2)}x`;
    // Memory is compared by RSS growth across the load, each parser in its own fresh process:
    // it counts WebAssembly memory, native buffers and allocator overhead on both sides alike
    // (heap vs pandas' deep usage would leave the WebAssembly parser's memory out).
    lines.push(
      `  ratio CSV parse / pandas:    time ${r(o.loadMs, p.loadMs)} (cpu ${r(o.cpuMs, p.cpuMs)})   memory (rss growth) ${r(o.rssBytes, p.rssBytes)}   (target time <= 0.40x)`,
    );
    lines.push(`  ratio JS-only parse / pandas: time ${r(j.loadMs, p.loadMs)} (cpu ${r(j.cpuMs, p.cpuMs)})   memory (rss growth) ${r(j.rssBytes, p.rssBytes)}`);
    lines.push(`  ratio index cache / pandas:  time ${r(c.loadMs, p.loadMs)} (cpu ${r(c.cpuMs, p.cpuMs)})   memory (rss growth) ${r(c.rssBytes, p.rssBytes)}`);
    result.pandas = { ...p, version: pandas[0].pandas, samples: pandas };
    result.ratio = {
      csvTime: o.loadMs / p.loadMs,
      csvCpu: o.cpuMs / p.cpuMs,
      jsOnlyTime: j.loadMs / p.loadMs,
      cacheTime: c.loadMs / p.loadMs,
      cacheCpu: c.cpuMs / p.cpuMs,
      rssMemory: o.rssBytes / p.rssBytes,
      jsOnlyRssMemory: j.rssBytes / p.rssBytes,
      cacheRssMemory: c.rssBytes / p.rssBytes,
    };
  } else lines.push('  pandas    unavailable (python3-pandas could not be installed): no baseline this run');

  const q = node(['queries', REF]);
  lines.push('', `QUERIES (${q.distinctQueries} distinct catalog queries x 30 rounds, after one load)`);
  lines.push(`  catalog query   p50 ${ms(q.query.p50)}   p90 ${ms(q.query.p90)}   p99 ${ms(q.query.p99)}   max ${ms(q.query.max)}   (target p99 < 1 ms)`);
  lines.push(
    `  (CPU time)      p50 ${ms(q.queryCpu.p50)}   p90 ${ms(q.queryCpu.p90)}   p99 ${ms(q.queryCpu.p99)}   max ${ms(q.queryCpu.max)}   (process CPU: excludes waiting for a core, includes GC and compiler threads)`,
  );
  lines.push(`  first pass      p50 ${ms(q.firstPass.p50)}   p99 ${ms(q.firstPass.p99)}   (cold JIT)`);
  lines.push(`  optimize()      p50 ${ms(q.optimize.p50)}   p90 ${ms(q.optimize.p90)}   p99 ${ms(q.optimize.p99)}   (whole plan over GCP + Azure)`);
  result.queries = q;

  const l = lensRuns(node);
  lines.push('', ...lensLines(l));
  result.lens = l;

  process.stdout.write(`${lines.join('\n')}\n`);
  const outDir = path.join(ROOT, 'bench', 'results');
  fs.mkdirSync(outDir, { recursive: true });
  fs.writeFileSync(path.join(outDir, 'catalog.json'), `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(`\n(full numbers in bench/results/catalog.json)\n`);
}

type Stats = { p50: number; p90: number; p99: number; max: number };
interface WarmUpStats {
  steps: number;
  cpuMs: number;
  stepsWallMs: number;
  maxStepMs: number;
  elapsedMs: number;
}
interface LensResult {
  warmUp?: WarmUpStats;
  loadAverage: number;
  files: number;
  typical: string;
  typicalSites: number;
  typicalColdMs: number;
  typicalWarmMs: number;
  memoized: Stats;
  perFile: Stats;
  perFileCpu: Stats;
  validateFile: Stats;
  validateFileCpu: Stats;
  slowest: { file: string; ms: number; cpuMs: number; sites: number }[];
}

/** The lens: cold (as a server's first lenses) and after the server's idle-time warm-up, LENS_RUNS fresh processes each, interleaved. */
const LENS_RUNS = 3;
interface ServerResult {
  loadAverage: number;
  warmUp: WarmUpStats & { pauses: number };
  during: Stats & { n: number; maxStepsWhilePending: number };
  after: Stats & { n: number };
}
interface LensRuns {
  cold: LensResult[];
  warm: LensResult[];
  server: ServerResult[];
}

function lensRuns(node: (args: string[]) => unknown): LensRuns {
  const out: LensRuns = { cold: [], warm: [], server: [] };
  for (let i = 0; i < LENS_RUNS; i++) {
    out.cold.push(node(['lens', REF, CORPUS, TYPICAL]) as LensResult);
    out.warm.push(node(['lens', REF, CORPUS, TYPICAL, 'warm']) as LensResult);
    out.server.push(node(['lens-server', REF]) as ServerResult);
  }
  return out;
}

function lensLines(runs: LensRuns): string[] {
  const l = runs.cold[0];
  const st = (x: Stats) => `p50 ${ms(x.p50)}  p99 ${ms(x.p99)}  max ${ms(x.max)}`;
  const lines = [
    `COST LENS (after load; ${l.files} corpus task files; ${LENS_RUNS} runs each, a fresh process per run, cold and warm interleaved)`,
    `  typical file ${l.typical} (${l.typicalSites} site${l.typicalSites === 1 ? '' : 's'}): first ${ms(l.typicalColdMs)} (cold JIT; ${ms(runs.warm[0].typicalColdMs)} after the warm-up), fresh ${ms(l.typicalWarmMs)}, unchanged p50 ${ms(l.memoized.p50)} / p99 ${ms(l.memoized.p99)}   (target < 20 ms)`,
    `  per corpus file, fresh memo each (target p99 < 5 ms, max < 20 ms); baseline: validating the same file`,
  ];
  for (const [label, list] of [
    ['cold', runs.cold],
    ['after the server warm-up', runs.warm],
  ] as const) {
    list.forEach((r, i) => {
      lines.push(`  ${label} #${i + 1} (load ${r.loadAverage.toFixed(1)})`);
      lines.push(`    lens      CPU ${st(r.perFileCpu)}   wall ${st(r.perFile)}`);
      lines.push(`    validate  CPU ${st(r.validateFileCpu)}   wall ${st(r.validateFile)}`);
      if (r.warmUp)
        lines.push(
          `    warm-up   ${r.warmUp.steps} steps, CPU ${ms(r.warmUp.cpuMs)}, steps' wall ${ms(r.warmUp.stepsWallMs)} over ${ms(r.warmUp.elapsedMs)}, longest step ${ms(r.warmUp.maxStepMs)}`,
        );
      lines.push(
        `    slowest lens passes: ${r.slowest.map((s) => `${s.file} (${s.sites} site${s.sites === 1 ? '' : 's'}) ${ms(s.ms)} / ${ms(s.cpuMs)} cpu`).join(', ')}`,
      );
    });
  }
  lines.push(`  the server itself: a code-lens request every 150 ms while it warms up, then as many after (wall time from the request's arrival)`);
  runs.server.forEach((r, i) => {
    lines.push(
      `    #${i + 1} (load ${r.loadAverage.toFixed(1)}): during ${r.during.n} requests p50 ${ms(r.during.p50)} p99 ${ms(r.during.p99)} max ${ms(r.during.max)}, ` +
        `warm-up steps started while one was pending: ${r.during.maxStepsWhilePending}; after: p50 ${ms(r.after.p50)} p99 ${ms(r.after.p99)} max ${ms(r.after.max)}; ` +
        `warm-up CPU ${ms(r.warmUp.cpuMs)} over ${ms(r.warmUp.elapsedMs)}, ${r.warmUp.pauses} pauses, longest step ${ms(r.warmUp.maxStepMs)}`,
    );
  });
  return lines;
}

main().catch((e) => {
  process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
