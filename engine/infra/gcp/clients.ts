/**
 * Compute Engine clients (REST transport, `fallback: true`). SKYDECK_GCP_ENDPOINT
 * (http://127.0.0.1:PORT) points them at a local fake: host, port and protocol must be
 * passed separately (a port inside apiEndpoint is ignored; test-infrastructure.md 4).
 */
// Deep imports: the package index also loads v1beta/v1small and a 30 MB static protos
// module; these clients need only the JSON protos (smaller bundle, faster first use).
import { FirewallsClient } from '@google-cloud/compute/build/src/v1/firewalls_client';
import { GlobalOperationsClient } from '@google-cloud/compute/build/src/v1/global_operations_client';
import { InstancesClient } from '@google-cloud/compute/build/src/v1/instances_client';
import { RegionOperationsClient } from '@google-cloud/compute/build/src/v1/region_operations_client';
import { ResourcePoliciesClient } from '@google-cloud/compute/build/src/v1/resource_policies_client';
import { ZoneOperationsClient } from '@google-cloud/compute/build/src/v1/zone_operations_client';
import { googleAuthLibrary } from 'google-gax';
import type { GcpCredentials } from './credentials';
import { gcpEndpointOverride } from './endpoint';

type Options = ConstructorParameters<typeof InstancesClient>[0];

export interface GcpClients {
  project: string;
  instances: InstancesClient;
  firewalls: FirewallsClient;
  zoneOperations: ZoneOperationsClient;
  globalOperations: GlobalOperationsClient;
  resourcePolicies: ResourcePoliciesClient;
  regionOperations: RegionOperationsClient;
}

export { gcpEndpointOverride };

function clientOptions(creds: GcpCredentials): Options {
  const opts: NonNullable<Options> = { projectId: creds.project, fallback: true };
  const endpoint = gcpEndpointOverride();
  if (endpoint) {
    const u = new URL(endpoint);
    Object.assign(opts, { apiEndpoint: u.hostname, port: Number(u.port) || (u.protocol === 'https:' ? 443 : 80), protocol: u.protocol.replace(':', '') });
  }
  if (creds.accessToken) {
    const auth = new googleAuthLibrary.OAuth2Client();
    auth.setCredentials({ access_token: creds.accessToken, expiry_date: Date.now() + 3600_000 });
    opts.authClient = auth;
  } else if (creds.keyFile) {
    opts.keyFilename = creds.keyFile;
  }
  return opts;
}

let cached: { key: string; clients: GcpClients } | undefined;

export function gcpClients(creds: GcpCredentials): GcpClients {
  const key = `${creds.project}|${creds.keyFile ?? ''}|${creds.accessToken ?? ''}|${gcpEndpointOverride() ?? ''}`;
  if (cached?.key === key) return cached.clients;
  const o = clientOptions(creds);
  const clients: GcpClients = {
    project: creds.project as string,
    instances: new InstancesClient(o),
    firewalls: new FirewallsClient(o),
    zoneOperations: new ZoneOperationsClient(o),
    globalOperations: new GlobalOperationsClient(o),
    resourcePolicies: new ResourcePoliciesClient(o),
    regionOperations: new RegionOperationsClient(o),
  };
  cached = { key, clients };
  return clients;
}
