/**
 * `aws.remote_identity`: how a cluster's nodes authenticate to AWS, as SkyPilot reads it
 * (`backend_utils.write_cluster_config`, `sky/provision/aws/config.py`). The value is one
 * identity, or `[{<cluster-name glob>: identity}, ...]` whose first matching glob wins (no
 * match: LOCAL_CREDENTIALS).
 *
 * - LOCAL_CREDENTIALS (default): this machine's credential files go to the node (SkyDeck
 *   copies them to controller clusters only, the nodes that launch clusters themselves).
 * - SERVICE_ACCOUNT: the nodes run with SkyPilot's instance profile `skypilot-v1`; no files
 *   are copied to AWS nodes.
 * - NO_UPLOAD: no AWS credential file goes to any node, on any cloud.
 * - any other string: the instance profile of that name, attached as it is; no files copied
 *   to AWS nodes.
 *
 * No SDK here: the controllers' credential plan reads it too.
 */
import { configValue } from '../../config/cloudLabels';
import { valueForCluster } from '../../config/perCluster';
import type { ConfigMap } from '../../config/types';
import { activeConfig } from '../../config/active';

/** SkyPilot's default instance profile (and IAM role) name for SERVICE_ACCOUNT. */
export const SKYPILOT_INSTANCE_PROFILE = 'skypilot-v1';

export type AwsRemoteIdentity =
  | { kind: 'LOCAL_CREDENTIALS' }
  | { kind: 'NO_UPLOAD' }
  | { kind: 'SERVICE_ACCOUNT'; instanceProfile: string }
  | { kind: 'instance-profile'; instanceProfile: string };

/** The identity `aws.remote_identity` gives the cluster `clusterName`. */
export function awsRemoteIdentity(clusterName: string, config: ConfigMap = activeConfig()): AwsRemoteIdentity {
  const value = valueForCluster(configValue(['aws', 'remote_identity'], config), clusterName);
  switch (value) {
    case undefined:
    case 'LOCAL_CREDENTIALS':
      return { kind: 'LOCAL_CREDENTIALS' };
    case 'NO_UPLOAD':
      return { kind: 'NO_UPLOAD' };
    case 'SERVICE_ACCOUNT':
      return { kind: 'SERVICE_ACCOUNT', instanceProfile: SKYPILOT_INSTANCE_PROFILE };
    default:
      return { kind: 'instance-profile', instanceProfile: value };
  }
}

/** The instance profile the cluster's instances are launched with, if any. */
export function instanceProfileOf(identity: AwsRemoteIdentity): string | undefined {
  return identity.kind === 'SERVICE_ACCOUNT' || identity.kind === 'instance-profile' ? identity.instanceProfile : undefined;
}

/**
 * Whether this machine's AWS credential files may be copied to the cluster `clusterName`
 * running on `cloud`, and if not, why (SkyPilot's excluded clouds): NO_UPLOAD as the whole
 * value keeps them off every node; any identity but LOCAL_CREDENTIALS keeps them off the
 * cluster's own AWS nodes, which have their instance profile instead.
 */
export function awsCredentialUpload(
  target: { cloud: string; clusterName: string },
  config: ConfigMap = activeConfig(),
): { upload: true } | { upload: false; reason: string; instanceProfile?: string } {
  if (configValue(['aws', 'remote_identity'], config) === 'NO_UPLOAD') {
    return { upload: false, reason: 'aws.remote_identity is NO_UPLOAD' };
  }
  if (target.cloud !== 'aws') return { upload: true };
  const identity = awsRemoteIdentity(target.clusterName, config);
  if (identity.kind === 'LOCAL_CREDENTIALS') return { upload: true };
  if (identity.kind === 'NO_UPLOAD') return { upload: false, reason: `aws.remote_identity gives '${target.clusterName}' NO_UPLOAD` };
  return {
    upload: false,
    reason: `aws.remote_identity gives '${target.clusterName}' ${identity.kind === 'SERVICE_ACCOUNT' ? 'SERVICE_ACCOUNT' : 'an instance profile'}`,
    instanceProfile: identity.instanceProfile,
  };
}
