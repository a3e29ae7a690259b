/**
 * bench/status: `skydeck status` with 1,000 clusters in the store (target < 150 ms), beside
 * baselines from the same run: bare `node -e ''` (the floor any Node CLI pays) and the same
 * bundle's `--version` (its start-up without a command). Runs are interleaved so load on a
 * shared machine hits every row alike; medians and p90 over `--runs N` (default 15). Each row
 * also shows the process's own CPU time (user + system): on a loaded machine the wall time is
 * mostly waiting for a core, the CPU time is what the command costs.
 * `--profile DIR` also writes a V8 CPU profile of one `status` run into DIR.
 * Usage: npm run -s build && node --import tsx bench/status/run.ts [--runs N] [--clusters N]
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fillClusterStore } from './fill';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
}

const RUNS = arg('--runs', 15);
const CLUSTERS = arg('--clusters', 1000);
const TARGET_MS = 150;
const CLI = path.join(__dirname, '..', '..', 'dist', 'cli.js');

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

const CPU_PRELOAD = path.join(__dirname, 'cpuAtExit.cjs');

/**
 * Wall time of one process from spawn to exit, and its own CPU time (user + system, from the
 * preload), both ms; fails loudly on a non-zero exit.
 */
function timeRun(argv: string[], env: NodeJS.ProcessEnv): { ms: number; cpuMs: number; stdout: string } {
  const cpuFile = path.join(String(env.SKYDECK_HOME), 'cpu.txt');
  fs.rmSync(cpuFile, { force: true });
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, ['--require', CPU_PRELOAD, ...argv], {
    env: { ...env, SKYDECK_BENCH_CPU_FILE: cpuFile },
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${argv.join(' ')} exited ${r.status}: ${r.stderr}`);
  return { ms, cpuMs: Number(fs.readFileSync(cpuFile, 'utf8').trim()), stdout: r.stdout };
}

function main(): void {
  if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run -s build\` first.`);
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'skydeck-bench-status-'));
  try {
    fillClusterStore(home, CLUSTERS);
    const env = { ...process.env, SKYDECK_HOME: home, SKYDECK_SSH_CONFIG: path.join(home, 'ssh_config') };
    const rows: Array<{ label: string; argv: string[]; check?: (out: string) => void }> = [
      { label: "node -e ''", argv: ['-e', ''] },
      { label: 'skydeck --version', argv: [CLI, '--version'] },
      {
        label: `skydeck status (${CLUSTERS} clusters)`,
        argv: [CLI, 'status'],
        check: (out) => {
          if (!out.includes(`bench-${CLUSTERS - 1} `)) throw new Error('status did not list every cluster');
        },
      },
      {
        label: `skydeck status --json (${CLUSTERS} clusters)`,
        argv: [CLI, 'status', '--json'],
        check: (out) => {
          const n = (JSON.parse(out) as unknown[]).length;
          if (n !== CLUSTERS) throw new Error(`status --json listed ${n} clusters, not ${CLUSTERS}`);
        },
      },
    ];
    // One untimed round warms the page cache for every row alike, and checks the output.
    for (const r of rows) r.check?.(timeRun(r.argv, env).stdout);
    const times = rows.map(() => [] as number[]);
    const cpu = rows.map(() => [] as number[]);
    for (let i = 0; i < RUNS; i++)
      rows.forEach((r, k) => {
        const t = timeRun(r.argv, env);
        times[k].push(t.ms);
        cpu[k].push(t.cpuMs);
      });
    const base = median(times[0]);
    const cpuBase = median(cpu[0]);
    console.log(`${RUNS} runs each, interleaved; ${os.cpus().length} cores, load average ${os.loadavg()[0].toFixed(1)}`);
    console.log(
      `${'command'.padEnd(40)} ${'wall med'.padStart(9)} ${'p90'.padStart(9)} ${'vs node'.padStart(8)} ${'CPU med'.padStart(9)} ${'vs node'.padStart(8)}`,
    );
    rows.forEach((r, k) => {
      const m = median(times[k]);
      const c = median(cpu[k]);
      console.log(
        `${r.label.padEnd(40)} ${`${m.toFixed(1)} ms`.padStart(9)} ${`${quantile(times[k], 0.9).toFixed(1)} ms`.padStart(9)} ${`${(m / base).toFixed(2)}x`.padStart(8)} ${`${c.toFixed(1)} ms`.padStart(9)} ${`${(c / cpuBase).toFixed(2)}x`.padStart(8)}`,
      );
    });
    const worst = Math.max(median(times[2]), median(times[3]));
    console.log(`target: status < ${TARGET_MS} ms with ${CLUSTERS} clusters: ${worst < TARGET_MS ? 'met' : 'NOT met'} (wall ${worst.toFixed(1)} ms median)`);
    const profIdx = process.argv.indexOf('--profile');
    if (profIdx > 0) {
      const dir = path.resolve(process.argv[profIdx + 1]);
      fs.mkdirSync(dir, { recursive: true });
      timeRun(['--cpu-prof', '--cpu-prof-dir', dir, CLI, 'status'], env);
      console.log(`CPU profile of one status run written to ${dir}`);
    }
  } finally {
    fs.rmSync(home, { recursive: true, force: true });
  }
}

main();
