/**
 * Validation speed over the SkyPilot corpus, side by side with yaml-language-server 1.25
 * (same schema: schemas/task.schema.json), plus server start -> first diagnostics beside a bare
 * `node -e ''` and a bare vscode-languageserver server (./bareServer.ts, the library's own
 * start-up), and a check that the language server loads no cloud SDK.
 *
 *   npm run -s build && node --import tsx bench/validate/run.ts [--rounds 5]
 */
import { spawn, spawnSync } from 'node:child_process';
import { buildSync } from 'esbuild';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createProtocolConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-languageserver-protocol/node';
import { skydeckValidate, ylsValidator } from './engines';
import { yamlFiles } from '../../test/helpers/shared';

const ROOT = path.resolve(__dirname, '../..');
const CORPUS = process.env.SKYDECK_CORPUS ?? path.resolve(ROOT, '../shared/corpus/skypilot-examples');
const SCHEMA_PATH = path.join(ROOT, 'schemas/task.schema.json');
const SERVER = path.join(ROOT, 'dist/server.js');
const roundsArg = process.argv.indexOf('--rounds');
const ROUNDS = roundsArg > 0 ? Number(process.argv[roundsArg + 1]) : 5;
// `--before path/to/server.js`: an earlier build of the server, timed in the same rounds (before/after).
const beforeArg = process.argv.indexOf('--before');
const BEFORE = beforeArg > 0 ? path.resolve(process.argv[beforeArg + 1]) : undefined;
// `--parts startup` (or validate,startup): which parts to run; both by default.
const partsArg = process.argv.indexOf('--parts');
const PARTS = new Set(partsArg > 0 ? process.argv[partsArg + 1].split(',') : ['validate', 'startup']);
/** Passes over the corpus before timing the steady state (both engines' JIT settled). */
const STEADY_WARMUP = 15;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

async function main(): Promise<void> {
  if (PARTS.has('validate')) await validation();
  if (PARTS.has('startup')) await serverStartup();
}

async function validation(): Promise<void> {
  const taskFiles = [...yamlFiles(path.join(CORPUS, 'tasks')), ...yamlFiles(path.join(CORPUS, 'tasks-invalid'))];
  const texts = taskFiles.map((f) => fs.readFileSync(f, 'utf8'));
  const ylsRun = ylsValidator(SCHEMA_PATH);
  const oursRun = skydeckValidate;

  // Timing: each engine alone in fresh processes (./engineWorker.ts), the order alternating.
  // Steady state (after STEADY_WARMUP passes over the corpus: the server validates every
  // version of a document for hours) is the target's measure; `early` (one warm-up pass, as
  // the first edits of a session see it) is printed beside it.
  const list = path.join(os.tmpdir(), `skydeck-bench-validate-${process.pid}.txt`);
  fs.writeFileSync(list, taskFiles.join('\n'));
  const measure = (warmup: number, processes: number) => {
    const acc: Record<string, { times: number[][]; cpu: number[] }> = {};
    for (let p = 0; p < processes; p++) {
      for (const engine of p % 2 ? ['yls', 'skydeck'] : ['skydeck', 'yls']) {
        const out = spawnSync(
          process.execPath,
          ['--import', 'tsx', path.join(__dirname, 'engineWorker.ts'), engine, list, SCHEMA_PATH, String(ROUNDS), String(warmup)],
          {
            encoding: 'utf8',
            cwd: ROOT,
            maxBuffer: 64 << 20,
          },
        );
        if (out.status !== 0) throw new Error(`${engine} worker failed: ${out.stderr}`);
        const j = JSON.parse(out.stdout) as { times: number[][]; cpuMsPerDoc: number };
        const a = (acc[engine] ??= { times: texts.map(() => []), cpu: [] });
        j.times.forEach((t, i) => a.times[i].push(...t));
        a.cpu.push(j.cpuMsPerDoc);
      }
    }
    const perDoc = (e: string) => acc[e].times.map(median);
    return { ours: perDoc('skydeck'), yls: perDoc('yls'), oursCpu: median(acc.skydeck.cpu), ylsCpu: median(acc.yls.cpu) };
  };
  const steady = measure(STEADY_WARMUP, 2);
  const early = measure(1, 1);
  fs.rmSync(list, { force: true });

  // Quality on the same documents: error diagnostics on files SkyPilot accepts, and where the
  // spot_recovery problem lands.
  let oursFalse = 0;
  let ylsFalse = 0;
  const invalidReport: string[] = [];
  for (let i = 0; i < texts.length; i++) {
    const ours = oursRun(texts[i]).filter((d) => d.severity === 'error');
    // yaml-language-server's LSP layer promotes warnings to errors before publishing.
    const theirs = (await ylsRun(texts[i], i)).filter((d) => d.severity === 1 || d.severity === 2);
    if (taskFiles[i].includes('/tasks-invalid/')) {
      const line = (t: string, l: number) => t.split('\n')[l] ?? '';
      const show = (r: { start: { line: number; character: number }; end: { line: number; character: number } }) =>
        JSON.stringify(line(texts[i], r.start.line).slice(r.start.character, r.end.line === r.start.line ? r.end.character : undefined));
      invalidReport.push(
        `  ${path.basename(taskFiles[i])}: ours ${ours.map((d) => `${show(d.range)} "${d.message.slice(0, 60)}..."`).join('; ')} | yaml-language-server ${theirs.map((d) => `${show(d.range)} "${d.message}"`).join('; ')}`,
      );
    } else {
      oursFalse += ours.length;
      ylsFalse += theirs.length;
    }
  }

  console.log(
    `validate bench: ${texts.length} task documents from ${path.relative(ROOT, CORPUS)}, each engine alone in its own process, ${ROUNDS} rounds (median per document), load average ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
  const report = (label: string, m: ReturnType<typeof measure>) => {
    const oursMed = median(m.ours);
    const ylsMed = median(m.yls);
    console.log(`  ${label}`);
    console.log(`    skydeck validator        median ${oursMed.toFixed(3)} ms/doc   total ${sum(m.ours).toFixed(1)} ms`);
    console.log(`    yaml-language-server     median ${ylsMed.toFixed(3)} ms/doc   total ${sum(m.yls).toFixed(1)} ms`);
    console.log(`    ratio (yls / skydeck)    ${(ylsMed / oursMed).toFixed(2)}x median, ${(sum(m.yls) / sum(m.ours)).toFixed(2)}x total (target >= 5x)`);
    console.log(
      `    CPU time per document    skydeck ${m.oursCpu.toFixed(3)} ms, yaml-language-server ${m.ylsCpu.toFixed(3)} ms, ratio ${(m.ylsCpu / m.oursCpu).toFixed(2)}x (target >= 5x)`,
    );
  };
  report(`steady state (after ${STEADY_WARMUP} warm-up passes, 2 processes per engine):`, steady);
  report('early (after 1 warm-up pass, 1 process per engine):', early);
  console.log(`  error diagnostics on files SkyPilot accepts: skydeck ${oursFalse}, yaml-language-server ${ylsFalse}`);
  console.log('  tasks-invalid (text under each range):');
  for (const l of invalidReport) console.log(l);
}

async function firstDiagnosticsOnce(
  server = SERVER,
  home?: string,
  linger?: () => Promise<void>,
): Promise<{ totalMs: number; loadedSdk: string[]; cpuMs?: number; uptimeMs?: number }> {
  const probe = path.join(os.tmpdir(), `skydeck-probe-${process.pid}-${Date.now()}.json`);
  const preload = path.join(__dirname, 'moduleProbe.cjs');
  const t0 = performance.now();
  const proc = spawn(process.execPath, ['--require', preload, server, '--stdio'], {
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...process.env, SKYDECK_MODULE_PROBE: probe, SKYDECK_STARTUP_PROBE: '1', ...(home ? { SKYDECK_HOME: home } : {}) },
  });
  const conn = createProtocolConnection(new StreamMessageReader(proc.stdout), new StreamMessageWriter(proc.stdin));
  const uri = 'file:///bench/task.yaml';
  let own: { cpuMs?: number; uptimeMs?: number } = {};
  conn.onNotification('window/logMessage', (m: { message: string }) => {
    const at = m.message.indexOf('skydeck-startup ');
    if (at >= 0) own = JSON.parse(m.message.slice(at + 'skydeck-startup '.length)) as typeof own;
  });
  const got = new Promise<void>((resolve) =>
    conn.onNotification('textDocument/publishDiagnostics', (p: { uri: string }) => {
      if (p.uri === uri) resolve();
    }),
  );
  conn.listen();
  await conn.sendRequest('initialize', { processId: process.pid, rootUri: null, capabilities: {} });
  await conn.sendNotification('initialized', {});
  await conn.sendNotification('textDocument/didOpen', {
    textDocument: { uri, languageId: 'yaml', version: 1, text: 'resources:\n  accelerators: A100:8\n  spot_recovery: FAILOVER\nrun: python train.py\n' },
  });
  await got;
  const totalMs = performance.now() - t0;
  // Let the lazy insights import happen, then ask the probe what was loaded.
  await conn.sendRequest('textDocument/hover', { textDocument: { uri }, position: { line: 1, character: 4 } }).catch(() => undefined);
  if (linger) await linger();
  await conn.sendRequest('shutdown');
  await conn.sendNotification('exit');
  await new Promise<void>((resolve) => (proc.exitCode !== null ? resolve() : proc.on('exit', () => resolve())));
  conn.dispose();
  let loaded: string[];
  try {
    loaded = JSON.parse(fs.readFileSync(probe, 'utf8')) as string[];
    fs.rmSync(probe, { force: true });
  } catch {
    loaded = ['<probe missing>'];
  }
  return { totalMs, ...own, loadedSdk: loaded.filter((m) => /@aws-sdk|@google-cloud|@azure|@kubernetes|googleapis/.test(m)) };
}

/** Waits until the server has written its code cache (server/boot.ts writes it a few seconds after start). */
async function cacheWritten(dir: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!(fs.existsSync(dir) && fs.readdirSync(dir).some((f) => f.endsWith('.v8cache')))) {
    if (Date.now() > deadline) throw new Error(`the server wrote no code cache in ${dir}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Wall time of a bare `node -e ''`, and its own CPU time until exit (reported on stdout). */
async function nodeBaseline(): Promise<{ wallMs: number; cpuMs: number }> {
  const t0 = performance.now();
  let out = '';
  const script = "process.on('exit',()=>{const c=process.cpuUsage();process.stdout.write(String((c.user+c.system)/1000))})";
  await new Promise<void>((resolve) => {
    const p = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'ignore'] });
    p.stdout.on('data', (b: Buffer) => (out += b.toString()));
    p.on('exit', () => resolve());
  });
  return { wallMs: performance.now() - t0, cpuMs: Number(out) };
}

/** ./bareServer.ts bundled like dist/server.js (minified), into a temporary file. */
function bareServer(): string {
  const out = path.join(os.tmpdir(), `skydeck-bare-server-${process.pid}.js`);
  buildSync({
    entryPoints: [path.join(__dirname, 'bareServer.ts')],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    minify: true,
    outfile: out,
    logLevel: 'warning',
  });
  process.on('exit', () => fs.rmSync(out, { force: true }));
  return out;
}

async function serverStartup(): Promise<void> {
  if (!fs.existsSync(SERVER)) {
    console.log('server startup: dist/server.js missing (run npm run build)');
    return;
  }
  const bare = bareServer();
  // Two homes: one whose code cache (server/boot.ts) is written by a first start and kept (every
  // start after a user's first), one emptied before each start (a user's very first start).
  const warmHome = fs.mkdtempSync(path.join(os.tmpdir(), 'skydeck-bench-warm-'));
  const coldHome = fs.mkdtempSync(path.join(os.tmpdir(), 'skydeck-bench-cold-'));
  process.on('exit', () => [warmHome, coldHome].forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
  await firstDiagnosticsOnce(SERVER, warmHome, () => cacheWritten(path.join(warmHome, 'cache')));
  const coldRuns: number[] = [];
  const coldCpus: number[] = [];
  const runs: number[] = [];
  const cpus: number[] = [];
  const uptimes: number[] = [];
  const baselines: number[] = [];
  const baselineCpus: number[] = [];
  const bareRuns: number[] = [];
  const bareCpus: number[] = [];
  const beforeRuns: number[] = [];
  const beforeCpus: number[] = [];
  const sdk = new Set<string>();
  // Interleaved, so a busy moment of the machine hits all three alike.
  for (let i = 0; i < 7; i++) {
    const b = await nodeBaseline();
    baselines.push(b.wallMs);
    baselineCpus.push(b.cpuMs);
    const r = await firstDiagnosticsOnce(SERVER, warmHome);
    runs.push(r.totalMs);
    if (r.cpuMs !== undefined) cpus.push(r.cpuMs);
    if (r.uptimeMs !== undefined) uptimes.push(r.uptimeMs);
    r.loadedSdk.forEach((m) => sdk.add(m));
    fs.rmSync(path.join(coldHome, 'cache'), { recursive: true, force: true });
    const c = await firstDiagnosticsOnce(SERVER, coldHome);
    coldRuns.push(c.totalMs);
    if (c.cpuMs !== undefined) coldCpus.push(c.cpuMs);
    const f = await firstDiagnosticsOnce(bare);
    bareRuns.push(f.totalMs);
    if (f.cpuMs !== undefined) bareCpus.push(f.cpuMs);
    if (BEFORE) {
      const o = await firstDiagnosticsOnce(BEFORE);
      beforeRuns.push(o.totalMs);
      if (o.cpuMs !== undefined) beforeCpus.push(o.cpuMs);
    }
  }
  const bundle = fs.readFileSync(SERVER, 'utf8') + fs.readFileSync(path.join(ROOT, 'dist/server-main.js'), 'utf8');
  const inBundle = ['@aws-sdk', '@google-cloud', '@azure/', '@kubernetes/client-node'].filter((m) => bundle.includes(m));
  const m = { run: median(runs), base: median(baselines), bare: median(bareRuns), cpu: median(cpus), baseCpu: median(baselineCpus), bareCpu: median(bareCpus) };
  console.log(
    `server: start -> first diagnostics median ${m.run.toFixed(0)} ms wall, ${m.cpu.toFixed(0)} ms CPU (code cache written by an earlier start; runs ${runs.map((x) => x.toFixed(0)).join(', ')})`,
  );
  console.log(
    `  node start baseline (node -e ''): median ${m.base.toFixed(0)} ms wall, ${m.baseCpu.toFixed(0)} ms CPU; ratio server / node: ${(m.run / m.base).toFixed(2)}x wall, ${(m.cpu / m.baseCpu).toFixed(2)}x CPU (target <= 1.3x)`,
  );
  console.log(
    `  first start (no code cache yet): median ${median(coldRuns).toFixed(0)} ms wall, ${median(coldCpus).toFixed(0)} ms CPU; ratio / node: ${(median(coldRuns) / m.base).toFixed(2)}x wall, ${(median(coldCpus) / m.baseCpu).toFixed(2)}x CPU`,
  );
  console.log(
    `  bare vscode-languageserver server (bareServer.ts): median ${m.bare.toFixed(0)} ms wall, ${m.bareCpu.toFixed(0)} ms CPU; ratio bare / node: ${(m.bare / m.base).toFixed(2)}x wall, ${(m.bareCpu / m.baseCpu).toFixed(2)}x CPU (the library's own floor)`,
  );
  if (cpus.length)
    console.log(
      `  inside the server process: ${median(uptimes).toFixed(0)} ms since process start, ${m.cpu.toFixed(0)} ms of CPU (node itself included); SkyDeck's own share over the bare server: ${(m.cpu - m.bareCpu).toFixed(0)} ms CPU`,
    );
  if (BEFORE)
    console.log(
      `  before (${path.relative(ROOT, BEFORE)}): median ${median(beforeRuns).toFixed(0)} ms wall, ${median(beforeCpus).toFixed(0)} ms CPU; ratio before / node: ${(median(beforeRuns) / m.base).toFixed(2)}x wall, ${(median(beforeCpus) / m.baseCpu).toFixed(2)}x CPU; bundle ${(fs.statSync(BEFORE).size / 1024).toFixed(0)} KiB`,
    );
  console.log(
    `  server bundles ${(bundle.length / 1024).toFixed(0)} KiB (dist/server.js + server-main.js; catalog insights load later from dist/server-insights.js)`,
  );
  console.log(
    `  cloud SDK modules loaded by the server: ${sdk.size ? [...sdk].join(', ') : 'none'}; SDK names in dist/server.js + server-main.js: ${inBundle.length ? inBundle.join(', ') : 'none'}`,
  );
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
