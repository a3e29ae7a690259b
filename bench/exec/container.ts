/**
 * bench/exec container case (`image_id: docker:` on `local`), in-process through the engine
 * as the extension calls it, every row beside its baseline from the same run, runs interleaved:
 *  - launch -> first output of a new cluster: no image (baseline) | image present
 *    (target within 1.5x) | image pulled from a registry on 127.0.0.1 (login + pull);
 *  - exec -> first output on an UP cluster: on the host node (baseline) | inside the
 *    container (target within 1.2x) | inside the container with the call server off
 *    (SKYDECK_CONTAINER_CALL_SERVER=0: every agent call enters the container, as before it).
 * The launches are split by their own progress events (bring-up, submit, submit -> first
 * output), and one command through each cluster's transport shows what entering costs a call.
 * Needs root and docker.io (the tests' daemon helper starts `dockerd --bridge=none
 * --iptables=false` when none answers) and docker-registry for the pull row.
 * Usage: node --import tsx bench/exec/container.ts [--runs N]
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { clusters, getCluster } from '../../engine/cluster';
import { openAccess } from '../../engine/cluster/access';
import type { Transport } from '../../engine/node/transport';
import type { Task } from '../../engine/task/types';
import { buildTestImage, docker, dockerMissing, ensureDockerDaemon } from '../../test/helpers/docker';
import { registryMissing, startRegistry, type Registry } from '../../test/helpers/registry';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

const fmt = (ms: number) => `${ms.toFixed(0).padStart(6)} ms`;

function task(run: string, image?: string, login?: Registry): Task {
  const t: Task = {
    numNodes: 1,
    run,
    envs: {},
    secrets: {},
    fileMounts: {},
    resources: { base: { infra: { cloud: 'local' } }, candidates: [], mode: 'single' },
    raw: {},
  };
  if (image) t.resources.base.imageId = `docker:${image}`;
  if (login) {
    t.envs.SKYPILOT_DOCKER_USERNAME = login.username;
    t.envs.SKYPILOT_DOCKER_SERVER = login.address;
    t.secrets.SKYPILOT_DOCKER_PASSWORD = login.password;
  }
  return t;
}

/** Runs `fn` with the in-container call server off (bring-up starts none, calls enter the container). */
async function serverOff<T>(fn: () => Promise<T>): Promise<T> {
  process.env.SKYDECK_CONTAINER_CALL_SERVER = '0';
  try {
    return await fn();
  } finally {
    delete process.env.SKYDECK_CONTAINER_CALL_SERVER;
  }
}

/** ms from the call to the first chunk of the job's output. */
async function firstOutput(start: (onOutput: (c: string) => void) => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  let first: number | undefined;
  await start(() => (first ??= performance.now()));
  if (first === undefined) throw new Error('the job printed nothing');
  return first - t0;
}

/** Where a launch's time went, split by its own progress events. */
interface LaunchPhases {
  /** To the last PROVISION event: the node and (with an image) its container up, the agent ready. */
  bringUp: number;
  /** From there to the first EXEC event (the job submitted). */
  submit: number;
  /** From there to the job's first output (the driver starting the job, the log tail). */
  output: number;
}

/** A launch to its first output, with its phases. */
async function timedLaunch(t: Task, clusterName: string, into: { total: number[]; phases: LaunchPhases[] }): Promise<void> {
  const t0 = performance.now();
  let provisioned = t0;
  let submitted: number | undefined;
  let first: number | undefined;
  await clusters.launch(t, {
    clusterName,
    onOutput: () => (first ??= performance.now()),
    onProgress: (e) => {
      if (e.stage === 'PROVISION') provisioned = performance.now();
      if (e.stage === 'EXEC') submitted ??= performance.now();
    },
  });
  if (first === undefined || submitted === undefined) throw new Error('the job printed nothing');
  into.total.push(first - t0);
  into.phases.push({ bringUp: provisioned - t0, submit: submitted - provisioned, output: first - submitted });
}

/** ms of one command through a transport (a process on the node, or the same entered into the container). */
async function timedCall(transport: Transport): Promise<number> {
  const t0 = performance.now();
  const r = await transport.exec(['bash', '-c', ':']);
  if (r.exitCode !== 0) throw new Error(`${transport.description}: exit ${r.exitCode}: ${r.stderr}`);
  return performance.now() - t0;
}

/**
 * ms of `docker run -d` alone (create + start, what every container launch pays before
 * anything can run inside), the floor of the image-present row's extra time.
 */
function timeDockerRun(image: string, name: string): number {
  const t0 = performance.now();
  docker(['run', '-d', '--name', name, '--init', '--network', 'host', '--entrypoint', 'sleep', image, 'infinity']);
  const ms = performance.now() - t0;
  spawnSync('docker', ['rm', '-f', name], { stdio: 'ignore' });
  return ms;
}

function row(label: string, xs: number[], base?: number[]): string {
  const m = median(xs);
  const ratio = base ? `   ratio ${(m / median(base)).toFixed(2)}x` : '';
  return `  ${label.padEnd(44)} median ${fmt(m)}  [min ${fmt(Math.min(...xs))}]${ratio}`;
}

export async function containerBench(runs: number): Promise<void> {
  const missing = dockerMissing();
  if (missing) {
    console.log(`container bench skipped: ${missing}`);
    return;
  }
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'skydeck-bench-container-'));
  process.env.SKYDECK_HOME = home;
  process.env.SKYDECK_SSH_CONFIG = path.join(home, 'ssh_config');
  await ensureDockerDaemon();
  const image = buildTestImage();
  let registry: Registry | undefined;
  let remote: string | undefined;
  if (!registryMissing()) {
    registry = await startRegistry();
    remote = `${registry.address}/bench/img:1`;
    const cfg = fs.mkdtempSync(path.join(os.tmpdir(), 'skydeck-bench-cfg-'));
    const env = { ...process.env, DOCKER_CONFIG: cfg };
    spawnSync('docker', ['login', '-u', registry.username, '--password-stdin', registry.address], { input: registry.password, env });
    docker(['tag', image, remote]);
    spawnSync('docker', ['push', remote], { env, stdio: 'ignore' });
    fs.rmSync(cfg, { recursive: true, force: true });
  }
  const launch = { pulled: [] as number[], dockerRun: [] as number[] };
  const host = { total: [] as number[], phases: [] as LaunchPhases[] };
  const present = { total: [] as number[], phases: [] as LaunchPhases[] };
  const presentOff = { total: [] as number[], phases: [] as LaunchPhases[] };
  const exec = { host: [] as number[], container: [] as number[], entered: [] as number[] };
  const call = { host: [] as number[], container: [] as number[], entered: [] as number[] };
  try {
    for (let i = 0; i < runs; i++) {
      await timedLaunch(task('echo first'), `bh${i}`, host);
      await timedLaunch(task('echo first', image), `bc${i}`, present);
      await serverOff(() => timedLaunch(task('echo first', image), `bo${i}`, presentOff));
      launch.dockerRun.push(timeDockerRun(image, `skydeck-bench-run-${process.pid}-${i}`));
      if (registry && remote) {
        spawnSync('docker', ['rmi', remote], { stdio: 'ignore' });
        launch.pulled.push(await firstOutput((onOutput) => clusters.launch(task('echo first', remote, registry), { clusterName: `bp${i}`, onOutput })));
        await clusters.down(`bp${i}`);
      }
    }
    // Execs are short and noisy on a shared machine: more of them than launches settle the medians.
    for (let i = 0; i < runs * 8; i++) {
      exec.host.push(await firstOutput((onOutput) => clusters.exec('bh0', task('echo first'), { onOutput })));
      exec.container.push(await firstOutput((onOutput) => clusters.exec('bc0', task('echo first'), { onOutput })));
      exec.entered.push(await serverOff(() => firstOutput((onOutput) => clusters.exec('bc0', task('echo first'), { onOutput }))));
    }
    // What each agent call pays for entering the container: the same command on the node and entered.
    const [onNode, inContainer] = await Promise.all([openAccess(await getCluster('bh0')), openAccess(await getCluster('bc0'))]);
    try {
      for (let i = 0; i < runs * 5; i++) {
        call.host.push(await timedCall(onNode.head));
        call.container.push(await timedCall(inContainer.head));
        call.entered.push(await serverOff(() => timedCall(inContainer.head)));
      }
    } finally {
      await Promise.all([onNode.close(), inContainer.close()]);
    }
  } finally {
    for (let i = 0; i < runs; i++) {
      await clusters.down(`bh${i}`).catch(() => undefined);
      await clusters.down(`bc${i}`).catch(() => undefined);
      await clusters.down(`bo${i}`).catch(() => undefined);
    }
    if (remote) spawnSync('docker', ['rmi', remote], { stdio: 'ignore' });
    await registry?.stop();
    fs.rmSync(home, { recursive: true, force: true });
  }
  console.log(`container case (local, docker:${image}), ${runs} launches / ${runs * 8} execs each, interleaved:`);
  console.log(row('launch -> first output, no image (baseline)', host.total));
  console.log(row('launch -> first output, image present', present.total, host.total) + '   (target within 1.5x)');
  console.log(row('launch -> first output, image, call server off', presentOff.total, host.total));
  console.log(row('  of which the floor: `docker run -d` alone', launch.dockerRun) + '   (create + start, before anything runs inside)');
  for (const k of ['bringUp', 'submit', 'output'] as const) {
    const label = { bringUp: 'bring-up', submit: 'submit', output: 'submit -> first output' }[k];
    for (const [which, phases] of [
      ['image present', present.phases],
      ['server off', presentOff.phases],
    ] as const) {
      console.log(
        row(
          `  ${label}, ${which}`,
          phases.map((p) => p[k]),
          host.phases.map((p) => p[k]),
        ) + `   (no image: ${fmt(median(host.phases.map((p) => p[k])))})`,
      );
    }
  }
  if (launch.pulled.length) console.log(row('launch -> first output, login + pull', launch.pulled, host.total));
  console.log(row('exec -> first output, on the host (baseline)', exec.host));
  console.log(row('exec -> first output, in the container', exec.container, exec.host) + '   (target within 1.2x)');
  console.log(row('exec -> first output, in it, call server off', exec.entered, exec.host));
  console.log(row('one call (`bash -c :`), on the node (baseline)', call.host));
  console.log(row('one call (`bash -c :`), through the call server', call.container, call.host) + '   (what each agent call adds)');
  console.log(row('one call (`bash -c :`), entered (server off)', call.entered, call.host));
}

if (require.main === module) {
  const runsArg = process.argv.indexOf('--runs');
  containerBench(runsArg > 0 ? Number(process.argv[runsArg + 1]) : 3).then(
    () => process.exit(0),
    (e) => {
      console.error(e);
      process.exit(1);
    },
  );
}
