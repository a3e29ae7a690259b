/**
 * "SSH answers": a node counts as reachable once a TCP connection to its SSH port
 * succeeds and the server sends its identification line ("SSH-2.0-..."). Retries until
 * the deadline; providers accept an injected waiter for tests.
 */
import * as net from 'node:net';
import { CancelledError } from '../../errors';
import type { MappedEndpoint } from './addressMap';
import { CloudTimeoutError, sleep } from './poll';
import { configValue } from '../../config/cloudLabels';

export type SshWaiter = (endpoint: MappedEndpoint, options: { timeoutMs: number; signal?: AbortSignal }) => Promise<void>;

function probeOnce(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    let done = false;
    const finish = (ok: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    socket.once('data', (d) => finish(d.toString('latin1').startsWith('SSH-')));
    socket.once('error', () => finish(false));
    socket.once('close', () => finish(false));
  });
}

/**
 * How long one probe may take: `provision.ssh_timeout` of the SkyPilot config (seconds, as
 * SkyPilot's per-attempt SSH probe timeout), else 5 s.
 */
export function sshProbeTimeoutMs(): number {
  const v = configValue(['provision', 'ssh_timeout']);
  return (typeof v === 'number' && v > 0 ? v : 5) * 1000;
}

export const waitForSshBanner: SshWaiter = async (endpoint, { timeoutMs, signal }) => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (signal?.aborted) throw new CancelledError();
    const left = deadline - Date.now();
    if (await probeOnce(endpoint.host, endpoint.port, Math.max(500, Math.min(sshProbeTimeoutMs(), left)))) return;
    if (Date.now() >= deadline) throw new CloudTimeoutError(`SSH on ${endpoint.host}:${endpoint.port}`, Math.round(timeoutMs / 1000));
    await sleep(Math.min(1000, Math.max(1, deadline - Date.now())), signal);
  }
};

/** Seconds to wait for SSH after a VM is running (SKYDECK_SSH_WAIT_SECONDS, default 600). */
export function sshWaitTimeoutMs(): number {
  const v = Number(process.env.SKYDECK_SSH_WAIT_SECONDS);
  return (Number.isFinite(v) && v > 0 ? v : 600) * 1000;
}
