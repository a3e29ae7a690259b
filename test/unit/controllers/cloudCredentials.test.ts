import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse } from 'yaml';
import { cloudCredentialPlan } from '../../../engine/controllers/cloudCredentials';

const home = fs.mkdtempSync(path.join(os.tmpdir(), 'skydeck-cred-plan-'));
after(() => fs.rmSync(home, { recursive: true, force: true }));

function write(rel: string, text: string): string {
  const file = path.join(home, rel);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  return file;
}

test('AWS: the shared credentials and config files are copied and the SDK pointed at them; environment keys are not', () => {
  const bare = { HOME: path.join(home, 'nobody') };
  const envOnly = cloudCredentialPlan({ ...bare, AWS_ACCESS_KEY_ID: 'AKIA', AWS_SECRET_ACCESS_KEY: 'env-secret' });
  assert.equal(envOnly.covered.has('aws'), false);
  assert.match(envOnly.notCopied.get('aws') ?? '', /environment/);
  assert.equal(JSON.stringify(envOnly.env).includes('env-secret'), false);

  const creds = write('aws/creds', '[work]\naws_access_key_id = AKIA\naws_secret_access_key = file-secret\n');
  const config = write('aws/config', '[profile work]\nregion = eu-west-1\n');
  const plan = cloudCredentialPlan({ ...bare, AWS_SHARED_CREDENTIALS_FILE: creds, AWS_CONFIG_FILE: config, AWS_PROFILE: 'work' });
  assert.ok(plan.covered.has('aws'));
  assert.deepEqual(
    plan.files.map((f) => [f.dest, f.source]),
    [
      ['aws/credentials', creds],
      ['aws/config', config],
    ],
  );
  assert.deepEqual(plan.env, [
    { name: 'AWS_SHARED_CREDENTIALS_FILE', dest: 'aws/credentials' },
    { name: 'AWS_CONFIG_FILE', dest: 'aws/config' },
    { name: 'AWS_PROFILE', value: 'work' },
    { name: 'AWS_DEFAULT_REGION', value: 'eu-west-1' },
  ]);
  // Secrets travel only as file contents, never as variables.
  assert.equal(JSON.stringify(plan.env).includes('file-secret'), false);
});

test('GCP: the key file (ADC) and the project; Azure: the CLI login files only', () => {
  const key = write('gcp/key.json', JSON.stringify({ type: 'service_account', project_id: 'proj-1', private_key: 'x' }));
  const plan = cloudCredentialPlan({ HOME: path.join(home, 'nobody'), GOOGLE_APPLICATION_CREDENTIALS: key });
  assert.ok(plan.covered.has('gcp'));
  assert.deepEqual(plan.env, [
    { name: 'GOOGLE_APPLICATION_CREDENTIALS', dest: 'gcp/credentials.json' },
    { name: 'GOOGLE_CLOUD_PROJECT', value: 'proj-1' },
  ]);
  const token = cloudCredentialPlan({ HOME: path.join(home, 'nobody'), SKYDECK_GCP_ACCESS_TOKEN: 'tok', GOOGLE_CLOUD_PROJECT: 'p' });
  assert.equal(token.covered.has('gcp'), false);
  assert.ok(token.notCopied.has('gcp'));

  const azureDir = path.join(home, 'azure');
  write('azure/azureProfile.json', JSON.stringify({ subscriptions: [{ id: 'sub-1', isDefault: true }] }));
  write('azure/msal_token_cache.json', '{}');
  write('azure/commands/huge.log', 'not a credential');
  const az = cloudCredentialPlan({ HOME: path.join(home, 'nobody'), AZURE_CONFIG_DIR: azureDir });
  assert.ok(az.covered.has('azure'));
  assert.deepEqual(az.files.map((f) => f.dest).sort(), ['azure/azureProfile.json', 'azure/msal_token_cache.json']);
  assert.deepEqual(az.env, [
    { name: 'AZURE_CONFIG_DIR', dest: 'azure' },
    { name: 'AZURE_SUBSCRIPTION_ID', value: 'sub-1' },
  ]);
  const principal = cloudCredentialPlan({
    HOME: path.join(home, 'nobody'),
    AZURE_CLIENT_ID: 'c',
    AZURE_TENANT_ID: 't',
    AZURE_CLIENT_SECRET: 's',
    AZURE_SUBSCRIPTION_ID: 'x',
  });
  assert.equal(principal.covered.has('azure'), false);
  assert.ok(principal.notCopied.has('azure'));
});

test('Kubernetes: the kubeconfig files merged into one that stands alone (referenced certificate files inlined)', () => {
  const ca = write('kube/ca.crt', 'CA-BYTES');
  const a = write(
    'kube/a',
    `apiVersion: v1\nkind: Config\ncurrent-context: one\nclusters:\n- name: c1\n  cluster:\n    server: https://127.0.0.1:1\n    certificate-authority: ${ca}\nusers:\n- name: u1\n  user:\n    token: t\ncontexts:\n- name: one\n  context: {cluster: c1, user: u1}\n`,
  );
  const b = write(
    'kube/b',
    'apiVersion: v1\nkind: Config\ncurrent-context: two\nclusters:\n- name: c1\n  cluster: {server: https://shadowed}\n- name: c2\n  cluster: {server: https://127.0.0.1:2}\ncontexts:\n- name: two\n  context: {cluster: c2, user: u1}\n',
  );
  const plan = cloudCredentialPlan({ HOME: path.join(home, 'nobody'), KUBECONFIG: [a, b].join(path.delimiter) });
  assert.ok(plan.covered.has('kubernetes'));
  const doc = parse(plan.files.find((f) => f.dest === 'kube/config')!.content.toString()) as {
    'current-context': string;
    clusters: { name: string; cluster: Record<string, string> }[];
    contexts: { name: string }[];
  };
  assert.equal(doc['current-context'], 'one');
  assert.deepEqual(
    doc.clusters.map((c) => [c.name, c.cluster.server]),
    [
      ['c1', 'https://127.0.0.1:1'],
      ['c2', 'https://127.0.0.1:2'],
    ],
  );
  assert.equal(Buffer.from(doc.clusters[0].cluster['certificate-authority-data'], 'base64').toString(), 'CA-BYTES');
  assert.equal(doc.clusters[0].cluster['certificate-authority'], undefined);
  assert.deepEqual(
    doc.contexts.map((c) => c.name),
    ['one', 'two'],
  );
});
