/** The `gcp` provider entry (bundle dist/providers/gcp.js); the Compute SDK loads on first real use. */
import type { Provider } from '../provider';
import type { CloudProviderOptions } from '../../vmShared/options';
import { lazyProvider } from '../../vmShared/lazyProvider';
import { findGcpCredentials } from './credentials';
import { gcpAutostopCommands } from './autodown';

export function createProvider(options?: CloudProviderOptions): Provider {
  return lazyProvider({
    name: 'gcp',
    canStop: true,
    quickCheck: () => {
      const creds = findGcpCredentials();
      return creds.found ? undefined : { enabled: false, reason: creds.description };
    },
    load: async () => new (await import('./gcpProvider')).GcpProvider(options),
    // Stop: the node powers itself off and GCE marks it TERMINATED (stopped: no compute billing,
    // the disk stays). Down: the head deletes the cluster through the Compute API with the
    // identity `gcp.remote_identity` gives it (autodown.ts); without one it powers off and the
    // next `skydeck status -r` deletes it. docs/AUTOSTOP.md.
    autostopCommands: gcpAutostopCommands,
  });
}
