/**
 * Stand-in NodeAgent over a Transport (until engine/node's AgentClient lands): drives
 * ./agent.sh installed on the head node. Only what the first `local` path needs.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Transport } from '../../node/transport';
import { packageRoot } from '../../util/paths';
import { shellJoin } from '../../node/quote';
import type { AgentJobSpec, AutostopSetting, IdleState, NodeAgent } from '../agent';
import type { ClusterJob, ClusterJobStatus } from '../types';
import { TERMINAL_JOB_STATUSES } from '../types';

function agentScript(): string {
  const candidates = [path.join(__dirname, 'agent.sh'), path.join(packageRoot(), 'engine', 'cluster', 'standin', 'agent.sh')];
  for (const c of candidates) if (fs.existsSync(c)) return fs.readFileSync(c, 'utf8');
  throw new Error('stand-in agent.sh not found');
}

export class StandinAgent implements NodeAgent {
  private autostop?: AutostopSetting;
  constructor(private readonly transport: Transport, private readonly root: string) {}

  private async run(args: string[], stdin?: string): Promise<string> {
    const r = await this.transport.exec(['bash', `${this.root}/agent.sh`, this.root, ...args], { stdin });
    if (r.exitCode !== 0) throw new Error(`agent ${args[0]} failed on ${this.transport.description}: ${r.stderr.trim()}`);
    return r.stdout;
  }

  async install(): Promise<void> {
    await this.transport.putFile(`${this.root}/agent.sh`, agentScript(), 0o755);
  }

  async ping(): Promise<boolean> {
    try {
      return (await this.run(['ping'])).trim() === 'pong';
    } catch {
      return false;
    }
  }

  async submit(spec: AgentJobSpec): Promise<number> {
    const lines = spec.ranks.map((r) => Buffer.from(shellJoin(r.argv)).toString('base64')).join('\n') + '\n';
    return Number((await this.run(['submit', spec.name ?? '', spec.user, spec.resources], lines)).trim());
  }

  async queue(): Promise<ClusterJob[]> {
    const out = await this.run(['queue']);
    return out
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const [id, status, name, user, sub, start, end, exit, resources] = line.split('\t');
        return {
          id: Number(id),
          status: status as ClusterJobStatus,
          name: name || undefined,
          user,
          submittedAt: Number(sub),
          startedAt: start ? Number(start) : undefined,
          endedAt: end ? Number(end) : undefined,
          exitCode: exit ? Number(exit) : undefined,
          resources,
          logDir: `${this.root}/jobs/${id}`,
        };
      });
  }

  async cancel(ids: number[] | 'all'): Promise<number[]> {
    const list = ids === 'all' ? (await this.queue()).map((j) => j.id) : ids;
    const out = await this.run(['cancel', ...list.map(String)]);
    return out.split('\n').filter(Boolean).map(Number);
  }

  async tail(id: number | undefined, options: { follow: boolean; onData: (chunk: string) => void; signal?: AbortSignal }): Promise<ClusterJobStatus | undefined> {
    const jobs = await this.queue();
    const job = id === undefined ? jobs[jobs.length - 1] : jobs.find((j) => j.id === id);
    if (!job) return undefined;
    let offset = 0;
    for (;;) {
      const r = await this.transport.exec(['tail', '-c', `+${offset + 1}`, `${job.logDir}/run.log`]);
      if (r.stdout) {
        options.onData(r.stdout);
        offset += Buffer.byteLength(r.stdout);
      }
      const now = (await this.queue()).find((j) => j.id === job.id)!;
      if (!options.follow || TERMINAL_JOB_STATUSES.includes(now.status)) {
        const rest = await this.transport.exec(['tail', '-c', `+${offset + 1}`, `${job.logDir}/run.log`]);
        if (rest.stdout) options.onData(rest.stdout);
        return now.status;
      }
      if (options.signal?.aborted) return now.status;
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async setAutostop(setting: AutostopSetting | undefined): Promise<void> {
    this.autostop = setting;
  }

  async idleState(): Promise<IdleState> {
    return { idleSeconds: Number((await this.run(['idle'])).trim()), autostop: this.autostop };
  }
}
