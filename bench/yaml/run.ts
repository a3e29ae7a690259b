/**
 * The task loader's two YAML paths side by side on the real SkyPilot corpus: the fast path
 * (engine/task/fastYaml.ts) and the general `yaml` parser it falls back to. Both build the same
 * tree; the fast path exists only if it pays, so this prints both from the same run.
 * Each round runs each path in its own fresh process, interleaved.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { build } from 'esbuild';

const ROOT = path.resolve(__dirname, '../..');
const CORPUS = process.env.SKYDECK_CORPUS ?? path.resolve(ROOT, '../shared/corpus');
const rounds = Number(process.argv[process.argv.indexOf('--rounds') + 1]) || 5;

function yamlFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true, recursive: true }).flatMap((e) => {
    const p = path.join(e.parentPath ?? (e as unknown as { path: string }).path, e.name);
    return e.isFile() && /\.ya?ml$/.test(e.name) ? [p] : [];
  });
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  if (!fs.existsSync(CORPUS)) throw new Error(`corpus missing: ${CORPUS}`);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'skydeck-bench-yaml-'));
  process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));
  const list = path.join(tmp, 'files.txt');
  const files = yamlFiles(CORPUS);
  fs.writeFileSync(list, files.join('\n'));
  const worker = path.join(tmp, 'worker.js');
  await build({
    entryPoints: [path.join(__dirname, 'worker.ts')],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    outfile: worker,
    logLevel: 'warning',
  });
  const results: Record<string, { coldMs: number[]; warmMedianUs: number[]; warmTotalMs: number[] }> = {};
  for (let r = 0; r < rounds; r++) {
    for (const mode of r % 2 ? ['general', 'fast'] : ['fast', 'general']) {
      const out = spawnSync(process.execPath, [worker, mode, list], { encoding: 'utf8' });
      if (out.status !== 0) throw new Error(`${mode} worker failed: ${out.stderr}`);
      const j = JSON.parse(out.stdout) as { coldMs: number; warmMedianUs: number; warmTotalMs: number };
      const acc = (results[mode] ??= { coldMs: [], warmMedianUs: [], warmTotalMs: [] });
      acc.coldMs.push(j.coldMs);
      acc.warmMedianUs.push(j.warmMedianUs);
      acc.warmTotalMs.push(j.warmTotalMs);
    }
  }
  const f = results.fast;
  const g = results.general;
  console.log(`${files.length} corpus YAML files, ${rounds} rounds, medians:`);
  console.log(
    `  cold, all files once (fresh process):  fast ${median(f.coldMs).toFixed(1)} ms   general ${median(g.coldMs).toFixed(1)} ms   fast/general ${(median(f.coldMs) / median(g.coldMs)).toFixed(2)}x`,
  );
  console.log(
    `  warm, per file (median):               fast ${median(f.warmMedianUs).toFixed(0)} µs   general ${median(g.warmMedianUs).toFixed(0)} µs   fast/general ${(median(f.warmMedianUs) / median(g.warmMedianUs)).toFixed(2)}x`,
  );
  console.log(
    `  warm, all files:                       fast ${median(f.warmTotalMs).toFixed(1)} ms   general ${median(g.warmTotalMs).toFixed(1)} ms   fast/general ${(median(f.warmTotalMs) / median(g.warmTotalMs)).toFixed(2)}x`,
  );
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
