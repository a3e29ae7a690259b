/**
 * Killing `skydeck launch` at seeded random points, then reconciling with `status -r` and
 * `down`, and counting what is left: the chaos routine shared by bench/chaos/launch.ts and
 * test/integration/cluster/killedLaunch.test.ts. Everything runs through the built CLI
 * (dist/cli.js) as a user would, in the caller's SKYDECK_HOME.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DescribeInstancesCommand, DescribeKeyPairsCommand, DescribeSecurityGroupsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { startMoto, type MotoServer } from '../../test/helpers/moto';
import { startSshHosts, type SshTestHosts } from '../../test/helpers/sshd';

export const ROOT = path.resolve(__dirname, '..', '..');
export const CLI = path.join(ROOT, 'dist', 'cli.js');

/** mulberry32: a small seeded generator, so a failing run can be replayed with its seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type KillSignal = 'SIGTERM' | 'SIGHUP' | 'SIGKILL';

/** Points of a launch to kill at: the first line matching each, then a random extra delay. */
const POINTS: RegExp[] = [
  /\[OPTIMIZE\]/,
  /\[PROVISION\] Launching on/,
  /local node 0|Checking .* in pool|Launching \d+ x/,
  /Local nodes have no SSH|SSH: `ssh|Waiting for SSH/,
  /Job submitted/,
];

export interface KillOutcome {
  signal: KillSignal;
  point: string;
  delayMs: number;
  /** False when the launch had already ended before the signal was sent. */
  killed: boolean;
  exitCode: number | null;
  stderr: string;
}

export function cli(args: string[], env: NodeJS.ProcessEnv = process.env): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env, timeout: 300_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Starts `launch`, waits for a seeded point of it, sends `signal`, waits for the exit. */
export async function killLaunchAt(args: string[], signal: KillSignal, random: () => number, env: NodeJS.ProcessEnv = process.env): Promise<KillOutcome> {
  const point = POINTS[Math.floor(random() * POINTS.length)];
  const delayMs = Math.floor(random() * 400);
  const child = spawn(process.execPath, [CLI, 'launch', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  let exited = false;
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => ((exited = true), resolve(code))));
  child.stdout.resume();
  await new Promise<void>((resolve) => {
    const onData = (b: Buffer) => {
      stderr += b.toString();
      if (point.test(stderr)) {
        child.stderr.off('data', onData);
        child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
        resolve();
      }
    };
    child.stderr.on('data', onData);
    void exit.then(() => resolve());
  });
  if (!exited && delayMs) await new Promise((r) => setTimeout(r, delayMs));
  const killed = !exited;
  if (killed) child.kill(signal);
  const exitCode = await exit;
  return { signal, point: point.source, delayMs, killed, exitCode, stderr };
}

/** `status -r`, then `down` for every cluster still recorded; returns what they printed. */
export function reconcileAndDown(env: NodeJS.ProcessEnv = process.env): string {
  let log = '';
  const status = cli(['status', '-r'], env);
  log += status.stdout + status.stderr;
  const left = JSON.parse(cli(['status', '--json'], env).stdout || '[]') as Array<{ name: string }>;
  for (const c of left) {
    const down = cli(['down', c.name, '-y'], env);
    log += `down ${c.name}: exit ${down.status}\n${down.stdout}${down.stderr}`;
  }
  return log;
}

function readJson(file: string): unknown {
  try {
    return (JSON.parse(fs.readFileSync(file, 'utf8')) as { data: unknown }).data;
  } catch {
    return undefined;
  }
}

/** Processes whose environment or working directory places them on a local node of `home`. */
export function localNodeProcesses(home: string): number[] {
  const prefix = path.join(home, 'local') + path.sep;
  const out: number[] = [];
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const env = fs.readFileSync(`/proc/${e}/environ`, 'latin1');
      const cwd = fs.readlinkSync(`/proc/${e}/cwd`);
      if (env.includes(`SKYDECK_LOCAL_NODE=${prefix}`) || cwd.startsWith(prefix)) out.push(Number(e));
    } catch {
      /* gone, or not readable */
    }
  }
  return out;
}

/** Everything SkyDeck may have left in `home` after every cluster was downed: each entry is a leak. */
export function leaksIn(home: string, extra: { hostDirs?: string[] } = {}): string[] {
  const leaks: string[] = [];
  const localRoot = path.join(home, 'local');
  if (fs.existsSync(localRoot)) for (const d of fs.readdirSync(localRoot)) leaks.push(`node dir ${path.join(localRoot, d)}`);
  for (const pid of localNodeProcesses(home)) leaks.push(`process ${pid}`);
  const ips = readJson(path.join(home, 'state', 'local-ips.json')) as { byCluster?: Record<string, string[]> } | undefined;
  for (const [c, list] of Object.entries(ips?.byCluster ?? {})) leaks.push(`loopback address(es) ${list.join(', ')} of ${c}`);
  const hosts = readJson(path.join(home, 'state', 'ssh-hosts.json')) as { inUse?: Record<string, { cluster: string }> } | undefined;
  for (const [k, u] of Object.entries(hosts?.inUse ?? {})) leaks.push(`reserved pool host ${k} (${u.cluster})`);
  const records = readJson(path.join(home, 'state', 'clusters.json')) as { clusters?: Record<string, unknown> } | undefined;
  for (const name of Object.keys(records?.clusters ?? {})) leaks.push(`cluster record ${name}`);
  for (const dir of extra.hostDirs ?? []) {
    for (const f of ['.skydeck_node', '.skydeck_claim']) if (fs.existsSync(path.join(dir, f))) leaks.push(`${f} on host ${dir}`);
  }
  return leaks;
}

/** Launches `name` fully (detached run), then starts `down` and sends `signal` after a seeded delay. */
export async function killDownAt(
  name: string,
  launchArgs: string[],
  signal: KillSignal,
  random: () => number,
  env: NodeJS.ProcessEnv = process.env,
): Promise<KillOutcome> {
  const up = cli(['launch', ...launchArgs, '-c', name, '-y', '-d'], env);
  if (up.status !== 0) throw new Error(`launch of ${name} failed before its down could be killed:\n${up.stderr}`);
  const delayMs = Math.floor(random() * 1500);
  const child = spawn(process.execPath, [CLI, 'down', name, '-y'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  let exited = false;
  child.stdout.resume();
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => ((exited = true), resolve(code))));
  await Promise.race([exit, new Promise((r) => setTimeout(r, delayMs))]);
  const killed = !exited;
  if (killed) child.kill(signal);
  const exitCode = await exit;
  return { signal, point: 'down', delayMs, killed, exitCode, stderr };
}

/** The emulated catalog the AWS round launches from (its regions are where leaks are looked for). */
const AWS_CATALOG = path.join(ROOT, 'test', 'integration', 'clouds', 'fixtures', 'catalog');

export interface AwsTarget {
  moto: MotoServer;
  /** Regions of the catalog: everything a launch could have created lives in one of them. */
  regions: string[];
  /** Instances (pending, running, stopping, stopped), security groups and key pairs SkyDeck made that still exist. */
  leaks(): Promise<string[]>;
  stop(): Promise<void>;
}

/**
 * AWS as moto emulates it, for launches of the built CLI: moto + a loopback sshd that every
 * instance's address is mapped to (SKYDECK_TEST_ADDRESS_MAP), so a launch goes through VM
 * creation, the wait for SSH and the job like on EC2. Sets process.env for the CLI children;
 * the client key of `home` is the one the sshd authorizes.
 */
export async function startAwsTarget(home: string): Promise<AwsTarget> {
  const moto = await startMoto();
  let hosts: SshTestHosts;
  try {
    hosts = await startSshHosts({ loopback: true });
  } catch (err) {
    await moto.stop();
    throw err;
  }
  const keys = path.join(home, 'keys');
  fs.mkdirSync(keys, { recursive: true, mode: 0o700 });
  fs.copyFileSync(hosts.keyPath, path.join(keys, 'sky-key'));
  fs.chmodSync(path.join(keys, 'sky-key'), 0o600);
  fs.writeFileSync(path.join(keys, 'sky-key.pub'), `${hosts.publicKey.trim()}\n`);
  const h = hosts.hosts[0];
  Object.assign(process.env, {
    // moto itself, not its fault proxy: the proxy runs in this process, whose event loop the
    // synchronous `status -r`/`down` calls (cli()) block.
    SKYDECK_AWS_ENDPOINT: moto.url,
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    AWS_SHARED_CREDENTIALS_FILE: path.join(home, 'no-aws-credentials'),
    AWS_CONFIG_FILE: path.join(home, 'no-aws-config'),
    SKYDECK_CATALOG_DIR: AWS_CATALOG,
    SKYDECK_CLOUD_POLL_MS: '50',
    SKYDECK_SSH_WAIT_SECONDS: '60',
    SKYDECK_TEST_ADDRESS_MAP: JSON.stringify({ '*': [`${h.user}@${h.host}:${h.port}`] }),
  });
  const regions = awsCatalogRegions();
  const clientFor = (region: string) => new EC2Client({ region, endpoint: moto.url, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
  return {
    moto,
    regions,
    async leaks() {
      const out: string[] = [];
      for (const region of regions) {
        const ec2 = clientFor(region);
        const r = await ec2.send(
          new DescribeInstancesCommand({
            Filters: [
              { Name: 'tag-key', Values: ['skydeck-cluster'] },
              { Name: 'instance-state-name', Values: ['pending', 'running', 'stopping', 'stopped'] },
            ],
          }),
        );
        for (const i of (r.Reservations ?? []).flatMap((x) => x.Instances ?? [])) {
          out.push(`aws ${region} instance ${i.InstanceId} (${i.State?.Name}, ${i.Tags?.find((t) => t.Key === 'skydeck-cluster')?.Value})`);
        }
        const groups = await ec2.send(new DescribeSecurityGroupsCommand({}));
        for (const g of groups.SecurityGroups ?? []) {
          if (g.GroupName?.startsWith('skydeck-') || g.Tags?.some((t) => t.Key === 'skydeck-cluster'))
            out.push(`aws ${region} security group ${g.GroupId} (${g.GroupName})`);
        }
        const keyPairs = await ec2.send(new DescribeKeyPairsCommand({}));
        for (const k of keyPairs.KeyPairs ?? []) if (k.KeyName?.startsWith('skydeck-')) out.push(`aws ${region} key pair ${k.KeyName}`);
      }
      return out;
    },
    async stop() {
      await Promise.allSettled([moto.stop(), hosts.stop()]);
    },
  };
}

function awsCatalogRegions(): string[] {
  const dir = path.join(AWS_CATALOG, 'aws');
  const regions = new Set<string>();
  for (const f of fs.readdirSync(dir).filter((n) => n.endsWith('.csv'))) {
    const [header, ...rows] = fs.readFileSync(path.join(dir, f), 'utf8').split('\n');
    const col = header.split(',').indexOf('Region');
    if (col < 0) continue;
    for (const row of rows) if (row.trim()) regions.add(row.split(',')[col]);
  }
  return [...regions].filter(Boolean).sort();
}
