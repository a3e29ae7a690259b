/**
 * AgentClient drives the on-node agent (engine/node/agent/agent.sh) over any Transport:
 * install, submit, queue, status, tail (follow across reconnects), cancel, autostop, health.
 * Every call is one exec round-trip on a warm connection; the agent is (re)installed
 * automatically when missing or of another version.
 */
import { StringDecoder } from 'node:string_decoder';
import { SkyDeckError } from '../errors';
import { JOB_STATUSES, TERMINAL_JOB_STATUSES, type ClusterJob, type ClusterJobStatus } from '../cluster/types';
import { agentScript } from './agent/script';
import { renderJobSpec, type JobSpec } from './agent/spec';
import { shellJoin } from './quote';
import { isTransportError, type ExecOptions, type ExecResult, type Transport } from './transport';
import { condaRequested, installConda } from './conda';

export { localLauncher, sshLauncher, HEAD_LAUNCHER, renderJobSpec } from './agent/spec';
export type { JobSpec, JobNode } from './agent/spec';
export { runSetup, SetupFailedError, type SetupNode, type SetupOptions, type SetupResult } from './setup';

/** Where `installKey` puts the head's key for reaching workers. */
export const AGENT_KEY_PATH = '~/.skydeck_node/keys/id';

/** Exit code of the agent wrapper when the installed agent is missing or of another version. */
const NEEDS_INSTALL = 91;

export interface AgentHealth {
  /** The agent answered (the node is reachable and the agent is installed). */
  ok: boolean;
  version: string;
  /** The scheduler daemon is running. */
  daemonAlive: boolean;
  /** Jobs that are PENDING, SETTING_UP or RUNNING. */
  activeJobs: number;
  /** The node's clock (epoch ms). */
  nodeTime: number;
}

export interface IdleState {
  /** Milliseconds since the last job activity (0 while jobs are pending/running). */
  idleMs: number;
  /** idleMs in (agent) minutes, as `autostop -i` counts them. */
  idleMinutes: number;
  activeJobs: number;
  /** null when autostop is off. */
  autostop: { idleMinutes: number; down: boolean } | null;
  /** When autostop fired (epoch ms) and the hook ran; cleared by new activity. */
  triggeredAt?: number;
  /** What resets the idle timer (SkyPilot's wait_for); jobs_and_ssh when the agent predates it. */
  waitFor: AutostopWaitFor;
}

/** SkyPilot's AutostopWaitFor: what keeps a cluster from being idle. */
export type AutostopWaitFor = 'jobs_and_ssh' | 'jobs' | 'none';

export interface AgentClientOptions {
  /** Env for agent commands (e.g. SKYDECK_AGENT_TICK_MS / SKYDECK_AGENT_MINUTE_MS in tests). */
  agentEnv?: Record<string, string>;
}

export interface TailOptions {
  follow: boolean;
  onData: (chunk: string) => void;
  signal?: AbortSignal;
  /** Byte offset in the job's merged log to start from (default 0). */
  offset?: number;
  /** How long to keep retrying a lost connection while following (default 120 s). */
  reconnectTimeoutMs?: number;
  /** Called when the connection was lost and a retry is scheduled. */
  onReconnect?: (error: Error) => void;
}

class AgentError extends SkyDeckError {
  constructor(message: string, options?: { hint?: string; cause?: unknown }) {
    super('AGENT_FAILED', message, options);
  }
}

/** A job asks for more per node than the node has (refused at submit rather than queued forever). */
export class JobDoesNotFitError extends SkyDeckError {
  constructor(message: string) {
    super('RESOURCES_MISMATCH', message, { hint: 'Ask for fewer GPUs/CPUs per node (e.g. `--gpus A100:1`), or launch a bigger cluster.' });
  }
}

/** `agent.sh submit` exits with this when the job can never fit on the node. */
const DOES_NOT_FIT = 4;

export class AgentClient {
  constructor(
    readonly transport: Transport,
    private readonly options: AgentClientOptions = {},
  ) {}

  /** Installs (or upgrades) the agent in ~/.skydeck_node/ when its version differs. Idempotent. */
  async install(): Promise<{ version: string; changed: boolean }> {
    const { source, version } = agentScript();
    const script = [
      'set -e',
      // A pool host its cluster's autodown released (engine/infra/ssh/claim.ts) is not that cluster's any more.
      'if [ -f "$HOME/.skydeck_autodown" ] && [ ! -e "$HOME/.skydeck_claim" ]; then echo "this host was released by its cluster\'s autodown ($(cat "$HOME/.skydeck_autodown"))" >&2; exit 3; fi',
      'd="$HOME/.skydeck_node"',
      'v=""; [ -f "$d/VERSION" ] && read -r v < "$d/VERSION" || true',
      `if [ "$v" = ${version} ] && [ -f "$d/agent.sh" ]; then cat >/dev/null; echo current; exit 0; fi`,
      'mkdir -p "$d/jobs" "$d/active" "$d/tmp" "$d/keys"',
      'cat > "$d/agent.sh.tmp.$$"',
      'chmod 755 "$d/agent.sh.tmp.$$"',
      'mv -f "$d/agent.sh.tmp.$$" "$d/agent.sh"',
      `echo ${version} > "$d/VERSION.tmp.$$" && mv -f "$d/VERSION.tmp.$$" "$d/VERSION"`,
      'echo installed',
    ].join('\n');
    const r = await this.transport.exec(['bash', '-c', script], { stdin: source });
    if (r.exitCode !== 0)
      throw new AgentError(`Installing the SkyDeck agent on ${this.transport.description} failed (exit ${r.exitCode}): ${r.stderr.trim()}`, {
        hint:
          r.exitCode === 3
            ? 'The cluster tore itself down (autodown); run `skydeck status -r` to update the cluster table.'
            : 'The node needs bash and coreutils, and a writable HOME.',
      });
    return { version, changed: r.stdout.trim() === 'installed' };
  }

  /** Puts the private key the head uses to reach workers (see sshLauncher) at AGENT_KEY_PATH. */
  async installKey(privateKey: string | Buffer): Promise<string> {
    await this.transport.putFile(AGENT_KEY_PATH, privateKey, 0o600);
    return AGENT_KEY_PATH;
  }

  /**
   * Scheduling capacity per node (default: nproc CPUs, 0 GPUs) and daemon timing. Applies to
   * the next scheduling pass (a running daemon re-reads it every tick).
   */
  async configure(settings: { cpusPerNode?: number; gpusPerNode?: number; tickMs?: number; minuteMs?: number }): Promise<void> {
    const args: string[] = [];
    if (settings.cpusPerNode !== undefined) args.push(`NODE_CPUS_MILLI=${Math.round(settings.cpusPerNode * 1000)}`);
    if (settings.gpusPerNode !== undefined) args.push(`NODE_GPUS=${Math.ceil(settings.gpusPerNode)}`);
    if (settings.tickMs !== undefined) args.push(`TICK_MS=${Math.round(settings.tickMs)}`);
    if (settings.minuteMs !== undefined) args.push(`MINUTE_MS=${Math.round(settings.minuteMs)}`);
    if (args.length) await this.run(['configure', ...args]);
  }

  /** Queues a job; resolves with its id once it is PENDING (or already RUNNING). */
  async submit(spec: JobSpec): Promise<number> {
    const text = renderJobSpec(spec);
    const r = await this.run(['submit', String(Buffer.byteLength(text))], { stdin: text }, [DOES_NOT_FIT]);
    if (r.exitCode === DOES_NOT_FIT) throw new JobDoesNotFitError(`${r.stderr.trim().replace(/^skydeck-agent: /, '')} (${this.transport.description})`);
    const id = Number(r.stdout.trim().split('\n').pop());
    if (!Number.isInteger(id) || id <= 0)
      throw new AgentError(`Unexpected answer from the agent on ${this.transport.description} to submit: ${r.stdout.trim()}`);
    return id;
  }

  async queue(options: { skipFinished?: boolean } = {}): Promise<ClusterJob[]> {
    const r = await this.run(options.skipFinished ? ['queue', 'active'] : ['queue']);
    return parseJobs(r.stdout);
  }

  async status(jobId: number): Promise<ClusterJob | undefined> {
    const r = await this.run(['status', String(jobId)]);
    return parseJobs(r.stdout)[0];
  }

  /**
   * Writes the job's merged log to onData from `offset`; with `follow`, until the job ends,
   * resuming from the last byte received when the connection drops. Resolves with the
   * final (or, without follow, current) status; undefined when the job does not exist.
   */
  async tail(jobId: number, options: TailOptions): Promise<ClusterJobStatus | undefined> {
    let offset = options.offset ?? 0;
    const decoder = new StringDecoder('utf8');
    let lostSince: number | undefined;
    let delay = 200;
    for (;;) {
      let r: ExecResult;
      try {
        r = await this.run(['tail', String(jobId), String(offset), options.follow ? '1' : '0'], {
          signal: options.signal,
          onStdout: (chunk) => {
            offset += chunk.length;
            const text = decoder.write(chunk);
            if (text) options.onData(text);
          },
        });
      } catch (err) {
        if (!options.follow || !isTransportError(err) || options.signal?.aborted) throw err;
        lostSince ??= Date.now();
        if (Date.now() - lostSince > (options.reconnectTimeoutMs ?? 120_000)) throw err;
        options.onReconnect?.(err);
        await abortableDelay(delay, options.signal);
        delay = Math.min(delay * 2, 5000);
        continue;
      }
      lostSince = undefined;
      delay = 200;
      const m = /status=(\S*) exit=(\S*)/.exec(r.stderr);
      const status = m?.[1];
      if (r.exitCode === 3 || status === 'NOT_FOUND') return undefined;
      if (r.exitCode !== 0 || !status)
        throw new AgentError(`Reading the log of job ${jobId} on ${this.transport.description} failed (exit ${r.exitCode}): ${r.stderr.trim()}`);
      const st = asStatus(status);
      if (!options.follow || TERMINAL_JOB_STATUSES.includes(st)) {
        // A caller reading on from its own byte count (`offset`) gets a running job's last
        // incomplete character with its next read, whole; anyone else gets it now.
        const rest = options.offset !== undefined && !TERMINAL_JOB_STATUSES.includes(st) ? '' : decoder.end();
        if (rest) options.onData(rest);
        return st;
      }
    }
  }

  /** Cancels jobs ('all' = every unfinished job); resolves with the ids that were cancelled. */
  async cancel(jobIds: number[] | 'all'): Promise<number[]> {
    if (jobIds !== 'all' && jobIds.length === 0) return [];
    const r = await this.run(['cancel', ...(jobIds === 'all' ? ['all'] : jobIds.map(String))]);
    return r.stdout
      .split('\n')
      .filter((l) => /^\d+$/.test(l.trim()))
      .map(Number);
  }

  /**
   * Autostop: after `minutes` idle (by `waitFor`'s rules, see agent.sh) the head records it
   * (idleState().triggeredAt) and runs `hook` (argv or a bash script: the action that stops
   * or tears down the cluster from the node) with SKYDECK_AUTOSTOP_DOWN=0|1. minutes < 0
   * disables autostop. The idle timer restarts now.
   */
  async setAutostop(minutes: number, down: boolean, hook?: string[] | string, waitFor: AutostopWaitFor = 'jobs_and_ssh'): Promise<void> {
    const hookText = hook === undefined ? '' : typeof hook === 'string' ? hook : shellJoin(hook);
    await this.run(['autostop', String(Math.trunc(minutes)), down ? '1' : '0', waitFor], { stdin: hookText });
  }

  async idleState(): Promise<IdleState> {
    const r = await this.run(['idle']);
    const [idle, active, minutes, down, fired, waitFor] = r.stdout.trim().split('\t');
    const idleMs = Number(idle) || 0;
    const m = Number(minutes);
    const minuteMs = Number(this.options.agentEnv?.SKYDECK_AGENT_MINUTE_MS) || 60_000;
    return {
      idleMs,
      idleMinutes: idleMs / minuteMs,
      activeJobs: Number(active) || 0,
      autostop: Number.isFinite(m) && m >= 0 ? { idleMinutes: m, down: down === '1' } : null,
      triggeredAt: fired && fired !== '-' ? Number(fired) : undefined,
      waitFor: waitFor === 'jobs' || waitFor === 'none' ? waitFor : 'jobs_and_ssh',
    };
  }

  /** Health: reachable, agent installed, daemon alive. Throws TransportError when the node is unreachable. */
  async ping(): Promise<AgentHealth> {
    const r = await this.run(['ping']);
    const [ok, version, daemon, active, time] = r.stdout.trim().split('\t');
    return { ok: ok === 'ok', version, daemonAlive: daemon === 'alive', activeJobs: Number(active) || 0, nodeTime: Number(time) || 0 };
  }

  /** Starts the scheduler daemon if it is not running (submit and setAutostop do this too). */
  async ensureDaemon(): Promise<void> {
    await this.run(['ensure-daemon']);
  }

  /** Stops the daemon (jobs keep running; state stays in files). */
  async stopDaemon(): Promise<void> {
    await this.run(['stop-daemon']);
  }

  /** Runs `agent.sh ARGS` on the node, installing the agent first when needed. */
  private async run(args: string[], options: ExecOptions = {}, expectedExitCodes: number[] = []): Promise<ExecResult> {
    const { version } = agentScript();
    // Relative to HOME (the exec's cwd on both transports): no extra shell in between.
    const argv = ['bash', '.skydeck_node/agent.sh', '--expect', version, ...args];
    const opts: ExecOptions = { ...options, env: { ...(this.options.agentEnv ?? {}), ...(options.env ?? {}) } };
    let r = await this.transport.exec(argv, opts);
    if (r.exitCode === NEEDS_INSTALL || (r.exitCode === 127 && /agent\.sh/.test(r.stderr))) {
      await this.install();
      r = await this.transport.exec(argv, opts);
    }
    if (r.exitCode !== 0 && args[0] !== 'tail' && !expectedExitCodes.includes(r.exitCode)) {
      throw new AgentError(
        `The SkyDeck agent on ${this.transport.description} failed running '${args[0]}' (exit ${r.exitCode}): ${r.stderr.trim() || r.stdout.trim()}`,
      );
    }
    return r;
  }
}

function asStatus(s: string): ClusterJobStatus {
  if ((JOB_STATUSES as readonly string[]).includes(s)) return s as ClusterJobStatus;
  throw new AgentError(`The agent reported an unknown job status '${s}'.`);
}

function num(s: string | undefined): number | undefined {
  if (s === undefined || s === '-' || s === '') return undefined;
  const n = Number(s);
  return Number.isFinite(n) ? n : undefined;
}

/** Parses `agent.sh queue|status` lines: id status submitted started ended exit user name resources logdir. */
export function parseJobs(stdout: string): ClusterJob[] {
  const jobs: ClusterJob[] = [];
  for (const line of stdout.split('\n')) {
    const f = line.split('\t');
    if (f.length < 10 || !/^\d+$/.test(f[0])) continue;
    const name = f[7] === '-' ? undefined : f[7];
    jobs.push({
      id: Number(f[0]),
      status: asStatus(f[1]),
      submittedAt: num(f[2]) ?? 0,
      startedAt: num(f[3]),
      endedAt: num(f[4]),
      exitCode: num(f[5]),
      user: f[6] === '-' ? '' : f[6],
      name,
      resources: f[8] === '-' ? '' : f[8],
      logDir: f[9],
    });
  }
  return jobs;
}

function abortableDelay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Installs the agent on every node in parallel (conda first when `provision.install_conda` asks, as SkyPilot's runtime set-up does). */
export async function installAgent(transports: Transport[], options: { installConda?: boolean } = {}): Promise<void> {
  if (options.installConda ?? condaRequested()) await installConda(transports);
  await Promise.all(transports.map((t) => new AgentClient(t).install()));
}
