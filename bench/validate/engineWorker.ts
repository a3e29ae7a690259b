/**
 * One validator alone in a fresh process (run.ts starts one per engine and round): warms it
 * up, then times every document over the rounds and the CPU time of whole passes. Alone,
 * because in one process each engine's times also carried the other's garbage collection
 * (yaml-language-server keeps every document it parsed) and its evictions from the CPU caches.
 *
 *   node --import tsx engineWorker.ts skydeck|yls <file list> <schema path> <rounds> <warm-up passes>
 */
import * as fs from 'node:fs';
import { skydeckValidate, ylsValidator } from './engines';

const [engine, listPath, schemaPath, roundsText, warmupText] = process.argv.slice(2);
const ROUNDS = Number(roundsText) || 5;
const WARMUP = Number(warmupText) || 1;

async function main(): Promise<void> {
  const texts = fs
    .readFileSync(listPath, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((f) => fs.readFileSync(f, 'utf8'));
  const run: (text: string, i: number) => unknown = engine === 'skydeck' ? skydeckValidate : ylsValidator(schemaPath);
  for (let w = 0; w < WARMUP; w++) for (let i = 0; i < texts.length; i++) await run(texts[i], i);
  const times: number[][] = texts.map(() => []);
  for (let r = 0; r < ROUNDS; r++) {
    for (let i = 0; i < texts.length; i++) {
      const t0 = performance.now();
      await run(texts[i], i);
      times[i].push(performance.now() - t0);
    }
  }
  const c0 = process.cpuUsage();
  for (let r = 0; r < ROUNDS; r++) for (let i = 0; i < texts.length; i++) await run(texts[i], i);
  const c = process.cpuUsage(c0);
  process.stdout.write(JSON.stringify({ times, cpuMsPerDoc: (c.user + c.system) / 1000 / ROUNDS / texts.length }));
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
