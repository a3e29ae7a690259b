/** The `azure` provider entry (bundle dist/providers/azure.js); the ARM SDKs load on first real use. */
import type { Provider } from '../provider';
import type { CloudProviderOptions } from '../vm/options';
import { lazyProvider } from '../vm/lazyProvider';
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
  });
}
