/**
 * A client machine for the controller-cluster tests: a fresh SKYDECK_HOME, the built CLI,
 * and what the tests read on the controller node itself (its SKYDECK_HOME is a folder of
 * the test host, visible from here), so a wait on the node's store runs no SkyDeck process.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { SshHost } from '../../helpers/sshd';

export const CLI = path.resolve(__dirname, '../../../dist/cli.js');

export interface ClientEnv {
  home: string;
  env: NodeJS.ProcessEnv;
  cli(args: string[], extraEnv?: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }>;
  write(name: string, text: string): string;
}

export function clientEnv(extra: NodeJS.ProcessEnv = {}): ClientEnv {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'skydeck-ctl-it-'));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    SKYDECK_HOME: home,
    SKYDECK_SSH_CONFIG: path.join(home, 'user-ssh', 'config'),
    SKYDECK_JOBS_POLL_MS: '300',
    SKYDECK_JOBS_INSPECT_MS: '3000',
    SKYDECK_JOBS_BACKOFF_MS: '500',
    SKYDECK_AGENT_TICK_MS: '100',
    SKYDECK_SERVE_TICK_MS: '200',
    // A vanished host's probe waits out the connect timeout: keep it short.
    SKYDECK_JOBS_UNKNOWN_GRACE_MS: '5000',
    SKYDECK_SSH_CONNECT_TIMEOUT_MS: '2000',
    ...extra,
  };
  delete env.SKYDECK_CONTROLLER;
  delete env.SKYDECK_SERVE_LB_HOST;
  return {
    home,
    env,
    cli: (args, extraEnv = {}) =>
      new Promise((resolve) => {
        execFile(process.execPath, [CLI, ...args], { env: { ...env, ...extraEnv }, cwd: home, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
          const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
          resolve({ code, stdout, stderr });
        });
      }),
    write(name, text) {
      const file = path.join(home, name);
      fs.writeFileSync(file, text);
      return file;
    },
  };
}

/** The controllers' SKYDECK_HOME on a test host, as seen from the test process. */
export function nodeHome(host: SshHost): string {
  return path.join(host.homeDir, '.skydeck-controller', 'home');
}

export function readJson<T>(file: string): T | undefined {
  try {
    return (JSON.parse(fs.readFileSync(file, 'utf8')) as { data: T }).data;
  } catch {
    return undefined;
  }
}

function mountNs(pid: number | 'self'): string | undefined {
  try {
    return fs.readlinkSync(`/proc/${pid}/ns/mnt`);
  } catch {
    return undefined;
  }
}

/**
 * Every process on this machine (this mount namespace: not the test hosts) that runs with
 * this client's SKYDECK_HOME: what "every skydeck process on the client side" is.
 */
export function clientProcesses(home: string): number[] {
  const own = mountNs('self');
  const out: number[] = [];
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e) || Number(e) === process.pid) continue;
    if (mountNs(Number(e)) !== own) continue;
    let environ: string;
    try {
      environ = fs.readFileSync(`/proc/${e}/environ`, 'utf8');
    } catch {
      continue;
    }
    if (environ.split('\0').includes(`SKYDECK_HOME=${home}`)) out.push(Number(e));
  }
  return out;
}

/** Kills them (SIGKILL); returns how many there were. */
export function killClientProcesses(home: string): number {
  const pids = clientProcesses(home);
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone already */
    }
  }
  return pids.length;
}
