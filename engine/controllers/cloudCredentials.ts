/**
 * The cloud credential files a controller cluster needs to launch job clusters and
 * replicas on the user's clouds, as SkyPilot's clouds list them for its controllers
 * (`get_credential_file_mounts`): AWS's shared credentials and config files, GCP's
 * application default credentials (or the key file GOOGLE_APPLICATION_CREDENTIALS names),
 * the Azure CLI's login files, and the kubeconfig. Only files are copied, never secrets
 * held in environment variables (SkyPilot copies files too); a cloud whose credentials
 * live only in the environment is reported as not reachable from a controller.
 *
 * On the node the copies live under the controllers' SKYDECK_HOME (`credentials/cloud/`,
 * 0600), and the remote CLI points each cloud's SDK at them through its own variable
 * (AWS_SHARED_CREDENTIALS_FILE, GOOGLE_APPLICATION_CREDENTIALS, AZURE_CONFIG_DIR,
 * KUBECONFIG), so a host's own ~/.aws or ~/.kube is never overwritten. Nothing here is
 * written to SkyDeck's state, logs or JSON output: only file paths and non-secret values
 * (profile, project, subscription) are named.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse as parseYaml, stringify } from 'yaml';
import { findAwsCredentials } from '../infra/aws/credentials';
import { awsCredentialUpload } from '../infra/aws/remoteIdentity';
import { findAzureCredentials } from '../infra/azure/credentials';
import { findGcpCredentials } from '../infra/gcp/credentials';
import { existingKubeconfigs } from '../infra/kubernetes/kubeconfigFiles';
import { activeConfig } from '../config/active';
import { getPath } from '../config/merge';

/** The clouds whose credentials are copied, by the `cloud` of a task's infra. */
export type CredentialCloud = 'aws' | 'gcp' | 'azure' | 'kubernetes';

export interface CredentialFile {
  cloud: CredentialCloud;
  /** Where it was read on this machine (for messages). */
  source: string;
  /** Path under the node's `credentials/cloud/`. */
  dest: string;
  content: Buffer;
}

export interface CredentialEnv {
  name: string;
  /** A path under `credentials/cloud/` on the node... */
  dest?: string;
  /** ...or a plain, non-secret value (a profile, project or subscription name). */
  value?: string;
}

export interface CloudCredentialPlan {
  files: CredentialFile[];
  env: CredentialEnv[];
  /** Clouds a controller holding these files can launch on. */
  covered: Set<CredentialCloud>;
  /** Clouds enabled here whose credentials cannot be copied, and why. */
  notCopied: Map<CredentialCloud, string>;
  /** Clouds whose files are kept off the node by the config (`aws.remote_identity`), and how the node authenticates instead. */
  withheld: Map<CredentialCloud, string>;
}

/** The controller cluster the files are for: its cloud (a task's `infra` cloud) and name. */
export interface CredentialTarget {
  cloud: string;
  clusterName: string;
}

function readIfFile(file: string): Buffer | undefined {
  try {
    return fs.statSync(file).isFile() ? fs.readFileSync(file) : undefined;
  } catch {
    return undefined;
  }
}

function home(env: NodeJS.ProcessEnv): string {
  return env.HOME || os.homedir();
}

function tilde(file: string, env: NodeJS.ProcessEnv): string {
  return file.startsWith('~/') ? path.join(home(env), file.slice(2)) : file;
}

/** The variables the file-based credential lookups read (and nothing secret). */
function fileOnly(env: NodeJS.ProcessEnv, keys: string[]): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { HOME: home(env) };
  for (const k of keys) if (env[k] !== undefined) out[k] = env[k];
  return out;
}

function aws(env: NodeJS.ProcessEnv, plan: CloudCredentialPlan, target: CredentialTarget | undefined): void {
  const allowed = target ? awsCredentialUpload(target) : { upload: true as const };
  if (!allowed.upload) {
    // On an AWS node the SDK finds the instance's own identity through instance metadata,
    // which SkyDeck asks only when allowed (credentials.ts); elsewhere that would only time out.
    const onAws = target?.cloud === 'aws';
    if (onAws) plan.env.push({ name: 'AWS_EC2_METADATA_DISABLED', value: 'false' });
    const how = allowed.instanceProfile
      ? `its instance profile '${allowed.instanceProfile}'`
      : onAws
        ? "the node's own identity (its instance profile, or credentials already on it), if it has one"
        : 'credentials already on the node, if any';
    plan.withheld.set('aws', `AWS credential files are not copied (${allowed.reason}): the controller authenticates to AWS with ${how}.`);
    if (findAwsCredentials(env).found) plan.covered.add('aws');
    return;
  }
  const credentials = tilde(env.AWS_SHARED_CREDENTIALS_FILE || path.join(home(env), '.aws', 'credentials'), env);
  const config = tilde(env.AWS_CONFIG_FILE || path.join(home(env), '.aws', 'config'), env);
  const fromFiles = findAwsCredentials(fileOnly(env, ['AWS_SHARED_CREDENTIALS_FILE', 'AWS_CONFIG_FILE', 'AWS_PROFILE', 'AWS_DEFAULT_PROFILE']));
  if (!fromFiles.found) {
    if (findAwsCredentials(env).found)
      plan.notCopied.set(
        'aws',
        `AWS credentials come from ${findAwsCredentials(env).description}, which is not a file a controller can be given (use ~/.aws/credentials).`,
      );
    return;
  }
  for (const [file, dest, name] of [
    [credentials, 'aws/credentials', 'AWS_SHARED_CREDENTIALS_FILE'],
    [config, 'aws/config', 'AWS_CONFIG_FILE'],
  ] as const) {
    const content = readIfFile(file);
    if (!content) continue;
    plan.files.push({ cloud: 'aws', source: file, dest, content });
    plan.env.push({ name, dest });
  }
  const profile = env.AWS_PROFILE || env.AWS_DEFAULT_PROFILE;
  if (profile) plan.env.push({ name: 'AWS_PROFILE', value: profile });
  if (fromFiles.region) plan.env.push({ name: 'AWS_DEFAULT_REGION', value: fromFiles.region });
  plan.covered.add('aws');
}

function gcp(env: NodeJS.ProcessEnv, plan: CloudCredentialPlan): void {
  const creds = findGcpCredentials(env);
  if (!creds.found) return;
  const content = creds.keyFile ? readIfFile(creds.keyFile) : undefined;
  if (!content) {
    plan.notCopied.set(
      'gcp',
      `GCP credentials come from ${creds.description.split(',')[0]}, which is not a file a controller can be given (run \`gcloud auth application-default login\`).`,
    );
    return;
  }
  plan.files.push({ cloud: 'gcp', source: creds.keyFile!, dest: 'gcp/credentials.json', content });
  plan.env.push({ name: 'GOOGLE_APPLICATION_CREDENTIALS', dest: 'gcp/credentials.json' });
  if (creds.project) plan.env.push({ name: 'GOOGLE_CLOUD_PROJECT', value: creds.project });
  plan.covered.add('gcp');
}

/** The Azure CLI's login files (SkyPilot copies the same ones, not the CLI's logs or caches). */
const AZURE_FILES = ['azureProfile.json', 'clouds.config', 'config', 'msal_token_cache.json', 'msal_token_cache.bin', 'service_principal_entries.json'];

function azure(env: NodeJS.ProcessEnv, plan: CloudCredentialPlan): void {
  const all = findAzureCredentials(env);
  if (!all.found) return;
  const dir = env.AZURE_CONFIG_DIR || path.join(home(env), '.azure');
  const fromFiles = findAzureCredentials(fileOnly(env, ['AZURE_CONFIG_DIR', 'AZURE_SUBSCRIPTION_ID']));
  const files = AZURE_FILES.map((f) => ({ f, content: readIfFile(path.join(dir, f)) })).filter((x) => x.content);
  if (!fromFiles.found || files.length === 0) {
    plan.notCopied.set('azure', `Azure credentials come from ${all.description}, which is not a file a controller can be given (run \`az login\`).`);
    return;
  }
  for (const { f, content } of files) plan.files.push({ cloud: 'azure', source: path.join(dir, f), dest: `azure/${f}`, content: content! });
  plan.env.push({ name: 'AZURE_CONFIG_DIR', dest: 'azure' });
  if (all.subscriptionId) plan.env.push({ name: 'AZURE_SUBSCRIPTION_ID', value: all.subscriptionId });
  plan.covered.add('azure');
}

type YamlMap = Record<string, unknown>;
const isMap = (v: unknown): v is YamlMap => !!v && typeof v === 'object' && !Array.isArray(v);

/** Inlines a file a kubeconfig entry points at (a CA, a client certificate or key): the copy must stand alone. */
function inlineFiles(entry: YamlMap, base: string, fields: [string, string][]): void {
  for (const [fileKey, dataKey] of fields) {
    const ref = entry[fileKey];
    if (typeof ref !== 'string') continue;
    const content = readIfFile(path.resolve(base, ref));
    if (content) {
      entry[dataKey] = content.toString('base64');
      delete entry[fileKey];
    }
  }
}

/** The kubeconfig files merged as kubectl merges them (first file wins), with referenced files inlined. */
function mergedKubeconfig(files: string[]): string {
  const out: YamlMap = { apiVersion: 'v1', kind: 'Config', clusters: [], users: [], contexts: [] };
  for (const file of files) {
    let doc: unknown;
    try {
      doc = parseYaml(fs.readFileSync(file, 'utf8'));
    } catch {
      continue;
    }
    if (!isMap(doc)) continue;
    if (out['current-context'] === undefined && typeof doc['current-context'] === 'string') out['current-context'] = doc['current-context'];
    for (const [list, inner, fields] of [
      ['clusters', 'cluster', [['certificate-authority', 'certificate-authority-data']]],
      [
        'users',
        'user',
        [
          ['client-certificate', 'client-certificate-data'],
          ['client-key', 'client-key-data'],
        ],
      ],
      ['contexts', 'context', []],
    ] as [string, string, [string, string][]][]) {
      const target = out[list] as YamlMap[];
      for (const item of Array.isArray(doc[list]) ? (doc[list] as unknown[]) : []) {
        if (!isMap(item) || target.some((t) => t.name === item.name)) continue;
        const copy = structuredClone(item);
        if (isMap(copy[inner])) inlineFiles(copy[inner], path.dirname(file), fields);
        target.push(copy);
      }
    }
  }
  return stringify(out);
}

/**
 * `kubernetes.remote_identity: NO_UPLOAD` keeps the kubeconfig off every controller, as SkyPilot
 * leaves out a cloud set to NO_UPLOAD. SkyPilot also leaves it off a controller that itself runs
 * on Kubernetes under SERVICE_ACCOUNT (the default) or a named account, which then talks to the
 * API server as that account; SkyDeck's controller reads only kubeconfig files (no in-cluster
 * credentials), so there it is still copied.
 */
function kubernetes(env: NodeJS.ProcessEnv, plan: CloudCredentialPlan): void {
  const files = existingKubeconfigs(env);
  if (files.length === 0) return;
  if (getPath(activeConfig(env), ['kubernetes', 'remote_identity']) === 'NO_UPLOAD') {
    plan.notCopied.set('kubernetes', 'kubernetes.remote_identity is NO_UPLOAD: the kubeconfig is not copied to controllers.');
    return;
  }
  plan.files.push({ cloud: 'kubernetes', source: files.join(path.delimiter), dest: 'kube/config', content: Buffer.from(mergedKubeconfig(files)) });
  plan.env.push({ name: 'KUBECONFIG', dest: 'kube/config' });
  plan.covered.add('kubernetes');
}

/**
 * What this machine's credentials give a controller cluster; `target` (the cluster, once its
 * cloud is known) lets `aws.remote_identity` keep the AWS files off it.
 */
export function cloudCredentialPlan(env: NodeJS.ProcessEnv = process.env, target?: CredentialTarget): CloudCredentialPlan {
  const plan: CloudCredentialPlan = { files: [], env: [], covered: new Set(), notCopied: new Map(), withheld: new Map() };
  aws(env, plan, target);
  gcp(env, plan);
  azure(env, plan);
  kubernetes(env, plan);
  return plan;
}

/** The cloud of an enabled infra name (`aws`, `k8s/ctx`, `ssh/pool`, ...). */
export function cloudOfInfra(infra: string): string {
  const head = infra.split('/')[0];
  return head === 'k8s' ? 'kubernetes' : head;
}
