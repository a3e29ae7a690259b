/**
 * `Provider.queryMany` for infra that lists many clusters' nodes in one call per group (a
 * region, a project, a subscription, a context's namespace): the groups are listed at once,
 * and each handle's nodes are built from its group's list by the same code `query` uses.
 * A group whose list fails leaves only its own handles unknown (undefined), and a handle
 * whose nodes cannot be built from the list is unknown alone, so one bad region or one odd
 * cluster never hides what the other lists said.
 */
import type { ClusterHandle, NodeInfo } from '../infra/provider';

export async function queryByGroup<L>(
  handles: readonly ClusterHandle[],
  /** The group a handle is listed in (handles with the same key share one list); throwing leaves the handle unknown. */
  groupOf: (handle: ClusterHandle) => string,
  /** One list of the infra covering every handle of a group. */
  list: (group: ClusterHandle[]) => Promise<L>,
  /** The handle's nodes out of its group's list, exactly as `query` would give them. */
  nodesOf: (handle: ClusterHandle, listed: L) => NodeInfo[],
): Promise<(NodeInfo[] | undefined)[]> {
  const groups = new Map<string, number[]>();
  handles.forEach((h, i) => {
    let key: string;
    try {
      key = groupOf(h);
    } catch {
      return; // A handle that names no reachable group (an unknown context) is unknown alone.
    }
    const members = groups.get(key);
    if (members) members.push(i);
    else groups.set(key, [i]);
  });
  const out: (NodeInfo[] | undefined)[] = handles.map(() => undefined);
  await Promise.all(
    [...groups.values()].map(async (members) => {
      let listed: L;
      try {
        listed = await list(members.map((i) => handles[i]));
      } catch {
        return;
      }
      for (const i of members) {
        try {
          out[i] = nodesOf(handles[i], listed);
        } catch {
          out[i] = undefined;
        }
      }
    }),
  );
  return out;
}
