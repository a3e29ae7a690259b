import { CancelledError } from '../errors';

/** Resolves after `ms`; rejects with `abortError()` (default CancelledError) as soon as `signal` fires. */
export function sleep(ms: number, signal?: AbortSignal, abortError: () => Error = () => new CancelledError()): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortError());
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
