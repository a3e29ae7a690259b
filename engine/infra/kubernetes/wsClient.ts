/**
 * The `ws` WebSocket client, typed by what we use (the package ships no types and
 * @types/ws is not a dependency; client-node itself uses `ws` underneath).
 */
import type { IncomingMessage } from 'node:http';
import type { SecureContextOptions } from 'node:tls';

export interface WsClientOptions extends SecureContextOptions {
  headers?: Record<string, string>;
  rejectUnauthorized?: boolean;
  [key: string]: unknown;
}

export interface WsSocket {
  readonly protocol: string;
  readonly readyState: number;
  readonly bufferedAmount: number;
  send(data: Buffer, cb?: (err?: Error) => void): void;
  close(code?: number): void;
  terminate(): void;
  on(event: 'open', listener: () => void): this;
  on(event: 'close', listener: (code: number) => void): this;
  on(event: 'error', listener: (err: Error) => void): this;
  on(event: 'message', listener: (data: Buffer, isBinary: boolean) => void): this;
  on(event: 'unexpected-response', listener: (req: unknown, res: IncomingMessage) => void): this;
}

interface WsModule {
  new (url: string, protocols: string[], options: WsClientOptions): WsSocket;
  readonly CONNECTING: number;
  readonly OPEN: number;
}

export const WebSocketClient = require('ws') as WsModule;
