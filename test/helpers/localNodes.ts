/**
 * Local "nodes" for agent tests: temp HOME dirs driven through LocalTransport, and a cleanup
 * that stops the agent daemon and kills every process still running from those dirs.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LocalTransport } from '../../engine/node/local';
import { until } from './until';
import { AgentClient, localLauncher, type JobNode } from '../../engine/node/agentClient';

export interface LocalNode {
  dir: string;
  ip: string;
  transport: LocalTransport;
  /** This node as a job node (launcher run from the head). */
  jobNode: JobNode;
}

export interface LocalCluster {
  root: string;
  nodes: LocalNode[];
  /** AgentClient on the head (nodes[0]). */
  agent: AgentClient;
  cleanup(): Promise<void>;
}

/** Fast daemon timing for tests (a "minute" of autostop is `minuteMs`). */
export function fastAgentEnv(tickMs = 100, minuteMs = 60_000): Record<string, string> {
  return { SKYDECK_AGENT_TICK_MS: String(tickMs), SKYDECK_AGENT_MINUTE_MS: String(minuteMs), SKYDECK_AGENT_KILL_GRACE_MS: '1000' };
}

export function makeLocalCluster(numNodes = 1, agentEnv: Record<string, string> = fastAgentEnv()): LocalCluster {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'skydeck-agent-'));
  const nodes: LocalNode[] = [];
  for (let i = 0; i < numNodes; i++) {
    const dir = path.join(root, `node${i}`);
    fs.mkdirSync(dir);
    const ip = `127.0.0.${i + 2}`;
    const env = { SKYDECK_NODE_IP: ip, ...agentEnv };
    nodes.push({ dir, ip, transport: new LocalTransport({ nodeDir: dir, env }), jobNode: { ip, launcher: localLauncher(dir, env) } });
  }
  const agent = new AgentClient(nodes[0].transport, { agentEnv });
  return {
    root,
    nodes,
    agent,
    cleanup: async () => {
      await agent.stopDaemon().catch(() => undefined);
      killProcessesUnder(root);
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}

/** SIGKILLs every process whose command line or cwd mentions `dir` (agent daemons, drivers, jobs). */
export function killProcessesUnder(dir: string): number[] {
  const killed: number[] = [];
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e) || Number(e) === process.pid) continue;
    let hit: boolean;
    try {
      hit = fs.readFileSync(`/proc/${e}/cmdline`, 'utf8').includes(dir) || fs.readlinkSync(`/proc/${e}/cwd`).startsWith(dir);
    } catch {
      continue;
    }
    if (!hit) continue;
    try {
      process.kill(Number(e), 'SIGKILL');
      killed.push(Number(e));
    } catch {
      /* gone */
    }
  }
  return killed;
}

/** True while the process exists and is not a zombie. */
export function processAlive(pid: number): boolean {
  try {
    const st = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return st.slice(st.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** Re-checks `check` until it returns a value (processes and agents have no event to wait on); fails after `timeoutMs`. */
export function waitFor<T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs = 15_000, intervalMs = 50): Promise<T> {
  return until(what, check, { timeoutMs, everyMs: intervalMs }) as Promise<T>;
}
