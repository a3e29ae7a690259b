/**
 * bench/exec: prints, in one run,
 *  1. exec-to-running latency on an SSH cluster (engine API, as VS Code calls it), side by side
 *     with OpenSSH `ssh host true`: warm (SkyDeck's pooled connection vs an OpenSSH
 *     ControlMaster opened before timing; target within 2x) and cold (a new connection each
 *     time on both sides);
 *  2. launch-to-finished of a trivial task on `local` through the CLI bundle (target < 1.5 s),
 *     against the CLI's own start-up (`skydeck --version`) as the baseline;
 *  3. the container case (./container.ts): `docker:` launch and exec on `local` beside the same without an image.
 * "Running" = the job's first command has run on the node: it writes its clock (ns) to a file;
 * latency = that time - the time exec was called (same machine, same clock).
 * Usage: npm run build && node --import tsx bench/exec/index.ts [--runs N]
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startSshHosts, sshArgv, sshSkipReason } from '../../test/helpers/sshd';
import { writeNodePoolsYaml } from '../../test/helpers/nodePools';
import { containerBench } from './container';

const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 15;
const ROOT = path.join(__dirname, '..', '..');
const CLI = path.join(ROOT, 'dist', 'cli.js');

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function fmt(ms: number): string {
  return `${ms.toFixed(1)} ms`;
}

function nowNs(): bigint {
  return BigInt(Date.now()) * 1_000_000n + (process.hrtime.bigint() % 1_000_000n);
}

async function waitForFile(file: string, timeoutMs = 30_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const t = fs.readFileSync(file, 'utf8').trim();
      if (t) return t;
    } catch {
      /* not yet */
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${file}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

async function sshBench(): Promise<void> {
  const reason = sshSkipReason();
  if (reason) {
    console.log(`SSH exec bench skipped: ${reason}`);
    return;
  }
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'skydeck-bench-'));
  process.env.SKYDECK_HOME = home;
  process.env.SKYDECK_SSH_CONFIG = path.join(home, 'ssh_config');
  const hosts = await startSshHosts({ loopback: true });
  const { clusters } = await import('../../engine/cluster');
  const { closeAllSshConnections, configureSshPool } = await import('../../engine/node/ssh');
  // As in the extension (a long-lived host): connections outlive each verb, so the cluster stays warm.
  configureSshPool({ idleMs: 60_000 });
  try {
    const h = hosts.hosts[0];
    writeNodePoolsYaml(path.join(home, 'ssh_node_pools.yaml'), { bench: [h] });
    const task = (run: string) => ({
      numNodes: 1,
      run,
      envs: {},
      secrets: {},
      fileMounts: {},
      resources: { base: { infra: { cloud: 'ssh', region: 'bench' } }, candidates: [], mode: 'single' as const },
      raw: {},
    });
    await clusters.launch(task('true'), { clusterName: 'bench' });
    // Warm-up: one exec so the agent daemon and the pooled connection are up.
    await clusters.exec('bench', task('true'));
    // The fair OpenSSH baselines: warm = a ControlMaster opened once before timing (each
    // `ssh` then only opens a channel on it, like SkyDeck's pooled connection); cold = a new
    // `ssh` connection each time, against SkyDeck with its pool closed before each exec.
    const controlDir = fs.mkdtempSync(path.join(os.tmpdir(), 'skd-cm-'));
    const [sshBin, ...sshRest] = sshArgv(h, 'true');
    const masterArgv = ['-o', 'ControlMaster=auto', '-o', `ControlPath=${path.join(controlDir, '%C')}`, '-o', 'ControlPersist=120', ...sshRest];
    const runSsh = (argv: string[]): number => {
      const t0 = process.hrtime.bigint();
      const r = spawnSync(sshBin, argv, { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`${sshBin} ${argv.join(' ')} failed: ${r.stderr}`);
      return Number(process.hrtime.bigint() - t0) / 1e6;
    };
    runSsh(masterArgv); // opens the master (it stays up for ControlPersist) before any timing
    const check = spawnSync(sshBin, ['-o', `ControlPath=${path.join(controlDir, '%C')}`, '-O', 'check', ...sshRest.slice(0, -1)], { encoding: 'utf8' });
    if (check.status !== 0) throw new Error(`ControlMaster did not stay up: ${check.stderr}`);
    const timeExec = async (i: number, tag: string): Promise<number> => {
      const marker = path.join(h.homeDir, `started-${tag}-${i}`);
      const t0 = nowNs();
      await clusters.exec('bench', task(`date +%s%N > ~/started-${tag}-${i}`), { detachRun: true });
      const started = BigInt(await waitForFile(marker));
      return Number(started - t0) / 1e6;
    };
    const warmExec: number[] = [];
    const warmSsh: number[] = [];
    const coldExec: number[] = [];
    const coldSsh: number[] = [];
    try {
      // Interleaved, so load changes on the shared machine hit every column alike.
      for (let i = 0; i < RUNS; i++) {
        warmExec.push(await timeExec(i, 'warm'));
        warmSsh.push(runSsh(masterArgv));
        closeAllSshConnections(); // SkyDeck cold: the next exec opens a new connection
        coldExec.push(await timeExec(i, 'cold'));
        coldSsh.push(runSsh(sshRest));
      }
    } finally {
      spawnSync(sshBin, ['-o', `ControlPath=${path.join(controlDir, '%C')}`, '-O', 'exit', ...sshRest.slice(0, -1)], { encoding: 'utf8' });
      fs.rmSync(controlDir, { recursive: true, force: true });
    }
    const range = (xs: number[]): string => `${fmt(median(xs)).padStart(9)} [${fmt(Math.min(...xs))} .. ${fmt(Math.max(...xs))}]`;
    console.log(`SSH exec-to-running vs OpenSSH \`ssh host true\`, medians of ${RUNS} interleaved runs [min .. max]`);
    console.log(`          SkyDeck exec                       OpenSSH                            ratio`);
    console.log(
      `  warm    ${range(warmExec)}   ${range(warmSsh)}   ${(median(warmExec) / median(warmSsh)).toFixed(2)}x   (pooled connection vs ControlMaster, warm master)`,
    );
    console.log(`  cold    ${range(coldExec)}   ${range(coldSsh)}   ${(median(coldExec) / median(coldSsh)).toFixed(2)}x   (new connection each, both)`);
    console.log(`  target: warm ratio <= 2x`);
    await clusters.down('bench');
  } finally {
    closeAllSshConnections();
    await hosts.stop();
    fs.rmSync(home, { recursive: true, force: true });
  }
}

function localBench(): void {
  if (!fs.existsSync(CLI)) {
    console.log('local launch bench skipped: run `npm run build` first');
    return;
  }
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'skydeck-bench-local-'));
  const env = { ...process.env, SKYDECK_HOME: home, SKYDECK_SSH_CONFIG: path.join(home, 'ssh_config') };
  const time = (args: string[], script: string[] = [CLI]): number => {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(process.execPath, [...script, ...args], { env, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`skydeck ${args.join(' ')} failed: ${r.stderr}`);
    return Number(process.hrtime.bigint() - t0) / 1e6;
  };
  try {
    const runs = Math.max(3, Math.min(RUNS, 7));
    const base: number[] = [];
    const bare: number[] = [];
    const launch: number[] = [];
    const relaunch: number[] = [];
    for (let i = 0; i < runs; i++) {
      bare.push(time(['0'], ['-e']));
      base.push(time(['--version']));
      launch.push(time(['launch', 'echo hi', '-c', `b${i}`, '-y', '--infra', 'local']));
      relaunch.push(time(['launch', 'echo again', '-c', `b${i}`, '-y']));
      time(['down', `b${i}`, '-y']);
    }
    const l = median(launch);
    console.log(`local launch-to-finished, new cluster (CLI, median of ${runs}): ${fmt(l)}   [min ${fmt(Math.min(...launch))}] (target < 1500 ms)`);
    console.log(`local launch onto the existing cluster (CLI, median of ${runs}): ${fmt(median(relaunch))}`);
    console.log(`baseline \`skydeck --version\` (CLI start-up, median of ${runs}):  ${fmt(median(base))}   ratio ${(l / median(base)).toFixed(1)}x`);
    console.log(`baseline \`node -e 0\` (median of ${runs}):                      ${fmt(median(bare))}   launch minus node start-up: ${fmt(l - median(bare))}`);
  } finally {
    fs.rmSync(home, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  console.log(`bench/exec on ${os.cpus().length} cores, load average ${os.loadavg()[0].toFixed(1)}`);
  await sshBench();
  localBench();
  await containerBench(Math.max(3, Math.min(RUNS, 5)));
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
