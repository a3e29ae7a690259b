/**
 * Chaos for cluster lifecycles: `skydeck launch` (and `down`) killed with SIGTERM, SIGHUP or
 * SIGKILL at seeded random points, on `local` and, when a loopback sshd can be started
 * (root + openssh-server), on an SSH node pool and, when moto is installed too, on AWS as
 * moto emulates it; then `status -r` + `down`, and a count of what is left (node dirs, node
 * processes, loopback addresses, reserved pool hosts, node files on the host, instances,
 * security groups and key pairs in moto, records). Loopback only, in a temp SKYDECK_HOME.
 *
 * Run: npm run -s build && node --import tsx bench/chaos/launch.ts [--seed N] [--launches N]
 * Prints: launches killed (N), downs killed (N), resources leaked (must be 0); exits 1 on a leak.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { sshSkipReason, startSshHosts } from '../../test/helpers/sshd';
import { writeNodePoolsYaml } from '../../test/helpers/nodePools';
import { motoInstalled } from '../../test/helpers/moto';
import { CLI, killDownAt, killLaunchAt, leaksIn, reconcileAndDown, seededRandom, startAwsTarget, type KillOutcome, type KillSignal } from './killLaunch';

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

const SIGNALS: KillSignal[] = ['SIGTERM', 'SIGHUP', 'SIGKILL'];

interface Round {
  infra: string;
  launches: KillOutcome[];
  downs: KillOutcome[];
  /** Distinct leaks seen after any reconcile (a leak that stays is counted once). */
  leaks: Set<string>;
}

/** Where a round looks for leaks besides SKYDECK_HOME: node files on pool hosts, what the cloud still has. */
interface LeakSources {
  hostDirs?: string[];
  cloud?: () => Promise<string[]>;
}

async function round(infra: string, launches: number, random: () => number, sources: LeakSources = {}): Promise<Round> {
  const r: Round = { infra, launches: [], downs: [], leaks: new Set() };
  const reconcile = async () => {
    reconcileAndDown();
    for (const l of leaksIn(process.env.SKYDECK_HOME!, { hostDirs: sources.hostDirs })) r.leaks.add(l);
    for (const l of (await sources.cloud?.()) ?? []) r.leaks.add(l);
  };
  for (let i = 0; i < launches; i++) {
    const signal = SIGNALS[Math.floor(random() * SIGNALS.length)];
    const nodes = infra === 'local' ? String(1 + Math.floor(random() * 2)) : '1';
    if (random() < 0.25) {
      r.downs.push(await killDownAt(`d${i}`, ['true', '--infra', infra, '--num-nodes', nodes], signal, random));
    } else {
      r.launches.push(await killLaunchAt(['sleep 0.3', '-c', `k${i}`, '-y', '--infra', infra, '--num-nodes', nodes], signal, random));
    }
    // Reconcile after every kill on SSH and AWS (one sshd host behind them); on local at the end.
    if (infra !== 'local') await reconcile();
  }
  await reconcile();
  return r;
}

function report(r: Round): void {
  const killed = r.launches.filter((o) => o.killed).length;
  const downsKilled = r.downs.filter((o) => o.killed).length;
  const bySignal = SIGNALS.map((s) => `${s.slice(3)} ${[...r.launches, ...r.downs].filter((o) => o.killed && o.signal === s).length}`).join(', ');
  console.log(
    `${r.infra.padEnd(8)} launches killed: ${killed} of ${r.launches.length}; downs killed: ${downsKilled} of ${r.downs.length} (${bySignal}); resources leaked: ${r.leaks.size}`,
  );
  for (const l of r.leaks) console.log(`  leaked: ${l}`);
}

async function main(): Promise<void> {
  if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run -s build\` first.`);
  const seed = option('--seed', Date.now() % 100_000);
  const launches = option('--launches', 10);
  const random = seededRandom(seed);
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'skydeck-chaos-'));
  process.env.SKYDECK_HOME = home;
  process.env.SKYDECK_SSH_CONFIG = path.join(home, 'user-ssh', 'config');
  console.log(`chaos/launch: seed ${seed} (replay with --seed ${seed}), ${launches} kills per infra, SKYDECK_HOME ${home}`);
  const rounds: Round[] = [];
  try {
    rounds.push(await round('local', launches, random));
    report(rounds[0]);
    const why = sshSkipReason();
    if (why) console.log(`ssh      skipped: ${why}`);
    else {
      const hosts = await startSshHosts({ loopback: true });
      try {
        writeNodePoolsYaml(path.join(home, 'ssh_node_pools.yaml'), { chaos: [hosts.hosts[0]] });
        rounds.push(await round('ssh/chaos', Math.ceil(launches / 2), random, { hostDirs: [hosts.hosts[0].homeDir] }));
        report(rounds[rounds.length - 1]);
      } finally {
        await hosts.stop();
      }
    }
    const awsWhy = why ?? (motoInstalled() ? undefined : 'moto is not installed (.tools/moto, scripts/setup/30-moto.sh)');
    if (awsWhy) console.log(`aws      skipped: ${awsWhy}`);
    else {
      const aws = await startAwsTarget(home);
      try {
        rounds.push(await round('aws', Math.ceil(launches / 2), random, { cloud: () => aws.leaks() }));
        report(rounds[rounds.length - 1]);
      } finally {
        await aws.stop();
      }
    }
  } finally {
    fs.rmSync(home, { recursive: true, force: true });
  }
  const killed = rounds.reduce((n, r) => n + r.launches.filter((o) => o.killed).length, 0);
  const downs = rounds.reduce((n, r) => n + r.downs.filter((o) => o.killed).length, 0);
  const leaked = rounds.reduce((n, r) => n + r.leaks.size, 0);
  console.log(`\nlaunches killed: ${killed}\ndowns killed: ${downs}\nresources leaked: ${leaked} (must be 0)`);
  if (leaked) process.exitCode = 1;
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 2;
});
