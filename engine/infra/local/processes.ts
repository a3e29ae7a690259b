/**
 * Finding and killing the processes of a `local` node. A process belongs to a node when:
 *  - its environment carries SKYDECK_LOCAL_NODE=<node dir> (set by the transport and the
 *    rank launcher, inherited by everything they start, detached or not); or
 *  - its working directory is inside the node dir (a job that cleared its environment with
 *    `env -i` still runs in its workdir there); or
 *  - it is in a process group or session that a node process leads, or that a node process
 *    belongs to and whose leader is gone (every transport command starts its own session, so
 *    these are the node's: a job that cleared its environment and left its directory is still
 *    in its rank's session unless it called setsid itself).
 * This process is never matched, nor its ancestors by directory or group.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export const NODE_ENV_MARKER = 'SKYDECK_LOCAL_NODE';

interface ProcInfo {
  pid: number;
  ppid: number;
  pgid: number;
  sid: number;
  env?: string;
  cwd?: string;
}

function readProc(pid: number): ProcInfo | undefined {
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  if (f[0] === 'Z') return undefined; // a zombie is already dead; its parent reaps it
  const info: ProcInfo = { pid, ppid: Number(f[1]), pgid: Number(f[2]), sid: Number(f[3]) };
  try {
    info.env = fs.readFileSync(`/proc/${pid}/environ`, 'latin1');
  } catch {
    /* not ours to read, or gone */
  }
  try {
    info.cwd = fs.readlinkSync(`/proc/${pid}/cwd`);
  } catch {
    /* gone */
  }
  return info;
}

function allProcs(): Map<number, ProcInfo> {
  const out = new Map<number, ProcInfo>();
  let entries: string[];
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return out;
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    const p = readProc(Number(e));
    if (p) out.set(p.pid, p);
  }
  return out;
}

/** This process's ancestors: not a node's by directory or group (a `skydeck down` run from a node dir). */
function ancestors(procs: Map<number, ProcInfo>): Set<number> {
  const out = new Set<number>();
  for (let pid = procs.get(process.pid)?.ppid; pid && pid > 1 && !out.has(pid); pid = procs.get(pid)?.ppid) out.add(pid);
  return out;
}

/**
 * Pids of processes running on one of `nodeDirs` (never this process). A marked ancestor is
 * still the node's: the local autostop hook runs `status -r` as a child of the node's agent,
 * and stopping the node must stop that agent.
 */
export function nodeProcesses(nodeDirs: string[]): number[] {
  if (nodeDirs.length === 0) return [];
  const markers = new Set(nodeDirs.map((d) => `${NODE_ENV_MARKER}=${d}`));
  const dirs = nodeDirs.map((d) => path.resolve(d));
  const procs = allProcs();
  const up = ancestors(procs);
  const mine = new Set<number>();
  for (const p of procs.values()) {
    if (p.pid === process.pid) continue;
    const marked = !!p.env && p.env.split('\0').some((kv) => markers.has(kv));
    const inside = !up.has(p.pid) && !!p.cwd && dirs.some((d) => p.cwd === d || p.cwd!.startsWith(`${d}/`));
    if (marked || inside) mine.add(p.pid);
  }
  // Groups and sessions of node processes: theirs when a node process leads them or their leader is gone.
  const foreignIds = new Set([process.pid, ...up].flatMap((pid) => [procs.get(pid)?.pgid, procs.get(pid)?.sid]).filter((x): x is number => x !== undefined));
  const ownedIds = new Set<number>();
  for (const pid of mine) {
    const p = procs.get(pid)!;
    for (const id of [p.pgid, p.sid]) {
      if (id <= 1 || foreignIds.has(id)) continue;
      if (mine.has(id) || !procs.has(id)) ownedIds.add(id);
    }
  }
  for (const p of procs.values()) {
    if (p.pid !== process.pid && !up.has(p.pid) && (ownedIds.has(p.pgid) || ownedIds.has(p.sid))) mine.add(p.pid);
  }
  return [...mine];
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
