/** A minimal Task (one node, spot, `echo hi`) for tests that drive controllers through a fake cluster engine. */
import type { Task } from '../../../engine/task/types';

export function fakeTask(fields: Partial<Task> = {}): Task {
  return {
    numNodes: 1,
    envs: {},
    secrets: {},
    fileMounts: {},
    resources: { base: { useSpot: true }, candidates: [], mode: 'single' },
    raw: {},
    run: 'echo hi',
    ...fields,
  };
}
