/**
 * The cluster engine, for the CLI, the extension, managed jobs and serving:
 * `clusters` implements ClusterEngine (./types); helpers below are for callers that need more.
 */
import { engine } from './engine';
import type { ClusterEngine } from './types';

export const clusters: ClusterEngine = engine;

export * from './types';
export { checkFit } from './engine';
export { preemptCluster, refreshCluster } from './lifecycle';
export { findCluster, getCluster, listClusters } from './records';
export { checkInfra, enabledInfra, type InfraCheckRow } from '../infra/check';
export { formatAutostop, formatInfra, formatResources, statusJson, jobJson, costSoFar, upSeconds } from './format';
export { SetupFailedError, ClusterStateError, ResourcesMismatchError } from './errors';
export { loadTaskFile } from './planner';
export { clusterSshConfigPath, userSshConfigPath } from './sshConfig';
