/** SkyPilot's error -> blocklist scope table (skypilot-behavior.md 4.3), per cloud. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mapAwsError } from '../../../engine/infra/aws/errors';
import { mapGcpError } from '../../../engine/infra/gcp/errors';
import { mapAzureError } from '../../../engine/infra/azure/errors';

const named = (name: string, message = 'x') => Object.assign(new Error(message), { name });
const ks = (e: { kind: string; scope: string }) => [e.kind, e.scope];

describe('AWS error mapping', () => {
  const cases: [string, string, string][] = [
    ['InsufficientInstanceCapacity', 'capacity', 'zone'],
    ['Unsupported', 'capacity', 'zone'],
    ['SpotMaxPriceTooLow', 'capacity', 'zone'],
    ['VcpuLimitExceeded', 'quota', 'region'],
    ['MaxSpotInstanceCountExceeded', 'quota', 'region'],
    ['AuthFailure', 'auth', 'cloud'],
    ['UnauthorizedOperation', 'auth', 'cloud'],
    ['CredentialsProviderError', 'auth', 'cloud'],
    ['OptInRequired', 'config', 'region'],
    ['InvalidAMIID.NotFound', 'config', 'region'],
    ['InvalidParameterValue', 'other', 'zone'],
  ];
  for (const [code, kind, scope] of cases) {
    it(`${code} -> ${kind}/${scope}`, () => {
      const e = mapAwsError(named(code, 'msg'), { region: 'us-east-1', zone: 'us-east-1a' });
      assert.equal(e.name, 'ProvisionError');
      assert.deepEqual([e.kind, e.scope], [kind, scope]);
      assert.match(e.message, new RegExp(`^AWS us-east-1/us-east-1a: ${code.replace('.', '\\.')}`));
    });
  }
  it('network failures reaching the endpoint block the region', () => {
    const e = mapAwsError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), { region: 'us-west-2' });
    assert.deepEqual([e.kind, e.scope], ['unreachable', 'region']);
  });
});

describe('GCP error mapping', () => {
  const op = (code: string, message: string) => Object.assign(new Error(message), { code });
  it('GPUS_ALL_REGIONS quota blocks the launchable everywhere; other quota the region; "in zone" the zone', () => {
    assert.equal(mapGcpError(op('QUOTA_EXCEEDED', "Quota 'GPUS_ALL_REGIONS' exceeded.  Limit: 0.0 globally."), { region: 'us-central1' }).scope, 'launchable');
    assert.equal(mapGcpError(op('QUOTA_EXCEEDED', "Quota 'CPUS' exceeded.  Limit: 24.0 in region us-central1."), { region: 'us-central1' }).scope, 'region');
    assert.equal(mapGcpError(op('QUOTA_EXCEEDED', "Quota 'X' exceeded in zone us-central1-a."), { region: 'us-central1' }).scope, 'zone');
  });
  for (const code of [
    'ZONE_RESOURCE_POOL_EXHAUSTED',
    'ZONE_RESOURCE_POOL_EXHAUSTED_WITH_DETAILS',
    'UNSUPPORTED_OPERATION',
    'RESOURCE_NOT_READY',
    'RESOURCE_OPERATION_RATE_EXCEEDED',
  ]) {
    it(`${code} -> capacity/zone`, () => assert.deepEqual(ks(mapGcpError(op(code, 'm'), { region: 'r', zone: 'r-a' })), ['capacity', 'zone']));
  }
  it('VPC_NOT_FOUND, IAM_PERMISSION_DENIED and disk smaller than image block all regions; SUBNET_NOT_FOUND_FOR_VPC the region', () => {
    assert.equal(mapGcpError(op('VPC_NOT_FOUND', 'm'), { region: 'r' }).scope, 'launchable');
    assert.equal(mapGcpError(op('IAM_PERMISSION_DENIED', 'm'), { region: 'r' }).scope, 'launchable');
    assert.equal(mapGcpError(op('INVALID', 'Requested disk size cannot be smaller than the image size (10 GB)'), { region: 'r' }).scope, 'launchable');
    assert.equal(mapGcpError(op('SUBNET_NOT_FOUND_FOR_VPC', 'm'), { region: 'r' }).scope, 'region');
  });
  it('HTTP errors: 401 -> auth/cloud, quotaExceeded reason -> quota, anything unparsed -> zone', () => {
    assert.deepEqual(ks(mapGcpError(Object.assign(new Error('Request had invalid authentication credentials.'), { code: 16 }), { region: 'r' })), [
      'auth',
      'cloud',
    ]);
    assert.equal(
      mapGcpError(Object.assign(new Error("Quota 'GPUS_ALL_REGIONS' exceeded."), { code: 7, reason: 'quotaExceeded' }), { region: 'r' }).scope,
      'launchable',
    );
    assert.equal(mapGcpError(new Error('something odd'), { region: 'r', zone: 'r-a' }).scope, 'zone');
  });
});

describe('Azure error mapping', () => {
  const rest = (code: string, message = 'm') => Object.assign(new Error(message), { name: 'RestError', code, statusCode: 409 });
  it('disabled subscription and authentication errors block all of Azure', () => {
    assert.equal(mapAzureError(rest('ReadOnlyDisabledSubscription'), 'eastus').scope, 'cloud');
    assert.equal(mapAzureError(named('ClientAuthenticationError'), 'eastus').scope, 'cloud');
    assert.equal(mapAzureError(named('CredentialUnavailableError'), 'eastus').kind, 'auth');
  });
  it('everything else blocks the region, with capacity and quota told apart', () => {
    const lro = new Error('The long-running operation has failed. AllocationFailed. Allocation failed.');
    assert.deepEqual(ks(mapAzureError(lro, 'eastus')), ['capacity', 'region']);
    assert.deepEqual(ks(mapAzureError(rest('OperationNotAllowed', 'exceeding approved Total Regional Cores quota'), 'eastus')), ['quota', 'region']);
    assert.deepEqual(ks(mapAzureError(rest('InvalidParameter'), 'eastus')), ['other', 'region']);
  });
});
