/**
 * SkyDeck's own server-to-client notifications (method names shared by server and extension).
 *
 * INSIGHTS_LOADED: the instance catalogs are loaded, so cost lenses, priced completions and
 * constraint diagnostics are available from now on. Sent after the standard
 * `workspace/codeLens/refresh`, which the language client consumes without telling the
 * extension; the extension logs it and passes it on as a code-lens change.
 */
export const INSIGHTS_LOADED = 'skydeck/insightsLoaded';
