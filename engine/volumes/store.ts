/** Volume records in the store (SKYDECK_HOME/state/volumes.json), one per name. */
import { Collection } from '../state/store';
import type { VolumeRecord } from './types';

export interface VolumeTable {
  volumes: Record<string, VolumeRecord>;
}

function tableProblem(data: unknown): string | undefined {
  const v = (data as { volumes?: unknown }).volumes;
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? undefined : '"data.volumes" is not an object of volume records';
}

/** Opened per call so SKYDECK_HOME is read when used (tests set it per test). */
export function volumeTable(): Collection<VolumeTable> {
  return new Collection<VolumeTable>({ name: 'volumes', initial: () => ({ volumes: {} }), validate: tableProblem });
}
