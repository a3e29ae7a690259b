/**
 * The credential the head's autostop action mints its Azure Resource Manager token with
 * (docs/AUTOSTOP.md), chosen by `azure.remote_identity` as SkyPilot does:
 *
 * - LOCAL_CREDENTIALS (the default): the user's own credential, in the form this machine has
 *   it, reduced to what one token request needs: a service principal's secret
 *   (AZURE_CLIENT_ID/AZURE_TENANT_ID/AZURE_CLIENT_SECRET, or an `az login --service-principal`
 *   entry) for a client-credentials grant, or an `az login` user's refresh token (the Azure
 *   CLI's MSAL cache) for a refresh-token grant, both at the authority's token endpoint
 *   (AZURE_AUTHORITY_HOST, else the login's own cloud). SkyPilot uploads the whole `~/.azure`
 *   for the same purpose; one token's worth is less to expose.
 * - SERVICE_ACCOUNT or a named identity: the managed identity attached to the VMs, through
 *   the instance metadata service (IMDS); nothing of the user's goes to the node.
 * - NO_UPLOAD: nothing; the node powers itself off and the next `status -r` finishes.
 *
 * SDK-free (the provider's index loads it without the ARM SDKs). Certificate service principals,
 * workload identity and a bare SKYDECK_AZURE_ACCESS_TOKEN (it expires) give the node nothing.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { configValue } from '../../config/cloudLabels';
import { valueForCluster } from '../../config/perCluster';

/** The Azure CLI's public client id, whose refresh tokens `az login` caches. */
const AZURE_CLI_CLIENT_ID = '04b07795-8ddb-461a-bbee-02f9e1bf7b46';
const PUBLIC_AUTHORITY = 'https://login.microsoftonline.com';
const IMDS = 'http://169.254.169.254';

export type NodeToken =
  | { kind: 'client_credentials'; authority: string; tenant: string; clientId: string; clientSecret: string }
  | { kind: 'refresh_token'; authority: string; tenant: string; clientId: string; refreshToken: string }
  | { kind: 'imds'; endpoint: string; clientId?: string; resourceId?: string };

/** What `azure.remote_identity` asks for one cluster. */
export type RemoteIdentity = { mode: 'local' } | { mode: 'none' } | { mode: 'managed'; identity?: string };

export interface NodeCredentialChoice {
  token?: NodeToken;
  /** Why the node gets no token (for the action's log and the docs). */
  reason: string;
}

export function remoteIdentityFor(clusterName: string): RemoteIdentity {
  const v = valueForCluster(configValue(['azure', 'remote_identity']), clusterName);
  if (v === undefined || v.toUpperCase() === 'LOCAL_CREDENTIALS') return { mode: 'local' };
  if (v.toUpperCase() === 'NO_UPLOAD') return { mode: 'none' };
  if (v.toUpperCase() === 'SERVICE_ACCOUNT') return { mode: 'managed' };
  return { mode: 'managed', identity: v };
}

function azureDir(env: NodeJS.ProcessEnv): string {
  return env.AZURE_CONFIG_DIR || path.join(env.HOME || os.homedir(), '.azure');
}

function readJson(file: string): unknown {
  try {
    // The CLI writes some of its files with a UTF-8 byte-order mark.
    return JSON.parse(fs.readFileSync(file, 'utf8').replace(/^\uFEFF/, '')) as unknown;
  } catch (_) {
    return undefined;
  }
}

interface CliSubscription {
  id: string;
  tenantId?: string;
  isDefault?: boolean;
  user?: { name?: string; type?: string };
}

function authorityHost(env: NodeJS.ProcessEnv, fallback = PUBLIC_AUTHORITY): string {
  return (env.AZURE_AUTHORITY_HOST || fallback).replace(/\/+$/, '');
}

/** The CLI login of the subscription in use: a service principal's secret or a user's refresh token. */
function fromCliLogin(env: NodeJS.ProcessEnv): NodeToken | undefined {
  const dir = azureDir(env);
  const profile = readJson(path.join(dir, 'azureProfile.json')) as { subscriptions?: CliSubscription[] } | undefined;
  const subs = profile?.subscriptions ?? [];
  const sub = (env.AZURE_SUBSCRIPTION_ID && subs.find((s) => s.id === env.AZURE_SUBSCRIPTION_ID)) || subs.find((s) => s.isDefault) || subs[0];
  const user = sub?.user?.name;
  if (!sub || !user || !sub.tenantId) return undefined;
  if (sub.user?.type === 'servicePrincipal') {
    const entries = readJson(path.join(dir, 'service_principal_entries.json'));
    const list = Array.isArray(entries) ? (entries as Record<string, string | undefined>[]) : [];
    const e = list.find((x) => (x.client_id ?? x.servicePrincipalId) === user && (x.tenant ?? x.servicePrincipalTenant) === sub.tenantId);
    const secret = e?.client_secret ?? e?.accessToken;
    return secret ? { kind: 'client_credentials', authority: authorityHost(env), tenant: sub.tenantId, clientId: user, clientSecret: secret } : undefined;
  }
  const cache = readJson(path.join(dir, 'msal_token_cache.json')) as
    | { Account?: Record<string, { home_account_id?: string; username?: string }>; RefreshToken?: Record<string, Record<string, string | undefined>> }
    | undefined;
  const account = Object.values(cache?.Account ?? {}).find((a) => a.username?.toLowerCase() === user.toLowerCase());
  const rt = Object.values(cache?.RefreshToken ?? {}).find(
    (t) => t.home_account_id === account?.home_account_id && (t.client_id ?? AZURE_CLI_CLIENT_ID) === AZURE_CLI_CLIENT_ID && t.secret,
  );
  if (!account || !rt?.secret) return undefined;
  return {
    kind: 'refresh_token',
    authority: authorityHost(env, rt.environment ? `https://${rt.environment}` : PUBLIC_AUTHORITY),
    tenant: sub.tenantId,
    clientId: AZURE_CLI_CLIENT_ID,
    refreshToken: rt.secret,
  };
}

/** The user's credential, reduced to one token request (LOCAL_CREDENTIALS). */
export function localNodeToken(env: NodeJS.ProcessEnv = process.env): NodeToken | undefined {
  if (env.AZURE_CLIENT_ID && env.AZURE_TENANT_ID && env.AZURE_CLIENT_SECRET) {
    return {
      kind: 'client_credentials',
      authority: authorityHost(env),
      tenant: env.AZURE_TENANT_ID,
      clientId: env.AZURE_CLIENT_ID,
      clientSecret: env.AZURE_CLIENT_SECRET,
    };
  }
  return fromCliLogin(env);
}

/** A managed identity's token from IMDS: a resource id names a user-assigned identity, anything else is its client id. */
function imdsToken(identity: string | undefined, env: NodeJS.ProcessEnv): NodeToken {
  const endpoint = (env.SKYDECK_AZURE_IMDS_ENDPOINT || IMDS).replace(/\/+$/, '');
  if (!identity) return { kind: 'imds', endpoint };
  return identity.startsWith('/subscriptions/') ? { kind: 'imds', endpoint, resourceId: identity } : { kind: 'imds', endpoint, clientId: identity };
}

export function nodeCredential(identity: RemoteIdentity, env: NodeJS.ProcessEnv = process.env): NodeCredentialChoice {
  if (identity.mode === 'none') return { reason: 'azure.remote_identity is NO_UPLOAD' };
  if (identity.mode === 'managed') {
    return { token: imdsToken(identity.identity, env), reason: `the VMs' managed identity${identity.identity ? ` ${identity.identity}` : ''}` };
  }
  const token = localNodeToken(env);
  return token
    ? { token, reason: token.kind === 'client_credentials' ? `service principal ${token.clientId}` : 'the Azure CLI login' }
    : {
        reason:
          'no service principal secret (AZURE_CLIENT_ID/AZURE_TENANT_ID/AZURE_CLIENT_SECRET or an `az login --service-principal` entry) and no `az login` refresh token to give the node',
      };
}
