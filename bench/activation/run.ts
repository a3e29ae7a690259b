/**
 * Extension activation in real VS Code (code-server 4.139.1, Code 1.139.1), the language
 * server's start-to-first-diagnostics time there, and the size of every bundle.
 *
 *   npm run -s build && node --import tsx bench/activation/run.ts [--rounds 3]
 *
 * Each round is a fresh code-server and a fresh extension host, so activation is the cold
 * first load of dist/extension.js (never a second, warm require). The baseline, measured in
 * the same run and host, is what loading the engine bundle eagerly would add to activation
 * (its own cold first load there; it is lazily required on first use instead). Targets: activation < 50 ms,
 * dist/extension.js < 1 MB, server start to first diagnostics < 300 ms.
 */
import * as esbuild from 'esbuild';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { launchBrowser, missingTools, startCodeServer, within, workbenchUrl } from '../../test/e2e/harness/codeServer';

const ROOT = path.resolve(__dirname, '..', '..');
const roundsArg = process.argv.indexOf('--rounds');
const ROUNDS = roundsArg > 0 ? Number(process.argv[roundsArg + 1]) : 3;
const REFERENCE_CATALOGS = path.resolve(ROOT, '..', 'shared', 'reference-catalogs');

interface Round {
  activateTotalMs: number;
  activateTotalCpuMs: number;
  activateCallMs: number;
  activateCallCpuMs: number;
  startToFirstDiagnosticsMs: number;
  engineRequireMs: number;
  engineRequireCpuMs: number;
  node: string;
  vscode: string;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const kb = (n: number): string => `${(n / 1024).toFixed(0)} KB`;

function bundleSizes(): void {
  const files = [
    ...fs
      .readdirSync(path.join(ROOT, 'dist'))
      .filter((f) => f.endsWith('.js'))
      .map((f) => path.join('dist', f)),
    ...fs
      .readdirSync(path.join(ROOT, 'dist', 'providers'))
      .filter((f) => f.endsWith('.js'))
      .map((f) => path.join('dist', 'providers', f)),
  ];
  console.log('\nBundle sizes');
  for (const f of files.sort()) {
    const size = fs.statSync(path.join(ROOT, f)).size;
    const note =
      f === path.join('dist', 'extension.js')
        ? `   target < 1 MB: ${size < 1024 * 1024 ? 'met' : 'MISSED'} (${((size / (1024 * 1024)) * 100).toFixed(0)}% of 1 MB)`
        : '';
    console.log(`  ${f.padEnd(34)} ${kb(size).padStart(9)}${note}`);
  }
}

async function main(): Promise<void> {
  const missing = missingTools();
  if (missing) throw new Error(missing);
  bundleSizes();

  const outFile = path.join(ROOT, 'out', 'bench', 'activation', 'suite.js');
  await esbuild.build({
    entryPoints: [path.join(__dirname, 'suite.ts')],
    outfile: outFile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['vscode'],
    logLevel: 'warning',
  });

  const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'skydeck-bench-activation-'));
  const task = fs.readFileSync(path.join(ROOT, 'test', 'e2e', 'fixtures', 'workspace', 'invalid.sky.yaml'), 'utf8');
  const browser = await launchBrowser();
  const rounds: Round[] = [];
  try {
    for (let i = 0; i < ROUNDS; i++) {
      // A fresh code-server per round: a reused user-data-dir would restore the open editor and activate SkyDeck early.
      const cs = await startCodeServer({
        workspaceFiles: { 'invalid.sky.yaml': task },
        env: { SKYDECK_E2E_OUT: outDir, ...(fs.existsSync(REFERENCE_CATALOGS) ? { SKYDECK_CATALOG_DIR: REFERENCE_CATALOGS } : {}) },
      });
      try {
        let exit: (code: number) => void = () => undefined;
        const exited = new Promise<number>((r) => (exit = r));
        const page = await browser.context.newPage();
        await page.exposeFunction('codeAutomationExit', (code: number) => exit(code));
        await page.goto(workbenchUrl(cs, { extensionPath: ROOT, testsPath: outFile }), { waitUntil: 'commit', timeout: 180_000 });
        const code = await within(exited, 300_000, `round ${i + 1}`);
        await page.close();
        const files = fs
          .readdirSync(outDir)
          .filter((f) => f.startsWith('results-'))
          .sort();
        if (code !== 0 || files.length !== i + 1) throw new Error(`round ${i + 1} failed (exit ${code})`);
        const r = JSON.parse(fs.readFileSync(path.join(outDir, files[i]), 'utf8')) as Round;
        rounds.push(r);
        console.log(
          `  round ${i + 1}: ext.activate() ${r.activateTotalMs.toFixed(1)} ms wall; activate() ${r.activateCallMs.toFixed(1)} ms wall / ${r.activateCallCpuMs.toFixed(1)} ms CPU; ext.activate() ${r.activateTotalCpuMs.toFixed(1)} ms CPU; engine first load ${r.engineRequireCpuMs.toFixed(1)} ms CPU; first diagnostics ${r.startToFirstDiagnosticsMs} ms`,
        );
      } finally {
        await cs.stop();
      }
    }
  } finally {
    await browser.close();
    fs.rmSync(outDir, { recursive: true, force: true });
  }

  const m = (k: keyof Round): number => median(rounds.map((r) => r[k] as number));
  const f = (n: number): string => `${n.toFixed(1)} ms`.padStart(10);
  const cpuActivation = m('activateTotalCpuMs');
  const cpuEager = cpuActivation + m('engineRequireCpuMs');
  console.log(
    `\nActivation in code-server ${rounds[0].vscode} (extension host ${rounds[0].node}), cold first load, median of ${rounds.length} fresh hosts; load average ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} cores`,
  );
  console.log(`${' '.repeat(55)}wall        CPU`);
  console.log(
    `  ext.activate(): load extension.js + activate() ${f(m('activateTotalMs'))} ${f(cpuActivation)}   target < 50 ms (CPU): ${cpuActivation < 50 ? 'met' : 'MISSED'}`,
  );
  console.log(`    of which activate()'s own body               ${f(m('activateCallMs'))} ${f(m('activateCallCpuMs'))}`);
  console.log(
    `  baseline: + loading the engine eagerly         ${f(m('activateTotalMs') + m('engineRequireMs'))} ${f(cpuEager)}   lazy/eager (CPU) = ${(cpuActivation / cpuEager).toFixed(2)}`,
  );
  const diag = m('startToFirstDiagnosticsMs');
  console.log(
    `  language server start -> first diagnostics     ${f(diag)}              target < 300 ms: ${diag < 300 ? 'met' : 'MISSED'} (wall, includes spawning Node)`,
  );
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.stack : String(err));
  process.exitCode = 1;
});
