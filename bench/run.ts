// `npm run bench -- NAME... [-- OPTIONS]`: runs the named benchmarks (default: all) one after
// another, each in its own process so their numbers don't disturb each other. Arguments from the
// first one starting with `-` on go to every bench (e.g. `npm run bench -- catalog --runs 3`).
// Build first.
import { spawnSync } from 'node:child_process';

const entries: Record<string, string> = {
  validate: 'bench/validate/run.ts',
  catalog: 'bench/catalog/run.ts',
  exec: 'bench/exec/index.ts',
  jobs: 'bench/jobs/index.ts',
  serve: 'bench/serve/run.ts',
  activation: 'bench/activation/run.ts',
  chaos: 'bench/chaos/index.ts',
  yaml: 'bench/yaml/run.ts',
  storage: 'bench/storage/run.ts',
  status: 'bench/status/run.ts',
};

const args = process.argv.slice(2);
const firstOption = args.findIndex((a) => a.startsWith('-'));
const names = firstOption < 0 ? args : args.slice(0, firstOption);
const options = firstOption < 0 ? [] : args.slice(firstOption).filter((a, i) => i > 0 || a !== '--');
for (const name of names.length ? names : Object.keys(entries)) {
  const entry = entries[name];
  if (!entry) {
    console.error(`unknown bench '${name}'; known: ${Object.keys(entries).join(', ')}`);
    process.exit(2);
  }
  console.log(`\n=== bench/${name} ===`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', entry, ...options], { stdio: 'inherit' });
  if (r.status !== 0) process.exitCode = r.status ?? 1;
}
