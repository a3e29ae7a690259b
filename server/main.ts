/**
 * Language server entry: `node dist/server.js --stdio` (also --node-ipc / --socket=N, as
 * vscode-languageclient starts it). Catalog insights (engine/optimizer/insights) are a bundle
 * of their own (dist/server-insights.js), required after the first diagnostics, so no catalog
 * code is read, compiled or run at start.
 */
import * as path from 'node:path';
import { createConnection, ProposedFeatures } from 'vscode-languageserver/node';
import type { InfraState, Insights } from '../engine/optimizer/insightTypes';
import { startServer } from './lsp/server';

declare const SKYDECK_BUNDLED: boolean | undefined;
type InsightsModule = typeof import('../engine/optimizer/insights');

let insightsModule: InsightsModule | undefined;

async function loadInsights(): Promise<Insights | undefined> {
  if (process.env.SKYDECK_NO_INSIGHTS === '1') return undefined;
  const mod: InsightsModule =
    typeof SKYDECK_BUNDLED !== 'undefined' && SKYDECK_BUNDLED
      ? (require(path.join(__dirname, 'server-insights.js')) as InsightsModule)
      : await import('../engine/optimizer/insights');
  insightsModule = mod;
  return mod.createInsights() ?? undefined;
}

/** The lens warm-up's scratch insights: the same catalog, a memo of their own, no infra detection or live availability. */
function warmUpInsights(infra: InfraState[]): Insights {
  return insightsModule!.createInsights({ liveAvailability: false, infra: () => infra });
}

/** Data from the client, as the transport receives it (vscode-languageclient starts the server with --stdio). */
function onInput(listener: () => void): void {
  if (process.argv.includes('--stdio')) process.stdin.on('data', listener);
  else if (process.argv.includes('--node-ipc')) process.on('message', listener);
}

const connection = createConnection(ProposedFeatures.all);
startServer(connection, { loadInsights, warmUp: { insights: warmUpInsights }, onInput });
