/**
 * Language server entry: `node dist/server.js --stdio` (also --node-ipc / --socket=N, as
 * vscode-languageclient starts it). Catalog insights (engine/optimizer/insights) are
 * imported lazily after the first diagnostics, so no catalog or SDK code runs at start.
 */
import { createConnection, ProposedFeatures } from 'vscode-languageserver/node';
import type { Insights } from '../engine/optimizer/insightTypes';
import { startServer } from './lsp/server';

async function loadInsights(): Promise<Insights | undefined> {
  if (process.env.SKYDECK_NO_INSIGHTS === '1') return undefined;
  const mod = await import('../engine/optimizer/insights');
  return mod.createInsights() ?? undefined;
}

const connection = createConnection(ProposedFeatures.all);
startServer(connection, { loadInsights });
