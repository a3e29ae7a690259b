/**
 * Polling a cloud API until a condition holds. Cloud control planes offer no push events
 * for instance state, so a bounded poll is the only option; the interval is configurable
 * (SKYDECK_CLOUD_POLL_MS) so tests against emulators run fast.
 */
import { CancelledError, SkyDeckError } from '../errors';
import { sleep } from '../util/sleep';

export { sleep };

export function pollIntervalMs(fallback = 5000): number {
  const v = Number(process.env.SKYDECK_CLOUD_POLL_MS);
  return Number.isFinite(v) && v > 0 ? v : fallback;
}

export class CloudTimeoutError extends SkyDeckError {
  constructor(what: string, seconds: number) {
    super('CLOUD_TIMEOUT', `Timed out after ${seconds}s waiting for ${what}.`);
  }
}

/** Calls `check` until it returns a value other than undefined, or the deadline passes. */
export async function pollUntil<T>(
  what: string,
  check: () => Promise<T | undefined>,
  options: { timeoutMs: number; intervalMs?: number; signal?: AbortSignal },
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  const interval = options.intervalMs ?? pollIntervalMs();
  for (;;) {
    if (options.signal?.aborted) throw new CancelledError();
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() >= deadline) throw new CloudTimeoutError(what, Math.round(options.timeoutMs / 1000));
    await sleep(Math.min(interval, Math.max(1, deadline - Date.now())), options.signal);
  }
}
