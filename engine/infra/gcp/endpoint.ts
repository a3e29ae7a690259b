/** SKYDECK_GCP_ENDPOINT (http://127.0.0.1:PORT): the Compute API base of a local fake, for the SDK clients and the node's autodown alike. */
export function gcpEndpointOverride(): string | undefined {
  return process.env.SKYDECK_GCP_ENDPOINT || undefined;
}

/** Where the Compute REST API answers (`<base>/compute/v1/projects/...`). */
export function computeApiBase(): string {
  return gcpEndpointOverride()?.replace(/\/+$/, '') ?? 'https://compute.googleapis.com';
}

/** The metadata server's token for the instance's service account (the fake serves the same path). */
export function metadataTokenUrl(): string {
  const path = '/computeMetadata/v1/instance/service-accounts/default/token';
  return `${gcpEndpointOverride()?.replace(/\/+$/, '') ?? 'http://metadata.google.internal'}${path}`;
}
