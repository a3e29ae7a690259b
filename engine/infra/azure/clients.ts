/**
 * ARM clients for one subscription. SKYDECK_AZURE_ENDPOINT (https://127.0.0.1:PORT)
 * points them at a local fake; ARM bearer tokens are only sent over TLS, so the fake is
 * HTTPS and its certificate is trusted through NODE_EXTRA_CA_CERTS (read at process
 * start) or SKYDECK_AZURE_CA_FILE (added to the well-known roots for these clients only).
 */
import * as fs from 'node:fs';
import * as tls from 'node:tls';
import { ComputeManagementClient } from '@azure/arm-compute';
import { NetworkManagementClient } from '@azure/arm-network';
import { ResourceManagementClient } from '@azure/arm-resources';
import type { AccessToken, TokenCredential } from '@azure/identity';
import { AzureCliCredential, EnvironmentCredential, WorkloadIdentityCredential } from '@azure/identity';
import type { AzureCredentials } from './credentials';

export interface AzureClients {
  subscriptionId: string;
  compute: ComputeManagementClient;
  network: NetworkManagementClient;
  resources: ResourceManagementClient;
}

export function azureEndpointOverride(): string | undefined {
  return process.env.SKYDECK_AZURE_ENDPOINT || undefined;
}

function commonOptions(): Record<string, unknown> {
  const opts: Record<string, unknown> = {};
  const endpoint = azureEndpointOverride();
  if (endpoint) Object.assign(opts, { endpoint, credentialScopes: ['https://management.azure.com/.default'] });
  if (process.env.SKYDECK_AZURE_CA_FILE) {
    opts.tlsOptions = { ca: [...tls.rootCertificates, fs.readFileSync(process.env.SKYDECK_AZURE_CA_FILE, 'utf8')] };
  }
  return opts;
}

class StaticTokenCredential implements TokenCredential {
  constructor(private readonly token: string) {}
  async getToken(): Promise<AccessToken> {
    return { token: this.token, expiresOnTimestamp: Date.now() + 3600_000 };
  }
}

const PUBLIC_AUTHORITY_HOSTS = new Set(['login.microsoftonline.com', 'login.microsoftonline.us', 'login.chinacloudapi.cn', 'login.microsoftonline.de']);

/**
 * Options of the SDK credentials: an authority host (AZURE_AUTHORITY_HOST) that is none of
 * Azure's clouds (Azure Stack, a test server) is used as given, without asking the public
 * cloud's instance discovery about it; SKYDECK_AZURE_CA_FILE is trusted for it as for ARM.
 */
function credentialOptions(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const opts: Record<string, unknown> = {};
  const host = env.AZURE_AUTHORITY_HOST ? new URL(env.AZURE_AUTHORITY_HOST).hostname : undefined;
  if (host && !PUBLIC_AUTHORITY_HOSTS.has(host.toLowerCase())) opts.disableInstanceDiscovery = true;
  if (env.SKYDECK_AZURE_CA_FILE) opts.tlsOptions = commonOptions().tlsOptions;
  return opts;
}

function tokenCredential(creds: AzureCredentials, env: NodeJS.ProcessEnv = process.env): TokenCredential {
  switch (creds.kind) {
    case 'token':
      return new StaticTokenCredential(env.SKYDECK_AZURE_ACCESS_TOKEN as string);
    case 'environment':
      return new EnvironmentCredential(credentialOptions(env));
    case 'workload':
      return new WorkloadIdentityCredential(credentialOptions(env));
    default:
      return new AzureCliCredential();
  }
}

let cached: { key: string; clients: AzureClients } | undefined;

export function azureClients(creds: AzureCredentials): AzureClients {
  const key = `${creds.kind}|${creds.description}|${creds.subscriptionId}|${azureEndpointOverride() ?? ''}|${process.env.SKYDECK_AZURE_CA_FILE ?? ''}|${process.env.AZURE_AUTHORITY_HOST ?? ''}`;
  if (cached?.key === key) return cached.clients;
  const credential = tokenCredential(creds);
  const sub = creds.subscriptionId as string;
  const opts = commonOptions();
  const clients: AzureClients = {
    subscriptionId: sub,
    compute: new ComputeManagementClient(credential, sub, opts),
    network: new NetworkManagementClient(credential, sub, opts),
    resources: new ResourceManagementClient(credential, sub, opts),
  };
  cached = { key, clients };
  return clients;
}
