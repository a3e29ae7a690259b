/**
 * What provisioning printed, per cluster (SkyPilot's provision.log, which `sky logs
 * --provision` shows): every progress line of a launch's provisioning (choosing the infra,
 * each failover attempt, the provider's own messages, waiting for nodes, installing the agent)
 * with its time and stage. Each launch that provisions starts the file afresh, as each SkyPilot
 * launch writes a new provision.log; the file outlives `down`, so a failed or finished
 * launch can still be read. SKYDECK_HOME/sky_logs/<cluster>/provision.log.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { skydeckHome } from '../util/paths';
import { identify, isAlive } from '../util/detached';
import type { LaunchOptions, LaunchStage } from './types';

export function provisionLogPath(cluster: string): string {
  return path.join(skydeckHome(), 'sky_logs', cluster, 'provision.log');
}

function line(stage: LaunchStage | undefined, message: string, now = new Date()): string {
  return `${now.toISOString()} ${stage ? `[${stage}] ` : ''}${message}\n`;
}

/**
 * The launch options with every progress event also written to the cluster's provision log
 * (a new log for this launch). Writing is best effort: a full disk must not fail a launch.
 */
export function withProvisionLog(cluster: string, options: LaunchOptions): LaunchOptions {
  const file = provisionLogPath(cluster);
  const write = (text: string, flag: 'w' | 'a') => {
    try {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, text, { flag, mode: 0o600 });
    } catch {
      /* the terminal still shows the progress */
    }
  };
  const me = identify(process.pid);
  write(line(undefined, `Provisioning cluster '${cluster}' (pid ${process.pid}${me.startTicks !== undefined ? `, start ${me.startTicks}` : ''}).`), 'w');
  return {
    ...options,
    onProgress: (e) => {
      write(line(e.stage, e.message), 'a');
      options.onProgress?.(e);
    },
  };
}

const END_MARK = 'Provisioning ended: ';

/** Appends the outcome of the provisioning (UP, or the error that stopped it). */
export function endProvisionLog(cluster: string, outcome: string): void {
  try {
    fs.appendFileSync(provisionLogPath(cluster), line(undefined, `${END_MARK}${outcome}`));
  } catch {
    /* best effort, as above */
  }
}

/** True while the launch that writes this log is still provisioning (its process lives, no end line yet). */
export function provisioningInProgress(text: string): boolean {
  if (text.includes(END_MARK)) return false;
  const m = /\(pid (\d+)(?:, start (\d+))?\)/.exec(text.slice(0, text.indexOf('\n')));
  return !!m && isAlive({ pid: Number(m[1]), ...(m[2] ? { startTicks: Number(m[2]) } : {}) });
}
