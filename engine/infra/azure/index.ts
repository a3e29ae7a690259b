/** The `azure` provider entry (bundle dist/providers/azure.js); the ARM SDKs load on first real use. */
import type { Provider } from '../provider';
import type { CloudProviderOptions } from '../../vmShared/options';
import { lazyProvider } from '../../vmShared/lazyProvider';
import { guestShutdownCommands } from '../../vmShared/guestShutdown';
import { findAzureCredentials } from './credentials';

export function createProvider(options?: CloudProviderOptions): Provider {
  return lazyProvider({
    name: 'azure',
    canStop: true,
    quickCheck: () => {
      const creds = findAzureCredentials();
      return creds.found ? undefined : { enabled: false, reason: creds.description };
    },
    load: async () => new (await import('./azureProvider')).AzureProvider(options),
    // The node powers itself off, which ends its jobs; Azure keeps such a VM allocated (compute
    // still billed) until it is deallocated through the API, which the node holds no credential
    // for: the next `skydeck status -r` deallocates (autostop) or deletes (autodown) it. docs/AUTOSTOP.md.
    autostopCommands: guestShutdownCommands,
  });
}
