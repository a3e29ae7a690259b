/**
 * One validator alone in a fresh process (run.ts starts one per engine and round): warms it
 * up, then times every document over the rounds and the CPU time of whole passes. Alone,
 * because in one process each engine's times also carried the other's garbage collection
 * (yaml-language-server keeps every document it parsed) and its evictions from the CPU caches.
 *
 *   node --import tsx engineWorker.ts skydeck|yls <file list> <schema path> <rounds> <warm-up passes>
 */
import * as fs from 'node:fs';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { getLanguageService } from 'yaml-language-server';
import { parseTaskText } from '../../engine/task/load';

const [engine, listPath, schemaPath, roundsText, warmupText] = process.argv.slice(2);
const ROUNDS = Number(roundsText) || 5;
const WARMUP = Number(warmupText) || 1;

async function main(): Promise<void> {
  const texts = fs
    .readFileSync(listPath, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((f) => fs.readFileSync(f, 'utf8'));
  let run: (text: string, i: number) => unknown;
  if (engine === 'skydeck') {
    // What the editor runs per document version: layered validation + content detection.
    run = (text) => parseTaskText(text, { buildTasks: false }).diagnostics;
  } else {
    const schemaText = fs.readFileSync(schemaPath, 'utf8');
    const yls = getLanguageService({
      schemaRequestService: (uri: string) => (uri.endsWith('task.schema.json') ? Promise.resolve(schemaText) : Promise.reject(new Error(`no ${uri}`))),
      workspaceContext: { resolveRelativePath: (p: string) => p },
    });
    yls.configure({
      validate: true,
      hover: false,
      completion: false,
      yamlVersion: '1.1',
      schemas: [{ uri: 'file:///schemas/task.schema.json', fileMatch: ['*.yaml', '*.yml'], priority: 3 }],
    });
    let version = 0;
    run = (text, i) => yls.doValidation(TextDocument.create(`file:///corpus/doc${i}.yaml`, 'yaml', ++version, text), false);
  }
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
