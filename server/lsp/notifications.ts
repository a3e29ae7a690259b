/**
 * SkyDeck's own server-to-client notifications (method names shared by server and extension).
 *
 * INSIGHTS_LOADED: the instance catalogs are loaded, so cost lenses, priced completions and
 * constraint diagnostics are available from now on. Sent after the standard
 * `workspace/codeLens/refresh`, which the language client consumes without telling the
 * extension; the extension logs it and passes it on as a code-lens change.
 */
export const INSIGHTS_LOADED = 'skydeck/insightsLoaded';

/**
 * TASK_DETECTED: whether an open document is a SkyPilot task (the server's content detection:
 * modeline, `skydeck.taskFiles` globs, top-level keys) and whether it has a `service:` section.
 * Sent when a document is first validated and whenever the answer changes; the extension turns
 * it into the `skydeck.isTask` / `skydeck.isServiceTask` context keys its menus depend on.
 */
export const TASK_DETECTED = 'skydeck/taskDetected';

export interface TaskDetectedParams {
  uri: string;
  isTask: boolean;
  hasService: boolean;
}

/**
 * OFFER_ROWS (client -> server request): the offers view's rows for one cost lens, built when
 * the lens is clicked (the lens itself carries only the resources, so rendering lenses stays
 * cheap). Params: the lens's ShowOffersArgs; result: rows in the offers view's shape.
 */
export const OFFER_ROWS = 'skydeck/offerRows';

/** The command a cost lens runs (extension/cost/offersView.ts). */
export const SHOW_OFFERS_COMMAND = 'skydeck.showOffers';

/** The command of a lens that points at infra set-up (`skydeck check` in the editor). */
export const CHECK_INFRA_COMMAND = 'skydeck.checkInfra';
