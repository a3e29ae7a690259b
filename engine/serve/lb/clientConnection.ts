/**
 * One client connection of the load balancer: reads request heads and bodies off the socket
 * (keep-alive, pipelined requests one after another), hands each request to an exchange, and
 * refuses what it cannot pass on (400/431/501, then closes). No IncomingMessage or
 * ServerResponse per request: the socket's bytes go to the replica as they came whenever the
 * head needs no change.
 */
import type * as net from 'node:net';
import { STATUS_CODES } from 'node:http';
import { ChunkedDecoder, ChunkedError } from './chunked';
import type { IdleSweep, Sweepable } from './idleSweep';
import { BadRequest, Body, parseRequestHead, type RequestHead } from './requestHead';

/** What the connection drives: one exchange per request. */
export interface ClientExchange {
  /** Body bytes (decoded); false asks the connection to stop reading until resume(). */
  onBody(piece: Buffer): boolean;
  onBodyEnd(): void;
  /** The client went away before the answer was complete. */
  onClientGone(): void;
}

/** What the connection needs from the load balancer. */
export interface ExchangeStarter {
  /** Starts (or answers at once) the exchange for a parsed request. `raw`: the client's head bytes when they can go as they are. */
  start(client: ClientConnection, head: RequestHead, raw: Buffer | undefined): ClientExchange | undefined;
  /** Hands the socket over for an Upgrade (it leaves this connection for good). */
  tunnel(socket: net.Socket, head: RequestHead, raw: Buffer, rest: Buffer): void;
}

const enum Phase {
  Head,
  Body,
  /** The request is read; its answer is on its way. Pipelined bytes wait. */
  Waiting,
  Closed,
}

/** Bytes of a head (request line and headers) accepted, like Node's own server. */
const MAX_HEAD = 16 * 1024;
/** Pipelined bytes held while a request is answered, before the socket is paused. */
const MAX_PENDING = 64 * 1024;
/** An idle keep-alive connection (or a head not finished) is closed after this long. */
export const CLIENT_IDLE_MS = 65_000;

export class ClientConnection implements Sweepable {
  lastActive = 0;
  private phase = Phase.Head;
  private buf: Buffer | undefined;
  private exchange: ClientExchange | undefined;
  private bodyLeft = 0;
  private decoder: ChunkedDecoder | undefined;
  private paused = false;
  private clientEnded = false;
  /** The current request's client keeps the connection after the answer. */
  keepAlive = true;
  /** The current request's HTTP/1.x minor version. */
  minor = 1;
  private readonly onDataFn = (d: Buffer) => this.onData(d);
  private readonly onPieceFn = (piece: Buffer) => this.piece(piece);

  constructor(
    readonly socket: net.Socket,
    private readonly starter: ExchangeStarter,
    private readonly idle: IdleSweep,
  ) {
    socket.on('data', this.onDataFn);
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      idle.delete(this);
      this.onClose();
    });
    socket.on('end', () => {
      // The client sent all it will send: answer what is pending, then close.
      this.clientEnded = true;
      if (!this.exchange) socket.end();
    });
    idle.add(this);
  }

  sweep(_now: number, idleMs: number): void {
    // While an exchange is on, the replica's side times it out (load_balancer.stream_timeout_seconds).
    if (idleMs >= CLIENT_IDLE_MS && !this.exchange) this.socket.destroy();
  }

  get closed(): boolean {
    return this.phase === Phase.Closed || this.socket.destroyed;
  }

  write(data: Buffer | string): boolean {
    this.lastActive = this.idle.now;
    return typeof data === 'string' ? this.socket.write(data, 'latin1') : this.socket.write(data);
  }

  destroy(): void {
    this.phase = Phase.Closed;
    this.socket.destroy();
  }

  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    if (!this.paused) this.socket.resume();
  }

  /** The answer to the current request was written in full. */
  responseDone(): void {
    this.exchange = undefined;
    if (this.phase === Phase.Closed) return;
    // An answer before the whole request was read: the rest of the body cannot be told from a next request.
    if (!this.keepAlive || this.phase !== Phase.Waiting || this.clientEnded) {
      this.phase = Phase.Closed;
      this.socket.end();
      return;
    }
    this.phase = Phase.Head;
    const pending = this.buf;
    this.buf = undefined;
    if (this.paused) {
      this.paused = false;
      this.socket.resume();
    }
    if (pending) this.head(pending);
  }

  private onData(d: Buffer): void {
    this.lastActive = this.idle.now;
    switch (this.phase) {
      case Phase.Head:
        this.head(this.buf ? Buffer.concat([this.buf, d]) : d);
        return;
      case Phase.Body:
        this.body(d, 0);
        return;
      case Phase.Waiting:
        this.hold(d);
        return;
      default:
        return;
    }
  }

  /** Keeps a pipelined request until the one before it is answered. */
  private hold(d: Buffer): void {
    this.buf = this.buf ? Buffer.concat([this.buf, d]) : d;
    if (this.buf.length > MAX_PENDING && !this.paused) {
      this.paused = true;
      this.socket.pause();
    }
  }

  private head(data: Buffer): void {
    this.buf = undefined;
    const end = data.indexOf('\r\n\r\n');
    if (end < 0) {
      if (data.length > MAX_HEAD) this.refuse(431, 'request head too large');
      else this.buf = data;
      return;
    }
    if (end > MAX_HEAD) {
      this.refuse(431, 'request head too large');
      return;
    }
    let head: RequestHead;
    try {
      head = parseRequestHead(data.toString('latin1', 0, end));
    } catch (e) {
      if (!(e instanceof BadRequest)) throw e;
      this.refuse(e.status, e.message);
      return;
    }
    const headEnd = end + 4;
    if (head.upgrade) {
      this.phase = Phase.Closed;
      this.socket.off('data', this.onDataFn);
      this.idle.delete(this);
      this.starter.tunnel(this.socket, head, data.subarray(0, headEnd), data.subarray(headEnd));
      return;
    }
    if (head.method === 'CONNECT') {
      this.refuse(501, 'CONNECT is not supported');
      return;
    }
    this.keepAlive = head.keepAlive;
    this.minor = head.minor;
    const rest = headEnd < data.length ? data.subarray(headEnd) : undefined;
    if (head.body === Body.None) {
      this.phase = Phase.Waiting;
      if (rest) this.hold(rest);
    } else {
      this.phase = Phase.Body;
      this.bodyLeft = head.length;
      if (head.body === Body.Chunked) this.decoder ??= new ChunkedDecoder();
      if (head.expectContinue) this.socket.write('HTTP/1.1 100 Continue\r\n\r\n');
    }
    // May answer at once (no replica: 503), which may already read the next pipelined request.
    this.exchange = this.starter.start(this, head, head.rewritten === undefined ? data.subarray(0, headEnd) : undefined);
    if (rest && this.phase === Phase.Body) this.body(rest, 0);
  }

  private body(data: Buffer, start: number): void {
    let next: number;
    if (this.decoder) {
      try {
        next = this.decoder.decode(data, start, this.onPieceFn);
      } catch (e) {
        if (!(e instanceof ChunkedError)) throw e;
        this.refuse(400, e.message);
        return;
      }
      if (next < 0) return;
    } else {
      const take = Math.min(this.bodyLeft, data.length - start);
      this.piece(start === 0 && take === data.length ? data : data.subarray(start, start + take));
      this.bodyLeft -= take;
      if (this.bodyLeft > 0) return;
      next = start + take;
    }
    this.decoder = undefined;
    if (this.phase !== Phase.Body) return;
    this.phase = Phase.Waiting;
    this.exchange?.onBodyEnd();
    if (next < data.length) this.hold(data.subarray(next));
  }

  private piece(piece: Buffer): void {
    if (piece.length && this.exchange && !this.exchange.onBody(piece)) this.socket.pause();
  }

  /** Answers a request the load balancer will not pass on, and closes. */
  refuse(status: number, reason: string): void {
    this.exchange?.onClientGone();
    this.exchange = undefined;
    this.phase = Phase.Closed;
    const body = `${reason}\n`;
    if (this.socket.writable)
      this.socket.end(
        `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\ncontent-type: text/plain\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n${body}`,
      );
    else this.socket.destroy();
  }

  private onClose(): void {
    this.phase = Phase.Closed;
    const x = this.exchange;
    this.exchange = undefined;
    x?.onClientGone();
  }
}
