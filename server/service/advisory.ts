/**
 * Catalog insights and storage checks are advisory: when one throws, the request answers
 * without it instead of failing.
 */
export function safe<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch {
    return undefined;
  }
}
