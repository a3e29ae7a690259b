/**
 * Requests per second over a sliding window, in one-second buckets: the load balancer adds
 * a count per request (no allocation), the autoscaler reads the rate.
 */
export class RateWindow {
  private readonly buckets: Float64Array;
  private readonly stamps: Float64Array;

  constructor(readonly windowSeconds: number) {
    const n = Math.max(1, Math.ceil(windowSeconds));
    this.buckets = new Float64Array(n);
    this.stamps = new Float64Array(n).fill(-1);
  }

  add(nowMs: number, count = 1): void {
    const sec = Math.floor(nowMs / 1000);
    const i = sec % this.buckets.length;
    if (this.stamps[i] !== sec) {
      this.stamps[i] = sec;
      this.buckets[i] = 0;
    }
    this.buckets[i] += count;
  }

  /** Requests in the window that ends at `nowMs`. */
  total(nowMs: number): number {
    const sec = Math.floor(nowMs / 1000);
    const oldest = sec - this.buckets.length + 1;
    let sum = 0;
    for (let i = 0; i < this.buckets.length; i++) if (this.stamps[i] >= oldest && this.stamps[i] <= sec) sum += this.buckets[i];
    return sum;
  }

  qps(nowMs: number): number {
    return this.total(nowMs) / this.buckets.length;
  }
}
