/**
 * Finding and killing the processes of a `local` node. Every process started on a node
 * carries SKYDECK_LOCAL_NODE=<node dir> in its environment (set by the transport and
 * inherited by everything it starts, detached or not), so a scan of /proc finds them all,
 * including jobs that left their process group.
 */
import * as fs from 'node:fs';

export const NODE_ENV_MARKER = 'SKYDECK_LOCAL_NODE';

function environOf(pid: number): string | undefined {
  try {
    return fs.readFileSync(`/proc/${pid}/environ`, 'latin1');
  } catch {
    return undefined;
  }
}

/** Pids whose environment marks them as running on one of `nodeDirs`. */
export function nodeProcesses(nodeDirs: string[]): number[] {
  const wanted = new Set(nodeDirs.map((d) => `${NODE_ENV_MARKER}=${d}`));
  const pids: number[] = [];
  let entries: string[];
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return pids;
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    const pid = Number(e);
    if (pid === process.pid) continue;
    const env = environOf(pid);
    if (env && env.split('\0').some((kv) => wanted.has(kv))) pids.push(pid);
  }
  return pids;
}

function signalAll(pids: number[], signal: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      /* already gone */
    }
  }
}

/**
 * Kills every process of the nodes. `graceful`: SIGTERM, then SIGKILL whatever is left
 * after `graceMs`; otherwise SIGKILL at once (preemption). Repeats until none is left,
 * since a dying shell may still fork.
 */
export async function killNodeProcesses(nodeDirs: string[], options: { graceful: boolean; graceMs?: number }): Promise<number> {
  let killed = 0;
  if (options.graceful) {
    const pids = nodeProcesses(nodeDirs);
    killed += pids.length;
    signalAll(pids, 'SIGTERM');
    const deadline = Date.now() + (options.graceMs ?? 2000);
    while (Date.now() < deadline && nodeProcesses(nodeDirs).length > 0) await new Promise((r) => setTimeout(r, 25));
  }
  for (let round = 0; round < 20; round++) {
    const pids = nodeProcesses(nodeDirs);
    if (pids.length === 0) break;
    if (!options.graceful) killed += pids.length;
    signalAll(pids, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 10));
  }
  return killed;
}
