/**
 * Readiness probes as SkyPilot does them (sky/serve/replica_managers.py): GET the probe
 * path, or POST the JSON `post_data`, with the configured headers and timeout; ready iff
 * HTTP 200. The verdict rules (initial delay, failure window) are a pure function so they
 * are testable with a fake clock.
 */
import * as http from 'node:http';
import type { ProbeSpec } from './spec';
import type { ReplicaStatus } from './types';

export interface ProbeResult {
  ok: boolean;
  /** HTTP status, when there was a response. */
  status?: number;
  error?: string;
  ms: number;
}

/** One probe of `baseUrl` (`http://ip:port`). Never throws. */
export function probeReplica(baseUrl: string, spec: ProbeSpec): Promise<ProbeResult> {
  const started = Date.now();
  return new Promise((resolve) => {
    let done = false;
    const finish = (r: Omit<ProbeResult, 'ms'>) => {
      if (done) return;
      done = true;
      resolve({ ...r, ms: Date.now() - started });
    };
    let url: URL;
    try {
      url = new URL(spec.path, baseUrl);
    } catch (e) {
      finish({ ok: false, error: (e as Error).message });
      return;
    }
    const body = spec.postData !== undefined ? Buffer.from(JSON.stringify(spec.postData)) : undefined;
    const headers: Record<string, string | number> = { ...spec.headers };
    if (body) {
      headers['content-type'] ??= 'application/json';
      headers['content-length'] = body.length;
    }
    const req = http.request(url, { method: body ? 'POST' : 'GET', headers, agent: false, timeout: spec.timeoutSeconds * 1000 }, (res) => {
      res.resume();
      res.on('end', () => finish({ ok: res.statusCode === 200, status: res.statusCode }));
      res.on('error', (e) => finish({ ok: false, status: res.statusCode, error: e.message }));
    });
    req.on('timeout', () => {
      req.destroy(new Error(`timed out after ${spec.timeoutSeconds}s`));
    });
    req.on('error', (e) => finish({ ok: false, error: e.message }));
    req.end(body);
  });
}

/** What the controller remembers between probes of one replica. */
export interface ProbeMemory {
  /** First successful probe (the replica has been ready). */
  readyAt?: number;
  /** Start of the current run of failed probes (reset by a success). */
  firstFailedProbeAt?: number;
}

/**
 * Applies one probe result at time `now` (ms) and returns the replica's new status:
 * READY on success; before the first success, STARTING until failures have lasted longer
 * than initial_delay_seconds (FAILED_INITIAL_DELAY); after having been ready, NOT_READY
 * until consecutive failures span consecutive_failure_threshold_timeout (FAILED_PROBING).
 */
export function applyProbe(memory: ProbeMemory, ok: boolean, now: number, spec: ProbeSpec): ReplicaStatus {
  if (ok) {
    memory.readyAt ??= now;
    memory.firstFailedProbeAt = undefined;
    return 'READY';
  }
  memory.firstFailedProbeAt ??= now;
  const failingMs = now - memory.firstFailedProbeAt;
  if (memory.readyAt === undefined) {
    return failingMs > spec.initialDelaySeconds * 1000 ? 'FAILED_INITIAL_DELAY' : 'STARTING';
  }
  return failingMs >= spec.failureThresholdSeconds * 1000 ? 'FAILED_PROBING' : 'NOT_READY';
}
