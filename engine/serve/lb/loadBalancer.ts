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
import { createPolicy, type Policy } from './policies';
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
  readonly agent: http.Agent;
  constructor(
    readonly id: number,
    readonly url: string,
  ) {
    const u = new URL(url);
    this.host = u.hostname;
    this.port = Number(u.port || 80);
    this.agent = new http.Agent({ keepAlive: true, maxSockets: Infinity, maxFreeSockets: 1024, scheduling: 'lifo' });
  }
}

export interface LoadBalancerOptions {
  serviceName: string;
  policy: LoadBalancingPolicyName;
  /** Address to listen on (default 0.0.0.0) and port (0: any free port). */
  host?: string;
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

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'proxy-authenticate', 'proxy-authorization']);

function forwardHeaders(raw: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const k = raw[i];
    // Fast path: most header names are not hop-by-hop; only lowercase when the length could match.
    if (k.length >= 2 && k.length <= 19 && HOP_BY_HOP.has(k.toLowerCase())) continue;
    out.push(k, raw[i + 1]);
  }
  return out;
}

/** Per-request state: what was tried and the body copy for a retry. */
interface Exchange {
  req: http.IncomingMessage;
  res: http.ServerResponse;
  hasBody: boolean;
  chunks: Buffer[] | undefined;
  bytes: number;
  tried: Upstream[] | undefined;
  current: http.ClientRequest | undefined;
  attempts: number;
  lastError: string;
  /** The client's body has been read to the end. */
  ended: boolean;
}

export class LoadBalancer {
  readonly server: http.Server;
  private readonly policy: Policy<Upstream>;
  private readonly upstreams = new Map<number, Upstream>();
  private readonly maxAttempts: number;
  private readonly maxReplay: number;
  private readonly streamTimeoutMs: number;
  private readonly now: () => number;
  private readonly sockets = new Set<net.Socket | Duplex>();
  private boundPort = 0;

  constructor(private readonly options: LoadBalancerOptions) {
    this.policy = createPolicy<Upstream>(options.policy);
    this.maxAttempts = options.maxAttempts ?? 3;
    this.maxReplay = options.maxReplayBytes ?? 1 << 20;
    this.streamTimeoutMs = (options.streamTimeoutSeconds ?? 120) * 1000;
    this.now = options.now ?? Date.now;
    const handler = (req: http.IncomingMessage, res: http.ServerResponse) => this.handle(req, res);
    this.server = options.tls ? https.createServer({ key: options.tls.key, cert: options.tls.cert, keepAliveTimeout: 65_000 }, handler) : http.createServer({ keepAliveTimeout: 65_000 }, handler);
    this.server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => this.upgrade(req, socket, head));
    this.server.on('connection', (s: net.Socket) => {
      this.sockets.add(s);
      s.once('close', () => this.sockets.delete(s));
    });
    this.server.on('clientError', (_err, socket: Duplex) => {
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
      else socket.destroy();
    });
  }

  get port(): number {
    return this.boundPort;
  }

  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      const onError = (e: Error) => reject(e);
      this.server.once('error', onError);
      this.server.listen(this.options.port, this.options.host ?? '0.0.0.0', () => {
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
      for (const u of this.upstreams.values()) u.agent.destroy();
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
        u = new Upstream(r.id, r.url);
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
    u.agent.destroy();
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
    const hasBody = req.headers['content-length'] !== undefined ? req.headers['content-length'] !== '0' : req.headers['transfer-encoding'] !== undefined;
    const ex: Exchange = { req, res, hasBody, chunks: hasBody ? [] : undefined, bytes: 0, tried: undefined, current: undefined, attempts: 0, lastError: '', ended: false };
    if (hasBody) {
      req.on('data', (chunk: Buffer) => {
        if (ex.chunks) {
          ex.bytes += chunk.length;
          if (ex.bytes <= this.maxReplay) ex.chunks.push(chunk);
          else ex.chunks = undefined; // too large to replay: no retry once sent
        }
        const cur = ex.current;
        if (cur && !cur.write(chunk)) {
          req.pause();
          cur.once('drain', () => req.resume());
        }
      });
      req.on('end', () => {
        ex.ended = true;
        ex.current?.end();
      });
    }
    res.on('close', () => {
      // Client went away before the answer was complete: stop the upstream work too.
      if (!res.writableFinished && ex.current) ex.current.destroy();
    });
    this.dispatch(ex, this.policy.pick());
  }

  private noReplica(res: http.ServerResponse): void {
    const body = `No ready replicas. Use "skydeck serve status ${this.options.serviceName}" to check the status of the service.\n`;
    res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  }

  private dispatch(ex: Exchange, u: Upstream | undefined): void {
    const { req, res } = ex;
    if (!u) {
      if (ex.attempts === 0) this.noReplica(res);
      else this.giveUp(ex);
      return;
    }
    ex.attempts++;
    u.inflight++;
    u.total++;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      u.inflight--;
      if (!u.ready && u.inflight === 0) this.forget(u);
    };
    const preq = http.request({
      host: u.host,
      port: u.port,
      method: req.method,
      path: req.url,
      headers: forwardHeaders(req.rawHeaders),
      agent: u.agent,
      timeout: this.streamTimeoutMs,
    });
    ex.current = preq;
    let responded = false;
    preq.on('response', (pres: http.IncomingMessage) => {
      responded = true;
      res.writeHead(pres.statusCode ?? 502, pres.statusMessage, forwardHeaders(pres.rawHeaders));
      // Forward by hand rather than pipe(): fewer listeners per request, same backpressure.
      pres.on('data', (chunk: Buffer) => {
        if (!res.write(chunk)) {
          pres.pause();
          res.once('drain', () => pres.resume());
        }
      });
      pres.on('end', () => {
        release();
        res.end();
      });
      pres.on('error', () => {
        release();
        res.destroy();
      });
      pres.on('close', release);
    });
    preq.on('timeout', () => preq.destroy(new Error(`no data for ${this.streamTimeoutMs / 1000}s (load_balancer.stream_timeout_seconds)`)));
    preq.on('error', (err: Error) => {
      release();
      if (responded || res.headersSent) {
        res.destroy();
        return;
      }
      if (res.destroyed || (req.destroyed && !req.complete)) return; // the client is gone
      u.failures++;
      ex.lastError = `${u.url}: ${err.message}`;
      const replayable = !ex.hasBody || ex.chunks !== undefined;
      if (!replayable || ex.attempts >= this.maxAttempts) {
        this.giveUp(ex);
        return;
      }
      (ex.tried ??= []).push(u);
      const next = this.policy.pick(ex.tried) ?? this.policy.pick();
      this.log(`retry ${req.method} ${req.url} after ${ex.lastError}${next ? ` -> replica ${next.id}` : ''}`);
      if (next && !ex.tried.includes(next)) this.resend(ex, next);
      else setTimeout(() => this.resend(ex, this.policy.pick()), 100 * ex.attempts).unref();
    });
    if (!ex.hasBody) preq.end();
    else if (ex.attempts > 1 && ex.chunks) {
      // A retry: replay what was read so far; the rest follows from the 'data' listener.
      for (const c of ex.chunks) preq.write(c);
      if (ex.ended) preq.end();
    }
  }

  private resend(ex: Exchange, u: Upstream | undefined): void {
    if (ex.res.destroyed) return;
    this.dispatch(ex, u);
  }

  private giveUp(ex: Exchange): void {
    const body = `Max retries ${this.maxAttempts} exceeded. Last error: ${ex.lastError}\n`;
    this.log(body.trim());
    if (ex.res.headersSent) {
      ex.res.destroy();
      return;
    }
    ex.res.writeHead(502, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body) });
    ex.res.end(body);
  }

  /** HTTP/1.1 Upgrade (WebSocket): open the same request upstream and splice the sockets. */
  private upgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    this.options.requests?.add(this.now());
    const u = this.policy.pick();
    socket.on('error', () => socket.destroy());
    if (!u) {
      const body = `No ready replicas. Use "skydeck serve status ${this.options.serviceName}" to check the status of the service.\n`;
      socket.end(`HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
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
      if (socket.writable) socket.end(`HTTP/1.1 502 Bad Gateway\r\ncontent-type: text/plain\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
    });
    preq.end();
  }
}
