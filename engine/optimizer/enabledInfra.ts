/**
 * Which infra looks usable, from cheap local evidence only (environment variables,
 * credential files, kubeconfig, ssh node pools): no SDK is loaded and nothing is called.
 * `launch --dryrun` plans over what this finds; `check` can show the same reasons and
 * then confirm with each provider's real check().
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { activeConfig } from '../config/active';
import { sshNodePoolsPath } from '../config/sources';
import type { ConfigMap } from '../config/types';

export interface InfraDetection {
  /** 'local', 'aws', 'gcp', 'azure', 'k8s/<context>', 'ssh/<pool>', or 'kubernetes' / 'ssh' when none was found. */
  infra: string;
  enabled: boolean;
  /** What was found, or why not and what to do. */
  reason: string;
}

type Env = NodeJS.ProcessEnv;

function home(env: Env): string {
  return env.HOME || os.homedir();
}

function exists(p: string | undefined): p is string {
  return !!p && fs.existsSync(p);
}

function readYaml(p: string): unknown {
  try {
    return parseYaml(fs.readFileSync(p, 'utf8'));
  } catch {
    return undefined;
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}

export function detectAws(env: Env = process.env): InfraDetection {
  if (env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY)
    return { infra: 'aws', enabled: true, reason: 'AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are set.' };
  if (env.AWS_WEB_IDENTITY_TOKEN_FILE && env.AWS_ROLE_ARN)
    return { infra: 'aws', enabled: true, reason: 'Web identity (AWS_WEB_IDENTITY_TOKEN_FILE, AWS_ROLE_ARN).' };
  if (env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI || env.AWS_CONTAINER_CREDENTIALS_FULL_URI)
    return { infra: 'aws', enabled: true, reason: 'Container credentials endpoint.' };
  const credFile = env.AWS_SHARED_CREDENTIALS_FILE || path.join(home(env), '.aws', 'credentials');
  if (exists(credFile) && /aws_access_key_id|credential_process/i.test(fs.readFileSync(credFile, 'utf8'))) {
    return { infra: 'aws', enabled: true, reason: `Credentials in ${credFile}.` };
  }
  const configFile = env.AWS_CONFIG_FILE || path.join(home(env), '.aws', 'config');
  if (exists(configFile) && /sso_start_url|sso_session|credential_process|role_arn|aws_access_key_id/i.test(fs.readFileSync(configFile, 'utf8'))) {
    return { infra: 'aws', enabled: true, reason: `Profile with credentials in ${configFile}.` };
  }
  return {
    infra: 'aws',
    enabled: false,
    reason: 'No AWS credentials found. Run `aws configure` (or set AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY), then `skydeck check`.',
  };
}

export function detectGcp(env: Env = process.env): InfraDetection {
  if (exists(env.GOOGLE_APPLICATION_CREDENTIALS))
    return { infra: 'gcp', enabled: true, reason: `GOOGLE_APPLICATION_CREDENTIALS=${env.GOOGLE_APPLICATION_CREDENTIALS}.` };
  const gcloudDir = env.CLOUDSDK_CONFIG || path.join(home(env), '.config', 'gcloud');
  const adc = path.join(gcloudDir, 'application_default_credentials.json');
  if (exists(adc)) return { infra: 'gcp', enabled: true, reason: `Application default credentials in ${adc}.` };
  return {
    infra: 'gcp',
    enabled: false,
    reason:
      'No GCP application default credentials. Run `gcloud auth application-default login` (or set GOOGLE_APPLICATION_CREDENTIALS to a service-account key), then `skydeck check`.',
  };
}

export function detectAzure(env: Env = process.env): InfraDetection {
  if (env.AZURE_CLIENT_ID && env.AZURE_TENANT_ID && (env.AZURE_CLIENT_SECRET || env.AZURE_CLIENT_CERTIFICATE_PATH || env.AZURE_FEDERATED_TOKEN_FILE)) {
    return { infra: 'azure', enabled: true, reason: 'Service principal in AZURE_CLIENT_ID / AZURE_TENANT_ID / secret.' };
  }
  const dir = env.AZURE_CONFIG_DIR || path.join(home(env), '.azure');
  for (const f of ['msal_token_cache.json', 'msal_token_cache.bin', 'accessTokens.json']) {
    if (exists(path.join(dir, f))) return { infra: 'azure', enabled: true, reason: `Azure CLI login in ${dir}.` };
  }
  return {
    infra: 'azure',
    enabled: false,
    reason: 'No Azure login found. Run `az login` (or set AZURE_CLIENT_ID, AZURE_TENANT_ID, AZURE_CLIENT_SECRET), then `skydeck check`.',
  };
}

/** kubeconfig contexts: the current one, or `kubernetes.allowed_contexts` of the configuration (a list, or `all`). */
export function detectKubernetes(env: Env = process.env, config: ConfigMap = activeConfig(env)): InfraDetection[] {
  const files = (env.KUBECONFIG ? env.KUBECONFIG.split(path.delimiter) : [path.join(home(env), '.kube', 'config')]).filter(exists);
  if (files.length === 0) {
    return [
      {
        infra: 'kubernetes',
        enabled: false,
        reason: 'No kubeconfig found (KUBECONFIG or ~/.kube/config). Point KUBECONFIG at your cluster, then `skydeck check`.',
      },
    ];
  }
  const contexts: string[] = [];
  let current: string | undefined;
  for (const f of files) {
    const doc = readYaml(f);
    if (!isRecord(doc)) continue;
    if (!current && typeof doc['current-context'] === 'string' && doc['current-context']) current = doc['current-context'];
    if (Array.isArray(doc.contexts)) for (const c of doc.contexts) if (isRecord(c) && typeof c.name === 'string') contexts.push(c.name);
  }
  const k8s = isRecord(config.kubernetes) ? config.kubernetes : undefined;
  const listed = k8s?.allowed_contexts;
  const allowed = listed === 'all' ? contexts : Array.isArray(listed) ? listed.filter((c): c is string => typeof c === 'string') : undefined;
  const chosen = allowed ?? (current ? [current] : []);
  const out: InfraDetection[] = [];
  for (const ctx of chosen) {
    out.push(
      contexts.includes(ctx)
        ? { infra: `k8s/${ctx}`, enabled: true, reason: `Context '${ctx}' in ${files.join(', ')}.` }
        : { infra: `k8s/${ctx}`, enabled: false, reason: `Context '${ctx}' is not in ${files.join(', ')}.` },
    );
  }
  if (out.length === 0)
    out.push({ infra: 'kubernetes', enabled: false, reason: `${files.join(', ')} has no current-context. Run \`kubectl config use-context NAME\`.` });
  return out;
}

/** Node pools named in SKYDECK_HOME/ssh_node_pools.yaml, else ~/.sky/ssh_node_pools.yaml (SkyPilot's format: pool -> {hosts, user, ...}). */
export function detectSshPools(): InfraDetection[] {
  const file = process.env.SKYDECK_SSH_NODE_POOLS || sshNodePoolsPath();
  if (!fs.existsSync(file)) return [{ infra: 'ssh', enabled: false, reason: `No node pools: add them to ${file}.` }];
  const doc = readYaml(file);
  if (!isRecord(doc)) return [{ infra: 'ssh', enabled: false, reason: `${file} is not a mapping of node pools.` }];
  const pools = Object.entries(doc).filter(([, v]) => isRecord(v));
  if (pools.length === 0) return [{ infra: 'ssh', enabled: false, reason: `${file} defines no node pool.` }];
  return pools.map(([name, v]) => {
    const hosts = Array.isArray((v as Record<string, unknown>).hosts) ? ((v as Record<string, unknown>).hosts as unknown[]).length : 0;
    return { infra: `ssh/${name}`, enabled: hosts > 0, reason: hosts > 0 ? `${hosts} host(s) in ${file}.` : `Pool '${name}' lists no hosts.` };
  });
}

/** The cloud an infra string belongs to, in `allowed_clouds` terms. */
function cloudOf(infra: string): string {
  const head = infra.split('/')[0];
  return head === 'k8s' ? 'kubernetes' : head;
}

/**
 * `allowed_clouds` of the configuration: infra of any other cloud is disabled, with the reason.
 * `local` (SkyDeck's own, not a SkyPilot cloud, so it cannot be listed) stays enabled.
 */
function applyAllowedClouds(rows: InfraDetection[], config: ConfigMap): InfraDetection[] {
  return rows.map((r) =>
    infraAllowed(r.infra, config)
      ? r
      : { ...r, enabled: false, reason: `Not in allowed_clouds (${(config.allowed_clouds as string[]).join(', ') || 'empty'}) of the SkyPilot config.` },
  );
}

/** Whether `allowed_clouds` (when set) lets the optimizer use `infra`. */
export function infraAllowed(infra: string, config: ConfigMap = activeConfig()): boolean {
  const allowed = config.allowed_clouds;
  if (!Array.isArray(allowed) || infra === 'local') return true;
  return allowed.some((c) => String(c).toLowerCase() === cloudOf(infra));
}

/** Everything we can tell without asking any provider. `local` is always enabled. */
export function detectInfra(env: Env = process.env): InfraDetection[] {
  const config = activeConfig(env);
  return applyAllowedClouds(
    [
      { infra: 'local', enabled: true, reason: 'This machine (always available).' },
      detectAws(env),
      detectGcp(env),
      detectAzure(env),
      ...detectKubernetes(env, config),
      ...detectSshPools(),
    ],
    config,
  );
}

/** The `enabledInfra` list for optimize(): 'local', clouds with credentials, 'k8s/<ctx>', 'ssh/<pool>'. */
export function enabledInfra(env: Env = process.env): string[] {
  return detectInfra(env)
    .filter((d) => d.enabled)
    .map((d) => d.infra);
}
