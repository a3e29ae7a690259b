/**
 * What autostop did, remembered for `status` (state/autostop-events.json): a cluster torn down
 * by its autodown is no longer listed, so its record cannot say why it went; one stopped by
 * autostop is listed STOPPED, and the note says by whom and when. The newest events are kept.
 */
import { Collection } from '../state/store';
import type { ClusterRecord } from './types';

export interface AutostopEvent {
  cluster: string;
  /** When the client saw the outcome (epoch ms). */
  at: number;
  outcome: 'stopped' | 'torn down';
  idleMinutes: number;
  waitFor: string;
}

const KEEP = 50;
/** How long `status` mentions an event. */
const SHOWN_FOR_MS = 24 * 3600 * 1000;

function events(): Collection<{ events: AutostopEvent[] }> {
  return new Collection<{ events: AutostopEvent[] }>({ name: 'autostop-events', initial: () => ({ events: [] }) });
}

/** Remembers that the cluster's own autostop stopped or tore it down. */
export async function recordAutostopOutcome(rec: ClusterRecord, outcome: AutostopEvent['outcome'], now = Date.now()): Promise<void> {
  if (!rec.autostop) return;
  const event: AutostopEvent = { cluster: rec.name, at: now, outcome, idleMinutes: rec.autostop.idleMinutes, waitFor: rec.autostop.waitFor ?? 'jobs_and_ssh' };
  await events().update((d) => {
    d.events = [...d.events.filter((e) => e.cluster !== rec.name), event].slice(-KEEP);
  });
}

/**
 * One line per recent autostop outcome that still describes the cluster: torn down and not
 * launched again, or stopped and still STOPPED. `current`: every recorded cluster; `only`:
 * the names `status` was asked about.
 */
export async function autostopNotes(current: ClusterRecord[], only?: string[], now = Date.now()): Promise<string[]> {
  return notes((await events().read()).events, current, only, now);
}

/** Same as autostopNotes(), synchronously. */
export function autostopNotesSync(current: ClusterRecord[], only?: string[], now = Date.now()): string[] {
  return notes(events().readSync().events, current, only, now);
}

function notes(list: AutostopEvent[], current: ClusterRecord[], only: string[] | undefined, now: number): string[] {
  const byName = new Map(current.map((r) => [r.name, r]));
  return list
    .filter((e) => now - e.at <= SHOWN_FOR_MS && (!only?.length || only.includes(e.cluster)))
    .filter((e) => (e.outcome === 'torn down' ? !byName.has(e.cluster) : byName.get(e.cluster)?.status === 'STOPPED'))
    .map(
      (e) => `Cluster '${e.cluster}' was ${e.outcome} by autostop at ${new Date(e.at).toISOString()} (idle ${e.idleMinutes} minute(s), wait_for ${e.waitFor}).`,
    );
}
