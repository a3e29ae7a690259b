/**
 * The language client: starts `dist/server.js --stdio` for YAML documents (the server
 * decides which are tasks) and passes the `skydeck.*` settings. Started without awaiting,
 * so activation does not wait for the server.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { LanguageClient, TransportKind, type LanguageClientOptions, type ServerOptions } from 'vscode-languageclient/node';
import { INSIGHTS_LOADED, TASK_DETECTED, type TaskDetectedParams } from '../server/lsp/notifications';
import { serverSettings } from './settings';

/**
 * `onInsightsLoaded`: the server has its catalogs (cost lenses are there from now on).
 * `onTaskDetected`: the server's content detection for an open document (menus follow it).
 */
export function createClient(
  context: vscode.ExtensionContext,
  log: vscode.LogOutputChannel,
  onInsightsLoaded: () => void,
  onTaskDetected: (p: TaskDetectedParams) => void,
): LanguageClient {
  const module = context.asAbsolutePath(path.join('dist', 'server.js'));
  const env = { ...process.env, ELECTRON_RUN_AS_NODE: '1' };
  const serverOptions: ServerOptions = {
    run: { module, transport: TransportKind.stdio, options: { env } },
    debug: { module, transport: TransportKind.stdio, options: { env, execArgv: ['--nolazy', '--inspect=6019'] } },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      { scheme: 'file', language: 'yaml' },
      { scheme: 'untitled', language: 'yaml' },
    ],
    initializationOptions: { settings: serverSettings() },
    synchronize: { configurationSection: 'skydeck' },
    outputChannel: vscode.window.createOutputChannel('SkyDeck Language Server', { log: true }),
    middleware: {
      // The cost lens can be switched off without restarting the server.
      provideCodeLenses: (doc, token, next) => {
        if (!vscode.workspace.getConfiguration('skydeck').get<boolean>('costLens.enabled', true)) return [];
        return next(doc, token);
      },
    },
  };
  const client = new LanguageClient('skydeck', 'SkyDeck Language Server', serverOptions, clientOptions);
  client.onNotification(INSIGHTS_LOADED, () => {
    log.info('language server: catalogs loaded (cost lenses available)');
    onInsightsLoaded();
  });
  client.onNotification(TASK_DETECTED, (p: TaskDetectedParams) => onTaskDetected(p));
  log.info(`language server: ${module}`);
  return client;
}
