// The server tells the client which open documents are SkyPilot tasks (TASK_DETECTED), once per
// change of answer: the extension's menus and editor-title button depend on it.
import * as assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { createConnection } from 'vscode-languageserver/node';
import { createProtocolConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-languageserver-protocol/node';
import { TASK_DETECTED, type TaskDetectedParams } from '../../../server/lsp/notifications';
import { startServer } from '../../../server/lsp/server';

/** Server and client in this process over a pair of pipes. */
async function connect() {
  const toServer = new PassThrough();
  const toClient = new PassThrough();
  const server = createConnection(new StreamMessageReader(toServer), new StreamMessageWriter(toClient));
  startServer(server, { debounceMs: 0 });
  const client = createProtocolConnection(new StreamMessageReader(toClient), new StreamMessageWriter(toServer));
  const seen: TaskDetectedParams[] = [];
  let waiter: (() => void) | undefined;
  client.onNotification(TASK_DETECTED, (p: TaskDetectedParams) => {
    seen.push(p);
    waiter?.();
  });
  client.onNotification('textDocument/publishDiagnostics', () => undefined);
  client.listen();
  await client.sendRequest('initialize', { processId: null, rootUri: null, capabilities: {}, initializationOptions: {} });
  await client.sendNotification('initialized', {});
  const next = (count: number): Promise<void> =>
    new Promise((resolve) => {
      waiter = () => seen.length >= count && resolve();
      waiter();
    });
  const dispose = (): void => {
    client.dispose();
    server.dispose();
    toServer.end();
    toClient.end();
  };
  return { client, seen, next, dispose };
}

test('tasks, services and foreign YAML are reported as such, and only changes are re-sent', async () => {
  const c = await connect();
  try {
    const open = (uri: string, text: string, version = 1) =>
      c.client.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'yaml', version, text } });
    await open('file:///w/train.yaml', 'resources:\n  accelerators: A100:1\nrun: python train.py\n');
    await c.next(1);
    await open('file:///w/deploy.yaml', 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n');
    await c.next(2);
    await open('file:///w/llm.yaml', 'service:\n  readiness_probe: /health\n  replicas: 2\nresources:\n  ports: 8080\nrun: python serve.py\n');
    await c.next(3);
    assert.deepEqual(c.seen, [
      { uri: 'file:///w/train.yaml', isTask: true, hasService: false },
      { uri: 'file:///w/deploy.yaml', isTask: false, hasService: false },
      { uri: 'file:///w/llm.yaml', isTask: true, hasService: true },
    ]);

    // An edit that keeps the answer sends nothing; one that changes it is reported.
    const change = (version: number, text: string) =>
      c.client.sendNotification('textDocument/didChange', { textDocument: { uri: 'file:///w/train.yaml', version }, contentChanges: [{ text }] });
    await change(2, 'resources:\n  accelerators: A100:2\nrun: python train.py\n');
    await change(3, 'apiVersion: v1\nkind: ConfigMap\n');
    await c.next(4);
    assert.deepEqual(c.seen.slice(3), [{ uri: 'file:///w/train.yaml', isTask: false, hasService: false }]);
  } finally {
    c.dispose();
  }
});
