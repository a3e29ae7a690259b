import { SkyDeckError } from '../errors';

/** Setup exited non-zero on a node: SkyPilot's "Failed to setup with return code N" + last lines. */
export class SetupFailedError extends SkyDeckError {
  constructor(
    readonly cluster: string,
    readonly rank: number,
    readonly exitCode: number,
    readonly logTail: string,
    readonly logPath: string,
  ) {
    super('FAILED_SETUP', `Failed to setup with return code ${exitCode} on node ${rank} of cluster '${cluster}'. Last lines of the setup log:\n${logTail}`, {
      hint: `Full log: ${logPath}. The cluster is still UP: fix the setup and run \`skydeck launch -c ${cluster}\` again, or \`skydeck down ${cluster}\`.`,
    });
  }
}

/** The cluster is not in a state the verb needs (e.g. exec on a STOPPED cluster). */
export class ClusterStateError extends SkyDeckError {
  constructor(message: string, hint?: string) {
    super('CLUSTER_NOT_UP', message, { hint });
  }
}

/** The task asks for more than the existing cluster has. */
export class ResourcesMismatchError extends SkyDeckError {
  constructor(message: string, hint?: string) {
    super('RESOURCES_MISMATCH', message, { hint });
  }
}
