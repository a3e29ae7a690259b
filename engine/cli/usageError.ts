/**
 * A command line that cannot be run as written (bad option value, missing or conflicting
 * arguments). SkyPilot's CLI (click) exits 2 for these, so `main` does too; errors raised
 * while doing the work exit 1.
 */
import { InputError } from '../errors';

export class UsageError extends InputError {
  constructor(message: string, options?: { hint?: string }) {
    super(message, { ...options, code: 'USAGE' });
  }
}

export const USAGE_EXIT_CODE = 2;
