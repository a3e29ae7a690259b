/**
 * `gcp.remote_identity`, SkyPilot's choice of what identity a cluster's nodes act with:
 * LOCAL_CREDENTIALS (the default) puts the user's own credential file on the head node;
 * SERVICE_ACCOUNT attaches SkyPilot's `skypilot-v1@<project>.iam.gserviceaccount.com` to the
 * instances; a service-account email attaches that account; NO_UPLOAD gives the nodes nothing.
 * The value may also be a list of `{cluster-name glob: value}` (first match wins).
 * An attached account comes with the `cloud-platform` scope (its IAM roles limit it), and the
 * node gets its tokens from the metadata server.
 */
import { configValue } from '../../config/cloudLabels';
import { valueForCluster } from '../../config/perCluster';

export type GcpRemoteIdentity = { kind: 'local-credentials' } | { kind: 'no-upload' } | { kind: 'service-account'; email: string };

export const CLOUD_PLATFORM_SCOPE = 'https://www.googleapis.com/auth/cloud-platform';

/** SkyPilot's service account for SERVICE_ACCOUNT (created by SkyPilot's bootstrap; SkyDeck attaches it, it does not create it). */
export function skypilotServiceAccount(project: string): string {
  return `skypilot-v1@${project}.iam.gserviceaccount.com`;
}

export function gcpRemoteIdentity(clusterName: string, project: string): GcpRemoteIdentity {
  const raw = valueForCluster(configValue(['gcp', 'remote_identity']), clusterName);
  if (raw === undefined) return { kind: 'local-credentials' };
  switch (raw.toUpperCase()) {
    case 'LOCAL_CREDENTIALS':
      return { kind: 'local-credentials' };
    case 'NO_UPLOAD':
      return { kind: 'no-upload' };
    case 'SERVICE_ACCOUNT':
      return { kind: 'service-account', email: skypilotServiceAccount(project) };
    default:
      return { kind: 'service-account', email: raw };
  }
}

/** The instance body's `serviceAccounts` for the identity (none for the user's own credentials or NO_UPLOAD). */
export function serviceAccountsFor(identity: GcpRemoteIdentity): { email: string; scopes: string[] }[] | undefined {
  return identity.kind === 'service-account' ? [{ email: identity.email, scopes: [CLOUD_PLATFORM_SCOPE] }] : undefined;
}
