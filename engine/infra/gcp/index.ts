/** The `gcp` provider entry (bundle dist/providers/gcp.js); the Compute SDK loads on first real use. */
import type { Provider } from '../provider';
import type { CloudProviderOptions } from '../../vmShared/options';
import { lazyProvider } from '../../vmShared/lazyProvider';
import { guestShutdownCommands } from '../../vmShared/guestShutdown';
import { findGcpCredentials } from './credentials';

export function createProvider(options?: CloudProviderOptions): Provider {
  return lazyProvider({
    name: 'gcp',
    canStop: true,
    quickCheck: () => {
      const creds = findGcpCredentials();
      return creds.found ? undefined : { enabled: false, reason: creds.description };
    },
    load: async () => new (await import('./gcpProvider')).GcpProvider(options),
    // The node powers itself off: GCE marks it TERMINATED (stopped: no compute billing, the disk
    // stays). Deleting it needs the API, which the node holds no credential for: for autodown the
    // next `skydeck status -r` (any machine with the credentials) deletes it. docs/AUTOSTOP.md.
    autostopCommands: guestShutdownCommands,
  });
}
