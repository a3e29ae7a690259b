import { SkyDeckError } from '../../errors';
import type { Provider } from '../provider';

/** The `local` provider. (Skeleton: filled in by the issue that owns it.) */
export function createProvider(): Provider {
  throw new SkyDeckError('NOT_IMPLEMENTED', "The 'local' provider is not implemented yet.");
}
