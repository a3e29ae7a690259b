/**
 * Measurements run in a fresh Node process each (bundled by ./run.ts with esbuild, like the
 * shipped CLI and server, and started with --expose-gc). Prints one JSON line.
 *   load <dir>             cold load of the catalogs: time, heap + array-buffer growth, RSS growth
 *   queries <dir>          catalog query and optimize() latency percentiles after one load
 *   lens <dir> <corpus> <typical> [warm]
 *                          cost-lens time per corpus task file (fresh insights per file); with
 *                          `warm`, after the language server's own idle-time warm-up
 *                          (server/service/lensWarmUp.ts, driven by server/lsp/idleWork.ts as the
 *                          server drives it), whose cost is reported too
 *   lens-server <dir>      the server in this process: code-lens requests during and after its warm-up
 *   lens-probe <dir>       (run with --allow-natives-syntax) V8's optimization state of the lens
 *                          path's functions after each round of the warm-up
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import { PassThrough } from 'node:stream';
import { createConnection } from 'vscode-languageserver/node';
import { createProtocolConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-languageserver-protocol/node';
import { startServer } from '../../server/lsp/server';
import * as path from 'node:path';
import { loadCatalogDir, setCatalogOverride } from '../../engine/catalog/sources';
import { matchOffers, type OfferQuery } from '../../engine/catalog/query';
import type { CatalogCloud } from '../../engine/catalog/catalog';
import { optimize } from '../../engine/optimizer/index';
import { createInsights } from '../../engine/optimizer/insights';
import { costLenses, taskCostLenses } from '../../server/service/costLens';
import { LensWarmUp, WARM_UP_ROUNDS, warmUpSamples } from '../../server/service/lensWarmUp';
import { IdleWork, type IdleWorkStats } from '../../server/lsp/idleWork';
import { parseDocument } from '../../server/service/documentState';
import { resourcesSites } from '../../server/service/sites';
import { cheapestForSpec } from '../../engine/optimizer/offers';
import { cheapestOffers } from '../../engine/catalog/query';
import type { InfraState } from '../../engine/optimizer/insightTypes';
import type { ResourcesSite } from '../../engine/optimizer/insightTypes';
import { parseTaskText } from '../../engine/task/load';
import type { ResourcesSpec, Task } from '../../engine/task/types';

const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});

function pct(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function stats(samples: number[]) {
  const s = [...samples].sort((a, b) => a - b);
  return { n: s.length, p50: pct(s, 50), p90: pct(s, 90), p99: pct(s, 99), max: s[s.length - 1] };
}

function load(dir: string) {
  gc();
  const m0 = process.memoryUsage();
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const cat = loadCatalogDir(dir);
  const loadMs = performance.now() - t0;
  const c1 = process.cpuUsage(c0);
  const cpuMs = (c1.user + c1.system) / 1000;
  gc();
  const m1 = process.memoryUsage();
  const rows = [...cat.clouds.values()].reduce((n, c) => n + c.table.size, 0);
  return { loadMs, cpuMs, rows, heapBytes: m1.heapUsed - m0.heapUsed + (m1.arrayBuffers - m0.arrayBuffers), rssBytes: m1.rss - m0.rss };
}

function task(spec: ResourcesSpec): Task {
  return { numNodes: 1, envs: {}, secrets: {}, fileMounts: {}, raw: {}, resources: { base: spec, candidates: [spec], mode: 'single' } };
}

function queries(dir: string) {
  const cat = loadCatalogDir(dir);
  setCatalogOverride(cat);
  const qs: { cloud: CatalogCloud; q: OfferQuery }[] = [];
  const clouds: CatalogCloud[] = ['gcp', 'azure'];
  const accs: [string, number][] = [
    ['A100', 1],
    ['A100', 8],
    ['H100', 8],
    ['T4', 1],
    ['T4', 4],
    ['V100', 1],
    ['L4', 1],
    ['A10', 0.5],
    ['A100-80GB', 8],
    ['B200', 8],
    ['tpu-v5p-8', 1],
    ['P100', 2],
    ['MI300X', 8],
    ['A100', 3],
  ];
  for (const cloud of clouds) {
    for (const [name, count] of accs) for (const useSpot of [false, true]) qs.push({ cloud, q: { accelerator: { name, count }, useSpot } });
    for (const q of [
      {},
      { cpus: { value: 8, orMore: true } },
      { cpus: { value: 4, orMore: false } },
      { cpus: { value: 16, orMore: true }, memory: { value: 64, orMore: true } },
      { memory: { value: 32, orMore: false } },
    ] as OfferQuery[])
      qs.push({ cloud, q });
    qs.push({ cloud, q: { accelerator: { name: 'T4', count: 1 }, region: cloud === 'gcp' ? 'us-central1' : 'eastus' } });
    qs.push({ cloud, q: { accelerator: { name: 'V100', count: 1 }, maxHourlyCost: 1 } });
  }
  for (const it of ['n2-standard-8', 'a2-highgpu-8g', 'n1-highmem-8']) qs.push({ cloud: 'gcp', q: { instanceType: it } });
  for (const it of ['Standard_D8s_v5', 'Standard_NC24ads_A100_v4', 'Standard_ND96isr_H100_v5']) qs.push({ cloud: 'azure', q: { instanceType: it } });
  const first: number[] = [];
  for (const { cloud, q } of qs) {
    const t = performance.now();
    matchOffers(cat, cloud, q, 'global');
    first.push(performance.now() - t);
  }
  // Wall time, and the process's CPU time (getrusage RUSAGE_SELF, 1 us resolution): on a shared machine
  // wall-time tails mostly measure the scheduler; CPU time excludes that (but counts GC and compiler threads).
  const samples: number[] = [];
  const cpuSamples: number[] = [];
  for (let round = 0; round < 30; round++) {
    for (const { cloud, q } of qs) {
      const c = process.cpuUsage();
      const t = performance.now();
      matchOffers(cat, cloud, q, 'global');
      samples.push(performance.now() - t);
      const d = process.cpuUsage(c);
      cpuSamples.push((d.user + d.system) / 1000);
    }
  }
  const plans: number[] = [];
  const specs: ResourcesSpec[] = accs
    .filter(([n, c]) => !(n === 'MI300X' || (n === 'A100' && c === 3)))
    .map(([name, count]) => ({ accelerators: [{ name, count }] }));
  specs.push({}, { cpus: { value: 8, orMore: true } }, { accelerators: [{ name: 'A100', count: 8 }], useSpot: true });
  for (let round = 0; round < 20; round++) {
    for (const spec of specs) {
      const t = performance.now();
      optimize(task(spec), { enabledInfra: [], allInfra: true });
      plans.push(performance.now() - t);
    }
  }
  return { distinctQueries: qs.length, firstPass: stats(first), query: stats(samples), queryCpu: stats(cpuSamples), optimize: stats(plans) };
}

function sitesOf(text: string, file: string): ResourcesSite[] {
  const r = parseTaskText(text, { fileName: file });
  const range = { start: { line: 0, character: 0 }, end: { line: 0, character: 9 } };
  const sites: ResourcesSite[] = [];
  for (const t of r.taskFile?.tasks ?? []) {
    t.resources.candidates.forEach((c, i) =>
      sites.push({ range, resources: c, numNodes: t.numNodes, candidateIndex: t.resources.mode === 'single' ? undefined : i, valueRanges: {} }),
    );
  }
  return sites;
}

const URI = 'file:///bench/task.yaml';

/**
 * The server's warm-up (the same LensWarmUp, the same IdleWork scheduler, with nothing else to
 * do), its scratch insights made as server/main.ts makes them, over this catalog.
 */
function serverWarmUp(cat: ReturnType<typeof loadCatalogDir>, rounds = WARM_UP_ROUNDS): Promise<IdleWorkStats> {
  const scratch = (infra: InfraState[]) => createInsights({ catalog: () => cat, liveAvailability: false, infra: () => infra });
  const lens = new LensWarmUp(scratch, rounds);
  return new Promise((resolve) => new IdleWork(() => lens.step(), { quietMs: 0, onDone: (s) => resolve({ ...s }) }).start());
}

// Infra detection is injected (nothing set up): the server reads it at most once a minute, not per file.
async function lens(dir: string, corpus: string, typical: string, warm: boolean) {
  const cat = loadCatalogDir(dir);
  // `--rounds N` only to measure the warm-up's length (bench/catalog/README.md); the server's own count by default.
  const roundsAt = process.argv.indexOf('--rounds');
  const warmUp = warm ? await serverWarmUp(cat, roundsAt > 0 ? Number(process.argv[roundsAt + 1]) : WARM_UP_ROUNDS) : undefined;
  // `--mark`: a line between the warm-up and the timed passes, and one after each lens pass, for reading a --trace-opt log.
  const mark = process.argv.includes('--mark');
  if (mark) process.stdout.write('=== corpus pass\n');
  const files: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.ya?ml$/.test(e.name)) files.push(p);
    }
  };
  walk(corpus);
  const inputs = files
    .map((f) => ({ f, text: fs.readFileSync(f, 'utf8') }))
    .map((x) => ({ ...x, sites: sitesOf(x.text, x.f) }))
    .filter((x) => x.sites.length);
  // The typical file, first (cold JIT, cold memo: what a user sees on first open).
  const typicalSites = sitesOf(fs.readFileSync(typical, 'utf8'), typical);
  let t = performance.now();
  costLenses(URI, typicalSites, createInsights({ catalog: () => cat, liveAvailability: false, infra: () => [] }));
  const typicalCold = performance.now() - t;
  // Each file: the lens pass (fresh memo) and, as the baseline, validating the same file (what every
  // edit already costs), in wall and CPU time.
  const perFile: number[] = [];
  const perFileCpu: number[] = [];
  const validateFile: number[] = [];
  const validateFileCpu: number[] = [];
  const cpuMs = (c: NodeJS.CpuUsage) => (c.user + c.system) / 1000;
  const slow: { file: string; ms: number; cpuMs: number; sites: number }[] = [];
  for (const { f, text, sites } of inputs) {
    let c = process.cpuUsage();
    t = performance.now();
    parseTaskText(text, { buildTasks: false });
    validateFile.push(performance.now() - t);
    validateFileCpu.push(cpuMs(process.cpuUsage(c)));
    const ins = createInsights({ catalog: () => cat, liveAvailability: false, infra: () => [] });
    c = process.cpuUsage();
    t = performance.now();
    costLenses(URI, sites, ins);
    perFile.push(performance.now() - t);
    perFileCpu.push(cpuMs(process.cpuUsage(c)));
    // With --mark, each pass's line follows the --trace-opt / --trace-gc lines of what ran during it.
    if (mark) process.stdout.write(`=== lens ${f} ${perFileCpu[perFileCpu.length - 1]}\n`);
    // The file's name after the pass (path.relative's own compilation would land in a timed pass).
    slow.push({ file: f, ms: perFile[perFile.length - 1], cpuMs: perFileCpu[perFileCpu.length - 1], sites: sites.length });
  }
  slow.sort((a, b) => b.ms - a.ms);
  // Typical file again with fresh memo (warm JIT), and re-lensing unchanged sites (memoized, every keystroke).
  const fresh = createInsights({ catalog: () => cat, liveAvailability: false, infra: () => [] });
  t = performance.now();
  costLenses(URI, typicalSites, fresh);
  const typicalWarm = performance.now() - t;
  const again: number[] = [];
  for (let i = 0; i < 200; i++) {
    t = performance.now();
    costLenses(URI, typicalSites, fresh);
    again.push(performance.now() - t);
  }
  return {
    warmUp,
    loadAverage: os.loadavg()[0],
    files: inputs.length,
    typical: path.basename(typical),
    typicalSites: typicalSites.length,
    typicalColdMs: typicalCold,
    typicalWarmMs: typicalWarm,
    memoized: stats(again),
    perFile: stats(perFile),
    perFileCpu: stats(perFileCpu),
    validateFile: stats(validateFile),
    validateFileCpu: stats(validateFileCpu),
    slowest: slow.slice(0, 5).map((x) => ({ ...x, file: path.relative(corpus, x.file) })),
  };
}

/**
 * V8's optimization state (%GetOptimizationStatus) of the lens path's exported functions after
 * each round of the server's warm-up, and the warm-up's CPU time per round.
 */
async function lensProbe(dir: string) {
  const cat = loadCatalogDir(dir);
  const status = new Function('f', 'return %GetOptimizationStatus(f)') as (f: unknown) => number;
  const tier = (s: number) => (s & 64 ? 'turbofan' : s & 32 ? 'maglev' : s & (1 << 15) ? 'baseline' : s & 128 ? 'interpreted' : `status ${s}`);
  const specCost = (Object.getPrototypeOf(createInsights({ catalog: () => cat })) as { specCost: unknown }).specCost;
  const fns: Record<string, unknown> = { costLenses, taskCostLenses, parseDocument, resourcesSites, parseTaskText, specCost, cheapestForSpec, cheapestOffers };
  const rounds: { round: number; cpuMs: number; tiers: Record<string, string> }[] = [];
  const roundsAt = process.argv.indexOf('--rounds');
  const n = roundsAt > 0 ? Number(process.argv[roundsAt + 1]) : 3 * WARM_UP_ROUNDS;
  for (let round = 1; round <= n; round++) {
    const s = await serverWarmUp(cat, 1);
    rounds.push({ round, cpuMs: s.cpuMs, tiers: Object.fromEntries(Object.entries(fns).map(([k, f]) => [k, tier(status(f))])) });
  }
  return { samples: warmUpSamples().length, rounds };
}

/**
 * The server itself (startServer over in-process pipes, the same warm-up options as server/main.ts
 * but this catalog): a client sends a code-lens request every REQUEST_EVERY_MS while the warm-up
 * runs, then as many after it; per request its wall time to the answer and how many warm-up
 * steps started while it was pending (none should).
 */
async function lensServer(dir: string) {
  const cat = loadCatalogDir(dir);
  const infra = () => [] as InfraState[];
  const toServer = new PassThrough();
  const toClient = new PassThrough();
  const server = createConnection(new StreamMessageReader(toServer), new StreamMessageWriter(toClient));
  let steps = 0;
  let finished!: (s: IdleWorkStats) => void;
  const done = new Promise<IdleWorkStats>((resolve) => (finished = resolve));
  let first!: () => void;
  const started = new Promise<void>((resolve) => (first = resolve));
  startServer(server, {
    loadInsights: async () => createInsights({ catalog: () => cat, liveAvailability: false, infra }),
    warmUp: {
      insights: (states: InfraState[]) => createInsights({ catalog: () => cat, liveAvailability: false, infra: () => states }),
      onStep: (s) => {
        steps = s.steps;
        if (s.steps === 1) first();
      },
      onDone: (s) => finished({ ...s }),
    },
    onInput: (listener) => toServer.on('data', listener),
  });
  const client = createProtocolConnection(new StreamMessageReader(toClient), new StreamMessageWriter(toServer));
  client.onUnhandledNotification(() => undefined);
  client.onRequest('workspace/codeLens/refresh', () => null);
  client.listen();
  await client.sendRequest('initialize', { processId: null, rootUri: null, capabilities: {}, initializationOptions: {} });
  await client.sendNotification('initialized', {});
  const uri = 'file:///bench/task.yaml';
  await client.sendNotification('textDocument/didOpen', {
    textDocument: { uri, languageId: 'yaml', version: 1, text: 'resources:\n  accelerators: A100:8\nrun: python train.py\n' },
  });
  await started;
  let isDone = false;
  void done.then(() => (isDone = true));
  const REQUEST_EVERY_MS = 150;
  // From the request reaching the server (its data event) to the answer reaching the client.
  const ask = async () => {
    let at = steps;
    let t = performance.now();
    toServer.once('data', () => {
      at = steps;
      t = performance.now();
    });
    await client.sendRequest('textDocument/codeLens', { textDocument: { uri } });
    return { ms: performance.now() - t, stepsWhilePending: steps - at };
  };
  const during: { ms: number; stepsWhilePending: number }[] = [];
  while (!isDone) {
    during.push(await ask());
    await new Promise((r) => setTimeout(r, REQUEST_EVERY_MS));
  }
  const warmUp = await done;
  const after: { ms: number; stepsWhilePending: number }[] = [];
  for (let i = 0; i < Math.max(during.length, 10); i++) {
    after.push(await ask());
    await new Promise((r) => setTimeout(r, REQUEST_EVERY_MS));
  }
  client.dispose();
  server.dispose();
  return {
    loadAverage: os.loadavg()[0],
    warmUp,
    during: { ...stats(during.map((x) => x.ms)), maxStepsWhilePending: Math.max(...during.map((x) => x.stepsWhilePending)) },
    after: stats(after.map((x) => x.ms)),
  };
}

async function main() {
  const [mode, dir, corpus, typical, warm] = process.argv.slice(2);
  const out =
    mode === 'load'
      ? load(dir)
      : mode === 'queries'
        ? queries(dir)
        : mode === 'lens-probe'
          ? await lensProbe(dir)
          : mode === 'lens-server'
            ? await lensServer(dir)
            : await lens(dir, corpus, typical, warm === 'warm');
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

void main();
