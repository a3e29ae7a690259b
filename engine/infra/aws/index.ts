/** The `aws` provider entry (bundle dist/providers/aws.js); the EC2 SDK loads on first real use. */
import type { Provider } from '../provider';
import type { CloudProviderOptions } from '../../vmShared/options';
import { lazyProvider } from '../../vmShared/lazyProvider';
import { guestShutdownCommands } from '../../vmShared/guestShutdown';
import { findAwsCredentials } from './credentials';

export function createProvider(options?: CloudProviderOptions): Provider {
  return lazyProvider({
    name: 'aws',
    canStop: true,
    quickCheck: () => {
      const src = findAwsCredentials();
      return src.found ? undefined : { enabled: false, reason: src.description };
    },
    load: async () => new (await import('./awsProvider')).AwsProvider(options),
    // The node powers itself off; the shutdown behaviour chosen at launch (or by prepareAutostop) makes that a stop or a termination.
    autostopCommands: guestShutdownCommands,
  });
}
