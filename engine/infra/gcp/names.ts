/** The names and labels that make up a GCP cluster (SDK- and catalog-free: the autodown program needs them too). */
export const CLUSTER_LABEL = 'skydeck-cluster';
export const NODE_TYPE_LABEL = 'skydeck-node-type';

export function networkTag(nameOnCloud: string): string {
  return `skydeck-${nameOnCloud}`.slice(0, 63).replace(/-+$/, '');
}

export function firewallName(nameOnCloud: string): string {
  return `skydeck-${nameOnCloud}-ports`.slice(0, 63).replace(/-+$/, '');
}

/** GCP label keys/values: lowercase letters, digits, _ and -, at most 63 characters. */
export function gcpLabel(v: string): string {
  return v
    .toLowerCase()
    .replace(/[^a-z0-9_-]/g, '-')
    .slice(0, 63);
}

/** The cluster's compact placement policy (`gcp.placement_policy: compact`), as SkyPilot names it. */
export function placementPolicyName(nameOnCloud: string): string {
  return `${nameOnCloud}-placement-policy`.slice(0, 63).replace(/-+$/, '');
}
