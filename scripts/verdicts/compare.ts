// Dev tool (not run by `npm test`): SkyDeck's verdict (the `skydeck validate --json` path, as
// test/unit/task/verdicts.test.ts takes it) against the referee's answers for the same files.
// Usage: node --import tsx scripts/verdicts/compare.ts REFEREE.jsonl [--all]
// Prints the agreement count and the disagreements grouped by alteration (the file name
// before `__`); --all prints every disagreeing file, not only the first of each group.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseTaskText } from '../../engine/task/load';

interface Answer {
  file: string;
  main: { verdict: 'accept' | 'reject'; message?: string };
}

function main(): void {
  const jsonl = process.argv[2];
  const all = process.argv.includes('--all');
  if (!jsonl) throw new Error('usage: compare.ts REFEREE.jsonl [--all]');
  const answers = fs
    .readFileSync(jsonl, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Answer);
  const groups = new Map<string, string[]>();
  let agree = 0;
  for (const a of answers) {
    const r = parseTaskText(fs.readFileSync(a.file, 'utf8'), { fileName: 'task.yaml' });
    const errors = r.diagnostics.filter((d) => d.severity === 'error');
    const mine = errors.length ? 'reject' : 'accept';
    if (mine === a.main.verdict) {
      agree++;
      continue;
    }
    const base = path.basename(a.file);
    const group = base.split('__')[0];
    const line =
      mine === 'reject'
        ? `  ${base}: SkyDeck rejects (${errors.map((e) => `${e.range.start.line + 1}: ${e.message}`).join(' | ')}), SkyPilot accepts`
        : `  ${base}: SkyDeck accepts, SkyPilot rejects: ${(a.main.message ?? '').slice(0, 300)}`;
    groups.set(group, [...(groups.get(group) ?? []), line]);
  }
  for (const [g, lines] of [...groups].sort()) {
    console.log(`${g} (${lines.length})`);
    for (const l of all ? lines : lines.slice(0, 1)) console.log(l);
  }
  console.log(`agree ${agree}/${answers.length}; ${groups.size} groups disagree`);
}

main();
