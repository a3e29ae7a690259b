/**
 * Stand-in for engine/optimizer (until it lands): plans `local` and `ssh/<pool>` only,
 * in the order given by `enabledInfra`, at price 0.
 */
import type { Candidate, OptimizeOptions, Plan } from '../../optimizer/types';
import type { Task } from '../../task/types';
import { ResourcesUnavailableError } from '../../errors';

export function optimize(task: Task, options: OptimizeOptions): Plan {
  const want = task.resources.base.infra;
  const blocked = new Set(options.blocked ?? []);
  const candidates: Candidate[] = [];
  for (const infra of options.enabledInfra) {
    const [cloud, region = cloud] = infra.split('/');
    if (cloud !== 'local' && cloud !== 'ssh') continue;
    if (want?.cloud && want.cloud !== cloud) continue;
    if (want?.region && want.region !== region) continue;
    if (blocked.has(cloud) || blocked.has(`${cloud}/${region}`)) continue;
    const acc = task.resources.base.accelerators?.[0];
    candidates.push({
      infra: `${cloud}/${region}`,
      cloud,
      region,
      instanceType: cloud,
      accelerators: acc ? { [acc.name]: acc.count } : null,
      spot: false,
      nodes: task.numNodes,
      pricePerHour: 0,
      costPerHour: 0,
      cpus: task.resources.base.cpus?.value,
    });
  }
  if (!candidates.length) throw new ResourcesUnavailableError('No launchable resource found for the task (stand-in optimizer: local and ssh only).');
  return { chosen: candidates[0], candidates };
}
