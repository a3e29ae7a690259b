import { SkyDeckError } from '../../errors';
import type { Provider } from '../provider';

/** The `ssh` provider. (Skeleton: filled in by the issue that owns it.) */
export function createProvider(): Provider {
  throw new SkyDeckError('NOT_IMPLEMENTED', "The 'ssh' provider is not implemented yet.");
}
