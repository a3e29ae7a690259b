/**
 * One measurement in a fresh process (bundled by ./run.ts): parses every corpus file with one
 * YAML path and prints one JSON line. `cold`: the first parse of each file in this process
 * (what the language server's first diagnostics and every CLI run pay); `warm`: the median
 * of repeated parses after that (what typing pays).
 */
import * as fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import { parseYamlDocuments } from '../../engine/task/yamlTree';

const [mode, listFile] = process.argv.slice(2);
const files = fs.readFileSync(listFile, 'utf8').split('\n').filter(Boolean);
const texts = files.map((f) => fs.readFileSync(f, 'utf8'));
const fastPath = mode === 'fast';

const t0 = performance.now();
for (const t of texts) parseYamlDocuments(t, { fastPath });
const coldMs = performance.now() - t0;

const perFile: number[] = [];
for (const t of texts) {
  const rounds = 20;
  const s = performance.now();
  for (let i = 0; i < rounds; i++) parseYamlDocuments(t, { fastPath });
  perFile.push((performance.now() - s) / rounds);
}
perFile.sort((a, b) => a - b);
const warmMedianUs = perFile[Math.floor(perFile.length / 2)] * 1000;
const warmTotalMs = perFile.reduce((a, b) => a + b, 0);
process.stdout.write(JSON.stringify({ mode, files: files.length, coldMs, warmMedianUs, warmTotalMs }) + '\n');
