/**
 * A fake Compute Engine API (REST, v1) on loopback, faithful to the documented shapes of
 * the calls the GCP provider makes: instances insert/get/list/start/stop/delete, firewalls
 * insert/get/patch/delete, the aggregated instance list, regional resource policies insert/get/delete (an instance naming a
 * missing one is refused, one in use cannot be deleted), and zone/region/global operations
 * get/wait. Instances walk through
 * PROVISIONING -> STAGING -> RUNNING and STOPPING -> TERMINATED one step per read, and
 * operations finish on `wait` (or after a read), so pollers see real transitions.
 *
 * Bodies are checked as the real API checks them (./validation/gcp.ts): a bad name, label,
 * port or scheduling combination (Spot with MIGRATE) is the same 400 the real API answers.
 *
 * Faults are injected the two ways the real API reports them: as an HTTP error on the
 * call (e.g. 403 quotaExceeded) or as an error inside the finished operation
 * (e.g. ZONE_RESOURCE_POOL_EXHAUSTED), which is how capacity errors usually arrive. An
 * insert whose operation fails leaves the instance behind, TERMINATED (by default): the
 * resource exists from the moment the insert is accepted, and a zone that runs out of
 * capacity mid-creation does not remove it, so the caller must delete what it asked for.
 * Docs: https://cloud.google.com/compute/docs/reference/rest/v1/instances,
 * .../firewalls, .../zoneOperations, .../globalOperations.
 *
 * It is also the OAuth token endpoint (`POST /token`: the refresh_token grant of an
 * `authorized_user` credential and the JWT-bearer grant of a `service_account` key, RS256
 * checked against the key the fake issued) and the metadata server's token path
 * (`/computeMetadata/v1/instance/service-accounts/default/token`, `Metadata-Flavor: Google`),
 * so a node can mint its own token as on Google Cloud. Every Compute call records the bearer
 * token it carried, and tokens minted here say where they came from.
 */
import * as crypto from 'node:crypto';
import { EventEmitter } from 'node:events';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { jsonRequests, type Json } from './jsonRequests';
import { validateFirewall, validateFirewallPatch, validateInstance, type GcpInvalid } from './validation/gcp';

export interface GcpFault {
  /** 'instances.insert', 'instances.start', 'firewalls.insert', ... */
  method: string;
  zone?: string;
  /** Report the error in the operation (like capacity errors) or as the HTTP response. */
  via: 'operation' | 'http';
  /** Operation error code (ZONE_RESOURCE_POOL_EXHAUSTED, QUOTA_EXCEEDED, ...) or HTTP `reason`. */
  code: string;
  message: string;
  httpStatus?: number;
  times?: number;
  /** instances.insert failing in its operation: keep the TERMINATED instance (default true). */
  leavesInstance?: boolean;
}

interface Op {
  json: Json;
  /** Applied when the operation finishes (unless it fails). */
  effect?: () => void;
  /** Applied when the operation finishes with its error. */
  failEffect?: () => void;
  error?: { code: string; message: string };
  scope: { kind: 'zone'; zone: string } | { kind: 'region'; region: string } | { kind: 'global' };
  seen?: boolean;
}

/** A Compute call as the fake saw it, with the bearer token it carried. */
export interface GcpCall {
  method: string;
  path: string;
  token: string;
}

export interface FakeGcp {
  url: string;
  port: number;
  project: string;
  instances: Map<string, Json>;
  firewalls: Map<string, Json>;
  /** Resource policies (placement), key: region/name. */
  resourcePolicies: Map<string, Json>;
  /** Requests seen: 'METHOD path'. */
  requests: string[];
  /** Compute calls with their bearer tokens. */
  calls: GcpCall[];
  /** Tokens minted here, and from what: 'authorized_user:<client_id>', 'service_account:<email>', 'metadata'. */
  minted: Map<string, string>;
  /** 'instance-deleted' (name), when a delete operation removes an instance. */
  events: EventEmitter;
  /** An `authorized_user` credential file body the token endpoint accepts. */
  authorizedUser(): Json;
  /** A `service_account` key file body (a fresh RSA key) the token endpoint accepts. */
  serviceAccountKey(email: string): Json;
  /** Resolves when none of `names` is left (each one's delete finished); rejects after `timeoutMs`. */
  waitUntilDeleted(names: string[], timeoutMs: number): Promise<void>;
  inject(fault: GcpFault): void;
  reset(): void;
  /** Changes an instance's status as if done outside SkyDeck (console, preemption). */
  setStatus(name: string, status: string): void;
  remove(name: string): void;
  close(): Promise<void>;
}

const STEPS: Record<string, string> = { PROVISIONING: 'STAGING', STAGING: 'RUNNING', STOPPING: 'TERMINATED' };

export async function startFakeGcp(options: { project?: string; host?: string } = {}): Promise<FakeGcp> {
  const project = options.project ?? 'skydeck-test';
  const host = options.host ?? '127.0.0.1';
  const events = new EventEmitter();
  const calls: GcpCall[] = [];
  const minted = new Map<string, string>();
  const userClients = new Map<string, { secret: string; refresh: string }>();
  const serviceKeys = new Map<string, crypto.KeyObject>();
  const instances = new Map<string, Json>(); // key: zone/name
  const firewalls = new Map<string, Json>();
  const resourcePolicies = new Map<string, Json>(); // key: region/name
  const ops = new Map<string, Op>();
  const requests: string[] = [];
  let faults: GcpFault[] = [];
  let seq = 1000;
  let ipSeq = 2;
  let base = '';

  const selfLink = (p: string) => `${base}/compute/v1/projects/${project}/${p}`;
  const now = () => new Date().toISOString();

  function httpError(res: http.ServerResponse, status: number, reason: string, message: string): void {
    res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8' });
    const statusName = {
      400: 'INVALID_ARGUMENT',
      401: 'UNAUTHENTICATED',
      403: 'PERMISSION_DENIED',
      404: 'NOT_FOUND',
      409: 'ALREADY_EXISTS',
      429: 'RESOURCE_EXHAUSTED',
    }[status];
    res.end(
      JSON.stringify({ error: { code: status, message, errors: [{ message, domain: 'global', reason }], ...(statusName ? { status: statusName } : {}) } }),
    );
  }

  function send(res: http.ServerResponse, body: Json): void {
    res.writeHead(200, { 'content-type': 'application/json; charset=UTF-8' });
    res.end(JSON.stringify(body));
  }

  function takeFault(method: string, zone?: string): GcpFault | undefined {
    const f = faults.find((x) => x.method === method && (!x.zone || x.zone === zone) && (x.times ?? 1) > 0);
    if (f && f.times !== undefined) f.times--;
    return f;
  }

  function badRequest(res: http.ServerResponse, problem: GcpInvalid): void {
    httpError(res, 400, problem.reason, problem.message);
  }

  function newOp(type: string, target: string, scope: Op['scope'], effect?: () => void, error?: Op['error'], failEffect?: () => void): Json {
    const name = `operation-${Date.now()}-${seq++}`;
    const where = scope.kind === 'zone' ? `zones/${scope.zone}` : scope.kind === 'region' ? `regions/${scope.region}` : 'global';
    const json: Json = {
      kind: 'compute#operation',
      id: String(seq),
      name,
      operationType: type,
      targetLink: target,
      status: 'RUNNING',
      progress: 0,
      insertTime: now(),
      startTime: now(),
      selfLink: selfLink(`${where}/operations/${name}`),
      ...(scope.kind === 'zone' ? { zone: selfLink(`zones/${scope.zone}`) } : {}),
      ...(scope.kind === 'region' ? { region: selfLink(`regions/${scope.region}`) } : {}),
    };
    ops.set(name, { json, effect, error, scope, failEffect });
    return json;
  }

  function finish(op: Op): Json {
    if (op.json.status !== 'DONE') {
      op.json.status = 'DONE';
      op.json.progress = 100;
      op.json.endTime = now();
      if (op.error) {
        op.json.error = { errors: [{ code: op.error.code, message: op.error.message }] };
        op.json.httpErrorStatusCode = 400;
        op.json.httpErrorMessage = 'BAD REQUEST';
        op.failEffect?.();
      } else op.effect?.();
    }
    return op.json;
  }

  function advance(inst: Json): Json {
    const next = STEPS[inst.status as string];
    if (next) inst.status = next;
    return inst;
  }

  function matchesFilter(inst: Json, filter: string | null): boolean {
    if (!filter) return true;
    const labels = (inst.labels ?? {}) as Record<string, string>;
    const terms = [...filter.matchAll(/labels\.([a-z0-9_-]+)\s*(=|!=|eq|ne)\s*"?([^")\s]+)"?/g)];
    // `labels.k:*`: the label is set, whatever its value.
    const present = [...filter.matchAll(/labels\.([a-z0-9_-]+):\*/g)].map(([, k]) => k);
    if (!present.every((k) => k in labels)) return false;
    return terms.every(([, k, op, v]) => (op === '=' || op === 'eq' ? labels[k] === v : labels[k] !== v));
  }

  function instanceOp(res: http.ServerResponse, method: string, zone: string, name: string, effect: () => void): void {
    const inst = instances.get(`${zone}/${name}`);
    if (!inst) return httpError(res, 404, 'notFound', `The resource 'projects/${project}/zones/${zone}/instances/${name}' was not found`);
    const fault = takeFault(method, zone);
    if (fault?.via === 'http') return httpError(res, fault.httpStatus ?? 400, fault.code, fault.message);
    send(
      res,
      newOp(method.split('.')[1], inst.selfLink as string, { kind: 'zone', zone }, effect, fault ? { code: fault.code, message: fault.message } : undefined),
    );
  }

  function createInstance(zone: string, body: Json, status = 'PROVISIONING'): void {
    const name = body.name as string;
    const nics = ((body.networkInterfaces as Json[] | undefined) ?? [{}]).map((nic, i) => ({
      ...nic,
      name: `nic${i}`,
      networkIP: `10.128.0.${ipSeq}`,
      accessConfigs: ((nic.accessConfigs as Json[] | undefined) ?? []).map((ac) => ({ ...ac, natIP: `34.1.0.${ipSeq}`, kind: 'compute#accessConfig' })),
    }));
    ipSeq++;
    instances.set(`${zone}/${name}`, {
      ...body,
      kind: 'compute#instance',
      id: String(seq++),
      creationTimestamp: now(),
      zone: selfLink(`zones/${zone}`),
      status,
      networkInterfaces: nics,
      selfLink: selfLink(`zones/${zone}/instances/${name}`),
    });
  }

  function handle(req: http.IncomingMessage, res: http.ServerResponse, body: Json): void {
    const url = new URL(req.url ?? '/', 'http://x');
    const p = url.pathname;
    requests.push(`${req.method} ${p}`);
    calls.push({ method: req.method ?? '', path: p, token: /^Bearer (\S+)/.exec(req.headers.authorization ?? '')?.[1] ?? '' });
    if (!/^Bearer \S+/.test(req.headers.authorization ?? '')) {
      return httpError(res, 401, 'required', 'Request is missing required authentication credential. Expected OAuth 2 access token.');
    }
    const prefix = `/compute/v1/projects/${project}/`;
    if (!p.startsWith(prefix)) {
      const other = /^\/compute\/v1\/projects\/([^/]+)/.exec(p)?.[1];
      return httpError(res, 403, 'forbidden', `Project ${other ?? '?'} not found or access denied (the fake serves project ${project}).`);
    }
    const rest = p.slice(prefix.length).split('/');
    // aggregated/instances: every zone's instances matching the filter, keyed `zones/<zone>`.
    if (rest[0] === 'aggregated' && rest[1] === 'instances' && req.method === 'GET') {
      const filter = url.searchParams.get('filter');
      const items: Record<string, Json> = {};
      for (const [k, v] of instances) {
        if (!matchesFilter(v, filter)) continue;
        const zone = k.split('/')[0];
        ((items[`zones/${zone}`] ??= { instances: [] }).instances as Json[]).push(advance(v));
      }
      return send(res, {
        kind: 'compute#instanceAggregatedList',
        id: `projects/${project}/aggregated/instances`,
        items,
        selfLink: selfLink('aggregated/instances'),
      });
    }
    // zones/{zone}/instances[/{name}[/{verb}]]
    if (rest[0] === 'zones' && rest[2] === 'instances') {
      const zone = rest[1];
      const name = rest[3];
      const verb = rest[4];
      if (!name && req.method === 'POST') {
        const fault = takeFault('instances.insert', zone);
        if (fault?.via === 'http') return httpError(res, fault.httpStatus ?? 403, fault.code, fault.message);
        const problem = validateInstance(body, zone);
        if (problem) return badRequest(res, problem);
        for (const ref of (body.resourcePolicies as string[] | undefined) ?? []) {
          const m = /regions\/([^/]+)\/resourcePolicies\/([^/]+)$/.exec(ref);
          if (!m || !resourcePolicies.has(`${m[1]}/${m[2]}`)) return httpError(res, 404, 'notFound', `The resource '${ref}' was not found`);
          if (!zone.startsWith(`${m[1]}-`)) return httpError(res, 400, 'invalid', `Resource policy '${ref}' is not in the instance's region.`);
        }
        const iname = body.name as string;
        if (instances.has(`${zone}/${iname}`))
          return httpError(res, 409, 'alreadyExists', `The resource 'projects/${project}/zones/${zone}/instances/${iname}' already exists`);
        const leftover = fault && fault.leavesInstance !== false ? () => createInstance(zone, body, 'TERMINATED') : undefined;
        return send(
          res,
          newOp(
            'insert',
            selfLink(`zones/${zone}/instances/${iname}`),
            { kind: 'zone', zone },
            () => createInstance(zone, body),
            fault ? { code: fault.code, message: fault.message } : undefined,
            leftover,
          ),
        );
      }
      if (!name && req.method === 'GET') {
        const filter = url.searchParams.get('filter');
        const items = [...instances.entries()].filter(([k, v]) => k.startsWith(`${zone}/`) && matchesFilter(v, filter)).map(([, v]) => advance(v));
        return send(res, {
          kind: 'compute#instanceList',
          id: `projects/${project}/zones/${zone}/instances`,
          items,
          selfLink: selfLink(`zones/${zone}/instances`),
        });
      }
      const key = `${zone}/${name}`;
      if (!verb && req.method === 'GET') {
        const inst = instances.get(key);
        if (!inst) return httpError(res, 404, 'notFound', `The resource 'projects/${project}/zones/${zone}/instances/${name}' was not found`);
        return send(res, advance(inst));
      }
      if (!verb && req.method === 'DELETE')
        return instanceOp(res, 'instances.delete', zone, name, () => {
          if (instances.delete(key)) events.emit('instance-deleted', name);
        });
      if (verb === 'stop' && req.method === 'POST') {
        return instanceOp(res, 'instances.stop', zone, name, () => {
          const i = instances.get(key);
          if (i) i.status = 'STOPPING';
        });
      }
      if (verb === 'start' && req.method === 'POST') {
        return instanceOp(res, 'instances.start', zone, name, () => {
          const i = instances.get(key);
          if (i) i.status = 'STAGING';
        });
      }
    }
    // regions/{region}/resourcePolicies[/{name}]
    if (rest[0] === 'regions' && rest[2] === 'resourcePolicies') {
      const region = rest[1];
      const name = rest[3];
      const key = `${region}/${name}`;
      const link = selfLink(`regions/${region}/resourcePolicies/${name ?? body.name}`);
      if (!name && req.method === 'POST') {
        const pname = body.name as string;
        if (!/^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/.test(pname ?? ''))
          return httpError(res, 400, 'invalid', `Invalid value for field 'resource.name': '${pname}'.`);
        if (resourcePolicies.has(`${region}/${pname}`))
          return httpError(res, 409, 'alreadyExists', `The resource 'projects/${project}/regions/${region}/resourcePolicies/${pname}' already exists`);
        return send(
          res,
          newOp('insert', link, { kind: 'region', region }, () =>
            resourcePolicies.set(`${region}/${pname}`, {
              ...body,
              kind: 'compute#resourcePolicy',
              region: selfLink(`regions/${region}`),
              selfLink: link,
              status: 'READY',
            }),
          ),
        );
      }
      const policy = resourcePolicies.get(key);
      if (!policy) return httpError(res, 404, 'notFound', `The resource 'projects/${project}/regions/${region}/resourcePolicies/${name}' was not found`);
      if (req.method === 'GET') return send(res, policy);
      if (req.method === 'DELETE') {
        const user = [...instances.values()].find((i) =>
          ((i.resourcePolicies as string[] | undefined) ?? []).some((r) => r.endsWith(`regions/${region}/resourcePolicies/${name}`)),
        );
        if (user)
          return httpError(
            res,
            400,
            'resourceInUseByAnotherResource',
            `The resource_policy resource '${link}' is already being used by '${String(user.selfLink)}'`,
          );
        return send(
          res,
          newOp('delete', link, { kind: 'region', region }, () => resourcePolicies.delete(key)),
        );
      }
    }
    // zones/{zone}/operations/{op}[/wait], regions/{region}/operations/{op}[/wait] and global/operations/{op}[/wait]
    const opIdx = rest[0] === 'zones' || rest[0] === 'regions' ? 2 : rest[0] === 'global' ? 1 : -1;
    if (opIdx > 0 && rest[opIdx] === 'operations' && rest[opIdx + 1]) {
      const op = ops.get(rest[opIdx + 1]);
      if (!op) return httpError(res, 404, 'notFound', `The resource '${p}' was not found`);
      // `wait` returns once DONE; a plain get reports RUNNING once, then DONE.
      if (rest[opIdx + 2] === 'wait' || op.seen) return send(res, finish(op));
      op.seen = true;
      return send(res, op.json);
    }
    // global/firewalls[/{name}]
    if (rest[0] === 'global' && rest[1] === 'firewalls') {
      const name = rest[2];
      if (!name && req.method === 'POST') {
        const fault = takeFault('firewalls.insert');
        if (fault?.via === 'http') return httpError(res, fault.httpStatus ?? 403, fault.code, fault.message);
        const problem = validateFirewall(body);
        if (problem) return badRequest(res, problem);
        const fname = body.name as string;
        if (firewalls.has(fname)) return httpError(res, 409, 'alreadyExists', `The resource 'projects/${project}/global/firewalls/${fname}' already exists`);
        const link = selfLink(`global/firewalls/${fname}`);
        return send(
          res,
          newOp('insert', link, { kind: 'global' }, () =>
            firewalls.set(fname, { ...body, kind: 'compute#firewall', id: String(seq++), selfLink: link, creationTimestamp: now() }),
          ),
        );
      }
      if (!name && req.method === 'GET')
        return send(res, { kind: 'compute#firewallList', items: [...firewalls.values()], selfLink: selfLink('global/firewalls') });
      const fw = firewalls.get(name);
      if (!fw) return httpError(res, 404, 'notFound', `The resource 'projects/${project}/global/firewalls/${name}' was not found`);
      if (req.method === 'GET') return send(res, fw);
      if (req.method === 'DELETE')
        return send(
          res,
          newOp('delete', fw.selfLink as string, { kind: 'global' }, () => firewalls.delete(name)),
        );
      if (req.method === 'PATCH') {
        const problem = validateFirewallPatch(body);
        if (problem) return badRequest(res, problem);
      }
      if (req.method === 'PATCH')
        return send(
          res,
          newOp('patch', fw.selfLink as string, { kind: 'global' }, () => Object.assign(fw, body)),
        );
    }
    httpError(res, 404, 'notFound', `The fake Compute API does not implement ${req.method} ${p}`);
  }

  function mint(source: string): string {
    const token = `ya29.fake-${crypto.randomBytes(12).toString('hex')}`;
    minted.set(token, source);
    return token;
  }

  function oauthError(res: http.ServerResponse, error: string, description: string): void {
    res.writeHead(400, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error, error_description: description }));
  }

  /** The JWT-bearer grant: an RS256 assertion signed by a key this fake issued, for this endpoint. */
  function serviceAccountGrant(assertion: string): string | undefined {
    const [h, c, sig] = assertion.split('.');
    if (!h || !c || !sig) return undefined;
    const header = JSON.parse(Buffer.from(h, 'base64url').toString()) as Json;
    const claims = JSON.parse(Buffer.from(c, 'base64url').toString()) as Json;
    const key = serviceKeys.get(String(claims.iss));
    if (header.alg !== 'RS256' || !key) return undefined;
    if (!crypto.verify('sha256', Buffer.from(`${h}.${c}`), key, Buffer.from(sig, 'base64url'))) return undefined;
    const now = Date.now() / 1000;
    if (claims.aud !== `${base}/token` || !(Number(claims.exp) > now) || !String(claims.scope).includes('cloud-platform')) return undefined;
    return mint(`service_account:${String(claims.iss)}`);
  }

  /** POST /token (form-encoded, as Google's OAuth endpoint) and the metadata server's token path. */
  function tokenEndpoint(req: http.IncomingMessage, res: http.ServerResponse, raw: string): boolean {
    const p = new URL(req.url ?? '/', 'http://x').pathname;
    if (p === '/computeMetadata/v1/instance/service-accounts/default/token') {
      requests.push(`${req.method} ${p}`);
      if (req.headers['metadata-flavor'] !== 'Google') {
        res.writeHead(403, { 'content-type': 'text/plain' });
        res.end('Missing Metadata-Flavor:Google header.');
        return true;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ access_token: mint('metadata'), expires_in: 3599, token_type: 'Bearer' }));
      return true;
    }
    if (p !== '/token' || req.method !== 'POST') return false;
    requests.push(`${req.method} ${p}`);
    const form = new URLSearchParams(raw);
    let token: string | undefined;
    if (form.get('grant_type') === 'refresh_token') {
      const client = userClients.get(form.get('client_id') ?? '');
      if (client && client.secret === form.get('client_secret') && client.refresh === form.get('refresh_token'))
        token = mint(`authorized_user:${form.get('client_id')}`);
    } else if (form.get('grant_type') === 'urn:ietf:params:oauth:grant-type:jwt-bearer') {
      try {
        token = serviceAccountGrant(form.get('assertion') ?? '');
      } catch {
        token = undefined;
      }
    } else {
      oauthError(res, 'unsupported_grant_type', `Invalid grant_type: ${form.get('grant_type')}`);
      return true;
    }
    if (!token) {
      oauthError(res, 'invalid_grant', 'Bad Request');
      return true;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ access_token: token, expires_in: 3599, token_type: 'Bearer', scope: 'https://www.googleapis.com/auth/cloud-platform' }));
    return true;
  }

  const compute = jsonRequests(handle, {
    badJson: (res) => httpError(res, 400, 'parseError', 'Invalid JSON payload received.'),
    crashed: (res, err) => httpError(res, 500, 'backendError', String(err)),
  });
  const server = http.createServer((req, res) => {
    const p = new URL(req.url ?? '/', 'http://x').pathname;
    if (p === '/token' || p.startsWith('/computeMetadata/')) {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (!tokenEndpoint(req, res, Buffer.concat(chunks).toString())) httpError(res, 404, 'notFound', `The fake does not implement ${req.method} ${p}`);
      });
      return;
    }
    compute(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const port = (server.address() as AddressInfo).port;
  base = `http://${host}:${port}`;

  return {
    url: base,
    port,
    project,
    instances,
    firewalls,
    resourcePolicies,
    requests,
    calls,
    minted,
    events,
    authorizedUser() {
      const id = `fake-client-${userClients.size + 1}.apps.googleusercontent.com`;
      const client = { secret: crypto.randomBytes(8).toString('hex'), refresh: `1//fake-refresh-${crypto.randomBytes(8).toString('hex')}` };
      userClients.set(id, client);
      return {
        type: 'authorized_user',
        client_id: id,
        client_secret: client.secret,
        refresh_token: client.refresh,
        quota_project_id: project,
        token_uri: `${base}/token`,
      };
    },
    serviceAccountKey(email) {
      const { privateKey, publicKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
      serviceKeys.set(email, publicKey);
      return {
        type: 'service_account',
        project_id: project,
        private_key_id: crypto.randomBytes(8).toString('hex'),
        private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
        client_email: email,
        client_id: '1000000000000000000',
        token_uri: `${base}/token`,
      };
    },
    waitUntilDeleted(names, timeoutMs) {
      const left = () => names.filter((n) => [...instances.keys()].some((k) => k.endsWith(`/${n}`)));
      if (!left().length) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          events.off('instance-deleted', onDelete);
          reject(new Error(`instances ${left().join(', ')} were not deleted within ${timeoutMs} ms; requests: ${requests.slice(-20).join(', ')}`));
        }, timeoutMs);
        const onDelete = () => {
          if (left().length) return;
          clearTimeout(timer);
          events.off('instance-deleted', onDelete);
          resolve();
        };
        events.on('instance-deleted', onDelete);
      });
    },
    inject(fault) {
      faults.push({ ...fault, times: fault.times ?? Number.POSITIVE_INFINITY });
    },
    reset() {
      instances.clear();
      firewalls.clear();
      resourcePolicies.clear();
      ops.clear();
      faults = [];
      requests.length = 0;
      calls.length = 0;
    },
    setStatus(name, status) {
      for (const [k, v] of instances) if (k.endsWith(`/${name}`)) v.status = status;
    },
    remove(name) {
      for (const k of [...instances.keys()]) if (k.endsWith(`/${name}`)) instances.delete(k);
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
