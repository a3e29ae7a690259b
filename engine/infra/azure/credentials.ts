/**
 * Azure credentials and subscription, found from the environment and the Azure CLI's files
 * only (never the managed-identity endpoint, which off Azure costs timeouts and leaves the
 * machine): a service principal in AZURE_CLIENT_ID/AZURE_TENANT_ID/AZURE_CLIENT_SECRET (or a
 * certificate / federated token), an `az login` session (~/.azure), or a bearer token in
 * SKYDECK_AZURE_ACCESS_TOKEN. The subscription comes from AZURE_SUBSCRIPTION_ID or the CLI's
 * default subscription.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export interface AzureCredentials {
  found: boolean;
  description: string;
  subscriptionId?: string;
  kind?: 'token' | 'environment' | 'workload' | 'cli';
}

function azureDir(env: NodeJS.ProcessEnv): string {
  return env.AZURE_CONFIG_DIR || path.join(env.HOME || os.homedir(), '.azure');
}

interface CliSubscription {
  id: string;
  name?: string;
  isDefault?: boolean;
}

function cliSubscriptions(env: NodeJS.ProcessEnv): CliSubscription[] {
  try {
    // The CLI writes this file with a UTF-8 byte-order mark.
    const text = fs.readFileSync(path.join(azureDir(env), 'azureProfile.json'), 'utf8').replace(/^\uFEFF/, '');
    const profile = JSON.parse(text) as { subscriptions?: CliSubscription[] };
    return profile.subscriptions ?? [];
  } catch (_) {
    return [];
  }
}

export function findAzureCredentials(env: NodeJS.ProcessEnv = process.env): AzureCredentials {
  const subs = cliSubscriptions(env);
  const defaultSub = subs.find((s) => s.isDefault) ?? subs[0];
  const subscriptionId = env.AZURE_SUBSCRIPTION_ID || defaultSub?.id;
  let found: Omit<AzureCredentials, 'subscriptionId' | 'found'> | undefined;
  if (env.SKYDECK_AZURE_ACCESS_TOKEN) found = { kind: 'token', description: 'an access token from SKYDECK_AZURE_ACCESS_TOKEN' };
  else if (env.AZURE_CLIENT_ID && env.AZURE_TENANT_ID && (env.AZURE_CLIENT_SECRET || env.AZURE_CLIENT_CERTIFICATE_PATH)) {
    found = { kind: 'environment', description: `service principal ${env.AZURE_CLIENT_ID} from the environment` };
  } else if (env.AZURE_CLIENT_ID && env.AZURE_TENANT_ID && env.AZURE_FEDERATED_TOKEN_FILE) {
    found = { kind: 'workload', description: `workload identity ${env.AZURE_CLIENT_ID}` };
  } else if (subs.length) found = { kind: 'cli', description: `the Azure CLI login (${azureDir(env)})` };
  if (!found) {
    return {
      found: false,
      description:
        `No Azure credentials found: no service principal in AZURE_CLIENT_ID/AZURE_TENANT_ID/AZURE_CLIENT_SECRET and no Azure CLI login in ${azureDir(env)}. ` +
        'Run `az login` (and `az account set -s <SUBSCRIPTION>`), or set a service principal.',
    };
  }
  if (!subscriptionId) {
    return {
      found: false,
      description: `Found ${found.description}, but no subscription: set AZURE_SUBSCRIPTION_ID or run \`az account set -s <SUBSCRIPTION>\`.`,
    };
  }
  const subName = defaultSub && defaultSub.id === subscriptionId && defaultSub.name ? ` (${defaultSub.name})` : '';
  return { ...found, found: true, subscriptionId, description: `${found.description}, subscription ${subscriptionId}${subName}` };
}
