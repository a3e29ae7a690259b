/** The `azure` provider entry (bundle dist/providers/azure.js); the ARM SDKs load on first real use. */
import type { Provider } from '../provider';
import type { CloudProviderOptions } from '../../vmShared/options';
import { lazyProvider } from '../../vmShared/lazyProvider';
import { findAzureCredentials } from './credentials';
import { azureAutostopCommands } from './nodeAutostop';

export function createProvider(options?: CloudProviderOptions): Provider {
  return lazyProvider({
    name: 'azure',
    canStop: true,
    quickCheck: () => {
      const creds = findAzureCredentials();
      return creds.found ? undefined : { enabled: false, reason: creds.description };
    },
    load: async () => new (await import('./azureProvider')).AzureProvider(options),
    // A VM powered off from inside stays allocated (billed): the head deallocates (autostop)
    // or deletes (autodown) the cluster's VMs through ARM with the credential it is given
    // (./nodeAutostop.ts); without one it powers off and the next `status -r` finishes. docs/AUTOSTOP.md.
    autostopCommands: azureAutostopCommands,
  });
}
