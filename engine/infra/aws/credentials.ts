/**
 * Where AWS credentials would come from, found without calling any endpoint. The SDK's
 * default chain ends with the EC2 instance-metadata service (169.254.169.254), which off
 * EC2 costs seconds of timeouts and leaves the machine; we only let the chain go there
 * when the user opts in (AWS_EC2_METADATA_DISABLED=false), and otherwise explain what is missing.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export interface AwsCredentialSource {
  found: boolean;
  description: string;
  profile: string;
  /** Region from the environment or the profile, if any. */
  region?: string;
}

function iniSections(file: string): Map<string, Record<string, string>> {
  const out = new Map<string, Record<string, string>>();
  if (!fs.existsSync(file)) return out;
  let current: Record<string, string> | undefined;
  for (const raw of fs.readFileSync(file, 'utf8').split(/\r?\n/)) {
    const line = raw.replace(/[#;].*$/, '').trim();
    if (!line) continue;
    const sec = /^\[\s*(.+?)\s*\]$/.exec(line);
    if (sec) {
      current = {};
      out.set(sec[1], current);
      continue;
    }
    const kv = /^([^=]+?)\s*=\s*(.*)$/.exec(line);
    if (kv && current) current[kv[1].toLowerCase()] = kv[2];
  }
  return out;
}

function tildeFile(p: string | undefined, fallback: string): string {
  const f = p || fallback;
  return f.startsWith('~/') ? path.join(os.homedir(), f.slice(2)) : f;
}

const PROFILE_KEYS = ['aws_access_key_id', 'role_arn', 'credential_process', 'sso_session', 'sso_start_url', 'web_identity_token_file'];

export function findAwsCredentials(env: NodeJS.ProcessEnv = process.env): AwsCredentialSource {
  const profile = env.AWS_PROFILE || env.AWS_DEFAULT_PROFILE || 'default';
  const credsFile = tildeFile(env.AWS_SHARED_CREDENTIALS_FILE, path.join(env.HOME || os.homedir(), '.aws', 'credentials'));
  const configFile = tildeFile(env.AWS_CONFIG_FILE, path.join(env.HOME || os.homedir(), '.aws', 'config'));
  const creds = iniSections(credsFile).get(profile);
  const config =
    iniSections(configFile).get(profile === 'default' ? 'default' : `profile ${profile}`) ??
    (profile === 'default' ? undefined : iniSections(configFile).get(profile));
  const region = env.AWS_REGION || env.AWS_DEFAULT_REGION || config?.region;
  const base = { profile, region };
  if (env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) {
    return { ...base, found: true, description: 'access keys from the environment (AWS_ACCESS_KEY_ID)' };
  }
  if (env.AWS_WEB_IDENTITY_TOKEN_FILE && env.AWS_ROLE_ARN) return { ...base, found: true, description: `web identity role ${env.AWS_ROLE_ARN}` };
  if (env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI || env.AWS_CONTAINER_CREDENTIALS_FULL_URI) {
    return { ...base, found: true, description: 'container credentials (ECS task role)' };
  }
  if (creds && PROFILE_KEYS.some((k) => k in creds)) return { ...base, found: true, description: `profile '${profile}' in ${credsFile}` };
  if (config && PROFILE_KEYS.some((k) => k in config)) return { ...base, found: true, description: `profile '${profile}' in ${configFile}` };
  if (env.AWS_EC2_METADATA_DISABLED === 'false') return { ...base, found: true, description: 'the EC2 instance role (instance metadata)' };
  const missingProfile = env.AWS_PROFILE && !creds && !config ? ` Profile '${env.AWS_PROFILE}' (AWS_PROFILE) is not in ${credsFile} or ${configFile}.` : '';
  return {
    ...base,
    found: false,
    description:
      `No AWS credentials found: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY are not set and ${credsFile} has no profile '${profile}'.${missingProfile} ` +
      'Run `aws configure` (or set AWS_PROFILE to a configured profile). On EC2 with an instance role, set AWS_EC2_METADATA_DISABLED=false.',
  };
}
