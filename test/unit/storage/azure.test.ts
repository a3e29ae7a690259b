// Which Azure storage account the store uses and how it authenticates, from the environment.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { azureAccess } from '../../../engine/storage/stores/azure';

test('AZURE_STORAGE_CONNECTION_STRING: its account, key and endpoint (an emulator is a custom endpoint)', () => {
  const emulator = azureAccess({
    AZURE_STORAGE_CONNECTION_STRING:
      'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=a2V5;BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1/;',
  });
  assert.deepEqual(emulator, { account: 'devstoreaccount1', blobEndpoint: 'http://127.0.0.1:10000/devstoreaccount1', key: 'a2V5', customEndpoint: true });
  const real = azureAccess({
    AZURE_STORAGE_CONNECTION_STRING: 'DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=a2V5;EndpointSuffix=core.windows.net',
  });
  assert.deepEqual(real, { account: 'acct', blobEndpoint: 'https://acct.blob.core.windows.net', key: 'a2V5', customEndpoint: false });
  assert.throws(
    () => azureAccess({ AZURE_STORAGE_CONNECTION_STRING: 'AccountName=acct;AccountKey=a2V5' }, 'other'),
    /storage account "other", but AZURE_STORAGE_CONNECTION_STRING is for account "acct"/,
  );
});

test('the URL account or AZURE_STORAGE_ACCOUNT, with AZURE_STORAGE_KEY when set, else the Azure login', () => {
  assert.deepEqual(azureAccess({}, 'fromurl'), {
    account: 'fromurl',
    blobEndpoint: 'https://fromurl.blob.core.windows.net',
    key: undefined,
    customEndpoint: false,
  });
  assert.deepEqual(azureAccess({ AZURE_STORAGE_ACCOUNT: 'envacct', AZURE_STORAGE_KEY: 'k' }), {
    account: 'envacct',
    blobEndpoint: 'https://envacct.blob.core.windows.net',
    key: 'k',
    customEndpoint: false,
  });
  assert.throws(() => azureAccess({}), /no storage account.*AZURE_STORAGE_CONNECTION_STRING/);
});
