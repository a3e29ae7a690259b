/**
 * How many launches one controller runs at once (SkyPilot: LAUNCHES_PER_WORKER = 8). Jobs
 * beyond that wait their turn (a first launch waits in PENDING, as SkyPilot's scheduler
 * keeps it WAITING). Without a limit, 200 jobs submitted together started 200 launches at
 * once: a few hundred processes and contended store writes on a small machine, every launch
 * slower than one after another.
 */
export class LaunchSlots {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(readonly limit: number) {}

  /** Resolves with a release function once a slot is free; rejects if `signal` aborts first. */
  acquire(signal?: AbortSignal): Promise<() => void> {
    return new Promise((resolve, reject) => {
      const grant = () => {
        signal?.removeEventListener('abort', onAbort);
        this.running++;
        let released = false;
        resolve(() => {
          if (released) return;
          released = true;
          this.running--;
          this.waiting.shift()?.();
        });
      };
      const onAbort = () => {
        const k = this.waiting.indexOf(grant);
        if (k >= 0) this.waiting.splice(k, 1);
        reject(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
      };
      if (signal?.aborted) return onAbort();
      if (this.running < this.limit) return grant();
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(grant);
    });
  }
}

/** SKYDECK_JOBS_LAUNCHES_PER_CONTROLLER, default 4 (controllers share the machine: 25 jobs each). */
export function launchesPerController(env: NodeJS.ProcessEnv = process.env): number {
  const n = Number(env.SKYDECK_JOBS_LAUNCHES_PER_CONTROLLER);
  return Number.isInteger(n) && n > 0 ? n : 4;
}
