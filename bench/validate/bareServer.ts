/**
 * The floor under SkyDeck's server start: a language server with nothing but
 * vscode-languageserver (the library SkyDeck's server is built on), bundled the same way,
 * that answers initialize and publishes empty diagnostics on didOpen. bench/validate times
 * it beside dist/server.js, so the start-up the library itself costs is printed, not guessed.
 */
import { createConnection, ProposedFeatures, TextDocuments } from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';

const connection = createConnection(ProposedFeatures.all);
const documents = new TextDocuments(TextDocument);
connection.onInitialize(() => ({ capabilities: { textDocumentSync: 2 } }));
documents.onDidOpen((e) => {
  const cpu = process.cpuUsage();
  connection.console.log(`skydeck-startup ${JSON.stringify({ cpuMs: (cpu.user + cpu.system) / 1000, uptimeMs: process.uptime() * 1000 })}`);
  void connection.sendDiagnostics({ uri: e.document.uri, diagnostics: [] });
});
documents.listen(connection);
connection.listen();
