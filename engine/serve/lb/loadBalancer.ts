/**
 * The service's HTTP(S) endpoint: a reverse proxy to the ready replicas.
 *
 * - Every method and path is proxied; bodies and responses are streamed both ways (no
 *   buffering), so server-sent events, chunked responses and long requests pass through.
 *   A stream idle for `streamTimeoutSeconds` is cut.
 * - WebSocket (and any HTTP/1.1 Upgrade) is tunnelled to the chosen replica.
 * - A request whose replica fails before answering (refused, reset, gone) is retried on
 *   another ready replica (up to `maxAttempts`); the body is replayed from a bounded copy.
 * - No ready replica: 503 with a body that says what to do.
 * - Keep-alive agents per replica; in-flight and total counts per replica (least_load,
 *   draining before scale-down) and a request-rate window for the autoscaler.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import type * as net from 'node:net';
import type { Duplex } from 'node:stream';
import { connectionLimits, PerClientCounter, type ConnectionLimits } from './connectionLimits';
import { createPolicy, type Policy } from './policies';
import { MalformedResponseError, UpstreamPool, type ResponseSink, type UpstreamConnection } from './upstream';
import type { LoadBalancingPolicyName } from '../spec';
import type { RateWindow } from '../rate';

export interface LbReplicaStats {
  id: number;
  url: string;
  inflight: number;
  total: number;
  failures: number;
  ready: boolean;
}

class Upstream {
  inflight = 0;
  total = 0;
  failures = 0;
  ready = true;
  readonly host: string;
  readonly port: number;
  readonly pool: UpstreamPool;
  constructor(
    readonly id: number,
    readonly url: string,
    timeoutMs: number,
  ) {
    const u = new URL(url);
    this.host = u.hostname;
    this.port = Number(u.port || 80);
    this.pool = new UpstreamPool(this.host, this.port, timeoutMs);
  }
}

export interface LoadBalancerOptions {
  serviceName: string;
  policy: LoadBalancingPolicyName;
  /** Address to listen on (default 127.0.0.1: where the endpoint is advertised) and port (0: any free port). */
  host?: string;
  /** Connections accepted at once, in total and per client address (default: from the open-file limit, see connectionLimits). */
  connectionLimits?: Partial<ConnectionLimits>;
  port: number;
  tls?: { key: Buffer; cert: Buffer };
  streamTimeoutSeconds?: number;
  /** Receives one count per incoming request (including those answered 503). */
  requests?: RateWindow;
  /** Attempts per request across replicas (SkyPilot: 3). */
  maxAttempts?: number;
  /** Bodies up to this size are kept so the request can be retried elsewhere. */
  maxReplayBytes?: number;
  log?: (line: string) => void;
  now?: () => number;
}

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'proxy-authenticate',
  'proxy-authorization',
]);

export class LoadBalancer {
  readonly server: http.Server;
  private readonly policy: Policy<Upstream>;
  private readonly upstreams = new Map<number, Upstream>();
  readonly maxAttempts: number;
  readonly maxReplay: number;
  private readonly streamTimeoutMs: number;
  private readonly now: () => number;
  private readonly sockets = new Set<net.Socket | Duplex>();
  private boundPort = 0;
  readonly limits: ConnectionLimits;
  private refusedCount = 0;
  private lastRefusedLog = -Infinity;

  constructor(private readonly options: LoadBalancerOptions) {
    this.policy = createPolicy<Upstream>(options.policy);
    this.maxAttempts = options.maxAttempts ?? 3;
    this.maxReplay = options.maxReplayBytes ?? 1 << 20;
    this.streamTimeoutMs = (options.streamTimeoutSeconds ?? 120) * 1000;
    this.now = options.now ?? Date.now;
    const handler = (req: http.IncomingMessage, res: http.ServerResponse) => this.handle(req, res);
    this.server = options.tls
      ? https.createServer({ key: options.tls.key, cert: options.tls.cert, keepAliveTimeout: 65_000 }, handler)
      : http.createServer({ keepAliveTimeout: 65_000 }, handler);
    this.server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => this.upgrade(req, socket, head));
    // A flood from one address must leave room for the other clients and for the controller's own files.
    const limits = (this.limits = connectionLimits(undefined, options.connectionLimits));
    this.server.maxConnections = limits.total;
    const perClient = new PerClientCounter(limits.perClient);
    this.server.on('drop', (d?: { remoteAddress?: string }) =>
      this.refused(d?.remoteAddress, `the load balancer's limit of ${limits.total} connections is reached`),
    );
    this.server.on('connection', (s: net.Socket) => {
      const from = s.remoteAddress ?? '';
      if (!perClient.admit(from)) {
        s.destroy();
        this.refused(from, `it has ${limits.perClient} connections open (the per-client limit)`);
        return;
      }
      this.sockets.add(s);
      s.once('close', () => {
        this.sockets.delete(s);
        perClient.release(from);
      });
    });
    this.server.on('clientError', (_err, socket: Duplex) => {
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
      else socket.destroy();
    });
  }

  /** Logs refused connections at most once a minute (a flood must not flood the log too). */
  private refused(from: string | undefined, why: string): void {
    this.refusedCount++;
    const now = this.now();
    if (now - this.lastRefusedLog < 60_000) return;
    this.log(`refusing connections (${this.refusedCount} so far); the latest from ${from ?? 'an unknown address'}: ${why}`);
    this.lastRefusedLog = now;
  }

  get port(): number {
    return this.boundPort;
  }

  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      const onError = (e: Error) => reject(e);
      this.server.once('error', onError);
      this.server.listen(this.options.port, this.options.host ?? '127.0.0.1', () => {
        this.server.off('error', onError);
        const addr = this.server.address();
        this.boundPort = typeof addr === 'object' && addr ? addr.port : this.options.port;
        resolve(this.boundPort);
      });
    });
  }

  /** Stops accepting, cuts open connections and upstream sockets. */
  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      for (const s of this.sockets) s.destroy();
      for (const u of this.upstreams.values()) u.pool.destroy();
    });
  }

  /**
   * The replicas that get traffic now. Replicas dropped from the list finish their
   * in-flight requests (see inflight()) and are forgotten once idle.
   */
  setReplicas(ready: { id: number; url: string }[]): void {
    const keep = new Set<number>();
    const list: Upstream[] = [];
    for (const r of ready) {
      let u = this.upstreams.get(r.id);
      if (u && u.url !== r.url) {
        u.ready = false;
        u = undefined;
      }
      if (!u) {
        u = new Upstream(r.id, r.url, this.streamTimeoutMs);
        this.upstreams.set(r.id, u);
      }
      u.ready = true;
      keep.add(r.id);
      list.push(u);
    }
    for (const [id, u] of this.upstreams) {
      if (keep.has(id)) continue;
      u.ready = false;
      if (u.inflight === 0) this.forget(u);
    }
    this.policy.set(list);
  }

  private forget(u: Upstream): void {
    if (this.upstreams.get(u.id) === u) this.upstreams.delete(u.id);
    u.pool.destroy();
  }

  /** In-flight requests on a replica (0 when unknown): the controller drains before scale-down. */
  inflight(id: number): number {
    return this.upstreams.get(id)?.inflight ?? 0;
  }

  stats(): LbReplicaStats[] {
    return [...this.upstreams.values()].map((u) => ({ id: u.id, url: u.url, inflight: u.inflight, total: u.total, failures: u.failures, ready: u.ready }));
  }

  private log(line: string): void {
    this.options.log?.(line);
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    this.options.requests?.add(this.now());
    const first = this.policy.pick();
    if (!first) {
      this.noReplica(res);
      return;
    }
    new Exchange(this, req, res).dispatch(first);
  }

  /** The next replica for a retry: an untried one, else any (after a short backoff). */
  retryTarget(tried: Upstream[]): { next: Upstream | undefined; immediate: boolean } {
    const fresh = this.policy.pick(tried);
    if (fresh) return { next: fresh, immediate: true };
    return { next: this.policy.pick(), immediate: false };
  }

  noReplica(res: http.ServerResponse): void {
    const body = `No ready replicas. Use "skydeck serve status ${this.options.serviceName}" to check the status of the service.\n`;
    res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  }

  released(u: Upstream): void {
    u.inflight--;
    if (!u.ready && u.inflight === 0) this.forget(u);
  }

  logLine(line: string): void {
    this.log(line);
  }

  /** HTTP/1.1 Upgrade (WebSocket): open the same request upstream and splice the sockets. */
  private upgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    this.options.requests?.add(this.now());
    const u = this.policy.pick();
    socket.on('error', () => socket.destroy());
    if (!u) {
      const body = `No ready replicas. Use "skydeck serve status ${this.options.serviceName}" to check the status of the service.\n`;
      socket.end(
        `HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
      );
      return;
    }
    u.inflight++;
    u.total++;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      u.inflight--;
      if (!u.ready && u.inflight === 0) this.forget(u);
    };
    const preq = http.request({ host: u.host, port: u.port, method: req.method, path: req.url, headers: req.headers, agent: false });
    preq.on('upgrade', (pres: http.IncomingMessage, psocket: net.Socket, phead: Buffer) => {
      let head101 = `HTTP/1.1 ${pres.statusCode} ${pres.statusMessage}\r\n`;
      for (let i = 0; i < pres.rawHeaders.length; i += 2) head101 += `${pres.rawHeaders[i]}: ${pres.rawHeaders[i + 1]}\r\n`;
      socket.write(`${head101}\r\n`);
      if (phead.length) socket.write(phead);
      if (head.length) psocket.write(head);
      psocket.on('error', () => socket.destroy());
      psocket.on('close', () => {
        release();
        socket.destroy();
      });
      socket.on('close', () => psocket.destroy());
      psocket.pipe(socket);
      socket.pipe(psocket);
    });
    preq.on('response', (pres: http.IncomingMessage) => {
      // The replica refused the upgrade: relay its answer as is.
      let line = `HTTP/1.1 ${pres.statusCode} ${pres.statusMessage}\r\n`;
      for (let i = 0; i < pres.rawHeaders.length; i += 2) line += `${pres.rawHeaders[i]}: ${pres.rawHeaders[i + 1]}\r\n`;
      socket.write(`${line}\r\n`);
      pres.pipe(socket);
      pres.on('close', release);
    });
    preq.on('error', (err: Error) => {
      release();
      u.failures++;
      this.log(`upgrade ${req.url} to ${u.url} failed: ${err.message}`);
      const body = `Replica ${u.id} failed: ${err.message}\n`;
      if (socket.writable)
        socket.end(`HTTP/1.1 502 Bad Gateway\r\ncontent-type: text/plain\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
    });
    preq.end();
  }
}

const CHUNK_END = Buffer.from('\r\n');

/**
 * One proxied request: sends it to a replica over a pooled connection, streams the answer
 * back (it is the connection's ResponseSink), retries elsewhere when the replica fails
 * before answering, replaying the body from a bounded copy.
 */
class Exchange implements ResponseSink {
  private readonly hasBody: boolean;
  private readonly chunkedBody: boolean;
  private chunks: Buffer[] | undefined;
  private bytes = 0;
  private ended = false;
  private tried: Upstream[] | undefined;
  private attempts = 0;
  private staleRetried = false;
  private lastError = '';
  private upstream: Upstream | undefined;
  private conn: UpstreamConnection | undefined;
  private done = false;

  constructor(
    private readonly lb: LoadBalancer,
    private readonly req: http.IncomingMessage,
    private readonly res: http.ServerResponse,
  ) {
    const len = req.headers['content-length'];
    this.chunkedBody = len === undefined && req.headers['transfer-encoding'] !== undefined;
    this.hasBody = this.chunkedBody || (len !== undefined && len !== '0');
    if (this.hasBody) {
      this.chunks = [];
      req.on('data', (chunk: Buffer) => this.onBody(chunk));
      req.on('end', () => {
        this.ended = true;
        if (this.chunkedBody) this.conn?.write('0\r\n\r\n');
      });
    }
    res.on('close', () => {
      // The client went away before the answer was complete: stop the replica's work too.
      if (!this.done) {
        this.done = true;
        this.conn?.abort();
        this.release();
      }
    });
  }

  private onBody(chunk: Buffer): void {
    if (this.chunks) {
      this.bytes += chunk.length;
      if (this.bytes <= this.lb.maxReplay) this.chunks.push(chunk);
      else this.chunks = undefined; // too large to replay: no retry once sent
    }
    const conn = this.conn;
    if (conn && !this.writeBody(conn, chunk)) {
      this.req.pause();
      conn.socket.once('drain', () => this.req.resume());
    }
  }

  private writeBody(conn: UpstreamConnection, chunk: Buffer): boolean {
    if (!this.chunkedBody) return conn.write(chunk);
    conn.write(`${chunk.length.toString(16)}\r\n`);
    conn.write(chunk);
    return conn.write(CHUNK_END);
  }

  private head(u: Upstream): string {
    const req = this.req;
    let h = `${req.method} ${req.url} HTTP/1.1\r\n`;
    const raw = req.rawHeaders;
    let host = false;
    for (let i = 0; i < raw.length; i += 2) {
      const k = raw[i];
      const n = k.length;
      if (n >= 2 && n <= 19) {
        const lower = k.toLowerCase();
        if (HOP_BY_HOP.has(lower)) continue;
        if (lower === 'host') host = true;
      }
      h += `${k}: ${raw[i + 1]}\r\n`;
    }
    if (!host) h += `host: ${u.host}:${u.port}\r\n`;
    if (this.chunkedBody) h += 'transfer-encoding: chunked\r\n';
    return `${h}\r\n`;
  }

  dispatch(u: Upstream): void {
    this.attempts++;
    this.upstream = u;
    u.inflight++;
    u.total++;
    const conn = u.pool.acquire();
    this.conn = conn;
    conn.send(this.head(u), this, this.req.method === 'HEAD');
    if (this.hasBody && this.chunks && (this.attempts > 1 || this.staleRetried)) {
      // A retry: replay what was read so far; the rest follows from the 'data' listener.
      for (const c of this.chunks) this.writeBody(conn, c);
      if (this.ended && this.chunkedBody) conn.write('0\r\n\r\n');
    }
  }

  private release(): void {
    const u = this.upstream;
    if (!u) return;
    this.upstream = undefined;
    this.lb.released(u);
  }

  onHead(status: number, statusText: string, rawHeaders: string[]): void {
    this.res.writeHead(status, statusText, rawHeaders);
  }

  onData(chunk: Buffer): boolean {
    if (this.res.write(chunk)) return true;
    const conn = this.conn;
    this.res.once('drain', () => conn?.resume());
    return false;
  }

  onEnd(last?: Buffer): void {
    this.done = true;
    this.conn = undefined;
    this.release();
    if (last && last.length) this.res.end(last);
    else this.res.end();
  }

  onError(err: Error, responded: boolean, retryable: boolean): void {
    const u = this.upstream!;
    const conn = this.conn;
    this.conn = undefined;
    this.release();
    if (this.done) return;
    if (responded || this.res.headersSent) {
      this.done = true;
      this.res.destroy();
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
    if (!replayable || this.attempts >= this.lb.maxAttempts) {
      this.giveUp();
      return;
    }
    (this.tried ??= []).push(u);
    const { next, immediate } = this.lb.retryTarget(this.tried);
    this.lb.logLine(`retry ${this.req.method} ${this.req.url} after ${this.lastError}${next ? ` -> replica ${next.id}` : ''}`);
    const go = () => {
      if (this.done || this.res.destroyed) return;
      const target = next && next.ready ? next : this.lb.retryTarget(this.tried ?? []).next;
      if (target) this.dispatch(target);
      else this.giveUp();
    };
    if (immediate) go();
    else setTimeout(go, 100 * this.attempts).unref();
  }

  private giveUp(body = `Max retries ${this.lb.maxAttempts} exceeded. Last error: ${this.lastError}\n`): void {
    this.done = true;
    this.lb.logLine(body.trim());
    if (this.res.headersSent) {
      this.res.destroy();
      return;
    }
    // The reason is given: a head Node refused may have left its bad status text on `res`.
    this.res.writeHead(502, 'Bad Gateway', { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body) });
    this.res.end(body);
  }
}
