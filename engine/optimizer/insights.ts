/**
 * PLACEHOLDER created by the language-server owner (issue 2) so the server builds before the
 * catalog side exists. The catalog engineer replaces this file with the real
 * `createInsights()` (cost lenses, offer hovers, priced completions); the server already
 * imports it lazily and handles `undefined` (no insights).
 */
import type { Insights } from './insightTypes';

export function createInsights(): Insights | undefined {
  return undefined;
}
