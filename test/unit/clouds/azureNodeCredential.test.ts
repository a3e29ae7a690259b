/**
 * Which credential an Azure head gets for its autostop (engine/infra/azure/nodeCredential.ts),
 * from each form this machine may hold it in, and by `azure.remote_identity` per cluster.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { nodeCredential, remoteIdentityFor } from '../../../engine/infra/azure/nodeCredential';
import { azureAutostopCommands } from '../../../engine/infra/azure/nodeAutostop';
import { guestShutdownCommands } from '../../../engine/vmShared/guestShutdown';
import { setActiveConfig } from '../../../engine/config';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skydeck-azcred-'));
const SUB = '00000000-0000-0000-0000-0000000000aa';

function cliDir(name: string, user: { name: string; type: string }, files: Record<string, unknown>): string {
  const d = path.join(dir, name);
  fs.mkdirSync(d, { recursive: true });
  const profile = { subscriptions: [{ id: SUB, tenantId: 'tenant-1', isDefault: true, user }] };
  fs.writeFileSync(path.join(d, 'azureProfile.json'), `\uFEFF${JSON.stringify(profile)}`);
  for (const [f, v] of Object.entries(files)) fs.writeFileSync(path.join(d, f), JSON.stringify(v));
  return d;
}

describe('the Azure head credential for autostop', () => {
  after(() => {
    setActiveConfig(undefined);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('a service principal in the environment: a client-credentials grant at AZURE_AUTHORITY_HOST', () => {
    const env = { AZURE_CLIENT_ID: 'sp', AZURE_TENANT_ID: 't', AZURE_CLIENT_SECRET: 's', AZURE_AUTHORITY_HOST: 'https://login.example/', HOME: dir };
    assert.deepEqual(nodeCredential({ mode: 'local' }, env).token, {
      kind: 'client_credentials',
      authority: 'https://login.example',
      tenant: 't',
      clientId: 'sp',
      clientSecret: 's',
    });
  });

  test('`az login --service-principal`: the secret of the entry the default subscription names', () => {
    const d = cliDir(
      'sp',
      { name: 'app-1', type: 'servicePrincipal' },
      {
        'service_principal_entries.json': [
          { client_id: 'other', tenant: 'tenant-1', client_secret: 'no' },
          { client_id: 'app-1', tenant: 'tenant-1', client_secret: 'yes' },
        ],
      },
    );
    const t = nodeCredential({ mode: 'local' }, { AZURE_CONFIG_DIR: d }).token;
    assert.deepEqual(t, {
      kind: 'client_credentials',
      authority: 'https://login.microsoftonline.com',
      tenant: 'tenant-1',
      clientId: 'app-1',
      clientSecret: 'yes',
    });
  });

  test("`az login` as a user: the account's Azure CLI refresh token, nothing else of the cache", () => {
    const d = cliDir(
      'user',
      { name: 'Ada@Example.com', type: 'user' },
      {
        'msal_token_cache.json': {
          Account: { a: { home_account_id: 'h1', username: 'ada@example.com' }, b: { home_account_id: 'h2', username: 'bob@example.com' } },
          RefreshToken: {
            x: { home_account_id: 'h2', client_id: '04b07795-8ddb-461a-bbee-02f9e1bf7b46', secret: 'bob-rt', environment: 'login.microsoftonline.com' },
            y: { home_account_id: 'h1', client_id: '04b07795-8ddb-461a-bbee-02f9e1bf7b46', secret: 'ada-rt', environment: 'login.microsoftonline.com' },
          },
          AccessToken: { z: { secret: 'an-access-token' } },
        },
      },
    );
    const t = nodeCredential({ mode: 'local' }, { AZURE_CONFIG_DIR: d }).token;
    assert.deepEqual(t, {
      kind: 'refresh_token',
      authority: 'https://login.microsoftonline.com',
      tenant: 'tenant-1',
      clientId: '04b07795-8ddb-461a-bbee-02f9e1bf7b46',
      refreshToken: 'ada-rt',
    });
  });

  test('only a bearer token (it expires): no credential, the node powers off and says why', () => {
    const c = nodeCredential({ mode: 'local' }, { SKYDECK_AZURE_ACCESS_TOKEN: 'tok', AZURE_CONFIG_DIR: path.join(dir, 'none') });
    assert.equal(c.token, undefined);
    assert.match(c.reason, /no service principal secret/);
  });

  test('azure.remote_identity by cluster glob: SERVICE_ACCOUNT / a named identity use IMDS, NO_UPLOAD nothing', () => {
    const named = '/subscriptions/s/resourceGroups/g/providers/Microsoft.ManagedIdentity/userAssignedIdentities/mine';
    setActiveConfig({ azure: { remote_identity: [{ 'svc-*': 'SERVICE_ACCOUNT' }, { 'named-*': named }, { 'off-*': 'NO_UPLOAD' }] } });
    assert.deepEqual(remoteIdentityFor('svc-1'), { mode: 'managed' });
    assert.deepEqual(remoteIdentityFor('named-1'), { mode: 'managed', identity: named });
    assert.deepEqual(remoteIdentityFor('off-1'), { mode: 'none' });
    assert.deepEqual(remoteIdentityFor('other'), { mode: 'local' });
    assert.deepEqual(nodeCredential({ mode: 'managed', identity: named }, {}).token, { kind: 'imds', endpoint: 'http://169.254.169.254', resourceId: named });
    assert.equal(nodeCredential({ mode: 'none' }, { AZURE_CLIENT_ID: 'sp', AZURE_TENANT_ID: 't', AZURE_CLIENT_SECRET: 's' }).token, undefined);
  });

  test('the files and commands: the head runs the program, falling back to powering off; no credential, no files', () => {
    const handle = { clusterName: 'c', nameOnCloud: 'c-1', provider: 'azure', region: 'eastus', data: { resourceGroup: 'skydeck-c-1', subscriptionId: SUB } };
    const env = { AZURE_CLIENT_ID: 'sp', AZURE_TENANT_ID: 't', AZURE_CLIENT_SECRET: 's', HOME: dir };
    const { stop, down, files = [] } = azureAutostopCommands({ ...handle, data: { ...handle.data, remoteIdentity: { mode: 'local' } } }, true, env);
    assert.deepEqual(
      files.map((f) => f.name),
      ['run.py', 'params.json', 'credential.json'],
    );
    const params = JSON.parse(String(files[1].content)) as { arm: string; resource_group: string; subscription: string };
    assert.deepEqual([params.arm, params.resource_group, params.subscription], ['https://management.azure.com', 'skydeck-c-1', SUB]);
    assert.equal((JSON.parse(String(files[2].content)) as { kind: string }).kind, 'client_credentials');
    assert.match(stop, /python3 "\$HOME"\/\S+\/run\.py stop \|\|/);
    assert.match(down, /python3 "\$HOME"\/\S+\/run\.py down \|\|/);
    assert.deepEqual(azureAutostopCommands({ ...handle, data: { ...handle.data, remoteIdentity: { mode: 'none' } } }, true, env), guestShutdownCommands());
  });
});
