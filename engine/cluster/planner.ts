/**
 * The optimizer and the task loader the engine uses (owned by the catalog and task
 * engineers), plus one shortcut: a plain task pinned to `local` is planned without loading
 * the catalog (hundreds of ms), through the optimizer's own non-catalog candidate.
 */
import { optimize as optimizeWithCatalog } from '../optimizer/index';
import { localCandidate } from '../optimizer/nonCatalog';
import type { OptimizeOptions, Plan } from '../optimizer/types';
import type { Task } from '../task/types';

export { loadTaskFile } from '../task/load';
export { enabledInfra as detectEnabledInfra } from '../infra/detection';

export function optimize(task: Task, options: OptimizeOptions): Plan {
  const choice = task.resources;
  const spec = choice.base;
  const pinnedLocal = choice.candidates.length === 0 && spec.infra?.cloud === 'local' && !spec.accelerators?.length;
  if (pinnedLocal && options.enabledInfra.includes('local') && !(options.blocked ?? []).some((b) => b === 'local' || b.startsWith('local/'))) {
    const c = localCandidate({ spec, nodes: task.numNodes });
    if (typeof c === 'object') return { chosen: c, candidates: [c] };
  }
  return optimizeWithCatalog(task, options);
}
