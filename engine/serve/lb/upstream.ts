/**
 * A lean HTTP/1.1 client for the load balancer's hop to a replica: a pool of keep-alive
 * sockets per replica, the request head written as one string, and a small response
 * parser (status line, headers, Content-Length / chunked / until-close bodies). Node's
 * http.request costs more CPU per request than the whole proxying work; this is what lets
 * the load balancer keep up with nginx on small requests. WebSocket upgrades still go
 * through http.request (they are rare and long-lived).
 */
import * as net from 'node:net';
import { ChunkedDecoder, ChunkedError } from './chunked';
import type { IdleSweep, Sweepable } from './idleSweep';

/**
 * Where every replica socket reads into: one buffer for all, since each read is handled to the
 * end before the next (what the parser keeps beyond a read, it copies). Reading into it spares
 * a buffer per read and the stream machinery's events.
 */
const READ_BUFFER = Buffer.allocUnsafe(64 * 1024);

/** How a response's body is delimited (what the client side must reproduce). */
export const enum Framing {
  /** No body (HEAD, 204, 304): a Content-Length among the headers describes what a GET would get. */
  None,
  /** Content-Length (among the headers). */
  Length,
  /** Chunked on the replica's side: the body arrives decoded. */
  Chunked,
  /** Until the replica closes. */
  Close,
}

/**
 * Receives one response. onData returns false to ask for a pause (resume with conn.resume()).
 * Body buffers are only valid during the call (they are views on the read buffer): a sink
 * that keeps one (or hands it to an asynchronous write) copies it.
 */
export interface ResponseSink {
  /**
   * The head, checked (names are tokens, no control characters); `headers`: its header lines,
   * each ended by CRLF, without the hop-by-hop ones.
   * `more`: body bytes follow in the same read (the head can wait to go out with them).
   * May throw: the exchange then fails with a MalformedResponseError.
   */
  onHead(status: number, statusText: string, headers: string, framing: Framing, more: boolean): void;
  onData(chunk: Buffer): boolean;
  /** The response ended; `last` is its final body bytes when they came with the end (one write to the client). */
  onEnd(last?: Buffer): void;
  /** `responded`: the head was already passed on; `retryable`: no byte came back, the request may be sent again. */
  onError(err: Error, responded: boolean, retryable: boolean): void;
}

const enum State {
  Idle,
  Head,
  Length,
  Chunked,
  UntilClose,
}

const MAX_HEAD = 64 * 1024;

/** A replica's answer that cannot be passed on (bad framing or head): the request gets a 502, never a retry. */
export class MalformedResponseError extends Error {
  constructor(what: string) {
    super(`malformed response from replica: ${what}`);
  }
}

const STATUS_LINE = /^HTTP\/1\.([01]) ([1-9]\d\d)(?: (.*))?$/s;
/** RFC 9110 token: what Node's writeHead accepts as a header name. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const DIGITS = /^\d{1,15}$/;
/** Control characters other than TAB, and CR or LF not paired as CRLF (a bare LF ends lines for some parsers and not others). */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const BAD_HEAD_CHARS = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]|\r(?!\n)|(?<!\r)\n/;

/** Why a response head (status line and headers, CRLF separated, without the final blank line) is malformed, or undefined. */
export function malformedHead(text: string): string | undefined {
  const m = BAD_HEAD_CHARS.exec(text);
  if (!m) return undefined;
  const c = m[0].length === 1 ? m[0] : m[0][0];
  const what = c === '\n' ? 'a bare LF' : c === '\r' ? 'a bare CR' : `control character 0x${c.charCodeAt(0).toString(16).padStart(2, '0')}`;
  return `${what} in the response head`;
}

/** A response head the way the parser takes it (status line and header lines, each ended by CRLF). */
const WELL_FORMED_HEAD = /^HTTP\/1\.([01]) ([1-9]\d\d)(?: ([\t\x20-\x7e\x80-\xff]*))?\r\n((?:[!#$%&'*+\-.^_`|~0-9A-Za-z]+:[\t\x20-\x7e\x80-\xff]*\r\n)*)$/;

/** What is wrong with a head WELL_FORMED_HEAD refused (the error a replica's operator reads). */
function whyMalformed(text: string): string {
  const bad = malformedHead(text);
  if (bad) return bad;
  const lines = text.split('\r\n');
  if (!STATUS_LINE.test(lines[0])) return `bad status line ${JSON.stringify(lines[0].slice(0, 60))}`;
  for (const l of lines.slice(1)) {
    const c = l.indexOf(':');
    // The client side's writer would refuse names that are not tokens.
    if (c <= 0 || !TOKEN.test(l.slice(0, c))) return `bad header line ${JSON.stringify(l.slice(0, 60))}`;
  }
  return 'malformed response head';
}

export class UpstreamConnection implements Sweepable {
  readonly socket: net.Socket;
  lastActive = 0;
  private state = State.Idle;
  private sink: ResponseSink | undefined;
  private head: Buffer | undefined;
  private remaining = 0;
  private decoder: ChunkedDecoder | undefined;
  private reusable = true;
  /** The whole request was written: only then may the socket carry another. */
  private requestComplete = true;
  private readonly deliverFn = (chunk: Buffer) => this.deliver(chunk);
  private noBody = false;
  private responded = false;
  private gotBytes = false;
  /** Requests sent on this socket (a failure on a reused socket without any answer is a stale keep-alive). */
  uses = 0;

  constructor(
    private readonly pool: UpstreamPool,
    host: string,
    port: number,
    private readonly timeoutMs: number,
    private readonly idle: IdleSweep,
  ) {
    this.socket = net.connect({
      host,
      port,
      noDelay: true,
      onread: { buffer: READ_BUFFER, callback: (n: number, buf: Uint8Array) => this.onRead(n, buf as Buffer) },
    });
    this.socket.on('end', () => this.onClose(new Error('replica closed the connection')));
    this.socket.on('close', () => {
      this.idle.delete(this);
      this.onClose(new Error('connection closed'));
    });
    this.socket.on('error', (e: Error) => this.onClose(e));
    idle.add(this);
  }

  sweep(_now: number, idleMs: number): void {
    if (idleMs < this.timeoutMs) return;
    if (this.state === State.Idle) this.socket.destroy();
    else this.fail(new Error(`no data for ${this.timeoutMs / 1000}s (load_balancer.stream_timeout_seconds)`));
  }

  /** Returns true: go on reading (a pause is asked for with socket.pause()). */
  private onRead(n: number, buf: Buffer): boolean {
    this.lastActive = this.idle.now;
    this.onData(buf.subarray(0, n));
    return true;
  }

  /**
   * Sends a request head (a string, or the client's bytes as they came); the response goes to
   * `sink`. With `complete` false a body follows (write(), then ended()).
   */
  send(head: string | Buffer, sink: ResponseSink, isHead: boolean, complete: boolean): void {
    this.sink = sink;
    this.state = State.Head;
    this.noBody = isHead;
    this.responded = false;
    this.gotBytes = false;
    this.requestComplete = complete;
    this.uses++;
    this.lastActive = this.idle.now;
    if (typeof head === 'string') this.socket.write(head, 'latin1');
    else this.socket.write(head);
  }

  /** The request's body was written to its end. */
  ended(): void {
    this.requestComplete = true;
  }

  write(chunk: Buffer | string): boolean {
    this.lastActive = this.idle.now;
    return this.socket.write(chunk);
  }

  resume(): void {
    this.socket.resume();
  }

  /** Abandons the exchange (client went away): the socket cannot be reused. */
  abort(): void {
    this.sink = undefined;
    this.socket.destroy();
  }

  private onClose(err: Error): void {
    if (this.state === State.Idle) {
      this.pool.forget(this);
      this.socket.destroy();
      return;
    }
    if (this.state === State.UntilClose) {
      this.finish(false);
      return;
    }
    this.fail(err);
  }

  private fail(err: Error): void {
    const sink = this.sink;
    this.sink = undefined;
    this.state = State.Idle;
    this.pool.forget(this);
    this.socket.destroy();
    sink?.onError(err, this.responded, !this.gotBytes);
  }

  private finish(reuse: boolean, last?: Buffer): void {
    const sink = this.sink;
    this.sink = undefined;
    this.state = State.Idle;
    if (reuse && this.reusable && this.requestComplete) this.pool.release(this);
    else {
      this.pool.forget(this);
      this.socket.destroy();
    }
    sink?.onEnd(last);
  }

  private onData(data: Buffer): void {
    if (this.state === State.Idle || !this.sink) {
      // Bytes nobody asked for: the connection is out of step.
      this.socket.destroy();
      return;
    }
    this.gotBytes = true;
    if (this.state === State.Head) {
      const buf = this.head ? Buffer.concat([this.head, data]) : data;
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) {
        // A head with bare LFs may never contain CRLFCRLF: refuse it now instead of waiting for the timeout.
        // (A CR at the very end may be the first half of a CRLF still on its way.)
        const bad =
          buf.length > MAX_HEAD ? 'response head too large' : buf.indexOf(10) >= 0 ? malformedHead(buf.toString('latin1').replace(/\r$/, '')) : undefined;
        if (bad) this.fail(new MalformedResponseError(bad));
        else this.head = buf === data ? Buffer.from(data) : buf; // (data is a view on the read buffer)
        return;
      }
      this.head = undefined;
      if (!this.parseHead(buf.toString('latin1', 0, end), end + 4 < buf.length)) return;
      if (end + 4 < buf.length) this.body(buf.subarray(end + 4));
      else if ((this.state as State) === State.Length && this.remaining === 0) this.finish(true);
      return;
    }
    this.body(data);
  }

  /** Parses the status line and headers; returns false when the exchange ended (error or 1xx loop handled). */
  private parseHead(text: string, more: boolean): boolean {
    const m = WELL_FORMED_HEAD.exec(`${text}\r\n`);
    if (!m) {
      this.fail(new MalformedResponseError(whyMalformed(text)));
      return false;
    }
    const code = Number(m[2]);
    let keepAlive = m[1] === '1'; // HTTP/1.1
    let length = -1;
    let chunked = false;
    let transferEncoding = false;
    // The header lines go on as they came, less the hop-by-hop ones and a repeated length.
    const block = m[4];
    let kept = '';
    let from = 0;
    for (let pos = 0; pos < block.length;) {
      const eol = block.indexOf('\r\n', pos);
      const c = block.indexOf(':', pos);
      const n = c - pos;
      // Only names as long as the framing headers need a closer look.
      if (n === 7 || n === 10 || n === 14 || n === 17) {
        const lower = block.slice(pos, c).toLowerCase();
        let drop = true;
        if (lower === 'content-length') {
          const value = block.slice(c + 1, eol).trim();
          // A second, different length (or one that is not a number) leaves the body's end unknown: a client would hang.
          if (!DIGITS.test(value) || (length >= 0 && Number(value) !== length)) {
            this.fail(
              new MalformedResponseError(length >= 0 ? 'conflicting Content-Length headers' : `bad Content-Length ${JSON.stringify(value.slice(0, 30))}`),
            );
            return false;
          }
          drop = length >= 0; // an identical repeat: pass one on
          length = Number(value);
        } else if (lower === 'transfer-encoding') {
          transferEncoding = true;
          chunked = block
            .slice(c + 1, eol)
            .trim()
            .toLowerCase()
            .endsWith('chunked');
        } else if (lower === 'connection') {
          const v = block.slice(c + 1, eol).toLowerCase();
          if (v.includes('close')) keepAlive = false;
          else if (v.includes('keep-alive')) keepAlive = true;
        } else drop = lower === 'keep-alive' || lower === 'upgrade';
        if (drop) {
          kept += block.slice(from, pos);
          from = eol + 2;
        }
      }
      pos = eol + 2;
    }
    const headers = from === 0 ? block : kept + block.slice(from);
    if (transferEncoding && length >= 0) {
      // RFC 9112 6.3: both framings at once is a smuggling pattern; a proxy must not guess.
      this.fail(new MalformedResponseError('both Transfer-Encoding and Content-Length'));
      return false;
    }
    if (code < 200) {
      // 100 Continue / 103 Early Hints: skip, the real answer follows.
      this.state = State.Head;
      return true;
    }
    this.reusable = keepAlive;
    let framing: Framing;
    if (this.noBody || code === 204 || code === 304) {
      framing = Framing.None;
      this.state = State.Length;
      this.remaining = 0;
    } else if (chunked) {
      framing = Framing.Chunked;
      this.state = State.Chunked;
      this.decoder ??= new ChunkedDecoder();
    } else if (length >= 0) {
      framing = Framing.Length;
      this.state = State.Length;
      this.remaining = length;
    } else {
      framing = Framing.Close;
      this.state = State.UntilClose;
      this.reusable = false;
    }
    try {
      this.sink!.onHead(code, m[3] ?? '', headers, framing, more);
    } catch (e) {
      // What the checks above missed, the client side's own validation catches: still only this request fails.
      this.fail(new MalformedResponseError(`response head rejected: ${(e as Error).message}`));
      return false;
    }
    this.responded = true;
    return true;
  }

  private deliver(chunk: Buffer): void {
    if (chunk.length && this.sink && !this.sink.onData(chunk)) this.socket.pause();
  }

  private body(data: Buffer): void {
    switch (this.state) {
      case State.Head:
        // A 1xx head was followed by more bytes: parse them as the next head.
        this.onData(data);
        return;
      case State.Length: {
        if (data.length > this.remaining) {
          this.reusable = false;
          data = data.subarray(0, this.remaining);
        }
        this.remaining -= data.length;
        // The whole rest of the body: hand it over with the end, so the client gets one write.
        if (this.remaining === 0) this.finish(true, data);
        else this.deliver(data);
        return;
      }
      case State.UntilClose:
        this.deliver(data);
        return;
      case State.Chunked:
        this.chunked(data);
        return;
      default:
        return;
    }
  }

  private chunked(data: Buffer): void {
    let end: number;
    try {
      end = this.decoder!.decode(data, 0, this.deliverFn);
    } catch (e) {
      if (!(e instanceof ChunkedError)) throw e;
      this.fail(new MalformedResponseError(e.message));
      return;
    }
    if (end < 0 || this.state !== State.Chunked) return;
    // Bytes after the last chunk: the replica is out of step, do not reuse the connection.
    if (end < data.length) this.reusable = false;
    this.finish(true);
  }
}

export class UpstreamPool {
  private readonly spare: UpstreamConnection[] = [];
  private readonly all = new Set<UpstreamConnection>();
  private closed = false;

  constructor(
    readonly host: string,
    readonly port: number,
    private readonly timeoutMs: number,
    private readonly idle: IdleSweep,
    private readonly maxIdle = 1024,
  ) {}

  /** An idle keep-alive connection, or a new one (last used first, so few stay warm). */
  acquire(): UpstreamConnection {
    const c = this.spare.pop();
    if (c) return c;
    const fresh = new UpstreamConnection(this, this.host, this.port, this.timeoutMs, this.idle);
    this.all.add(fresh);
    return fresh;
  }

  release(c: UpstreamConnection): void {
    if (this.closed || this.spare.length >= this.maxIdle) {
      this.forget(c);
      c.socket.destroy();
      return;
    }
    this.spare.push(c);
  }

  forget(c: UpstreamConnection): void {
    this.all.delete(c);
    const i = this.spare.indexOf(c);
    if (i >= 0) this.spare.splice(i, 1);
  }

  destroy(): void {
    this.closed = true;
    for (const c of this.all) c.socket.destroy();
    this.all.clear();
    this.spare.length = 0;
  }
}
