/**
 * A controller's live log streams, at most `capacity` at once. A stream is what keeps a
 * running job's output in run.log as it is printed; each one costs a follower on the node's
 * side (on `local` a bash process per job, on a cloud an SSH channel held by the controller),
 * so with hundreds of jobs per controller they are rationed. A run without a stream has its
 * output collected at its inspection instead (runner.ts), from the byte the last read ended at.
 *
 * Who streams: every run while there are at most `capacity`; beyond that, runs someone
 * follows (follow.ts) first, then the runs waiting longest. A stream that frees up (its run
 * ended) goes to the next in that order. A followed run waiting while every stream is taken
 * takes the stream of the non-followed run that has streamed longest, so `jobs logs -f` is live.
 */

/** A monitored run, as the scheduler sees it. */
export interface StreamUnit {
  /** The managed job the run belongs to (what followers mark). */
  readonly jobId: number;
  /** The run may hold a live stream from now on. */
  grantStream(): void;
  /**
   * The run must give its stream up (it goes on being collected at its inspections);
   * resolves once the stream has ended (its follower is gone).
   */
  revokeStream(): Promise<void> | void;
}

interface Entry {
  /** Order of arrival, for "waiting longest" and "streamed longest". */
  since: number;
  /** `closing`: taken back, its follower not gone yet; it still counts against the capacity. */
  state: 'waiting' | 'streaming' | 'closing';
  /** The run left while its stream was closing: the entry goes once it has closed. */
  leaving?: boolean;
}

export class LogStreams {
  private readonly units = new Map<StreamUnit, Entry>();
  private followed = new Set<number>();
  private clock = 0;

  constructor(readonly capacity: number) {}

  /** Streams open now (held, or taken back and still closing). */
  get open(): number {
    let n = 0;
    for (const e of this.units.values()) if (e.state !== 'waiting') n++;
    return n;
  }

  /** Whether `unit` holds a stream now. */
  streaming(unit: StreamUnit): boolean {
    return this.units.get(unit)?.state === 'streaming';
  }

  /** A run started being monitored: it streams if there is room (or it is followed and can take one). */
  join(unit: StreamUnit): void {
    if (this.units.has(unit) && !this.units.get(unit)!.leaving) return;
    this.units.set(unit, { since: this.clock++, state: 'waiting' });
    this.schedule();
  }

  /**
   * A run is no longer monitored (ended, lost, cancelled): its stream, if any, goes to the
   * next once `closed` (the run's stream ending) has resolved.
   */
  leave(unit: StreamUnit, closed?: Promise<void>): void {
    const entry = this.units.get(unit);
    if (!entry || entry.leaving) return;
    const gone = () => {
      if (this.units.get(unit) === entry) this.units.delete(unit);
      this.schedule();
    };
    if (entry.state === 'waiting' || !closed) return gone();
    entry.state = 'closing';
    entry.leaving = true;
    void closed.then(gone, gone);
  }

  /** The jobs someone follows now (follow.ts, read by the controller every second). */
  setFollowed(jobs: Set<number>): void {
    const changed = jobs.size !== this.followed.size || [...jobs].some((id) => !this.followed.has(id));
    this.followed = jobs;
    if (changed) this.schedule();
  }

  private schedule(): void {
    const followed = (u: StreamUnit) => this.followed.has(u.jobId);
    const waiting = [...this.units]
      .filter(([, e]) => e.state === 'waiting')
      .sort(([a, ea], [b, eb]) => Number(followed(b)) - Number(followed(a)) || ea.since - eb.since);
    // Streams closing are on their way to the first followed runs waiting.
    let closing = [...this.units.values()].filter((e) => e.state === 'closing').length;
    for (const [unit, entry] of waiting) {
      if (this.open >= this.capacity) {
        if (!followed(unit)) break;
        if (closing > 0) {
          closing--;
          continue;
        }
        // A follower has to be gone before another starts (the capacity bounds followers):
        // this run is granted once the stream it takes has closed (revoke calls schedule).
        const victim = this.longestStreamingUnfollowed();
        if (!victim) break;
        this.revoke(victim);
        continue;
      }
      entry.state = 'streaming';
      entry.since = this.clock++;
      unit.grantStream();
    }
  }

  private longestStreamingUnfollowed(): StreamUnit | undefined {
    let best: [StreamUnit, Entry] | undefined;
    for (const [u, e] of this.units) {
      if (e.state === 'streaming' && !this.followed.has(u.jobId) && (!best || e.since < best[1].since)) best = [u, e];
    }
    return best?.[0];
  }

  private revoke(unit: StreamUnit): void {
    const entry = this.units.get(unit)!;
    entry.state = 'closing';
    const closed = () => {
      // Back in the queue as the latest arrival: the others waiting have waited longer.
      if (this.units.get(unit) === entry && entry.state === 'closing' && !entry.leaving) {
        entry.state = 'waiting';
        entry.since = this.clock++;
      }
      this.schedule();
    };
    void Promise.resolve(unit.revokeStream()).then(closed, closed);
  }
}
