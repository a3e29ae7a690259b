/**
 * Typed errors with messages a user can act on: what is wrong, where, what to do.
 * Every layer throws a subclass so the CLI, the server and the extension can decide
 * how to show it (exit code, diagnostic, notification with an action).
 */
export class SkyDeckError extends Error {
  /** Stable machine-readable code, e.g. 'CLUSTER_NOT_FOUND'. */
  readonly code: string;
  /** Optional hint: what the user can do about it. */
  readonly hint?: string;
  constructor(code: string, message: string, options?: { hint?: string; cause?: unknown }) {
    super(message, options?.cause !== undefined ? { cause: options.cause } : undefined);
    this.name = new.target.name;
    this.code = code;
    this.hint = options?.hint;
  }
}

/** The user's input (a task file, a flag, a config file) is wrong. */
export class InputError extends SkyDeckError {
  constructor(message: string, options?: { hint?: string; cause?: unknown; code?: string }) {
    super(options?.code ?? 'INVALID_INPUT', message, options);
  }
}

/** Something named does not exist (cluster, job, service). */
export class NotFoundError extends SkyDeckError {
  constructor(what: string, options?: { hint?: string }) {
    super('NOT_FOUND', `${what} not found.`, options);
  }
}

/** The requested resources could not be had anywhere (after failover). */
export class ResourcesUnavailableError extends SkyDeckError {
  constructor(
    message: string,
    readonly failoverHistory: string[] = [],
    options?: { hint?: string },
  ) {
    super('RESOURCES_UNAVAILABLE', message, options);
  }
}

/** The operation was cancelled by the user (AbortSignal). */
export class CancelledError extends SkyDeckError {
  constructor(what = 'Operation') {
    super('CANCELLED', `${what} was cancelled.`);
  }
}

export function errorMessage(err: unknown): string {
  if (err instanceof SkyDeckError) return err.hint ? `${err.message}\n${err.hint}` : err.message;
  if (err instanceof Error) return err.message;
  return String(err);
}
