/**
 * Application default credentials and the project, found from files and the environment
 * only (never the GCE metadata server, which off Google Cloud costs timeouts and leaves
 * the machine): GOOGLE_APPLICATION_CREDENTIALS, gcloud's ADC file, or an access token in
 * SKYDECK_GCP_ACCESS_TOKEN (e.g. from `gcloud auth print-access-token`); the project from
 * GOOGLE_CLOUD_PROJECT / GCLOUD_PROJECT / CLOUDSDK_CORE_PROJECT, the key file, or gcloud's
 * active configuration.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export interface GcpCredentials {
  found: boolean;
  /** What was found, or what is missing and what to do. */
  description: string;
  project?: string;
  /** Static bearer token (SKYDECK_GCP_ACCESS_TOKEN). */
  accessToken?: string;
  keyFile?: string;
}

function gcloudDir(env: NodeJS.ProcessEnv): string {
  return env.CLOUDSDK_CONFIG || path.join(env.HOME || os.homedir(), '.config', 'gcloud');
}

function readJson(file: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (_) {
    return undefined;
  }
}

/** [core] project of gcloud's active configuration. */
function gcloudProject(env: NodeJS.ProcessEnv): string | undefined {
  const dir = gcloudDir(env);
  let active = env.CLOUDSDK_ACTIVE_CONFIG_NAME;
  if (!active) {
    try {
      active = fs.readFileSync(path.join(dir, 'active_config'), 'utf8').trim();
    } catch (_) {
      active = 'default';
    }
  }
  let text: string;
  try {
    text = fs.readFileSync(path.join(dir, 'configurations', `config_${active}`), 'utf8');
  } catch (_) {
    return undefined;
  }
  let section = '';
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    const sec = /^\[(.+)\]$/.exec(line);
    if (sec) section = sec[1];
    const kv = /^project\s*=\s*(\S+)/.exec(line);
    if (section === 'core' && kv) return kv[1];
  }
  return undefined;
}

export function findGcpCredentials(env: NodeJS.ProcessEnv = process.env): GcpCredentials {
  const envProject = env.GOOGLE_CLOUD_PROJECT || env.GCLOUD_PROJECT || env.CLOUDSDK_CORE_PROJECT;
  let description: string;
  let keyProject: string | undefined;
  let accessToken: string | undefined;
  let keyFile: string | undefined;
  if (env.SKYDECK_GCP_ACCESS_TOKEN) {
    accessToken = env.SKYDECK_GCP_ACCESS_TOKEN;
    description = 'an access token from SKYDECK_GCP_ACCESS_TOKEN';
  } else if (env.GOOGLE_APPLICATION_CREDENTIALS) {
    keyFile = env.GOOGLE_APPLICATION_CREDENTIALS;
    const key = readJson(keyFile);
    if (!key) {
      return {
        found: false,
        description: `GOOGLE_APPLICATION_CREDENTIALS points to ${keyFile}, which does not exist or is not a JSON key file. Fix the path or unset it.`,
      };
    }
    keyProject = (key.project_id as string | undefined) ?? (key.quota_project_id as string | undefined);
    description = `${String(key.type ?? 'credentials')} from GOOGLE_APPLICATION_CREDENTIALS (${keyFile})`;
  } else {
    const adc = path.join(gcloudDir(env), 'application_default_credentials.json');
    const key = readJson(adc);
    if (!key) {
      return {
        found: false,
        description:
          `No GCP credentials found: GOOGLE_APPLICATION_CREDENTIALS is not set and ${adc} does not exist. ` +
          'Run `gcloud auth application-default login` (and `gcloud config set project <PROJECT>`), or point GOOGLE_APPLICATION_CREDENTIALS at a service-account key.',
      };
    }
    keyFile = adc;
    keyProject = key.quota_project_id as string | undefined;
    description = `application default credentials (${adc})`;
  }
  const project = envProject || keyProject || gcloudProject(env);
  if (!project) {
    return {
      found: false,
      accessToken,
      keyFile,
      description: `Found ${description}, but no project: set GOOGLE_CLOUD_PROJECT or run \`gcloud config set project <PROJECT>\`.`,
    };
  }
  return { found: true, description: `${description}, project ${project}`, project, accessToken, keyFile };
}

/** A credential file the head node can mint tokens from (docs/AUTOSTOP.md), or why there is none. */
export type GcpNodeCredential = { found: true; source: string; content: Buffer } | { found: false; reason: string };

/**
 * The user's credential file for a node acting as the user (`gcp.remote_identity:
 * LOCAL_CREDENTIALS`), as SkyPilot uploads it: the key GOOGLE_APPLICATION_CREDENTIALS names,
 * else gcloud's application default credentials. Only the two kinds a node can turn into a
 * token with python3 and openssl alone: `authorized_user` (a refresh token) and
 * `service_account` (a private key). A token in SKYDECK_GCP_ACCESS_TOKEN expires within the
 * hour, so it is never given to a node.
 */
export function findGcpNodeCredential(env: NodeJS.ProcessEnv = process.env): GcpNodeCredential {
  const file = env.GOOGLE_APPLICATION_CREDENTIALS || path.join(gcloudDir(env), 'application_default_credentials.json');
  let content: Buffer;
  try {
    content = fs.readFileSync(file);
  } catch (_) {
    return { found: false, reason: `no credential file (${file})` };
  }
  let type: unknown;
  try {
    type = (JSON.parse(content.toString('utf8')) as Record<string, unknown>).type;
  } catch (_) {
    return { found: false, reason: `${file} is not a JSON credential file` };
  }
  if (type !== 'authorized_user' && type !== 'service_account') {
    return { found: false, reason: `${file} holds a '${String(type)}' credential, which a node cannot use without Google's SDK` };
  }
  return { found: true, source: file, content };
}
