/**
 * A minimal LSP client for tests: starts `node dist/server.js --stdio`, speaks JSON-RPC with
 * vscode-languageserver-protocol, and lets tests wait on publishDiagnostics for a given
 * document version (an event, never a sleep).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import * as path from 'node:path';
import { createProtocolConnection, StreamMessageReader, StreamMessageWriter, type ProtocolConnection } from 'vscode-languageserver-protocol/node';
import type { PublishDiagnosticsParams } from 'vscode-languageserver-protocol';

export const SERVER = path.resolve(__dirname, '../../../dist/server.js');

export interface TestClient {
  conn: ProtocolConnection;
  proc: ChildProcess;
  stderr: () => string;
  /** window/logMessage errors the server reported (handler failures). */
  errors: string[];
  /** Resolves with the diagnostics published for uri at (at least) this version. */
  diagnostics(uri: string, version: number): Promise<PublishDiagnosticsParams>;
  open(uri: string, text: string, version?: number): void;
  change(uri: string, text: string, version: number): void;
  stop(): Promise<void>;
}

export async function startClient(initializationOptions: Record<string, unknown> = {}, capabilities: Record<string, unknown> = {}): Promise<TestClient> {
  const proc = spawn(process.execPath, [SERVER, '--stdio'], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, SKYDECK_NO_INSIGHTS: process.env.SKYDECK_NO_INSIGHTS ?? '' },
  });
  let err = '';
  proc.stderr?.on('data', (b: Buffer) => (err += b.toString()));
  const conn = createProtocolConnection(
    new StreamMessageReader(proc.stdout as NodeJS.ReadableStream),
    new StreamMessageWriter(proc.stdin as NodeJS.WritableStream),
  );
  const latest = new Map<string, PublishDiagnosticsParams>();
  const waiters: { uri: string; version: number; resolve: (p: PublishDiagnosticsParams) => void }[] = [];
  conn.onNotification('textDocument/publishDiagnostics', (p: PublishDiagnosticsParams) => {
    latest.set(p.uri, p);
    for (let i = waiters.length - 1; i >= 0; i--) {
      const w = waiters[i];
      if (w.uri === p.uri && (p.version ?? 0) >= w.version) {
        waiters.splice(i, 1);
        w.resolve(p);
      }
    }
  });
  conn.onRequest('workspace/configuration', () => [null]);
  const errors: string[] = [];
  conn.onNotification('window/logMessage', (m: { type: number; message: string }) => {
    if (m.type === 1) errors.push(m.message);
  });
  conn.listen();
  await conn.sendRequest('initialize', { processId: process.pid, rootUri: null, capabilities, initializationOptions });
  await conn.sendNotification('initialized', {});
  return {
    conn,
    proc,
    stderr: () => err,
    errors,
    diagnostics(uri, version) {
      const have = latest.get(uri);
      if (have && (have.version ?? 0) >= version) return Promise.resolve(have);
      return new Promise((resolve) => waiters.push({ uri, version, resolve }));
    },
    open(uri, text, version = 1) {
      void conn.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'yaml', version, text } });
    },
    change(uri, text, version) {
      void conn.sendNotification('textDocument/didChange', { textDocument: { uri, version }, contentChanges: [{ text }] });
    },
    async stop() {
      try {
        // The answer, or the server's exit (a crashed server never answers).
        if (proc.exitCode === null && proc.signalCode === null) await Promise.race([conn.sendRequest('shutdown'), once(proc, 'exit')]);
        await conn.sendNotification('exit');
      } catch {
        // the process may already be gone
      }
      conn.dispose();
      if (proc.exitCode === null) proc.kill();
    },
  };
}

/** Rejects when `p` takes longer than `ms` (a sanity bound, not a speed target). */
export function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} took more than ${ms} ms`)), ms);
    }),
  ]);
}
