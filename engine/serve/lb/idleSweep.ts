/**
 * Idle timeouts for the load balancer's connections without a timer per socket: each
 * connection notes the sweep's coarse clock when it reads or writes (a field store), and one
 * interval closes those idle too long. Node's socket.setTimeout re-arms a timer on every read
 * and write, which on a small request is a measurable part of the proxy's CPU.
 */

export interface Sweepable {
  /** The sweep's clock (ms) at this connection's last read or write. */
  lastActive: number;
  /** Called on each sweep with the clock and how long the connection has been idle. */
  sweep(now: number, idleMs: number): void;
}

export class IdleSweep {
  /** Wall-clock ms, as of the last sweep (coarse: what connections stamp themselves with). */
  now = Date.now();
  private readonly members = new Set<Sweepable>();
  private timer: NodeJS.Timeout | undefined;

  /** `periodMs`: how often idle connections are looked for (a timeout fires up to this late). */
  constructor(private readonly periodMs: number) {}

  add(m: Sweepable): void {
    m.lastActive = this.now;
    this.members.add(m);
    if (!this.timer) {
      this.now = Date.now();
      m.lastActive = this.now;
      this.timer = setInterval(() => this.run(), this.periodMs).unref();
    }
  }

  delete(m: Sweepable): void {
    this.members.delete(m);
    if (this.members.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  private run(): void {
    const now = (this.now = Date.now());
    for (const m of this.members) m.sweep(now, now - m.lastActive);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.members.clear();
  }
}
