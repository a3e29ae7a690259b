/**
 * Language server entry: `node dist/server.js --stdio` (also --node-ipc / --socket=N, as
 * vscode-languageclient starts it). Catalog insights (engine/optimizer/insights) are a bundle
 * of their own (dist/server-insights.js), required after the first diagnostics, so no catalog
 * code is read, compiled or run at start.
 */
import * as path from 'node:path';
import { createConnection, ProposedFeatures } from 'vscode-languageserver/node';
import type { Insights } from '../engine/optimizer/insightTypes';
import { startServer } from './lsp/server';

declare const SKYDECK_BUNDLED: boolean | undefined;
type InsightsModule = typeof import('../engine/optimizer/insights');

async function loadInsights(): Promise<Insights | undefined> {
  if (process.env.SKYDECK_NO_INSIGHTS === '1') return undefined;
  const mod: InsightsModule =
    typeof SKYDECK_BUNDLED !== 'undefined' && SKYDECK_BUNDLED
      ? (require(path.join(__dirname, 'server-insights.js')) as InsightsModule)
      : await import('../engine/optimizer/insights');
  return mod.createInsights() ?? undefined;
}

const connection = createConnection(ProposedFeatures.all);
startServer(connection, { loadInsights });
