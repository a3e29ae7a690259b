// `npm run bench -- NAME...`: runs the named benchmarks (default: all) one after another,
// each in its own process so their numbers don't disturb each other. Build first.
import { spawnSync } from 'node:child_process';

const entries: Record<string, string> = {
  validate: 'bench/validate/run.ts',
  catalog: 'bench/catalog/run.ts',
  exec: 'bench/exec/index.ts',
  jobs: 'bench/jobs/index.ts',
  serve: 'bench/serve/run.ts',
  activation: 'bench/activation/run.ts',
};

const names = process.argv.slice(2);
for (const name of names.length ? names : Object.keys(entries)) {
  const entry = entries[name];
  if (!entry) {
    console.error(`unknown bench '${name}'; known: ${Object.keys(entries).join(', ')}`);
    process.exit(2);
  }
  console.log(`\n=== bench/${name} ===`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', entry], { stdio: 'inherit' });
  if (r.status !== 0) process.exitCode = r.status ?? 1;
}
