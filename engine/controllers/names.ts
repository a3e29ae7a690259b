/**
 * Controller clusters' names, as SkyPilot names them: `sky-jobs-controller-<hash>` and
 * `sky-serve-controller-<hash>`, the hash derived from the user name so every machine the
 * user works from finds the same controller.
 */
import { createHash } from 'node:crypto';
import * as os from 'node:os';

export type ControllerKind = 'jobs' | 'serve';

/** SkyPilot's user hash is 8 hex characters. */
function userHash(user: string = os.userInfo().username): string {
  return createHash('sha256').update(user).digest('hex').slice(0, 8);
}

export function controllerClusterName(kind: ControllerKind, user?: string): string {
  return `sky-${kind}-controller-${userHash(user)}`;
}

/** The controller kind a cluster name belongs to, or undefined for an ordinary cluster. */
export function controllerKindOf(clusterName: string): ControllerKind | undefined {
  const m = /^sky-(jobs|serve)-controller-[0-9a-f]{8}$/.exec(clusterName);
  return m ? (m[1] as ControllerKind) : undefined;
}

/** The owner recorded on a controller cluster's record (status and the sidebar show it). */
export function controllerOwner(kind: ControllerKind): string {
  return `controller:${kind}`;
}

/** What status and the sidebar say a controller cluster is. */
export function controllerLabel(kind: ControllerKind): string {
  return kind === 'jobs' ? 'managed jobs controller' : 'serve controller';
}
