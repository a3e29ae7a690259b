/**
 * Background work done in small steps while the server has nothing else to do (the cost lens's
 * warm-up, service/lensWarmUp.ts). A real message always goes first:
 *   - every message read from the client marks input (`input()`, called from the transport's
 *     own data event, before the connection dispatches the message), and a step starts only
 *     after `quietMs` without input and while `busy()` says nothing is scheduled (a debounced
 *     diagnostics pass);
 *   - steps run one per turn of the event loop (setImmediate), so a message read between two
 *     steps is seen before the next one; one that arrives during a step waits for that step only.
 */
export interface IdleWorkStats {
  steps: number;
  /** Process CPU time during the steps (all threads: the optimizing compiler's too). */
  cpuMs: number;
  /** Wall time of the steps themselves, and of the longest one (what a message can wait). */
  stepsWallMs: number;
  maxStepMs: number;
  /** How often it stood aside for input or pending work. */
  pauses: number;
  /** From start() to the last step. */
  elapsedMs: number;
}

export interface IdleWorkOptions {
  /** Quiet time after the last input before a step runs (ms). */
  quietMs?: number;
  /** Pending work of the server's own (a scheduled diagnostics pass): no step while true. */
  busy?: () => boolean;
  /** After each step (tests observe progress with it). */
  onStep?: (stats: IdleWorkStats) => void;
  onDone?: (stats: IdleWorkStats) => void;
}

export class IdleWork {
  private readonly stats: IdleWorkStats = { steps: 0, cpuMs: 0, stepsWallMs: 0, maxStepMs: 0, pauses: 0, elapsedMs: 0 };
  private lastInput = -Infinity;
  private startedAt = 0;
  private running = false;
  private finished = false;
  private waiting: NodeJS.Timeout | NodeJS.Immediate | undefined;
  private readonly quietMs: number;

  /** `step` does one small piece of work and says whether any remains. */
  constructor(
    private readonly step: () => boolean,
    private readonly options: IdleWorkOptions = {},
  ) {
    this.quietMs = options.quietMs ?? 100;
  }

  get done(): boolean {
    return this.finished;
  }

  get progress(): Readonly<IdleWorkStats> {
    return this.stats;
  }

  start(): void {
    if (this.running || this.finished) return;
    this.running = true;
    this.startedAt = performance.now();
    this.schedule();
  }

  /** A message arrived from the client: stand aside until it is quiet again. */
  input(): void {
    this.lastInput = performance.now();
  }

  stop(): void {
    this.running = false;
    if (this.waiting) {
      clearTimeout(this.waiting as NodeJS.Timeout);
      clearImmediate(this.waiting as NodeJS.Immediate);
    }
    this.waiting = undefined;
  }

  private schedule(delayMs = 0): void {
    this.waiting = delayMs > 0 ? setTimeout(() => this.tick(), delayMs) : setImmediate(() => this.tick());
  }

  private tick(): void {
    this.waiting = undefined;
    if (!this.running) return;
    const quietFor = performance.now() - this.lastInput;
    const busy = this.options.busy?.() ?? false;
    if (busy || quietFor < this.quietMs) {
      this.stats.pauses++;
      this.schedule(busy ? this.quietMs : Math.max(1, Math.ceil(this.quietMs - quietFor)));
      return;
    }
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    let more: boolean;
    try {
      more = this.step();
    } catch {
      // Background work is best effort: a failing step ends it, never the server.
      more = false;
    }
    const wall = performance.now() - t0;
    const cpu = process.cpuUsage(c0);
    this.stats.steps++;
    this.stats.cpuMs += (cpu.user + cpu.system) / 1000;
    this.stats.stepsWallMs += wall;
    this.stats.maxStepMs = Math.max(this.stats.maxStepMs, wall);
    this.stats.elapsedMs = performance.now() - this.startedAt;
    this.options.onStep?.(this.stats);
    if (more) {
      this.schedule();
      return;
    }
    this.running = false;
    this.finished = true;
    this.options.onDone?.(this.stats);
  }
}
