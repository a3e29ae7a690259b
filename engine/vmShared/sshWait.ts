/**
 * "SSH answers": a node counts as reachable once a TCP connection to its SSH port
 * succeeds and the server sends its identification line ("SSH-2.0-..."). Retries until
 * the deadline; providers accept an injected waiter for tests.
 */
import * as net from 'node:net';
import { CancelledError } from '../errors';
import type { MappedEndpoint } from './addressMap';
import { CloudTimeoutError, sleep } from './poll';
import { configValue } from '../config/cloudLabels';
import { PROXY_HINT, proxyFailureMessage, startProxy, type ProxySpec } from '../node/proxyCommand';
import { ProvisionError } from '../infra/provider';

/** A node's SSH endpoint; with `proxy`, reached only through that ProxyCommand (`<cloud>.ssh_proxy_command`). */
export interface SshProbeTarget extends MappedEndpoint {
  proxy?: ProxySpec;
}

export type SshWaiter = (endpoint: SshProbeTarget, options: { timeoutMs: number; signal?: AbortSignal }) => Promise<void>;

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

type ProxyProbe = { ok: true } | { ok: false; fatal: boolean; message: string };

/**
 * One probe through the proxy command: its stdout must start with the SSH banner. A program that
 * cannot be found or run (exit 127/126) never will be, so that failure is final at once; any other
 * exit (the jump host cannot reach the node yet) is retried like a refused connection.
 */
async function probeThroughProxy(target: SshProbeTarget, proxy: ProxySpec, timeoutMs: number): Promise<ProxyProbe> {
  const who = { host: target.host, port: target.port, user: target.user ?? 'root' };
  let running: ReturnType<typeof startProxy>;
  try {
    running = startProxy(proxy, who);
  } catch (err) {
    return { ok: false, fatal: true, message: (err as Error).message };
  }
  let banner = '';
  const sawBanner = new Promise<boolean>((resolve) => {
    running.stream.on('data', (d: Buffer) => {
      banner += d.toString('latin1');
      if (banner.length >= 4) resolve(banner.startsWith('SSH-'));
    });
  });
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)));
  const outcome = await Promise.race([sawBanner, running.exited, timedOut]);
  clearTimeout(timer);
  running.stop();
  if (outcome === true) return { ok: true };
  if (outcome === false) return { ok: false, fatal: false, message: `the proxy answered with '${banner.slice(0, 40)}' instead of an SSH banner` };
  if (outcome === 'timeout') return { ok: false, fatal: false, message: `no SSH banner through the proxy within ${timeoutMs} ms` };
  return { ok: false, fatal: outcome.code === 126 || outcome.code === 127, message: proxyFailureMessage(proxy, who, outcome) };
}

async function waitThroughProxy(target: SshProbeTarget, proxy: ProxySpec, timeoutMs: number, signal?: AbortSignal): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (signal?.aborted) throw new CancelledError();
    const left = deadline - Date.now();
    const r = await probeThroughProxy(target, proxy, Math.max(500, Math.min(sshProbeTimeoutMs(), left)));
    if (r.ok) return;
    // Not the zone's fault: every region would fail the same way, so the whole cloud is ruled out.
    if (r.fatal) throw new ProvisionError('config', 'cloud', r.message, { hint: PROXY_HINT });
    if (Date.now() >= deadline) {
      throw new ProvisionError(
        'unreachable',
        'zone',
        `Timed out after ${Math.round(timeoutMs / 1000)}s waiting for SSH on ${target.host}:${target.port} through ${proxy.source ?? 'the proxy command'}; last attempt: ${r.message}`,
        { hint: PROXY_HINT },
      );
    }
    await sleep(Math.min(1000, Math.max(1, deadline - Date.now())), signal);
  }
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
  if (endpoint.proxy) return waitThroughProxy(endpoint, endpoint.proxy, timeoutMs, signal);
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
