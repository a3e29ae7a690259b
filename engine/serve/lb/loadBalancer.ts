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
 * - Keep-alive connections per replica; in-flight and total counts per replica (least_load,
 *   draining before scale-down) and a request-rate window for the autoscaler.
 *
 * Both sides speak HTTP/1.1 on plain sockets (clientConnection.ts, upstream.ts) instead of
 * Node's http server and client: their per-request objects, header maps and stream events cost
 * more CPU than the proxying itself, and this process is the service's only front door.
 */
import * as net from 'node:net';
import * as tls from 'node:tls';
import { ClientConnection, type ClientExchange, type ExchangeStarter } from './clientConnection';
import { IdleSweep } from './idleSweep';
import { connectionLimits, PerClientCounter, type ConnectionLimits } from './connectionLimits';
import { answer, Exchange, type ExchangeOwner, type Replica } from './exchange';
import { createPolicy, type Policy } from './policies';
import type { RequestHead } from './requestHead';
import { tunnel } from './tunnel';
import { UpstreamPool } from './upstream';
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

class Upstream implements Replica {
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
    idle: IdleSweep,
  ) {
    const u = new URL(url);
    this.host = u.hostname;
    this.port = Number(u.port || 80);
    this.pool = new UpstreamPool(this.host, this.port, timeoutMs, idle);
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

export class LoadBalancer implements ExchangeStarter, ExchangeOwner {
  readonly server: net.Server;
  private readonly policy: Policy<Upstream>;
  private readonly upstreams = new Map<number, Upstream>();
  readonly maxAttempts: number;
  readonly maxReplay: number;
  private readonly streamTimeoutMs: number;
  private readonly now: () => number;
  private readonly sockets = new Set<net.Socket>();
  private readonly idle: IdleSweep;
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
    this.idle = new IdleSweep(Math.min(1000, this.streamTimeoutMs / 4));
    const serve = (socket: net.Socket) => {
      socket.setNoDelay(true);
      new ClientConnection(socket, this, this.idle);
    };
    if (options.tls) {
      const server = tls.createServer({ key: options.tls.key, cert: options.tls.cert, allowHalfOpen: true }, serve);
      server.on('tlsClientError', (_err, socket: tls.TLSSocket) => socket.destroy());
      this.server = server;
    } else this.server = net.createServer({ allowHalfOpen: true, noDelay: true });
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
      // (With TLS the connection is served once its handshake is done.)
      if (!options.tls) serve(s);
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
      this.idle.stop();
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
        u = new Upstream(r.id, r.url, this.streamTimeoutMs, this.idle);
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

  start(client: ClientConnection, head: RequestHead, raw: Buffer | undefined): ClientExchange | undefined {
    this.options.requests?.add(this.now());
    const first = this.policy.pick();
    if (!first) {
      answer(client, 503, this.noReplicaBody());
      return undefined;
    }
    const x = new Exchange(this, client, head, raw);
    x.dispatch(first);
    return x;
  }

  private noReplicaBody(): string {
    return `No ready replicas. Use "skydeck serve status ${this.options.serviceName}" to check the status of the service.\n`;
  }

  /** The next replica for a retry: an untried one, else any (after a short backoff). */
  retryTarget(tried: Replica[]): { next: Upstream | undefined; immediate: boolean } {
    const fresh = this.policy.pick(tried as Upstream[]);
    if (fresh) return { next: fresh, immediate: true };
    return { next: this.policy.pick(), immediate: false };
  }

  released(u: Replica): void {
    u.inflight--;
    if (!u.ready && u.inflight === 0) this.forget(u as Upstream);
  }

  logLine(line: string): void {
    this.log(line);
  }

  /** HTTP/1.1 Upgrade (WebSocket): the request goes to a replica as it came and the sockets are spliced. */
  tunnel(socket: net.Socket, _head: RequestHead, raw: Buffer, rest: Buffer): void {
    this.options.requests?.add(this.now());
    tunnel(
      socket,
      this.policy.pick(),
      raw,
      rest,
      this.noReplicaBody(),
      (u) => this.released(u),
      (l) => this.log(l),
    );
  }
}
