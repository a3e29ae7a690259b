/**
 * A fake Azure Resource Manager (HTTPS, self-signed) on loopback, faithful to the
 * documented shapes of what the Azure provider calls: resource groups (PUT/GET/HEAD/
 * DELETE with a 202 + Location poll), network security groups and rules, virtual
 * networks, public IPs, NICs, and virtual machines (PUT answered 201 + Azure-AsyncOperation,
 * deallocate/start/powerOff as 202 async operations, instanceView with PowerState codes).
 * ARM's bearer-token rule holds: the SDK refuses plain http, hence HTTPS; trust the cert
 * with NODE_EXTRA_CA_CERTS=<certFile> (child processes) or SKYDECK_AZURE_CA_FILE (in-process).
 *
 * Bodies are checked as ARM checks them (./validation/azure.ts): tags, names, locations,
 * VM and security-rule properties get ARM's 400 with its error code.
 * A NIC's subnet must exist in a virtual network of the NIC's region. Virtual networks made
 * outside SkyDeck (`addVirtualNetwork`, any resource group) are listed subscription-wide too.
 *
 * It is also the identity platform's token endpoint (`/{tenant}/oauth2/v2.0/token`, with the
 * OpenID configuration MSAL reads first): point AZURE_AUTHORITY_HOST at `url` and the SDK's
 * service-principal credential, or a node's own token request, gets a token here; the
 * `principals` option says which client ids and secrets it accepts. `imdsUrl` is the instance
 * metadata service's token endpoint for the user-assigned identities created here. `listen` puts the server
 * on another local address (a test-host bridge), so network-namespace nodes reach it too.
 * Every answered request is recorded in `calls` (with the User-Agent and whose token it
 * carried) and announced on `events` ('request'), so tests wait on what happened.
 *
 * Faults come the two ways ARM reports them: an HTTP error on the PUT (e.g. 409
 * OperationNotAllowed for quota) or a Failed async operation (e.g. AllocationFailed).
 * Docs: https://learn.microsoft.com/rest/api/compute/virtual-machines,
 * .../rest/api/resources/resource-groups, .../rest/api/virtualnetwork/*,
 * https://learn.microsoft.com/azure/azure-resource-manager/management/async-operations
 */
import { execFileSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import { EventEmitter } from 'node:events';
import * as fs from 'node:fs';
import * as https from 'node:https';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { jsonRequests, type Json } from './jsonRequests';
import { validateResource, validateResourceGroup, validateSecurityRules } from './validation/azure';

export interface AzureFault {
  /** 'vm.create', 'vm.start', 'vm.deallocate', 'rg.create', 'nsg.create', ... */
  op: string;
  location?: string;
  via: 'async' | 'http';
  code: string;
  message: string;
  httpStatus?: number;
  times?: number;
}

/** A request as the fake saw it; `tokenOf` is the client id whose token it carried (a token the fake issued). */
export interface AzureCall {
  method: string;
  path: string;
  userAgent: string;
  tokenOf?: string;
}

/** A token request: grant and client (never the secret). */
export interface AzureTokenRequest {
  tenant: string;
  grantType: string;
  clientId: string;
  userAgent: string;
  granted: boolean;
}

export interface FakeAzure {
  url: string;
  /** The instance metadata service (plain HTTP, as IMDS is): managed identities' tokens; SKYDECK_AZURE_IMDS_ENDPOINT. */
  imdsUrl: string;
  /** Requests in order, and an event ('request', AzureCall) after each. */
  calls: AzureCall[];
  tokenRequests: AzureTokenRequest[];
  events: EventEmitter;
  /** Resolves once `check` holds, re-checked after each request; rejects after timeoutMs with `what`. */
  waitFor<T>(what: string, check: () => T | undefined | false, timeoutMs?: number): Promise<T>;
  /** A VM's power state ('running', 'deallocated', ...), undefined when it does not exist. */
  powerState(vmName: string): string | undefined;
  subscription: string;
  /** PEM of the self-signed certificate, and its file (for NODE_EXTRA_CA_CERTS). */
  certFile: string;
  /** Resources by lower-cased ARM id. */
  resources: Map<string, Json>;
  requests: string[];
  inject(fault: AzureFault): void;
  reset(): void;
  /** Sets a VM's power state as if changed outside SkyDeck ('deallocated', 'running', ...). */
  setPowerState(vmName: string, state: string): void;
  /** Deletes a VM as if removed outside SkyDeck (or evicted). */
  removeVm(vmName: string): void;
  resourceGroups(): string[];
  /**
   * A virtual network made outside SkyDeck (a network team's, for `azure.vpc_name`), with its
   * resource group when missing; subnets as `{name: addressPrefix}` (default: `default`). Returns its id.
   */
  addVirtualNetwork(resourceGroup: string, name: string, location: string, subnets?: Record<string, string>): string;
  close(): Promise<void>;
}

interface AsyncOp {
  polls: number;
  error?: { code: string; message: string };
  effect?: () => void;
}

const TYPES: Record<string, string> = {
  networksecuritygroups: 'Microsoft.Network/networkSecurityGroups',
  virtualnetworks: 'Microsoft.Network/virtualNetworks',
  publicipaddresses: 'Microsoft.Network/publicIPAddresses',
  networkinterfaces: 'Microsoft.Network/networkInterfaces',
  virtualmachines: 'Microsoft.Compute/virtualMachines',
  userassignedidentities: 'Microsoft.ManagedIdentity/userAssignedIdentities',
  roleassignments: 'Microsoft.Authorization/roleAssignments',
};
const OP_NAMES: Record<string, string> = {
  networksecuritygroups: 'nsg',
  virtualnetworks: 'vnet',
  publicipaddresses: 'ip',
  networkinterfaces: 'nic',
  virtualmachines: 'vm',
  userassignedidentities: 'identity',
  roleassignments: 'role',
};

function makeCert(dir: string, address: string): { key: string; cert: string; certFile: string } {
  const keyFile = path.join(dir, 'key.pem');
  const certFile = path.join(dir, 'cert.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      keyFile,
      '-out',
      certFile,
      '-days',
      '2',
      '-subj',
      `/CN=${address}`,
      '-addext',
      `subjectAltName=IP:${address},DNS:localhost${address === '127.0.0.1' ? '' : ',IP:127.0.0.1'}`,
    ],
    { stdio: 'ignore' },
  );
  return { key: fs.readFileSync(keyFile, 'utf8'), cert: fs.readFileSync(certFile, 'utf8'), certFile };
}

export interface FakeAzureOptions {
  subscription?: string;
  /** The local address to listen on (default 127.0.0.1). */
  listen?: string;
  /** Service principals the token endpoint accepts (client id -> secret); refresh tokens: `refreshTokens`. */
  principals?: Record<string, string>;
  /** Refresh tokens the token endpoint accepts (token -> the user it belongs to). */
  refreshTokens?: Record<string, string>;
}

export async function startFakeAzure(options: FakeAzureOptions = {}): Promise<FakeAzure> {
  const subscription = options.subscription ?? '00000000-0000-0000-0000-000000000001';
  const address = options.listen ?? '127.0.0.1';
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skydeck-fake-azure-'));
  const { key, cert, certFile } = makeCert(dir, address);
  const events = new EventEmitter();
  events.setMaxListeners(0);
  const calls: AzureCall[] = [];
  const tokenRequests: AzureTokenRequest[] = [];
  const issued = new Map<string, string>();
  const resources = new Map<string, Json>();
  const groups = new Map<string, Json>();
  const ops = new Map<string, AsyncOp>();
  const requests: string[] = [];
  let faults: AzureFault[] = [];
  let seq = 1;
  let ipSeq = 4;
  let base = '';

  const send = (res: http.ServerResponse, status: number, body?: Json, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'x-ms-request-id': `req-${seq++}`, ...headers });
    res.end(body === undefined ? undefined : JSON.stringify(body));
  };
  const armError = (res: http.ServerResponse, status: number, code: string, message: string) => send(res, status, { error: { code, message } });

  function takeFault(op: string, location?: string): AzureFault | undefined {
    const f = faults.find((x) => x.op === op && (!x.location || x.location === location) && (x.times ?? 1) > 0);
    if (f && f.times !== undefined) f.times--;
    return f;
  }

  function asyncOp(location: string, effect?: () => void, error?: AsyncOp['error']): string {
    const id = `op-${seq++}`;
    ops.set(id, { polls: 0, effect, error });
    return `${base}/subscriptions/${subscription}/providers/Microsoft.Compute/locations/${location}/operations/${id}?api-version=2024-07-01`;
  }

  function powerState(vm: Json): string {
    return (vm._power as string | undefined) ?? 'running';
  }

  function instanceView(vm: Json): Json {
    const prov = ((vm.properties as Json).provisioningState as string).toLowerCase();
    return {
      computerName: vm.name,
      statuses: [
        { code: `ProvisioningState/${prov}`, level: 'Info', displayStatus: `Provisioning ${prov}` },
        { code: `PowerState/${powerState(vm)}`, level: 'Info', displayStatus: `VM ${powerState(vm)}` },
      ],
    };
  }

  function show(r: Json): Json {
    const { _power: _p, ...rest } = r;
    return rest;
  }

  function enrich(kind: string, id: string, body: Json, location: string): Json {
    const props = { ...((body.properties as Json | undefined) ?? {}) };
    if (kind === 'publicipaddresses') props.ipAddress = `20.1.0.${ipSeq++}`;
    if (kind === 'networkinterfaces') {
      props.ipConfigurations = ((props.ipConfigurations as Json[] | undefined) ?? []).map((c, i) => ({
        ...c,
        id: `${id}/ipConfigurations/${(c.name as string) ?? `ipconfig${i}`}`,
        properties: {
          ...((c.properties as Json) ?? {}),
          privateIPAddress: `10.0.0.${ipSeq++}`,
          privateIPAllocationMethod: 'Dynamic',
          provisioningState: 'Succeeded',
        },
      }));
    }
    if (kind === 'virtualnetworks') {
      props.subnets = ((props.subnets as Json[] | undefined) ?? []).map((s) => ({
        ...s,
        id: `${id}/subnets/${s.name as string}`,
        properties: { ...((s.properties as Json) ?? {}), provisioningState: 'Succeeded' },
      }));
    }
    if (kind === 'networksecuritygroups') {
      props.securityRules = ((props.securityRules as Json[] | undefined) ?? []).map((r) => ({ ...r, id: `${id}/securityRules/${r.name as string}` }));
    }
    if (kind === 'virtualmachines') props.vmId = `0000-${seq++}`;
    if (kind === 'userassignedidentities') Object.assign(props, { principalId: crypto.randomUUID(), clientId: crypto.randomUUID(), tenantId: 'fake-tenant' });
    const name = id.split('/').pop() as string;
    return { ...body, id, name, type: TYPES[kind], location, properties: { ...props, provisioningState: 'Succeeded' } };
  }

  function handle(req: http.IncomingMessage, res: http.ServerResponse, body: Json): void {
    const url = new URL(req.url ?? '/', 'https://x');
    const p = url.pathname;
    const method = req.method ?? 'GET';
    requests.push(`${method} ${p}`);
    const bearer = /^Bearer (\S+)/.exec(req.headers.authorization ?? '')?.[1];
    calls.push({
      method,
      path: p,
      userAgent: String(req.headers['user-agent'] ?? ''),
      ...(bearer && issued.has(bearer) ? { tokenOf: issued.get(bearer) } : {}),
    });
    if (!/^Bearer \S+/.test(req.headers.authorization ?? ''))
      return armError(res, 401, 'AuthenticationFailed', 'Authentication failed. The Authorization header is missing.');
    const seg = p.split('/').filter(Boolean);
    const lower = seg.map((s) => s.toLowerCase());
    if (lower[0] !== 'subscriptions') return armError(res, 404, 'NotFound', `No route for ${p}`);
    if (seg[1] !== subscription) return armError(res, 404, 'SubscriptionNotFound', `The subscription '${seg[1]}' could not be found.`);

    // Async operation status (Azure-AsyncOperation) and resource group deletion results (Location).
    if (lower[2] === 'providers' && lower[3] === 'microsoft.compute' && lower[6] === 'operations') {
      const op = ops.get(seg[7]);
      if (!op) return armError(res, 404, 'NotFound', 'operation not found');
      op.polls++;
      if (op.polls < 2) return send(res, 200, { name: seg[7], status: 'InProgress', startTime: new Date().toISOString() });
      if (op.error) return send(res, 200, { name: seg[7], status: 'Failed', error: op.error });
      if (op.effect) {
        op.effect();
        op.effect = undefined;
      }
      return send(res, 200, { name: seg[7], status: 'Succeeded', startTime: new Date().toISOString(), endTime: new Date().toISOString() });
    }
    if (lower[2] === 'operationresults') {
      const op = ops.get(seg[3]);
      if (!op) return armError(res, 404, 'NotFound', 'operation not found');
      op.polls++;
      if (op.polls < 2) return send(res, 202, undefined, { location: `${base}${p}?api-version=2021-04-01`, 'retry-after': '0' });
      op.effect?.();
      op.effect = undefined;
      return send(res, 200);
    }

    // A subscription-wide list of one type (`/providers/{ns}/{type}`, e.g. virtualNetworks.listAll).
    if (lower[2] === 'providers' && seg.length === 5 && method === 'GET' && TYPES[lower[4]]) {
      const type = `/providers/${TYPES[lower[4]]}/`.toLowerCase();
      const listed = [...resources.entries()].filter(([k]) => k.includes(type) && k.split(type)[1].split('/').length === 1).map(([, v]) => v);
      // virtualMachines.listAll with statusOnly=true: each VM's run-time status only, not its model (tags, profiles).
      if (lower[4] === 'virtualmachines' && url.searchParams.get('statusOnly') === 'true') {
        return send(res, 200, {
          value: listed.map((v) => ({ id: v.id, name: v.name, type: v.type, location: v.location, properties: { instanceView: instanceView(v) } })),
        });
      }
      return send(res, 200, { value: listed.map(show) });
    }

    // Resource groups.
    if (lower[2] === 'resourcegroups' && seg.length === 3 && method === 'GET') {
      return send(res, 200, { value: [...groups.values()] });
    }
    if (lower[2] !== 'resourcegroups' || !seg[3]) return armError(res, 404, 'NotFound', `No route for ${p}`);
    const rgKey = seg[3].toLowerCase();
    const rgId = `/subscriptions/${subscription}/resourceGroups/${seg[3]}`;
    if (seg.length === 4) {
      if (method === 'PUT') {
        const problem = validateResourceGroup(seg[3], body);
        if (problem) return armError(res, 400, problem.code, problem.message);
        const fault = takeFault('rg.create', body.location as string);
        if (fault) return armError(res, fault.httpStatus ?? 409, fault.code, fault.message);
        const existed = groups.get(rgKey);
        if (existed && existed.location !== body.location) {
          return armError(
            res,
            409,
            'InvalidResourceGroupLocation',
            `Invalid resource group location '${String(body.location)}'. The Resource group already exists in location '${String(existed.location)}'.`,
          );
        }
        const rg = {
          id: rgId,
          name: seg[3],
          type: 'Microsoft.Resources/resourceGroups',
          location: body.location,
          tags: body.tags ?? {},
          properties: { provisioningState: 'Succeeded' },
        };
        groups.set(rgKey, rg);
        return send(res, existed ? 200 : 201, rg);
      }
      const rg = groups.get(rgKey);
      const notFound = () => armError(res, 404, 'ResourceGroupNotFound', `Resource group '${seg[3]}' could not be found.`);
      if (method === 'HEAD') return send(res, rg ? 204 : 404);
      if (!rg) return notFound();
      if (method === 'GET') return send(res, 200, rg);
      if (method === 'DELETE') {
        const id = `del-${seq++}`;
        ops.set(id, {
          polls: 0,
          effect: () => {
            groups.delete(rgKey);
            for (const k of [...resources.keys()]) if (k.startsWith(`${rgId.toLowerCase()}/`)) resources.delete(k);
          },
        });
        return send(res, 202, undefined, {
          location: `${base}/subscriptions/${subscription}/operationresults/${id}?api-version=2021-04-01`,
          'retry-after': '0',
        });
      }
    }
    const rg = groups.get(rgKey);
    if (!rg) return armError(res, 404, 'ResourceGroupNotFound', `Resource group '${seg[3]}' could not be found.`);
    // /providers/{ns}/{type}[/{name}[/{child}/{childName} | /{action}]]
    const kind = lower[6];
    if (lower[4] !== 'providers' || !TYPES[kind]) return armError(res, 404, 'NotFound', `The fake ARM does not implement ${method} ${p}`);
    const listPrefix = `${rgId}/providers/${TYPES[kind]}/`.toLowerCase();
    if (seg.length === 7 && method === 'GET') {
      return send(res, 200, {
        value: [...resources.entries()]
          .filter(([k]) => k.startsWith(listPrefix) && k.split('/').length === listPrefix.split('/').length)
          .map(([, v]) => show(v)),
      });
    }
    const id = `${rgId}/providers/${TYPES[kind]}/${seg[7]}`;
    const key = id.toLowerCase();
    const location = (rg.location as string) ?? 'eastus';
    const existing = resources.get(key);

    if (seg.length === 10 && lower[8] === 'securityrules' && method === 'PUT') {
      if (!existing) return armError(res, 404, 'ResourceNotFound', `The Resource '${TYPES[kind]}/${seg[7]}' under resource group '${seg[3]}' was not found.`);
      const props = existing.properties as Json;
      const rules = ((props.securityRules as Json[]) ?? []).filter((r) => r.name !== seg[9]);
      const rule = {
        ...body,
        name: seg[9],
        id: `${id}/securityRules/${seg[9]}`,
        properties: { ...((body.properties as Json) ?? {}), provisioningState: 'Succeeded' },
      };
      const problem = validateSecurityRules([...rules, rule], seg[7]);
      if (problem) return armError(res, 400, problem.code, problem.message);
      props.securityRules = [...rules, rule];
      return send(res, 200, rule);
    }
    if (seg.length === 8) {
      if (method === 'PUT' && kind === 'roleassignments') {
        // Not a tracked resource: no location; ARM checks the principal and the role definition.
        const props = (body.properties as Json | undefined) ?? {};
        if (!props.principalId || !props.roleDefinitionId)
          return armError(res, 400, 'InvalidRoleAssignmentRequest', 'principalId and roleDefinitionId are required.');
        const assignment = { ...body, id, name: seg[7], type: TYPES[kind], properties: { ...props, scope: rgId } };
        resources.set(key, assignment);
        return send(res, existing ? 200 : 201, assignment);
      }
      if (method === 'PUT' && kind === 'virtualmachines') {
        // A user-assigned identity must exist before a VM can carry it.
        const ids = Object.keys(((body.identity as Json | undefined)?.userAssignedIdentities as Json | undefined) ?? {});
        const missing = ids.find((i) => !resources.has(i.toLowerCase()));
        if (missing) return armError(res, 400, 'FailedIdentityOperation', `Identity '${missing}' could not be found.`);
      }
      if (method === 'PUT' && kind === 'networkinterfaces') {
        // A NIC's subnet must exist, in a virtual network of the NIC's own region.
        for (const c of ((body.properties as Json | undefined)?.ipConfigurations as Json[] | undefined) ?? []) {
          const subnetId = String(((c.properties as Json | undefined)?.subnet as Json | undefined)?.id ?? '');
          const vnet = resources.get(subnetId.toLowerCase().replace(/\/subnets\/[^/]+$/, ''));
          const subnets = ((vnet?.properties as Json | undefined)?.subnets as Json[] | undefined) ?? [];
          if (!vnet || !subnets.some((sn) => String(sn.id).toLowerCase() === subnetId.toLowerCase()))
            return armError(res, 400, 'InvalidResourceReference', `Resource ${subnetId} referenced by resource ${id} was not found.`);
          if (vnet.location !== ((body.location as string) ?? location))
            return armError(
              res,
              400,
              'InvalidResourceReference',
              `Resource ${subnetId} referenced by resource ${id} is in ${String(vnet.location)}, not ${String(body.location)}.`,
            );
        }
      }
      if (method === 'PUT') {
        const problem = validateResource(kind, seg[7], body);
        if (problem) return armError(res, 400, problem.code, problem.message);
        const opName = `${OP_NAMES[kind]}.create`;
        const fault = takeFault(opName, location);
        if (fault?.via === 'http') return armError(res, fault.httpStatus ?? 409, fault.code, fault.message);
        const resource = enrich(kind, id, body, (body.location as string) ?? location);
        if (kind === 'virtualmachines') {
          // VM creation is asynchronous: 201 + Azure-AsyncOperation, then the final GET.
          const creating = { ...resource, properties: { ...(resource.properties as Json), provisioningState: 'Creating' }, _power: 'starting' };
          if (!existing) resources.set(key, creating);
          const opUrl = asyncOp(
            location,
            () => {
              const r = resources.get(key);
              if (r) {
                (r.properties as Json).provisioningState = 'Succeeded';
                r._power = 'running';
              }
            },
            fault ? { code: fault.code, message: fault.message } : undefined,
          );
          if (fault) {
            // A failed creation leaves the VM resource in Failed state (as ARM does).
            const r = resources.get(key);
            if (r) (r.properties as Json).provisioningState = 'Failed';
          }
          return send(res, existing ? 200 : 201, show(creating), { 'azure-asyncoperation': opUrl, 'retry-after': '0' });
        }
        resources.set(key, resource);
        return send(res, existing ? 200 : 201, show(resource));
      }
      if (!existing) return armError(res, 404, 'ResourceNotFound', `The Resource '${TYPES[kind]}/${seg[7]}' under resource group '${seg[3]}' was not found.`);
      if (method === 'GET') {
        const shown = show(existing);
        if (kind === 'virtualmachines' && url.searchParams.get('$expand') === 'instanceView') (shown.properties as Json).instanceView = instanceView(existing);
        return send(res, 200, shown);
      }
      if (method === 'DELETE') {
        const opUrl = asyncOp(location, () => resources.delete(key));
        return send(res, 202, undefined, { 'azure-asyncoperation': opUrl, location: opUrl, 'retry-after': '0' });
      }
    }
    if (seg.length === 9 && kind === 'virtualmachines') {
      if (!existing)
        return armError(
          res,
          404,
          'ResourceNotFound',
          `The Resource 'Microsoft.Compute/virtualMachines/${seg[7]}' under resource group '${seg[3]}' was not found.`,
        );
      const action = lower[8];
      if (action === 'instanceview' && method === 'GET') return send(res, 200, instanceView(existing));
      const transitions: Record<string, [string, string]> = {
        deallocate: ['deallocating', 'deallocated'],
        start: ['starting', 'running'],
        poweroff: ['stopping', 'stopped'],
        restart: ['starting', 'running'],
      };
      const t = transitions[action];
      if (t && method === 'POST') {
        const fault = takeFault(`vm.${action}`, location);
        if (fault?.via === 'http') return armError(res, fault.httpStatus ?? 409, fault.code, fault.message);
        existing._power = t[0];
        const opUrl = asyncOp(location, () => (existing._power = t[1]), fault ? { code: fault.code, message: fault.message } : undefined);
        return send(res, 202, undefined, { 'azure-asyncoperation': opUrl, location: opUrl, 'retry-after': '0' });
      }
    }
    armError(res, 404, 'NotFound', `The fake ARM does not implement ${method} ${p}`);
  }

  /** The identity platform: OpenID configuration and the token endpoint (client credentials, refresh token). */
  function identity(req: http.IncomingMessage, res: http.ServerResponse, form: URLSearchParams): boolean {
    const url = new URL(req.url ?? '/', 'https://x');
    const m = /^\/([^/]+)\/(v2\.0\/\.well-known\/openid-configuration|oauth2\/v2\.0\/token)$/.exec(url.pathname);
    if (!m) return false;
    const tenant = decodeURIComponent(m[1]);
    const userAgent = String(req.headers['user-agent'] ?? '');
    calls.push({ method: req.method ?? 'GET', path: url.pathname, userAgent });
    if (m[2].startsWith('v2.0')) {
      send(res, 200, {
        issuer: `${base}/${tenant}/v2.0`,
        authorization_endpoint: `${base}/${tenant}/oauth2/v2.0/authorize`,
        token_endpoint: `${base}/${tenant}/oauth2/v2.0/token`,
        jwks_uri: `${base}/${tenant}/discovery/v2.0/keys`,
        end_session_endpoint: `${base}/${tenant}/oauth2/v2.0/logout`,
        response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
        tenant_region_scope: 'NA',
      });
      return true;
    }
    const grantType = form.get('grant_type') ?? '';
    const clientId = form.get('client_id') ?? '';
    let who: string | undefined;
    if (grantType === 'client_credentials' && options.principals?.[clientId] !== undefined && options.principals[clientId] === form.get('client_secret'))
      who = clientId;
    if (grantType === 'refresh_token') who = options.refreshTokens?.[form.get('refresh_token') ?? ''];
    tokenRequests.push({ tenant, grantType, clientId, userAgent, granted: Boolean(who) });
    if (!who) {
      send(res, 401, { error: 'invalid_client', error_description: 'AADSTS7000215: Invalid client secret provided.', error_codes: [7000215] });
      return true;
    }
    const token = `fake-issued-${crypto.randomBytes(8).toString('hex')}`;
    issued.set(token, who);
    send(res, 200, {
      token_type: 'Bearer',
      expires_in: 3599,
      ext_expires_in: 3599,
      access_token: token,
      ...(grantType === 'refresh_token' ? { refresh_token: form.get('refresh_token') } : {}),
    });
    return true;
  }

  const arm = jsonRequests(handle, {
    badJson: (res) => armError(res, 400, 'InvalidRequestContent', 'The request content was invalid and could not be deserialized.'),
    crashed: (res, err) => armError(res, 500, 'InternalServerError', String(err)),
  });
  const server = https.createServer({ key, cert }, (req, res) => {
    res.on('finish', () => events.emit('request', calls[calls.length - 1]));
    if (!/\/oauth2\/|\/\.well-known\//.test(req.url ?? '')) return arm(req, res);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (!identity(req, res, new URLSearchParams(Buffer.concat(chunks).toString()))) send(res, 404, { error: 'not_found' });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, address, resolve));
  base = `https://${address}:${(server.address() as AddressInfo).port}`;

  // IMDS: a token for a user-assigned identity that exists here, named by msi_res_id or client_id.
  const imds = http.createServer((req, res) => {
    res.on('finish', () => events.emit('request', calls[calls.length - 1]));
    const url = new URL(req.url ?? '/', 'http://x');
    const userAgent = String(req.headers['user-agent'] ?? '');
    calls.push({ method: req.method ?? 'GET', path: url.pathname, userAgent });
    if (url.pathname !== '/metadata/identity/oauth2/token' || req.headers.metadata !== 'true') return send(res, 400, { error: 'invalid_request' });
    const wanted = url.searchParams.get('msi_res_id') ?? url.searchParams.get('client_id') ?? '';
    const identity = [...resources.entries()].find(
      ([k, r]) =>
        k.includes('/microsoft.managedidentity/userassignedidentities/') && (k === wanted.toLowerCase() || (r.properties as Json).clientId === wanted),
    );
    tokenRequests.push({ tenant: '', grantType: 'imds', clientId: wanted, userAgent, granted: Boolean(identity) });
    if (!identity) return send(res, 400, { error: 'invalid_request', error_description: 'Identity not found' });
    const token = `fake-msi-${crypto.randomBytes(8).toString('hex')}`;
    issued.set(token, identity[1].id as string);
    send(res, 200, { access_token: token, expires_in: '3599', resource: url.searchParams.get('resource'), token_type: 'Bearer' });
  });
  await new Promise<void>((resolve) => imds.listen(0, address, resolve));
  const imdsUrl = `http://${address}:${(imds.address() as AddressInfo).port}`;

  const findVm = (name: string) =>
    [...resources.entries()].find(([k]) => k.includes('/microsoft.compute/virtualmachines/') && k.endsWith(`/${name.toLowerCase()}`));
  return {
    url: base,
    imdsUrl,
    subscription,
    certFile,
    resources,
    requests,
    calls,
    tokenRequests,
    events,
    waitFor<T>(what: string, check: () => T | undefined | false, timeoutMs = 120_000): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        const test = () => {
          const v = check();
          if (v === undefined || v === false) return false;
          events.off('request', test);
          clearTimeout(timer);
          resolve(v);
          return true;
        };
        const timer = setTimeout(() => {
          events.off('request', test);
          reject(
            new Error(
              `timed out after ${timeoutMs} ms waiting for ${what}; the fake saw:\n${calls.map((c) => `${c.method} ${c.path} [${c.userAgent.slice(0, 40)}]`).join('\n')}`,
            ),
          );
        }, timeoutMs);
        if (!test()) events.on('request', test);
      });
    },
    powerState(name) {
      const vm = findVm(name);
      return vm ? ((vm[1]._power as string | undefined) ?? 'running') : undefined;
    },
    inject(fault) {
      faults.push({ ...fault, times: fault.times ?? Number.POSITIVE_INFINITY });
    },
    reset() {
      resources.clear();
      groups.clear();
      ops.clear();
      faults = [];
      requests.length = 0;
      calls.length = 0;
      tokenRequests.length = 0;
    },
    setPowerState(name, state) {
      const vm = findVm(name);
      if (vm) vm[1]._power = state;
    },
    removeVm(name) {
      const vm = findVm(name);
      if (vm) resources.delete(vm[0]);
    },
    resourceGroups() {
      return [...groups.values()].map((g) => g.name as string);
    },
    addVirtualNetwork(resourceGroup, name, location, subnets = { default: '10.1.0.0/24' }) {
      const rgId = `/subscriptions/${subscription}/resourceGroups/${resourceGroup}`;
      if (!groups.has(resourceGroup.toLowerCase())) {
        groups.set(resourceGroup.toLowerCase(), {
          id: rgId,
          name: resourceGroup,
          type: 'Microsoft.Resources/resourceGroups',
          location,
          tags: {},
          properties: { provisioningState: 'Succeeded' },
        });
      }
      const id = `${rgId}/providers/${TYPES.virtualnetworks}/${name}`;
      const body = {
        location,
        properties: {
          addressSpace: { addressPrefixes: ['10.1.0.0/16'] },
          subnets: Object.entries(subnets).map(([subnet, addressPrefix]) => ({ name: subnet, properties: { addressPrefix } })),
        },
      };
      resources.set(id.toLowerCase(), enrich('virtualnetworks', id, body, location));
      return id;
    },
    async close() {
      server.closeAllConnections();
      imds.closeAllConnections();
      await Promise.all([server, imds].map((x) => new Promise<void>((resolve) => x.close(() => resolve()))));
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
