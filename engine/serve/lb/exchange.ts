/**
 * One proxied request: sends it to a replica over a pooled connection, streams the answer back
 * to the client (it is the upstream connection's ResponseSink), retries elsewhere when the
 * replica fails before answering, replaying the body from a bounded copy.
 *
 * The answer's head is written with the first body bytes when they came in the same read, so a
 * small response costs the client one write.
 */
import { STATUS_CODES } from 'node:http';
import { encodeChunk, LAST_CHUNK } from './chunked';
import type { ClientConnection, ClientExchange } from './clientConnection';
import { Body, type RequestHead } from './requestHead';
import { Framing, MalformedResponseError, type ResponseSink, type UpstreamConnection, type UpstreamPool } from './upstream';

/** A replica as the exchange sees it. */
export interface Replica {
  readonly id: number;
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly pool: UpstreamPool;
  ready: boolean;
  inflight: number;
  total: number;
  failures: number;
}

/** What the exchange needs from the load balancer. */
export interface ExchangeOwner {
  readonly maxAttempts: number;
  readonly maxReplay: number;
  /** The next replica for a retry: an untried one (immediate), else any (after a backoff). */
  retryTarget(tried: Replica[]): { next: Replica | undefined; immediate: boolean };
  released(u: Replica): void;
  logLine(line: string): void;
}

/** Responses up to this size go to the client as one buffer (one write); larger ones as a corked writev. */
const ONE_BUFFER = 16 * 1024;

export class Exchange implements ResponseSink, ClientExchange {
  private readonly chunkedBody: boolean;
  private readonly hasBody: boolean;
  private chunks: Buffer[] | undefined;
  private bytes = 0;
  private ended = false;
  private tried: Replica[] | undefined;
  private attempts = 0;
  private staleRetried = false;
  private lastError = '';
  private upstream: Replica | undefined;
  private conn: UpstreamConnection | undefined;
  private done = false;
  private headSent = false;
  /** The answer's head, held back while its first body bytes are on the way (same read). */
  private pendingHead: string | undefined;
  /** The client gets the body in chunked framing (the replica's framing was chunked or until-close). */
  private chunkOut = false;
  private readonly resumeUpstream = () => this.conn?.resume();
  private readonly resumeClient = () => this.client.resume();

  constructor(
    private readonly owner: ExchangeOwner,
    private readonly client: ClientConnection,
    private readonly req: RequestHead,
    /** The client's own head bytes, when they go to the replica unchanged. */
    private readonly raw: Buffer | undefined,
  ) {
    this.chunkedBody = req.body === Body.Chunked;
    this.hasBody = req.body !== Body.None;
    if (this.hasBody) this.chunks = [];
  }

  onBody(chunk: Buffer): boolean {
    if (this.chunks) {
      this.bytes += chunk.length;
      if (this.bytes <= this.owner.maxReplay) this.chunks.push(chunk);
      else this.chunks = undefined; // too large to replay: no retry once sent
    }
    const conn = this.conn;
    if (conn && !this.writeBody(conn, chunk)) {
      conn.socket.once('drain', this.resumeClient);
      return false;
    }
    return true;
  }

  onBodyEnd(): void {
    this.ended = true;
    const conn = this.conn;
    if (!conn) return;
    if (this.chunkedBody) conn.write(LAST_CHUNK);
    conn.ended();
  }

  onClientGone(): void {
    // The client went away before the answer was complete: stop the replica's work too.
    if (this.done) return;
    this.done = true;
    this.conn?.abort();
    this.conn = undefined;
    this.release();
  }

  private writeBody(conn: UpstreamConnection, chunk: Buffer): boolean {
    return conn.write(this.chunkedBody ? encodeChunk(chunk) : chunk);
  }

  dispatch(u: Replica): void {
    this.attempts++;
    this.upstream = u;
    u.inflight++;
    u.total++;
    const conn = u.pool.acquire();
    this.conn = conn;
    const req = this.req;
    const head = this.raw ?? `${req.rewritten}${req.needsHost ? `host: ${u.host}:${u.port}\r\n` : ''}\r\n`;
    conn.send(head, this, req.method === 'HEAD', !this.hasBody);
    if (this.hasBody && this.chunks && (this.attempts > 1 || this.staleRetried)) {
      // A retry: replay what was read so far; the rest follows as the client sends it.
      for (const c of this.chunks) this.writeBody(conn, c);
      if (this.ended) {
        if (this.chunkedBody) conn.write(LAST_CHUNK);
        conn.ended();
      }
    }
  }

  private release(): void {
    const u = this.upstream;
    if (!u) return;
    this.upstream = undefined;
    this.owner.released(u);
  }

  onHead(status: number, statusText: string, headers: string, framing: Framing, more: boolean): void {
    const client = this.client;
    let h = `HTTP/1.1 ${status} ${statusText || STATUS_CODES[status] || ''}\r\n${headers}`;
    if (framing === Framing.Chunked || framing === Framing.Close) {
      // HTTP/1.0 clients know no chunked framing: the end of the body is the end of the connection.
      if (client.minor === 1) {
        this.chunkOut = true;
        h += 'transfer-encoding: chunked\r\n';
      } else client.keepAlive = false;
    }
    if (!client.keepAlive) h += 'connection: close\r\n';
    else if (client.minor === 0) h += 'connection: keep-alive\r\n';
    h += '\r\n';
    this.headSent = true;
    if (more) this.pendingHead = h;
    else client.write(h);
  }

  onData(chunk: Buffer): boolean {
    if (this.send(chunk, false)) return true;
    this.client.socket.once('drain', this.resumeUpstream);
    return false;
  }

  onEnd(last?: Buffer): void {
    this.done = true;
    this.conn = undefined;
    this.release();
    this.send(last, true);
    this.client.responseDone();
  }

  /** Writes the held head (if any), `body` and, at the end, the last chunk, as few writes as it takes. */
  private send(body: Buffer | undefined, end: boolean): boolean {
    const head = this.pendingHead;
    this.pendingHead = undefined;
    let tail: string | undefined;
    if (this.chunkOut) {
      if (body && body.length) body = encodeChunk(body);
      if (end) tail = LAST_CHUNK;
    }
    const client = this.client;
    const bodyLen = body ? body.length : 0;
    // (A body from the replica is a view on its read buffer: what is written as is, is copied.)
    if (!head && !tail) return bodyLen ? client.write(this.chunkOut ? body! : Buffer.from(body!)) : true;
    const total = (head ? head.length : 0) + bodyLen + (tail ? tail.length : 0);
    if (total <= ONE_BUFFER) {
      const out = Buffer.allocUnsafe(total);
      let at = head ? out.write(head, 0, 'latin1') : 0;
      if (bodyLen) at += body!.copy(out, at);
      if (tail) out.write(tail, at, 'latin1');
      return client.write(out);
    }
    client.socket.cork();
    if (head) client.write(head);
    if (bodyLen) client.write(this.chunkOut ? body! : Buffer.from(body!));
    const ok = tail ? client.write(tail) : true;
    client.socket.uncork();
    return ok && !client.socket.writableNeedDrain;
  }

  onError(err: Error, responded: boolean, retryable: boolean): void {
    const u = this.upstream!;
    const conn = this.conn;
    this.conn = undefined;
    this.release();
    if (this.done) return;
    if (responded || this.headSent) {
      this.done = true;
      this.client.destroy();
      return;
    }
    const replayable = !this.hasBody || this.chunks !== undefined;
    // A keep-alive connection the replica had already closed: resend once on a fresh one, same replica.
    if (retryable && replayable && conn && conn.uses > 1 && !this.staleRetried && u.ready) {
      this.staleRetried = true;
      this.attempts--;
      this.dispatch(u);
      return;
    }
    u.failures++;
    this.lastError = `${u.url}: ${err.message}`;
    if (err instanceof MalformedResponseError) {
      // The replica did answer (it may have acted on the request): no retry, this request alone fails.
      this.giveUp(`Replica ${u.id} sent a response that cannot be passed on (${err.message}).\n`);
      return;
    }
    if (!replayable || this.attempts >= this.owner.maxAttempts) {
      this.giveUp();
      return;
    }
    (this.tried ??= []).push(u);
    const { next, immediate } = this.owner.retryTarget(this.tried);
    this.owner.logLine(`retry ${this.req.method} ${this.req.target} after ${this.lastError}${next ? ` -> replica ${next.id}` : ''}`);
    const go = () => {
      if (this.done || this.client.closed) return;
      const target = next && next.ready ? next : this.owner.retryTarget(this.tried ?? []).next;
      if (target) this.dispatch(target);
      else this.giveUp();
    };
    if (immediate) go();
    else setTimeout(go, 100 * this.attempts).unref();
  }

  private giveUp(body = `Max retries ${this.owner.maxAttempts} exceeded. Last error: ${this.lastError}\n`): void {
    this.done = true;
    this.owner.logLine(body.trim());
    if (this.headSent) {
      this.client.destroy();
      return;
    }
    answer(this.client, 502, body);
  }
}

/** A short plain-text answer from the load balancer itself (503 no replica, 502 gave up); ends the exchange. */
export function answer(client: ClientConnection, status: number, body: string): void {
  const len = Buffer.byteLength(body);
  client.write(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: ${len}\r\n` +
      `${client.keepAlive ? '' : 'connection: close\r\n'}\r\n`,
  );
  client.socket.write(body, 'utf8');
  client.responseDone();
}
