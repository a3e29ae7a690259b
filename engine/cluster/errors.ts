import { SkyDeckError } from '../errors';

/** Setup exited non-zero on a node: SkyPilot's "Failed to setup with return code N" + last lines. */
export class SetupFailedError extends SkyDeckError {
  constructor(
    readonly cluster: string,
    readonly jobId: number,
    readonly exitCode: number | undefined,
    readonly logTail: string,
  ) {
    super(
      'FAILED_SETUP',
      `Failed to setup${exitCode !== undefined ? ` with return code ${exitCode}` : ''} (job ${jobId} on cluster '${cluster}'). Last lines of the log:\n${logTail}`,
      {
        hint: `Full log: \`skydeck logs ${cluster} ${jobId}\`. The cluster is still UP: fix the setup and launch again with -c ${cluster}, or \`skydeck down ${cluster}\`.`,
      },
    );
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
