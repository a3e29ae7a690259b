/**
 * Long-lived controllers (managed jobs, services) run as detached processes that outlive
 * VS Code and the CLI. A controller is identified by pid + process start time, so a
 * recycled pid is never mistaken for a live controller.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { skydeckCliArgv } from './paths';

export interface ProcessIdentity {
  pid: number;
  /** Start time in clock ticks since boot (/proc/<pid>/stat field 22); undefined off Linux. */
  startTicks?: number;
}

function readStartTicks(pid: number): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 2 (comm) may contain spaces; fields after the closing paren are space separated.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(rest[19]);
  } catch {
    return undefined;
  }
}

export function identify(pid: number): ProcessIdentity {
  return { pid, startTicks: readStartTicks(pid) };
}

/** True when the very process recorded in `id` is still running (not a zombie, not a reused pid). */
export function isAlive(id: ProcessIdentity | undefined): boolean {
  if (!id) return false;
  try {
    process.kill(id.pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    const stat = fs.readFileSync(`/proc/${id.pid}/stat`, 'utf8');
    if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) return false;
  } catch {
    /* not Linux: kill(0) is all we have */
  }
  return id.startTicks === undefined || readStartTicks(id.pid) === id.startTicks;
}

/**
 * Spawns `skydeck <args>` detached (own session, stdio to `logFile`) with the same Node,
 * and returns its identity. The child keeps running after this process exits.
 */
export function spawnDetachedCli(args: string[], logFile: string, env: NodeJS.ProcessEnv = process.env): ProcessIdentity {
  fs.mkdirSync(path.dirname(logFile), { recursive: true });
  const out = fs.openSync(logFile, 'a');
  const [node, script] = skydeckCliArgv();
  const child = spawn(node, [script, ...args], { detached: true, stdio: ['ignore', out, out], env });
  fs.closeSync(out);
  child.unref();
  if (child.pid === undefined) throw new Error(`Could not start controller: skydeck ${args.join(' ')}`);
  return identify(child.pid);
}
