/**
 * Autostop on Azure with no client (docs/AUTOSTOP.md). A VM powered off from inside stays
 * allocated (billed), so the head calls Azure Resource Manager itself, as SkyPilot's node
 * does with the credential it is given: it mints a token (./nodeCredential.ts), then
 * deallocates (stop) or deletes (down) the cluster's VMs, workers first, then itself; down
 * deletes the cluster's resource group last, which takes the head and everything else with it.
 *
 * The head gets, in AUTOSTOP_FILES_DIR (0600, engine/cluster/nodeCloudApi.ts): `azure.json`
 * (the ARM endpoint, subscription, resource group, token request) and the script below (bash,
 * curl and python3 are all a node has; python3 keeps the JSON and the polling readable).
 * Workers get no credential: their command powers them off, as before. When the head has no
 * credential or its calls fail, it powers itself off too, and the next `status -r` finishes.
 */
import { AUTOSTOP_FILES_DIR, type AutostopFile, type AutostopCommands, type ClusterHandle } from '../provider';
import { guestShutdownCommands } from '../../vmShared/guestShutdown';
import { names } from './spec';
import { nodeCredential, remoteIdentityFor, type RemoteIdentity } from './nodeCredential';
import * as fs from 'node:fs';

const CONFIG_FILE = 'azure.json';
const SCRIPT_FILE = 'azure-autostop.py';
const CA_FILE = 'azure-ca.pem';
const ARM = 'https://management.azure.com';

/** The head's files, or none when it can mint no token (then it only powers off). */
export function azureAutostopFiles(handle: ClusterHandle, env: NodeJS.ProcessEnv = process.env): AutostopFile[] {
  const data = handle.data as { resourceGroup?: string; subscriptionId?: string; remoteIdentity?: RemoteIdentity };
  const identity = data.remoteIdentity ?? remoteIdentityFor(handle.clusterName);
  const { token } = nodeCredential(identity, env);
  const subscription = data.subscriptionId;
  if (!token || !subscription) return [];
  const files: AutostopFile[] = [];
  // A test server's certificate (the fake Resource Manager): what this machine trusts for ARM, the node trusts too.
  if (env.SKYDECK_AZURE_CA_FILE) files.push({ name: CA_FILE, content: fs.readFileSync(env.SKYDECK_AZURE_CA_FILE, 'utf8') });
  const config = {
    arm: (env.SKYDECK_AZURE_ENDPOINT || ARM).replace(/\/+$/, ''),
    subscription,
    resourceGroup: data.resourceGroup ?? names(handle.nameOnCloud).resourceGroup,
    deleteGroup: true,
    token,
    ...(env.SKYDECK_AZURE_CA_FILE ? { caFile: CA_FILE } : {}),
  };
  files.push({ name: CONFIG_FILE, content: `${JSON.stringify(config)}\n` }, { name: SCRIPT_FILE, content: NODE_SCRIPT });
  return files;
}

/** Each node: the head (the only one with the script) calls ARM, falling back to powering off; workers power off. */
export function azureAutostopCommands(): AutostopCommands {
  const off = guestShutdownCommands().stop;
  const cmd = (action: 'stop' | 'down') =>
    `f="$HOME/${AUTOSTOP_FILES_DIR}/${SCRIPT_FILE}"; if [ -f "$f" ]; then python3 "$f" ${action} || { echo "azure autostop: the API calls failed; powering off (the next status -r finishes)"; ${off}; }; else ${off}; fi`;
  return { stop: cmd('stop'), down: cmd('down') };
}

/** Runs on the head; prints what it does, never the credential or a token. */
const NODE_SCRIPT = String.raw`#!/usr/bin/env python3
"""SkyDeck autostop on Azure: deallocate (stop) or delete (down) this cluster's VMs through
Azure Resource Manager, workers first, then the head. Written by the SkyDeck client."""
import json, os, ssl, sys, time, urllib.error, urllib.parse, urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
CFG = json.load(open(os.path.join(HERE, 'azure.json')))
CTX = ssl.create_default_context(cafile=os.path.join(HERE, CFG['caFile'])) if CFG.get('caFile') else ssl.create_default_context()
COMPUTE = 'api-version=2024-07-01'
GROUPS = 'api-version=2021-04-01'
SCOPE = 'https://management.azure.com/.default'
DEADLINE = time.time() + 1800


def log(msg):
    print('azure autostop: ' + msg, flush=True)


def call(method, url, body=None, headers=None, form=False):
    data = None
    h = {'User-Agent': 'skydeck-node-autostop'}
    h.update(headers or {})
    if body is not None:
        data = urllib.parse.urlencode(body).encode() if form else json.dumps(body).encode()
        h['Content-Type'] = 'application/x-www-form-urlencoded' if form else 'application/json'
    req = urllib.request.Request(url, data=data, method=method, headers=h)
    ctx = CTX if url.startswith('https:') else None
    try:
        with urllib.request.urlopen(req, context=ctx, timeout=60) as r:
            raw = r.read()
            return r.status, r.headers, json.loads(raw) if raw.strip() else None
    except urllib.error.HTTPError as e:
        raw = e.read()
        try:
            return e.code, e.headers, json.loads(raw)
        except ValueError:
            return e.code, e.headers, None


def why(body):
    if isinstance(body, dict):
        err = body.get('error')
        if isinstance(err, dict):
            return '%s: %s' % (err.get('code'), err.get('message'))
        if err:
            return '%s: %s' % (err, body.get('error_description', ''))
    return 'no details'


def token():
    t = CFG['token']
    if t['kind'] == 'imds':
        q = {'api-version': '2018-02-01', 'resource': 'https://management.azure.com/'}
        if t.get('clientId'):
            q['client_id'] = t['clientId']
        if t.get('resourceId'):
            q['msi_res_id'] = t['resourceId']
        status, _, body = call('GET', t['endpoint'] + '/metadata/identity/oauth2/token?' + urllib.parse.urlencode(q), headers={'Metadata': 'true'})
        source = 'the instance metadata service'
    else:
        form = {'client_id': t['clientId'], 'scope': SCOPE}
        if t['kind'] == 'client_credentials':
            form.update(grant_type='client_credentials', client_secret=t['clientSecret'])
        else:
            form.update(grant_type='refresh_token', refresh_token=t['refreshToken'], scope=SCOPE + ' offline_access')
        url = '%s/%s/oauth2/v2.0/token' % (t['authority'], urllib.parse.quote(t['tenant']))
        status, _, body = call('POST', url, form, form=True)
        source = t['authority']
    if status != 200 or not isinstance(body, dict) or not body.get('access_token'):
        raise SystemExit('azure autostop: no token from %s (HTTP %s, %s)' % (source, status, why(body)))
    return body['access_token']


AUTH = {'Authorization': 'Bearer ' + token()}
GROUP = '%s/subscriptions/%s/resourceGroups/%s' % (CFG['arm'], CFG['subscription'], urllib.parse.quote(CFG['resourceGroup']))
VMS = GROUP + '/providers/Microsoft.Compute/virtualMachines'


def wait(what, headers):
    """Follows ARM's asynchronous operation (Azure-AsyncOperation, else Location) to its end."""
    op = headers.get('Azure-AsyncOperation')
    loc = headers.get('Location')
    pause = headers.get('Retry-After') or '2'
    while time.time() < DEADLINE and (op or loc):
        time.sleep(min(max(float(pause), 0.2), 10))
        status, headers, body = call('GET', op or loc, headers=AUTH)
        pause = headers.get('Retry-After') or pause
        if op:
            state = (body or {}).get('status') if status == 200 else None
            if state == 'Succeeded':
                return
            if state in ('Failed', 'Canceled'):
                raise SystemExit('azure autostop: %s %s (%s)' % (what, state.lower(), why(body)))
        elif status in (200, 204):
            return
        if status >= 400 and status != 404:
            raise SystemExit('azure autostop: %s: HTTP %s (%s)' % (what, status, why(body)))
        if status == 404:
            return
    if time.time() >= DEADLINE:
        raise SystemExit('azure autostop: %s did not finish in time' % what)


def act(method, url, what):
    status, headers, body = call(method, url, headers=AUTH)
    if status == 404:
        log(what + ': already gone')
        return
    if status not in (200, 201, 202, 204):
        raise SystemExit('azure autostop: %s: HTTP %s (%s)' % (what, status, why(body)))
    log(what)
    wait(what, headers)


def main(action):
    status, _, body = call('GET', VMS + '?' + COMPUTE, headers=AUTH)
    if status == 404:
        log('resource group %s is gone; nothing to do' % CFG['resourceGroup'])
        return
    if status != 200:
        raise SystemExit('azure autostop: listing the VMs: HTTP %s (%s)' % (status, why(body)))
    vms = body.get('value', [])
    head = [v for v in vms if (v.get('tags') or {}).get('skydeck-node-type') == 'head']
    workers = [v for v in vms if v not in head]
    for vm in workers + head:
        url = VMS + '/' + urllib.parse.quote(vm['name'])
        if action == 'down' and CFG.get('deleteGroup') and vm in head:
            continue
        if action == 'down':
            act('DELETE', url + '?' + COMPUTE, 'deleting VM ' + vm['name'])
        else:
            act('POST', url + '/deallocate?' + COMPUTE, 'deallocating VM ' + vm['name'])
    if action == 'down' and CFG.get('deleteGroup'):
        act('DELETE', GROUP + '?' + GROUPS, 'deleting resource group ' + CFG['resourceGroup'])


main(sys.argv[1] if len(sys.argv) > 1 else 'stop')
`;
